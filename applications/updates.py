"""Emails that follow the work: to the person when staff move them on, do not progress them,
cancel their place or change a meeting they are booked on; to staff about new interest,
withdrawals and declines, one at a time or in a daily digest, as each chooses.

Each email is first recorded as an `UpdateEmail` with a key naming what it is about (the
expression, the booking, the change) and unique in the table, so the same email is never
recorded twice, however often the act that asks for it runs. The task that sends it
(applications/tasks.py, `send_update_email`) claims the row before sending, so a task run
again by the queue sends nothing more. What the email says is built when it is sent, from the
database: a person erased in the meantime, or with no email address, is never emailed.

The hooks (`after_move`, `after_staff_cancel`, ...) are called from the admin's views and
actions and the public views, after the act has been saved, one line each; they queue with
`transaction.on_commit`, so nothing goes if the act rolls back.

The two models are imported into applications/models.py, like Booking.
"""

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from involvement.email_queue import enqueue_on_commit


class UpdateEmailQuerySet(models.QuerySet):
    def awaiting_digest(self):
        return self.filter(in_digest=True, digest__isnull=True, sent_at__isnull=True)


class UpdateEmail(models.Model):
    """One email about the work, to the person or to one member of staff, recorded once."""

    class Kind(models.TextChoices):
        # To the person
        CONTACTED = "contacted", "Moved on: contacted"
        JOINED = "joined", "Moved on: joined"
        NOT_PROGRESSED = "not_progressed", "Not progressed"
        PLACE_CANCELLED = "place_cancelled", "Place cancelled by staff"
        MEETING_CHANGED = "meeting_changed", "Meeting changed"
        # To staff
        NEW_INTEREST = "new_interest", "New expression of interest"
        WITHDRAWN = "withdrawn", "Withdrawal"
        DECLINED = "declined", "Place declined"
        DIGEST = "digest", "Daily digest"

    TO_THE_PERSON = [
        Kind.CONTACTED, Kind.JOINED, Kind.NOT_PROGRESSED, Kind.PLACE_CANCELLED,
        Kind.MEETING_CHANGED,
    ]

    kind = models.CharField(max_length=20, choices=Kind.choices)
    # What it is about, so that the same email is recorded only once (see the docstring).
    key = models.CharField(max_length=200, unique=True)
    expression = models.ForeignKey(
        "applications.ExpressionOfInterest", on_delete=models.CASCADE, null=True, blank=True,
        related_name="update_emails",
    )
    booking = models.ForeignKey(
        "applications.Booking", on_delete=models.CASCADE, null=True, blank=True,
        related_name="update_emails",
    )
    # The member of staff it is for; empty for an email to the person.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="update_emails",
    )
    # The message staff reviewed (not progressed): written by them, removed with the person's
    # other details when they are anonymised.
    text = models.TextField(blank=True)
    # Waiting for the member of staff's daily digest rather than sent on its own; `digest` is
    # the digest that took it in.
    in_digest = models.BooleanField(default=False)
    digest = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="included"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = UpdateEmailQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                condition=Q(in_digest=True, digest__isnull=True, sent_at__isnull=True),
                name="update_email_digest_waiting",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.key})"

    def claim(self):
        """Mark it sent, if nobody has: True for the one caller that may send it."""
        return bool(
            type(self).objects.filter(pk=self.pk, sent_at__isnull=True)
            .update(sent_at=timezone.now())
        )

    def release(self):
        """Sending failed: let the task's next run try again."""
        type(self).objects.filter(pk=self.pk).update(sent_at=None)


class StaffEmailPreferences(models.Model):
    """Which emails about the work one member of staff gets, and how. With no row, the
    defaults: all of them, one email each."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preferences"
    )
    new_interest = models.BooleanField(
        "new expressions of interest", default=True,
        help_text="For opportunities in the programmes you lead.",
    )
    withdrawals = models.BooleanField(
        "withdrawals", default=True,
        help_text="When someone assigned to you withdraws their interest.",
    )
    declines = models.BooleanField(
        "declined places", default=True,
        help_text="When someone assigned to you says they cannot come to a meeting.",
    )
    daily_digest = models.BooleanField(
        "one email a day instead", default=False,
        help_text="Gather them into one email each morning, instead of one email each time.",
    )

    class Meta:
        verbose_name = "email preferences"
        verbose_name_plural = "email preferences"

    def __str__(self):
        return f"Email preferences of {self.user}"

    WANTS = {
        UpdateEmail.Kind.NEW_INTEREST: "new_interest",
        UpdateEmail.Kind.WITHDRAWN: "withdrawals",
        UpdateEmail.Kind.DECLINED: "declines",
    }

    @classmethod
    def of(cls, user):
        """The user's preferences, or the defaults (unsaved) when they have chosen none."""
        return cls.objects.filter(user=user).first() or cls(user=user)

    def wants(self, kind):
        return getattr(self, self.WANTS[kind])


