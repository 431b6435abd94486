"""What people send and what staff do with it: the expression of interest and its pipeline
(`move_to`, `invite_to`, the overdue rule), its history and staff notes, and the records of
personal data requests and of who viewed what.

Two models live in modules of their own and are imported here, so that Django registers them
with this app and `applications.models` names every model: `Booking` and its rules
(bookings.py) and `EqualityResponse` (equality.py).
"""

import datetime
import secrets
import uuid

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from involvement.formats import record_time
from opportunities.models import Meeting, Opportunity

from .bookings import Booking, BookingError

# Migration 0005 names the `year` default as applications.models.current_year.
from .equality import EqualityResponse, current_year  # noqa: F401

# Crockford's base32 without I, L, O, U: easy to read aloud on the phone and hard to mistype.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MANAGE_LINK_SALT = "applications.manage-expression"


def new_reference():
    """A random, non-guessable reference such as 'K7M3-Q9TX-2PWA' (60 bits)."""
    characters = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(12))
    return f"{characters[:4]}-{characters[4:8]}-{characters[8:]}"


def choice_labels(values, choices):
    """The labels of a list of stored choice values, in the order the form lists them."""
    labels = dict(choices.choices)
    known = [choice.value for choice in choices if choice.value in values]
    unknown = [value for value in values if value not in labels]
    return [labels[value] for value in known] + unknown


class InvalidMove(ValidationError):
    """A status move the pipeline does not allow; its message says why, for staff to read."""


# Expressions of interest waiting longer than this for a first contact are overdue.
FIRST_CONTACT_WORKING_DAYS = 10


def working_days_between(start, end):
    """Weekdays (Monday to Friday) after the date `start`, up to and including the date `end`.

    Submitted on a Friday and looked at on the Monday is one working day. Bank holidays are
    counted as working days: the portal has no calendar of them.
    """
    if end <= start:
        return 0
    whole_weeks, extra_days = divmod((end - start).days, 7)
    extra = sum(
        1 for offset in range(1, extra_days + 1)
        if (start + datetime.timedelta(days=offset)).weekday() < 5
    )
    return whole_weeks * 5 + extra


def submitted_before_for_overdue(today, working_days=FIRST_CONTACT_WORKING_DAYS):
    """The start of the first day whose submissions have waited no more than `working_days`
    by `today`: anything submitted before it has waited longer."""
    day = today
    while working_days_between(day - datetime.timedelta(days=1), today) <= working_days:
        day -= datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class ExpressionOfInterestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=ExpressionOfInterest.Status.open_values())

    def for_triage(self):
        """The expressions of interest the team triages through the pipeline: not
        registrations for an event date (those have `meeting` set), which the person booked
        for themselves and which no one needs to contact first."""
        return self.filter(meeting__isnull=True)

    def event_registrations(self):
        """Registrations for an event date, made from the event's own page."""
        return self.filter(meeting__isnull=False)

    def with_personal_details(self):
        """Those whose personal details have not been removed."""
        return self.filter(anonymised_at__isnull=True)

    def overdue(self, today):
        """Those still waiting for a first contact, on the date `today`, after more than
        FIRST_CONTACT_WORKING_DAYS working days."""
        return self.filter(
            status=ExpressionOfInterest.Status.NEW,
            first_contacted_at__isnull=True,
            submitted_at__lt=submitted_before_for_overdue(today),
        )

    def for_staff(self, user):
        """What a member of staff may see: everything for the involvement team and superusers,
        their own programmes' expressions for programme leads, nothing for anyone else."""
        if user.is_superuser or user.has_perm("applications.view_all_expressions"):
            return self.all()
        if user.has_perm("applications.view_expressionofinterest"):
            return self.filter(opportunity__programme__leads=user)
        return self.none()

    def for_staff_includes(self, user, programme):
        """Whether `for_staff(user)` takes in the expressions of `programme`'s opportunities:
        the same rule, asked of one programme."""
        if user.is_superuser or user.has_perm("applications.view_all_expressions"):
            return True
        return (
            user.has_perm("applications.view_expressionofinterest")
            and programme.leads.filter(pk=user.pk).exists()
        )


