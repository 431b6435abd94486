"""What people send and what staff do with it: the expression of interest and its pipeline
(`move_to`, `invite_to`, the overdue rule), its history and staff notes, and the records of
personal data requests and of who viewed what.

Some models live in modules of their own and are imported here, so that Django registers them
with this app and `applications.models` names every model: `Booking` and its rules
(bookings.py), `EqualityResponse` (equality.py), `AlertSubscription`, the people who asked to
hear about new opportunities (alerts.py), and `UpdateEmail` and `StaffEmailPreferences`, the
emails that follow the work (updates.py).
"""

import bisect
import datetime
import functools
import secrets
import uuid

import holidays
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from involvement.formats import record_time
from opportunities.models import Meeting, Opportunity

from .alerts import AlertSubscription  # noqa: F401
from .bookings import Booking, BookingError
from .claims import Claim, ClaimEvent, ClaimExport, Expense, Receipt  # noqa: F401

# Migration 0005 names the `year` default as applications.models.current_year.
from .equality import EqualityResponse, current_year  # noqa: F401
from .history import stage_entered_from_history
from .my_involvement import SignInLink  # noqa: F401

# Emails that follow the work, recorded once each, and each member of staff's choice of them.
from .updates import StaffEmailPreferences, UpdateEmail  # noqa: F401

# Crockford's base32 without I, L, O, U: easy to read aloud on the phone and hard to mistype.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MANAGE_LINK_SALT = "applications.manage-expression"
# A different salt from the manage link's: a parent's or carer's consent link signs the same
# reference, and must never open the young person's manage page, nor theirs the consent page.
PARENT_CONSENT_LINK_SALT = "applications.parent-consent"


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