# Queueing ------------------------------------------------------------------------------------


def _queue(kind, key, **fields):
    """Record the email once (by its key) and queue it after the commit; a digest's emails
    wait for the digest command instead. Returns the record, or None if it already existed."""
    from .tasks import send_update_email  # tasks imports this module through models

    record, created = UpdateEmail.objects.get_or_create(key=key, defaults={"kind": kind, **fields})
    if not created:
        return None
    if not record.in_digest:
        enqueue_on_commit(send_update_email, record.pk)
    return record


def _stamp(moment):
    return moment.isoformat() if moment else ""


def can_email(expression):
    """Whether the person can be emailed at all: not erased, and an address given."""
    return bool(expression.email) and expression.anonymised_at is None


# To the person --------------------------------------------------------------------------------

# The moves that tell the person, each once.
MOVE_EMAILS = {"contacted": UpdateEmail.Kind.CONTACTED, "joined": UpdateEmail.Kind.JOINED}


def after_move(expression, status, *, email_text=None):
    """After staff move an expression: tell the person they have moved on (contacted, joined),
    or, for "not progressed", send the text staff reviewed (None or empty: they chose not to).
    Returns whether an email was queued."""
    if not can_email(expression):
        return False
    if status == "not_progressed":
        if not (email_text or "").strip():
            return False
        record = _queue(
            UpdateEmail.Kind.NOT_PROGRESSED,
            f"not_progressed:{expression.pk}:{_stamp(expression.status_changed_at)}",
            expression=expression, text=email_text.strip(),
        )
        return record is not None
    kind = MOVE_EMAILS.get(status)
    if kind is None:
        return False
    return _queue(kind, f"{kind}:{expression.pk}", expression=expression) is not None


def after_staff_cancel(booking):
    """Staff cancelled the person's place: tell them."""
    if not can_email(booking.expression):
        return False
    key = f"place_cancelled:{booking.pk}:{_stamp(booking.updated_at)}"
    return _queue(
        UpdateEmail.Kind.PLACE_CANCELLED, key, expression=booking.expression, booking=booking
    ) is not None


# What of a meeting, changed, the people booked on it need to hear about.
MEETING_DETAILS = ["starts_at", "ends_at", "is_online", "location", "joining_details"]


def meeting_details(meeting):
    return {name: getattr(meeting, name) for name in MEETING_DETAILS}


def after_meeting_change(meeting, before):
    """A meeting's time or place changed (`before`: its details as they were): tell everyone
    with a place or waiting, for a meeting still to come, with a new calendar file. Returns
    how many were queued."""
    from .bookings import Booking

    if before is None or before == meeting_details(meeting):
        return 0
    if meeting.ends_at <= timezone.now():
        return 0
    bookings = (
        Booking.objects.filter(
            meeting=meeting,
            status__in=[*Booking.REMINDED, Booking.Status.WAITLISTED],
            expression__anonymised_at__isnull=True,
        )
        .exclude(expression__email="")
        .select_related("expression")
    )
    queued = 0
    for booking in bookings:
        key = f"meeting_changed:{booking.pk}:{_stamp(meeting.updated_at)}"
        if _queue(
            UpdateEmail.Kind.MEETING_CHANGED, key, expression=booking.expression, booking=booking
        ):
            queued += 1
    return queued