class ExpressionOfInterest(models.Model):
    """One person's interest in one opportunity (or one event meeting)."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        BRIEFING = "briefing", "Briefing meeting"
        TASTER = "taster", "Taster meeting"
        JOINED = "joined", "Joined"
        NOT_PROGRESSED = "not_progressed", "Not progressed"
        WITHDRAWN = "withdrawn", "Withdrawn"

        @classmethod
        def open_values(cls):
            return [cls.NEW, cls.CONTACTED, cls.BRIEFING, cls.TASTER]

    # The pipeline: each stage moves on to the next, and any open stage can end. A person who
    # has joined can still leave (withdrawn).
    NEXT_STAGE = {
        Status.NEW: Status.CONTACTED,
        Status.CONTACTED: Status.BRIEFING,
        Status.BRIEFING: Status.TASTER,
        Status.TASTER: Status.JOINED,
    }

    # What the person sees on their "manage" page, in plain words: where things are up to.
    # What happens next depends on their bookings too, so it is `next_step()`, not here.
    PLAIN_STATUS = {
        Status.NEW: "We have your message.",
        Status.CONTACTED: "We have been in touch with you.",
        Status.BRIEFING: "You have had a briefing meeting.",
        Status.TASTER: "You have been to a taster meeting.",
        Status.JOINED: "You have joined. Thank you for getting involved.",
        Status.NOT_PROGRESSED: "We are not taking this further at the moment. "
        "We will have told you why.",
        Status.WITHDRAWN: "You have withdrawn your interest. Thank you for letting us know.",
    }

    # The next step for someone with no meeting coming up, by where they are in the pipeline.
    NEXT_STEP_WITHOUT_MEETING = {
        Status.NEW: "Someone from the team will contact you soon.",
        Status.CONTACTED: "We will invite you to a briefing meeting, where we tell you more.",
        Status.BRIEFING: "We will invite you to a taster meeting, with no obligation.",
        Status.TASTER: "We will talk with you about whether to join.",
    }

    # Tag colours in the admin; the status is always written in the tag too.
    STATUS_COLOURS = {
        Status.NEW: "blue",
        Status.CONTACTED: "aqua-green",
        Status.BRIEFING: "purple",
        Status.TASTER: "yellow",
        Status.JOINED: "green",
        Status.NOT_PROGRESSED: "grey",
        Status.WITHDRAWN: "grey",
    }

    class AgeBand(models.TextChoices):
        UNDER_16 = "under_16", "Under 16"
        AGE_16_17 = "16_17", "16 to 17"
        AGE_18_24 = "18_24", "18 to 24"
        AGE_25_64 = "25_64", "25 to 64"
        AGE_65_PLUS = "65_plus", "65 or over"
        PREFER_NOT_TO_SAY = "prefer_not_to_say", "Prefer not to say"

        @property
        def ages(self):
            """The youngest and oldest age in the band (None: no upper limit), for
            `Opportunity.age_refusal`; (None, None) when they preferred not to say."""
            return {
                "under_16": (0, 15), "16_17": (16, 17), "18_24": (18, 24), "25_64": (25, 64),
                "65_plus": (65, None),
            }.get(self.value, (None, None))

    class ContactMethod(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        EITHER = "either", "Either"

    class Connection(models.TextChoices):
        PATIENT = "patient", "I am, or have been, a patient"
        CARER = "carer", "I am a carer or family member of a patient"
        RESIDENT = "resident", "I live locally"
        OTHER = "other", "Other"

    class AccessNeed(models.TextChoices):
        STEP_FREE = "step_free", "Step-free access"
        BSL = "bsl", "A British Sign Language (BSL) interpreter"
        LARGE_PRINT = "large_print", "Large print"
        EASY_READ = "easy_read", "Easy read"
        HEARING_LOOP = "hearing_loop", "A hearing loop"
        OTHER = "other", "Something else"

    reference = models.CharField(max_length=14, unique=True, default=new_reference, editable=False)
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.PROTECT, related_name="expressions"
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="expressions",
        help_text="The event meeting, for registrations for an event.",
    )
    # The form sends a one-off key, so sending the same form twice makes one record.
    submission_key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)

    full_name = models.CharField(max_length=200)
    # Empty when they asked to be phoned and gave no email address (the form insists on one
    # otherwise): no email is then sent to them.
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    preferred_contact = models.CharField(
        "preferred way to contact", max_length=10, choices=ContactMethod.choices,
        default=ContactMethod.EMAIL,
    )
    age_band = models.CharField(max_length=20, choices=AgeBand.choices)
    parent_carer_name = models.CharField("parent or carer's name", max_length=200, blank=True)
    parent_carer_contact = models.CharField(
        "parent or carer's email or phone", max_length=200, blank=True
    )
    parent_carer_confirmed = models.BooleanField(
        "parent or carer agrees", default=False
    )
    connections = models.JSONField("connection to the trust", default=list)
    connection_other = models.CharField(max_length=200, blank=True)
    why_interested = models.TextField("why they are interested")
    experience = models.TextField("relevant experience", blank=True)
    access_needs = models.JSONField("access needs and formats", default=list, blank=True)
    access_needs_other = models.CharField("other access needs", max_length=500, blank=True)
    availability = models.TextField("when they can usually attend", blank=True)
    privacy_consent = models.BooleanField(default=False)
    privacy_notice_version = models.CharField(max_length=20)

    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    not_progressed_reason = models.TextField(blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="assigned_expressions",
    )
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)
    first_contacted_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # When the person's details were removed, by the retention job or on their request
    # (applications/personal_data.py). What reports need stays: opportunity, dates, status and
    # age band.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ExpressionOfInterestQuerySet.as_manager()

    class Meta:
        verbose_name = "expression of interest"
        verbose_name_plural = "expressions of interest"
        ordering = ["-submitted_at"]
        permissions = [
            ("view_all_expressions", "Can see expressions of interest for every programme"),
            ("move_expression", "Can move expressions of interest through the pipeline"),
            ("export_expressions", "Can export expressions of interest"),
        ]
        indexes = [
            models.Index(fields=["status", "-submitted_at"], name="expression_status"),
            models.Index(fields=["email"], name="expression_email"),
            models.Index(fields=["age_band"], name="expression_age_band"),
            # Each proved with EXPLAIN ANALYZE on the bench's data (bench/), for:
            # joined lay partners per opportunity;
            models.Index(fields=["opportunity", "status"], name="expression_opportunity_status"),
            # the admin's opportunity filter with its default ordering;
            models.Index(fields=["opportunity", "-submitted_at"], name="expression_opp_recent"),
            # "waiting more than 10 working days" (ExpressionOfInterestQuerySet.overdue).
            models.Index(
                fields=["-submitted_at"],
                condition=models.Q(status="new", first_contacted_at__isnull=True),
                name="expression_awaiting_contact",
            ),
        ]

    def __str__(self):
        return f"{self.reference} – {self.opportunity}"

    @property
    def is_open(self):
        return self.status in self.Status.open_values()

    @property
    def plain_status(self):
        return self.PLAIN_STATUS[self.status]

    @property
    def status_colour(self):
        return self.STATUS_COLOURS[self.status]

    @property
    def can_withdraw(self):
        return self.Status.WITHDRAWN in self.allowed_moves()

    @property
    def is_under_16(self):
        return self.age_band == self.AgeBand.UNDER_16

    # How we will reach them, as "We will contact you ..." ends.
    CONTACT_WAYS = {
        ContactMethod.EMAIL: "by email",
        ContactMethod.PHONE: "by phone",
        ContactMethod.EITHER: "by email or phone",
    }

    @property
    def contact_way(self):
        return self.CONTACT_WAYS.get(self.preferred_contact, "by email")

    # Connections and access needs are stored as codes; people read them as the form said them.
    def connection_labels(self):
        return choice_labels(self.connections, self.Connection)

    def access_need_labels(self):
        return choice_labels(self.access_needs, self.AccessNeed)

    def working_days_waiting(self, today=None):
        """Working days the person has waited to hear from us, or None once they have."""
        if self.status != self.Status.NEW or self.first_contacted_at is not None:
            return None
        return working_days_between(
            timezone.localdate(self.submitted_at), today or timezone.localdate()
        )

    def allowed_moves(self):
        """The statuses this expression can move to now, in pipeline order."""
        moves = []
        if self.status in self.NEXT_STAGE:
            moves.append(self.NEXT_STAGE[self.status])
        if self.is_open:
            moves.append(self.Status.NOT_PROGRESSED)
        if self.is_open or self.status == self.Status.JOINED:
            moves.append(self.Status.WITHDRAWN)
        return moves

    def move_to(self, status, *, by=None, reason=""):
        """Move through the pipeline, recording who moved it, when, from what, and why.

        `by` is the member of staff, or None when the person did it themselves. The row is
        locked while it moves, so two staff acting at once cannot both move it from the
        same status.
        """
        status = self.Status(status)
        reason = reason.strip()
        with transaction.atomic():
            current = (
                type(self).objects.select_for_update().only("status").get(pk=self.pk).status
            )
            self.status = current
            if status not in self.allowed_moves():
                raise InvalidMove(self._refusal(status))
            if status == self.Status.NOT_PROGRESSED and not reason:
                raise InvalidMove(
                    "Give a reason why this expression of interest is not progressing."
                )
            now = timezone.now()
            self.status = status
            self.status_changed_at = now
            fields = ["status", "status_changed_at", "updated_at"]
            if status == self.Status.NOT_PROGRESSED:
                self.not_progressed_reason = reason
                fields.append("not_progressed_reason")
            if status == self.Status.CONTACTED and self.first_contacted_at is None:
                self.first_contacted_at = now
                fields.append("first_contacted_at")
            self.save(update_fields=fields)
            self.changes.create(
                from_status=current, to_status=status, by=by, at=now, reason=reason
            )
        return self

    def _refusal(self, status):
        current = self.Status(self.status).label
        wanted = self.Status(status).label
        if self.status == status:
            return f"This expression of interest is already at “{current}”."
        if not self.is_open and self.status != self.Status.JOINED:
            return f"This expression of interest has ended (“{current}”), so it cannot move."
        next_stage = self.NEXT_STAGE.get(self.status)
        hint = f" The next step is “{self.Status(next_stage).label}”." if next_stage else ""
        return f"You cannot move an expression of interest from “{current}” to “{wanted}”.{hint}"

    def withdraw(self):
        """The person withdraws, from their manage page: no blame, no reason needed.

        Their places at meetings still to come are cancelled too (and go to whoever is
        waiting), as the confirmation page tells them.
        """
        with transaction.atomic():
            self.move_to(self.Status.WITHDRAWN, by=None, reason="Withdrawn by the person")
            for booking in self.places_to_cancel_on_withdrawing():
                booking.cancel()
        return self

    def places_to_cancel_on_withdrawing(self, now=None):
        """Their bookings for meetings still to come that withdrawing cancels."""
        return list(
            self.bookings.cancellable()
            .filter(meeting__ends_at__gt=now or timezone.now())
            .select_related("meeting__opportunity")
            .order_by("meeting__starts_at", "pk")
        )

    def next_step(self, bookings, now=None):
        """What happens next for the person, in plain words, from their status and their
        bookings (`bookings` as the manage page loaded them): an invitation to answer, a
        meeting to come to, a waiting list, or what the team will do. Empty once it has ended."""
        if not self.is_open:
            return ""
        now = now or timezone.now()
        coming = [booking for booking in bookings if booking.meeting.ends_at > now]
        for status, sentence in (
            (Booking.Status.INVITED,
             "You are invited to {meeting} on {when}. Tell us whether you can come."),
            (Booking.Status.CONFIRMED,
             "You have a place at {meeting} on {when}. We will remind you nearer the time."),
            (Booking.Status.WAITLISTED, "You are on the waiting list for {meeting} on {when}. "
             "We will email you if a place comes up."),
        ):
            booking = next((b for b in coming if b.status == status), None)
            if booking is not None:
                meeting = booking.meeting
                return sentence.format(meeting=meeting.in_a_sentence, when=meeting.when)
        return self.NEXT_STEP_WITHOUT_MEETING[self.status]

    # Meetings ----------------------------------------------------------------------------------

    # Attending one of these moves the expression on to the stage of the same name.
    STAGE_AFTER_MEETING = {
        Meeting.Kind.BRIEFING: Status.BRIEFING,
        Meeting.Kind.TASTER: Status.TASTER,
    }

    @property
    def can_be_invited(self):
        """Whether staff may invite them to a meeting: still going, with someone to contact."""
        return self.is_open and not self.anonymised_at

    def invite_to(self, meeting, *, by):
        """Invite the person to a briefing or taster meeting and email them (once the
        transaction commits): an invitation, or, when the meeting is full, that they are on
        its waiting list. Someone still "New" moves to "Contacted".

        Returns the booking, or raises BookingError (or InvalidMove) saying why not.
        """
        from .tasks import queue_booking_email  # tasks imports this module

        if not self.is_open:
            raise BookingError(
                f"{self.reference} has ended (“{self.get_status_display()}”), "
                "so cannot be invited."
            )
        with transaction.atomic():
            existing = (
                self.bookings.filter(meeting=meeting)
                .exclude(status=Booking.Status.CANCELLED)
                .first()
            )
            if existing:
                raise BookingError(
                    f"{self.reference} already has a booking for this meeting "
                    f"({existing.get_status_display().lower()})."
                )
            if self.status == self.Status.NEW:
                self.move_to(self.Status.CONTACTED, by=by, reason=f"Invited to {meeting}")
            booking = Booking.book(meeting, self, invited_by=by, status=Booking.Status.INVITED)
            waiting = booking.status == Booking.Status.WAITLISTED
            queue_booking_email(booking, "waitlisted" if waiting else "invitation")
        return booking

    def attended(self, meeting, *, by):
        """They came to `meeting`: a briefing or taster moves them on to that stage."""
        stage = self.STAGE_AFTER_MEETING.get(meeting.kind)
        if stage and stage in self.allowed_moves():
            self.move_to(stage, by=by, reason=f"Attended {meeting}")

    def manage_token(self):
        return signing.dumps(self.reference, salt=MANAGE_LINK_SALT, compress=True)

    def manage_path(self):
        return reverse("applications:manage", args=[self.manage_token()])

    def withdraw_path(self):
        return reverse("applications:withdraw", args=[self.manage_token()])

    @classmethod
    def from_manage_token(cls, token):
        """The expression a manage link is for, or None if the link is tampered or expired."""
        try:
            reference = signing.loads(
                token, salt=MANAGE_LINK_SALT, max_age=settings.MANAGE_LINK_MAX_AGE
            )
        except signing.BadSignature:  # includes SignatureExpired
            return None
        # Once their details are removed there is nothing of theirs to manage: the link ends.
        return (
            cls.objects.with_personal_details()
            .select_related("opportunity")
            .filter(reference=reference)
            .first()
        )


class StatusChange(models.Model):
    """One move through the pipeline: the history staff and the person can rely on."""

    expression = models.ForeignKey(
        ExpressionOfInterest, on_delete=models.CASCADE, related_name="changes"
    )
    from_status = models.CharField(max_length=20, choices=ExpressionOfInterest.Status.choices)
    to_status = models.CharField(max_length=20, choices=ExpressionOfInterest.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        help_text="Empty when the person made the change themselves.",
    )
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class StaffNote(models.Model):
    expression = models.ForeignKey(
        ExpressionOfInterest, on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, editable=False
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"Note by {self.author} on {self.created_at:%d %b %Y}"


# --- Personal data requests ----------------------------------------------------------------
# Subject access, erasure and the retention job: who did what, when, and for how many records.
# See applications/personal_data.py.


class PersonalDataRequest(models.Model):
    """One subject access export, erasure or retention run, kept as the trust's record of it.

    An erasure record never holds the person's email address: it names the references of the
    records it anonymised. A subject access record holds the address asked about until that
    person's data is erased, when it is removed too."""

    class Kind(models.TextChoices):
        SUBJECT_ACCESS = "subject_access", "Subject access export"
        ERASURE = "erasure", "Erasure on request"
        RETENTION = "retention", "Retention period ended"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    made_at = models.DateTimeField(default=timezone.now, db_index=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as well as made_by: the record must still say who if the account is deleted.
    made_by_username = models.CharField("by", max_length=150, blank=True)
    email = models.EmailField("email address asked about", blank=True)
    reason = models.TextField(blank=True)
    # Counts of what was found or changed, and the references of the records concerned.
    details = models.JSONField(default=dict)

    class Meta:
        verbose_name = "personal data request"
        verbose_name_plural = "personal data requests"
        ordering = ["-made_at"]
        permissions = [
            ("export_personal_data", "Can download everything held about a person"),
            ("erase_personal_data", "Can erase a person's data on request"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}, {record_time(self.made_at)}"


class ExpressionViewing(models.Model):
    """A member of staff opened an expression of interest in the admin: who, which and when,
    so the trust can answer "who has looked at my details?"."""

    expression = models.ForeignKey(
        ExpressionOfInterest, on_delete=models.CASCADE, related_name="viewings"
    )
    viewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    viewed_by_username = models.CharField("viewed by", max_length=150)
    viewed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "viewing of an expression of interest"
        verbose_name_plural = "viewings of expressions of interest"
        ordering = ["-viewed_at"]
        indexes = [models.Index(fields=["expression", "-viewed_at"], name="viewing_expression")]

    def __str__(self):
        return f"{self.viewed_by_username} viewed {self.expression_id}"


# --- "Tell me when the next one is" ----------------------------------------------------------


class NextDateRequestQuerySet(models.QuerySet):
    def waiting(self):
        """Not yet told about a date."""
        return self.filter(told_at__isnull=True)


class NextDateRequest(models.Model):
    """Someone asked to be told when an event with no date yet has its next date.

    Not an expression of interest: nobody is triaged, contacted or briefed. It is kept only
    until they are told (then for RETENTION_ENDED_MONTHS, see personal_data.py), and counted
    in subject access and erasure like everything else about a person.
    """

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="next_date_requests",
        verbose_name="event",
    )
    full_name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    privacy_notice_version = models.CharField(max_length=20)
    submission_key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField("asked", default=timezone.now, db_index=True)
    told_at = models.DateTimeField(
        "told about a date", null=True, blank=True,
        help_text="When we emailed them the new date. People who gave only a phone number "
        "are phoned: record it here when you have.",
    )

    objects = NextDateRequestQuerySet.as_manager()

    class Meta:
        verbose_name = "request to hear about the next date"
        verbose_name_plural = "requests to hear about the next date"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["opportunity", "told_at"], name="next_date_waiting")]

    def __str__(self):
        return f"{self.full_name}: {self.opportunity}"