def contact_kind(value):
    """Whether a parent's or carer's contact (one box on the form, "email address or phone
    number") is an "email" address or a "phone" number; "" when it is neither, and staff
    need to ask the young person.

    An email address is one Django would accept; a phone number is anything else with at least
    seven digits and nothing but digits, spaces, brackets, dots, dashes and a leading +
    (people write UK and overseas numbers many ways)."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        pass
    else:
        return "email"
    digits = sum(character.isdigit() for character in value)
    if digits >= 7 and all(character in "0123456789 +-().ext" for character in value.lower()):
        return "phone"
    return ""


class InvalidMove(ValidationError):
    """A status move the pipeline does not allow; its message says why, for staff to read."""


# Expressions of interest waiting longer than this for a first contact are overdue.
FIRST_CONTACT_WORKING_DAYS = 10


# Bank holidays in England and Wales, where the trust is. England and Wales share the same
# bank holidays (Wales has no bank holiday of its own: St David's Day is not one), so the
# "ENG" subdivision of `holidays` is the calendar for both, substitute days ("observed")
# included. test_working_days.py checks the two calendars agree.
@functools.cache
def weekday_bank_holidays(year):
    """The bank holidays in England and Wales in `year` that fall on a weekday, sorted."""
    return sorted(
        day for day in holidays.UK(subdiv="ENG", years=year) if day.weekday() < 5
    )


def working_days_between(start, end):
    """Working days after the date `start`, up to and including the date `end`: Monday to
    Friday, except bank holidays in England and Wales.

    Submitted on a Friday and looked at on the Monday is one working day; over a bank holiday
    Monday, none. The changelist asks this of every row, so holidays are counted by bisecting
    each year's short list, not by walking the days.
    """
    if end <= start:
        return 0
    whole_weeks, extra_days = divmod((end - start).days, 7)
    extra = sum(
        1 for offset in range(1, extra_days + 1)
        if (start + datetime.timedelta(days=offset)).weekday() < 5
    )
    bank_holidays = sum(
        bisect.bisect_right(days, end) - bisect.bisect_right(days, start)
        for days in map(weekday_bank_holidays, range(start.year, end.year + 1))
    )
    return whole_weeks * 5 + extra - bank_holidays


def submitted_before_for_overdue(today, working_days=FIRST_CONTACT_WORKING_DAYS):
    """The start of the first day whose submissions have waited no more than `working_days`
    by `today`: anything submitted before it has waited longer."""
    day = today
    while working_days_between(day - datetime.timedelta(days=1), today) <= working_days:
        day -= datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


IMPACT_EMAILS_SALT = "applications.impact-emails"


class ExpressionOfInterestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=ExpressionOfInterest.Status.open_values())

    def joined_by(self, email):
        """This address's roles as a lay partner: who may have a page of their own."""
        if not email:
            return self.none()
        return self.filter(
            email__iexact=email, status=ExpressionOfInterest.Status.JOINED,
            anonymised_at__isnull=True,
        )

    def to_tell_about_impact(self, opportunity_ids):
        """The lay partners and group members of these opportunities to email about a
        "you said, we did" record: those who joined, still have their details and an email
        address, and have not asked us to stop."""
        return (
            self.with_personal_details()
            .filter(
                opportunity_id__in=opportunity_ids,
                status=ExpressionOfInterest.Status.JOINED,
                hears_about_impact=True,
            )
            .exclude(email="")
        )

    def for_triage(self):
        """The expressions of interest the team triages through the pipeline: not
        registrations for an event date (those have `meeting` set), which the person booked
        for themselves and which no one needs to contact first."""
        return self.filter(meeting__isnull=True)

    def event_registrations(self):
        """Registrations for an event date, made from the event's own page."""
        return self.filter(meeting__isnull=False)

    def registrations_to_close(self, now, grace):
        """Registrations still open for events that ended more than `grace` (a timedelta)
        before `now`: time enough for staff to record who came."""
        return self.event_registrations().open().filter(meeting__ends_at__lte=now - grace)

    def with_personal_details(self):
        """Those whose personal details have not been removed."""
        return self.filter(anonymised_at__isnull=True)

    def overdue(self, today):
        """Those still waiting for a first contact, on the date `today`, after more than
        FIRST_CONTACT_WORKING_DAYS working days. A registration for an event is never
        overdue: the person booked their place themselves and waits for no one."""
        return self.for_triage().filter(
            status=ExpressionOfInterest.Status.NEW,
            first_contacted_at__isnull=True,
            submitted_at__lt=submitted_before_for_overdue(today),
        )

    def by_parent_consent(self, state):
        """Those whose parent or carer consent is `state` (ExpressionOfInterest.ConsentState):
        waiting means an under-16 with no answer yet, whose details we still have."""
        Model = ExpressionOfInterest
        if state == Model.ConsentState.WAITING:
            return self.filter(
                age_band=Model.AgeBand.UNDER_16, parent_consent="", anonymised_at__isnull=True
            )
        return self.filter(parent_consent=state)

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
        # How a registration for an event ends, from its booking, once the event is over
        # (`close_after_event`): it is never moved through the pipeline.
        ATTENDED = "attended", "Attended the event"
        DID_NOT_ATTEND = "did_not_attend", "Did not attend the event"

        @classmethod
        def open_values(cls):
            return [cls.NEW, cls.CONTACTED, cls.BRIEFING, cls.TASTER]

        @classmethod
        def after_event_values(cls):
            return [cls.ATTENDED, cls.DID_NOT_ATTEND]

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
        Status.ATTENDED: "You came to the event. Thank you for taking part.",
        Status.DID_NOT_ATTEND: "The event has taken place.",
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
        Status.ATTENDED: "green",
        Status.DID_NOT_ATTEND: "grey",
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

    class ParentConsent(models.TextChoices):
        """A parent's or carer's answer, once we have one (blank until then)."""

        CONFIRMED = "confirmed", "Confirmed"
        REFUSED = "refused", "Refused"

    class ConsentState(models.TextChoices):
        """What staff see: an under-16 is waiting until their parent or carer answers."""

        WAITING = "waiting", "Waiting"
        CONFIRMED = "confirmed", "Confirmed"
        REFUSED = "refused", "Refused"

    class ConsentMethod(models.TextChoices):
        LINK = "link", "By the link in our email"
        PHONE = "phone", "By phone"
        IN_PERSON = "in_person", "In person"
        IN_WRITING = "in_writing", "In writing (a letter or an email to the team)"

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
    # What the young person ticked: "my parent or carer knows about this and agrees to it".
    # Their word, not the parent's or carer's: that is `parent_consent`.
    parent_carer_confirmed = models.BooleanField(
        "parent or carer agrees", default=False
    )
    # The parent's or carer's own answer, for an under-16: by the link we email them
    # (`parent_consent_token`), or taken by staff by phone and recorded in the admin. Blank is
    # no answer yet. Each has a database default too, so rows written without Django (the
    # bench's COPY) still get one.
    parent_consent = models.CharField(
        "parent or carer consent", max_length=10, choices=ParentConsent.choices, blank=True,
        default="", db_default="",
    )
    parent_consent_method = models.CharField(
        "how consent was given", max_length=12, choices=ConsentMethod.choices, blank=True,
        default="", db_default="",
    )
    parent_consent_at = models.DateTimeField("when consent was given", null=True, blank=True)
    parent_consent_given_by = models.CharField(
        "who gave consent", max_length=200, blank=True, default="", db_default="",
    )
    parent_consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", help_text="The member of staff who took it, when not by the link.",
    )
    parent_consent_note = models.TextField(
        "note about consent", blank=True, default="", db_default=""
    )
    # When we last emailed the parent or carer the link: empty when never (a phone number).
    parent_consent_requested_at = models.DateTimeField(
        "consent email sent", null=True, blank=True
    )
    connections = models.JSONField("connection to the trust", default=list)
    connection_other = models.CharField(max_length=200, blank=True)
    why_interested = models.TextField("why they are interested")
    experience = models.TextField("relevant experience", blank=True)
    access_needs = models.JSONField("access needs and formats", default=list, blank=True)
    access_needs_other = models.CharField("other access needs", max_length=500, blank=True)
    availability = models.TextField("when they can usually attend", blank=True)
    hears_about_impact = models.BooleanField(
        "emailed about what their involvement changed", default=True,
        help_text="Once they join, they are emailed when a “you said, we did” record about "
        "their group is published or updated, unless they ask us to stop.",
    )
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
            # The team's home (applications/team_home.py), for triage only (no event
            # registrations): a period's expressions by opportunity and status, read from the
            # index alone; and those waiting for a first contact.
            models.Index(
                fields=["submitted_at", "opportunity", "status"],
                condition=models.Q(meeting__isnull=True),
                name="expression_triage_submitted",
            ),
            models.Index(
                fields=["submitted_at"],
                condition=models.Q(
                    status="new", first_contacted_at__isnull=True, meeting__isnull=True
                ),
                name="expression_triage_awaiting",
            ),
            # ... and the people in each lay partner role's pipeline, by status.
            models.Index(
                fields=["opportunity", "status"],
                condition=models.Q(meeting__isnull=True),
                name="expression_triage_pipeline",
            ),
            # ... and the event registrations, which its figures leave out, by id alone: a
            # period's moves are told apart from theirs without reading every expression.
            models.Index(
                fields=["id"],
                condition=models.Q(meeting__isnull=False),
                name="expression_event_registrations",
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

    # Parent or carer consent ---------------------------------------------------------------------

    # An under-16 goes no further than "Contacted" (and is invited to no meeting) until their
    # parent or carer has agreed: the briefing and taster meetings are where they take part.
    NEEDS_PARENT_CONSENT = (Status.BRIEFING, Status.TASTER, Status.JOINED)

    @property
    def parent_contact_kind(self):
        """"email", "phone" or "" (see `contact_kind`), for an under-16's parent or carer."""
        return contact_kind(self.parent_carer_contact) if self.is_under_16 else ""

    @property
    def parent_consent_email(self):
        """The address to email the consent link to, or "" when there is none to use."""
        if self.anonymised_at or self.parent_contact_kind != "email":
            return ""
        return self.parent_carer_contact.strip()

    @property
    def parent_consent_state(self):
        """A ConsentState for an under-16 whose details we still have; None otherwise."""
        if not self.is_under_16 or self.anonymised_at:
            return None
        return self.ConsentState(self.parent_consent or self.ConsentState.WAITING)

    def parent_consent_refusal(self, status):
        """Why this expression cannot move to `status` (or be invited to a meeting, as
        `Status.BRIEFING`) for want of a parent's or carer's agreement, saying what to do;
        "" when nothing stands in the way. The one place this rule lives."""
        state = self.parent_consent_state
        if status not in self.NEEDS_PARENT_CONSENT or state in (None, self.ConsentState.CONFIRMED):
            return ""
        wanted = self.Status(status).label
        if state == self.ConsentState.REFUSED:
            return (
                f"{self.reference} cannot move to “{wanted}”: their parent or carer does not "
                "agree to them taking part. Move it to “Not progressed”, or, if they change "
                "their mind, record their consent under “Parent or carer consent”."
            )
        if self.parent_contact_kind == "email":
            how = (
                "They have been emailed a link to agree: wait for their answer, resend the "
                "email, or record consent they gave by phone"
            )
        else:
            how = "Phone them and record their consent"
        return (
            f"{self.reference} cannot move to “{wanted}” yet: they are under 16, and their "
            f"parent or carer has not agreed. {how} under “Parent or carer consent”."
        )

    def parent_consent_email_refusal(self):
        """Why staff cannot send the consent email (again) now, saying what to do; or ""."""
        if self.parent_consent_state is None:
            return f"{self.reference} is not under 16: no consent is needed."
        if self.parent_consent:
            return (
                f"{self.reference}'s parent or carer has already answered "
                f"({self.parent_consent_state.label.lower()}): no email was sent."
            )
        if not self.parent_consent_email:
            return (
                f"{self.reference}'s parent or carer gave no email address: phone them on "
                f"{self.parent_carer_contact or 'the number the young person gives you'} "
                "and record their consent."
            )
        return ""

    def record_parent_consent(self, answer, *, method, at=None, given_by="", by=None, note=""):
        """Record a parent's or carer's answer: by the link (`by` None) or taken by staff.

        A later answer replaces an earlier one (a parent may change their mind by phone).
        """
        self.parent_consent = self.ParentConsent(answer)
        self.parent_consent_method = self.ConsentMethod(method)
        self.parent_consent_at = at or timezone.now()
        self.parent_consent_given_by = given_by.strip() or self.parent_carer_name
        self.parent_consent_recorded_by = by
        self.parent_consent_note = note.strip()
        self.save(update_fields=[
            "parent_consent", "parent_consent_method", "parent_consent_at",
            "parent_consent_given_by", "parent_consent_recorded_by", "parent_consent_note",
            "updated_at",
        ])
        return self

    def answer_parent_consent(self, answer):
        """The parent or carer answers by the link in our email. The link answers once: True
        when this answer was recorded, False when an answer was already there (a second tab,
        a double click, the link used again), which is then left as it was."""
        with transaction.atomic():
            answered = (
                type(self).objects.select_for_update()
                .only("parent_consent").get(pk=self.pk).parent_consent
            )
            if answered:
                self.parent_consent = answered
                return False
            self.record_parent_consent(answer, method=self.ConsentMethod.LINK)
        return True

    def parent_consent_token(self):
        return signing.dumps(self.reference, salt=PARENT_CONSENT_LINK_SALT, compress=True)

    def parent_consent_path(self):
        return reverse("applications:parent_consent", args=[self.parent_consent_token()])

    @classmethod
    def from_parent_consent_token(cls, token):
        """The under-16's expression a consent link is for, or None if the link is tampered
        or expired, or there is no longer anything to agree to (their details were removed,
        or their parent's or carer's contact is no longer an email address)."""
        try:
            reference = signing.loads(
                token, salt=PARENT_CONSENT_LINK_SALT,
                max_age=settings.PARENT_CONSENT_LINK_MAX_AGE,
            )
        except signing.BadSignature:  # includes SignatureExpired
            return None
        expression = (
            cls.objects.with_personal_details()
            .select_related("opportunity__programme", "meeting")
            .filter(reference=reference, age_band=cls.AgeBand.UNDER_16)
            .first()
        )
        return expression if expression and expression.parent_consent_email else None

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

    @property
    def is_event_registration(self):
        return self.meeting_id is not None

    def working_days_waiting(self, today=None):
        """Working days the person has waited to hear from us, or None once they have (or
        when they registered for an event, which waits for no one)."""
        if self.is_event_registration:
            return None
        if self.status != self.Status.NEW or self.first_contacted_at is not None:
            return None
        return working_days_between(
            timezone.localdate(self.submitted_at), today or timezone.localdate()
        )

    def allowed_moves(self):
        """The statuses this expression can move to now, in pipeline order."""
        moves = []
        next_stage = self.NEXT_STAGE.get(self.status)
        if next_stage and not self.parent_consent_refusal(next_stage):
            moves.append(next_stage)
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
            locked = (
                type(self).objects.select_for_update()
                .only("status", "parent_consent", "submitted_at", "status_changed_at")
                .get(pk=self.pk)
            )
            current = locked.status
            self.status = current
            # A parent's or carer's answer may have come (or changed) since this was loaded.
            self.parent_consent = locked.parent_consent
            if status not in self.allowed_moves():
                raise InvalidMove(self._refusal(status))
            self.check_meeting_behind(status, reason)
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
                from_status=current, to_status=status, by=by, at=now, reason=reason,
                stage_entered_at=locked.stage_entered_at(),
            )
        return self

    def stage_entered_at(self):
        """When this expression entered the status it is at now, as the history would say:
        what a move out of it records (`StatusChange.stage_entered_at`). Read it from a row
        fresh from the database, before the move.

        "New" began when they expressed interest (even after an undo back to "New": the time
        to first contact counts from the form). Any other status was entered by the move that
        set `status_changed_at`, which every move (move_to, undo_last_move, closing an event
        registration and correcting its outcome) sets to its own `at`, in the same
        transaction as its history row: the same instant as the history's latest move into
        it, without reading the history."""
        if self.status == self.Status.NEW:
            return self.submitted_at
        return self.status_changed_at

    def _refusal(self, status):
        current = self.Status(self.status).label
        wanted = self.Status(status).label
        if self.status == status:
            return f"This expression of interest is already at “{current}”."
        if not self.is_open and self.status != self.Status.JOINED:
            return f"This expression of interest has ended (“{current}”), so it cannot move."
        consent = self.parent_consent_refusal(status)
        if consent:
            return consent
        next_stage = self.NEXT_STAGE.get(self.status)
        hint = f" The next step is “{self.Status(next_stage).label}”." if next_stage else ""
        return f"You cannot move an expression of interest from “{current}” to “{wanted}”.{hint}"

    # "Briefing meeting" and "Taster meeting" say the person has been to one: moving to either
    # needs a booking for a meeting of that kind, or a reason (briefed by phone, say).
    MEETING_KIND_FOR_STAGE = {
        Status.BRIEFING: Meeting.Kind.BRIEFING,
        Status.TASTER: Meeting.Kind.TASTER,
    }
    BOOKINGS_BEHIND_A_STAGE = [
        Booking.Status.INVITED, Booking.Status.CONFIRMED, Booking.Status.ATTENDED,
    ]

    def check_meeting_behind(self, status, reason):
        """Raise InvalidMove when moving to `status` needs a meeting booking and a reason is
        given for neither."""
        kind = self.MEETING_KIND_FOR_STAGE.get(status)
        if kind is None or reason:
            return
        booked = self.bookings.filter(
            meeting__kind=kind, status__in=self.BOOKINGS_BEHIND_A_STAGE
        ).exists()
        if not booked:
            label = Meeting.Kind(kind).label.lower()
            raise InvalidMove(
                f"To move to “{self.Status(status).label}”, they need a booking for a {label}: "
                f"invite them to one, or give a reason (for example, “Had their {label} by "
                "phone”)."
            )

    # Undoing a move ----------------------------------------------------------------------------

    # A mis-click can be undone for this long; after it, move on (or end it) as usual.
    UNDO_MINUTES = 5

    def last_change(self):
        return self.changes.order_by("-at", "-pk").first()

    def undo_refusal(self, change, by, now=None):
        """Why `by` cannot undo `change` now, or "" if they can: only the latest move, made by
        a member of staff within UNDO_MINUTES, by them or by the involvement team, with
        nothing done to the expression since."""
        now = now or timezone.now()
        if change is None:
            return "There is no move to undo."
        if change.undoes_id is not None:
            return "The last change was itself an undo. Move it on again instead."
        if change.by_id is None:
            return "The person made the last change themselves, so it cannot be undone here."
        is_team = by.is_superuser or by.has_perm("applications.view_all_expressions")
        if change.by_id != by.pk and not is_team:
            return (
                "Only the member of staff who made the move, or the involvement team, "
                "can undo it."
            )
        if now - change.at > datetime.timedelta(minutes=self.UNDO_MINUTES):
            return f"A move can only be undone within {self.UNDO_MINUTES} minutes of making it."
        if (
            self.status != change.to_status
            or change.pk != self.last_change().pk
            or self.bookings.filter(updated_at__gt=change.at).exists()
            or self.notes.filter(created_at__gt=change.at).exists()
        ):
            return "Something has happened since that move, so it cannot be undone."
        return ""

    def undo_last_move(self, *, by):
        """Put the expression back where it was before its last move, recorded in the history
        as a change of its own ("undone"), never by erasing the move. Raises InvalidMove,
        saying why, when `undo_refusal` refuses."""
        with transaction.atomic():
            type(self).objects.select_for_update().only("pk").get(pk=self.pk)
            self.refresh_from_db()
            change = self.last_change()
            refusal = self.undo_refusal(change, by)
            if refusal:
                raise InvalidMove(refusal)
            # Read before the status changes: it is when the move being undone was made.
            entered = self.stage_entered_at()
            now = timezone.now()
            previous = self.Status(change.from_status)
            self.status = previous
            self.status_changed_at = now
            fields = ["status", "status_changed_at", "updated_at"]
            if change.to_status == self.Status.NOT_PROGRESSED:
                self.not_progressed_reason = ""
                fields.append("not_progressed_reason")
            if self.first_contacted_at == change.at:
                # The move being undone was the first contact.
                self.first_contacted_at = None
                fields.append("first_contacted_at")
            self.save(update_fields=fields)
            label = self.Status(change.to_status).label
            self.changes.create(
                from_status=change.to_status, to_status=previous, by=by, at=now,
                reason=f"Undone: the move to “{label}” at {record_time(change.at)}",
                undoes=change, stage_entered_at=entered,
            )
        return self

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
            # A briefing or taster meeting is taking part: an under-16 needs consent first.
            consent = self.parent_consent_refusal(self.Status.BRIEFING)
            if consent:
                raise BookingError(consent)
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
        elif self.meeting_id == meeting.pk and self.status == self.Status.DID_NOT_ATTEND:
            self._correct_event_outcome(by=by)

    def _correct_event_outcome(self, *, by):
        """A registration closed as "did not attend" before staff recorded that the person
        came: it becomes "attended the event", and the history says who corrected it."""
        now = timezone.now()
        with transaction.atomic():
            # Locked and read first: the history row records when it was closed as "did not
            # attend" (`stage_entered_at`), which the update below overwrites.
            closed = (
                type(self).objects.select_for_update()
                .only("status", "submitted_at", "status_changed_at")
                .filter(pk=self.pk, status=self.Status.DID_NOT_ATTEND).first()
            )
            if closed is not None:
                type(self).objects.filter(pk=self.pk).update(
                    status=self.Status.ATTENDED, status_changed_at=now, updated_at=now
                )
                self.changes.create(
                    from_status=self.Status.DID_NOT_ATTEND, to_status=self.Status.ATTENDED,
                    by=by, at=now, reason="Attendance recorded after the event was closed.",
                    stage_entered_at=closed.stage_entered_at(),
                )
                self.status, self.status_changed_at = self.Status.ATTENDED, now

    def close_after_event(self, *, now=None):
        """Close a registration for an event once the event is over: "attended" if their
        booking says they came, "did not attend" otherwise (the history says why), so the
        retention period starts. Idempotent: anything already ended is left as it is.

        Returns the status it closed with, or None when there was nothing to close.
        """
        now = now or timezone.now()
        with transaction.atomic():
            locked = (
                type(self).objects.select_for_update(of=("self",))
                .select_related("meeting").get(pk=self.pk)
            )
            if not locked.is_event_registration or not locked.is_open:
                return None
            if locked.meeting.ends_at > now:
                return None
            booking = locked.bookings.filter(meeting_id=locked.meeting_id).first()
            status, reason = self._event_outcome(booking)
            type(self).objects.filter(pk=self.pk).update(
                status=status, status_changed_at=now, updated_at=now
            )
            self.changes.create(
                from_status=locked.status, to_status=status, by=None, at=now, reason=reason,
                stage_entered_at=locked.stage_entered_at(),
            )
            self.status, self.status_changed_at = status, now
        return status

    def _event_outcome(self, booking):
        booking_status = booking.status if booking else None
        if booking_status == Booking.Status.ATTENDED:
            return self.Status.ATTENDED, "The event is over: they attended."
        why = {
            Booking.Status.DID_NOT_ATTEND: "they did not attend",
            Booking.Status.CANCELLED: "their place was cancelled",
            Booking.Status.WAITLISTED: "they were still on the waiting list",
        }.get(booking_status, "no attendance was recorded")
        return self.Status.DID_NOT_ATTEND, f"The event is over: {why}."

    def manage_token(self):
        return signing.dumps(self.reference, salt=MANAGE_LINK_SALT, compress=True)

    def manage_path(self):
        return reverse("applications:manage", args=[self.manage_token()])

    def impact_emails_stop_path(self):
        token = signing.dumps(self.pk, salt=IMPACT_EMAILS_SALT)
        return reverse("applications:impact_emails_stop", args=[token])

    @classmethod
    def from_impact_emails_token(cls, token):
        """The expression a "stop these emails" link is for: it works as long as they might
        get such emails, so it never expires; None if tampered, or their details are gone."""
        try:
            pk = signing.loads(token, salt=IMPACT_EMAILS_SALT)
        except signing.BadSignature:
            return None
        return cls.objects.with_personal_details().filter(pk=pk).first()

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
    # Set on the change that undid another (ExpressionOfInterest.undo_last_move): the move
    # undone stays in the history too.
    undoes = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="undone_by",
    )
    # When the expression entered the stage this move leaves: its submission for a move from
    # "New", otherwise the move into `from_status` before this one. Stored, rather than looked
    # up in the history, because the team's home measures the time in each stage over a
    # period's moves (80,000 a month in the bench's million expressions), and looking each one
    # up was most of that page's time (applications/team_home.py, bench/). Every creator sets it
    # (ExpressionOfInterest.stage_entered_at), `save()` works it out from the history when one
    # does not, and the migration status_change_stage_entered_at filled in the rows made
    # before it (applications/history.py).
    # Empty only for a row written around Django without it (raw SQL, COPY): the team's home
    # leaves such moves out of its times rather than guess.
    stage_entered_at = models.DateTimeField(
        "entered the stage it left", null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            # The team's home (applications/team_home.py), proved on the bench's data: the
            # moves made in a period with how long each took, read from the index alone. (Key
            # columns rather than INCLUDE, which SQLite lacks: a warning on every laptop.) ...
            models.Index(
                fields=["at", "from_status", "to_status", "expression", "stage_entered_at"],
                name="status_change_moves",
            ),
            # ... and the move into an expression's ending, which says how far it got.
            models.Index(fields=["expression", "to_status", "at"], name="status_change_entry"),
        ]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"

    def save(self, *args, **kwargs):
        if self._state.adding and self.stage_entered_at is None:
            # A row made without it (a test, a shell, a data fix): the rule the backfill uses.
            self.stage_entered_at = stage_entered_from_history(self)
        super().save(*args, **kwargs)


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


class MeetingMessage(models.Model):
    """An email staff wrote to everyone booked on a meeting, from its register.

    Kept so the one task per person (applications/tasks.py) reads the message from here rather
    than carrying it in the task table, and so the register can say what was sent, by whom.
    `key` comes with the form: sending the same form twice sends the emails once."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="messages")
    key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    subject = models.CharField(max_length=150)
    body = models.TextField("message")
    include_waiting = models.BooleanField("also sent to the waiting list", default=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    emailed = models.PositiveIntegerField("people emailed", default=0)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self):
        return f"{self.subject} ({record_time(self.sent_at)})"


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