def told_of_meeting_change(meeting):
    """For staff, after a meeting's time or place changed: how many of those booked were
    emailed, and who has no email address and must be phoned ("REF on PHONE")."""
    from .bookings import Booking

    if meeting.ends_at <= timezone.now():
        return {"emailed": 0, "to_phone": []}
    emailed = UpdateEmail.objects.filter(
        kind=UpdateEmail.Kind.MEETING_CHANGED, booking__meeting=meeting,
        key__endswith=f":{_stamp(meeting.updated_at)}",
    ).count()
    to_phone = [
        f"{reference} on {phone}"
        for reference, phone in Booking.objects.filter(
            meeting=meeting,
            status__in=[*Booking.REMINDED, Booking.Status.WAITLISTED],
            expression__anonymised_at__isnull=True,
            expression__email="",
        ).order_by("pk").values_list("expression__reference", "expression__phone")
    ]
    return {"emailed": emailed, "to_phone": to_phone}


# To staff -------------------------------------------------------------------------------------


def _tell_staff(users, kind, key_prefix, **fields):
    """One email per member of staff who wants this kind, now or in their digest."""
    told = 0
    seen = set()
    for user in users:
        if user is None or user.pk in seen or not user.email:
            continue
        if not (user.is_active and user.is_staff):
            continue
        seen.add(user.pk)
        preferences = StaffEmailPreferences.of(user)
        if not preferences.wants(kind):
            continue
        if _queue(
            kind, f"{key_prefix}:{user.pk}", recipient=user,
            in_digest=preferences.daily_digest, **fields,
        ):
            told += 1
    return told


def after_new_interest(expression):
    """A new expression of interest: tell the programme's leads. The opportunity's contact
    address has its own notification already (tasks.send_expression_emails), so a lead whose
    address it is is not told twice. Registrations for an event are not triage: no one."""
    if expression.is_event_registration:
        return 0
    opportunity = expression.opportunity
    contact = (opportunity.contact()["email"] or "").lower()
    leads = [
        lead for lead in opportunity.programme.leads.all() if lead.email.lower() != contact
    ]
    return _tell_staff(
        leads, UpdateEmail.Kind.NEW_INTEREST, f"new_interest:{expression.pk}",
        expression=expression,
    )


def after_withdrawal(expression):
    """The person withdrew: tell the member of staff assigned to them."""
    return _tell_staff(
        [expression.assigned_to], UpdateEmail.Kind.WITHDRAWN,
        f"withdrawn:{expression.pk}:{_stamp(expression.status_changed_at)}",
        expression=expression,
    )


def after_decline(booking):
    """The person declined a place (or left a waiting list): tell whoever is assigned."""
    expression = booking.expression
    return _tell_staff(
        [expression.assigned_to], UpdateEmail.Kind.DECLINED,
        f"declined:{booking.pk}:{_stamp(booking.updated_at)}",
        expression=expression, booking=booking,
    )


def gather_digests(now=None):
    """Gather each member of staff's waiting emails into one digest, and queue it. Each email
    is gathered once: a second run finds nothing new. Returns how many digests were queued."""
    from .tasks import send_update_email

    now = now or timezone.now()
    recipients = (
        UpdateEmail.objects.awaiting_digest().values_list("recipient", flat=True)
        .distinct().order_by("recipient")
    )
    queued = 0
    for recipient_id in list(recipients):
        with transaction.atomic():
            digest = UpdateEmail.objects.create(
                kind=UpdateEmail.Kind.DIGEST, key=f"digest:{recipient_id}:{_stamp(now)}",
                recipient_id=recipient_id, created_at=now,
            )
            gathered = (
                UpdateEmail.objects.awaiting_digest()
                .filter(recipient_id=recipient_id, created_at__lte=now)
                .update(digest=digest)
            )
            if not gathered:
                digest.delete()
                continue
            enqueue_on_commit(send_update_email, digest.pk)
            queued += 1
    return queued


# A meeting's time or place changed: opportunities may not import this app, so it is seen
# through the model's signals, connected in apps.py.


def remember_meeting_details(sender, instance, raw=False, **kwargs):
    """pre_save: keep the meeting's details as the database has them, to compare after."""
    if raw or instance.pk is None:
        return
    instance._details_before = (
        type(instance).objects.filter(pk=instance.pk).values(*MEETING_DETAILS).first()
    )


def meeting_saved(sender, instance, created=False, raw=False, **kwargs):
    """post_save: tell the people booked if its time or place changed (with the save's
    transaction: nothing is queued if it rolls back)."""
    before = getattr(instance, "_details_before", None)
    instance._details_before = None
    if raw or created or before is None:
        return
    after_meeting_change(instance, before)
