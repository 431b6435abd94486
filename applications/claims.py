"""Claims: a lay partner's involvement payment and expenses for a meeting they attended, and
every rule about them.

NHS England's policy for patient and public voice partners pays an involvement payment by the
kind of activity (the opportunity's `PaymentLevel`), reimburses expenses against receipts, and
pays through payroll. Here:

- one claim per attended meeting (`Claim.booking` is one-to-one, and only a booking recorded as
  "attended" may have one: `check_can_claim`);
- the payment is worked out from the level's rates when the claim is made and stored, so a rate
  changed later does not change a claim already made (`payment_for`); a person may decline it
  (some people on benefits must) and still claim expenses;
- mileage is paid at EXPENSES_MILEAGE_RATE a mile, worked out here, never typed in; a taxi needs
  a reason; every other expense needs a receipt (`Expense.amount_for`);
- what staff may do with a claim, and from which status, is one table (`Claim.ACTS`); each step
  is a `ClaimEvent` (who, when, what was said), and the person is emailed at each one;
- the monthly export for payroll (`ClaimExport`) takes approved claims only and marks them, in
  the same transaction, so none is paid twice.

Receipts are files a person uploads: stored outside the static files under unguessable names
(`receipt_storage`, RECEIPTS_ROOT), served only to the person and to staff allowed to see
claims, and removed with the claim by erasure and retention.

The models are imported into applications/models.py, so `applications.models.Claim` is the
usual name for them.
"""

import datetime
import secrets
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import LazyObject

from involvement.formats import record_time

from .bookings import Booking

PENNY = Decimal("0.01")
QUARTER_HOUR = Decimal("0.25")


def money(amount):
    return Decimal(amount).quantize(PENNY, rounding=ROUND_HALF_UP)


def hours_text(hours):
    """"1 hour", "1.5 hours", "2 hours": no trailing noughts."""
    figure = f"{Decimal(hours).normalize():f}"
    return f"{figure} hour" if figure == "1" else f"{figure} hours"


class ClaimError(ValidationError):
    """A claim, or a step with one, that is not allowed; the message says why, in plain
    English, for the person or for staff."""


class ReceiptStorage(LazyObject):
    # Lazy, so tests that change RECEIPTS_ROOT get files where they asked.
    def _setup(self):
        self._wrapped = FileSystemStorage(location=settings.RECEIPTS_ROOT, base_url=None)


receipt_storage = ReceiptStorage()


def get_receipt_storage():
    # A callable, so migrations record this function rather than this machine's RECEIPTS_ROOT.
    return receipt_storage


def receipt_name(instance, filename):
    """An unguessable name, keeping nothing of the person's own file name (which may hold
    their name or address); the extension comes from what the content was found to be."""
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(
        instance.content_type, "bin"
    )
    return f"{timezone.now():%Y/%m}/{secrets.token_urlsafe(24)}.{extension}"


class Act(NamedTuple):
    allowed_from: list
    to: str
    refusal: str


class ClaimQuerySet(models.QuerySet):
    def waiting(self):
        """Claims the team has to look at: new ones, and queried ones the person answered."""
        return self.filter(status=Claim.Status.SUBMITTED)

    def for_person(self, email):
        return self.filter(booking__expression__email__iexact=email)

    def to_export(self):
        return self.filter(status=Claim.Status.APPROVED, export__isnull=True)


class Claim(models.Model):
    """What a lay partner claims for one meeting they attended."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for approval"
        QUERIED = "queried", "Queried: waiting for the person"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        EXPORTED = "exported", "Sent to payroll"

    # What staff may do, from which status. Answering a query is the person's act.
    ACTS = {
        "approve": Act([Status.SUBMITTED, Status.QUERIED], Status.APPROVED,
                       "This claim cannot be approved: it is {status}."),
        "query": Act([Status.SUBMITTED], Status.QUERIED,
                     "This claim cannot be queried: it is {status}."),
        "reject": Act([Status.SUBMITTED, Status.QUERIED], Status.REJECTED,
                      "This claim cannot be rejected: it is {status}."),
        "answer": Act([Status.QUERIED], Status.SUBMITTED,
                      "This claim is not waiting for an answer from you: it is {status}."),
    }

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="claim")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)

    payment_declined = models.BooleanField(
        "involvement payment declined", default=False,
        help_text="Some people, for example on some benefits, must not be paid.",
    )
    hours = models.DecimalField(
        "hours at the meeting", max_digits=4, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    preparation_hours = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    # Worked out from the rates when the claim was made (payment_for), then kept: a rate
    # changed later does not change what this claim is for.
    payment = models.DecimalField(
        "involvement payment (£)", max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    expenses_total = models.DecimalField(
        "expenses (£)", max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    # Copied from the opportunity when the claim is made: finance totals by it, and an
    # opportunity's code changed later must not move a claim already paid.
    budget_code = models.CharField(max_length=50, blank=True)

    declaration_name = models.CharField("declaration signed by", max_length=200)
    declared_at = models.DateTimeField()
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # The form's one-off key: the same form sent twice (a double click) makes one claim.
    submission_key = models.UUIDField(null=True, unique=True, editable=False)
    export = models.ForeignKey(
        "applications.ClaimExport", on_delete=models.PROTECT, null=True, blank=True,
        related_name="claims",
    )

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["status", "submitted_at"], name="claim_waiting")]
        permissions = [
            ("decide_claim", "Can approve, query or reject claims"),
            ("export_claims", "Can export approved claims for payroll"),
        ]

    def __str__(self):
        return f"Claim {self.reference}"

    @property
    def reference(self):
        return f"C{self.pk:06d}" if self.pk else "(not saved)"

    @property
    def total(self):
        return self.payment + self.expenses_total

    @property
    def meeting(self):
        return self.booking.meeting

    @property
    def person(self):
        return self.booking.expression

    # The rules ---------------------------------------------------------------------------

    def refusal(self, act):
        """Why `act` cannot be done now, or None if it can."""
        rule = self.ACTS[act]
        if self.status in rule.allowed_from:
            return None
        return rule.refusal.format(status=self.get_status_display().lower())

    @transaction.atomic
    def step(self, act, *, by=None, message="", now=None):
        """Approve, query, reject (staff: `by` is a user) or answer a query (the person: `by`
        is None), recording who, when and what was said. The claim's row is locked, so two
        of the team deciding at once cannot both succeed."""
        now = now or timezone.now()
        claim = Claim.objects.select_for_update().get(pk=self.pk)
        refusal = claim.refusal(act)
        if refusal:
            raise ClaimError(refusal)
        if act in ("query", "reject") and not message.strip():
            raise ClaimError(
                "Say what you need to know." if act == "query"
                else "Give the reason for rejecting the claim: the person is told it."
            )
        claim.status = self.ACTS[act].to
        claim.status_changed_at = now
        claim.save(update_fields=["status", "status_changed_at"])
        event = ClaimEvent.objects.create(
            claim=claim, action=act, by=by, at=now, message=message.strip()
        )
        self.status, self.status_changed_at = claim.status, now
        return event


def check_can_claim(booking):
    """Raise ClaimError if this booking cannot be claimed for."""
    if booking.status != Booking.Status.ATTENDED:
        raise ClaimError(
            "You can only claim for a meeting the team has recorded you as attending. "
            "If you were there, contact the involvement team."
        )
    if Claim.objects.filter(booking=booking).exists():
        raise ClaimError("You have already claimed for this meeting.")


def meeting_hours(meeting):
    """The meeting's length in hours, to the quarter hour above."""
    seconds = Decimal((meeting.ends_at - meeting.starts_at).total_seconds())
    quarters = (seconds / 900).to_integral_value(rounding="ROUND_CEILING")
    return quarters * QUARTER_HOUR


def payment_for(meeting, *, hours=None, preparation_hours=None, declined=False):
    """The involvement payment for this meeting at its opportunity's level, checked against
    the rates: ClaimError if the hours claimed are more than the level allows."""
    level = meeting.opportunity.payment_level
    if declined or level is None or not level.pays:
        return money(0)
    errors = {}
    amount = Decimal(0)
    if level.rate_per_meeting:
        amount += level.rate_per_meeting
    if level.rate_per_hour:
        longest = meeting_hours(meeting)
        if hours is None:
            errors["hours"] = "Enter how many hours you were at the meeting."
        elif hours > longest:
            errors["hours"] = f"The meeting lasted {hours_text(longest)}: you cannot claim more."
        else:
            amount += level.rate_per_hour * hours
        if preparation_hours:
            limit = level.preparation_hours_limit
            if not level.preparation_paid:
                errors["preparation_hours"] = "Preparation time is not paid for this role."
            elif limit is not None and preparation_hours > limit:
                errors["preparation_hours"] = (
                    f"You can claim up to {hours_text(limit)} of preparation for a meeting."
                )
            else:
                amount += level.rate_per_hour * preparation_hours
    if errors:
        raise ClaimError(errors)
    return money(amount)


class Expense(models.Model):
    """One expense on a claim: a journey, parking, or the cost of care while they took part."""

    class Kind(models.TextChoices):
        PUBLIC_TRANSPORT = "public_transport", "Bus, train or other public transport"
        MILEAGE = "mileage", "Mileage in your own car"
        TAXI = "taxi", "Taxi"
        PARKING = "parking", "Parking"
        CARER = "carer", "Carer costs"
        CHILDCARE = "childcare", "Childcare costs"

    # Mileage is worked out from the miles; every other kind needs a receipt.
    NEEDS_RECEIPT = [Kind.PUBLIC_TRANSPORT, Kind.TAXI, Kind.PARKING, Kind.CARER, Kind.CHILDCARE]

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="expenses")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.CharField(
        max_length=300, blank=True,
        help_text="For a journey, where from and to.",
    )
    miles = models.DecimalField(
        max_digits=6, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    reason = models.TextField(
        blank=True, help_text="For a taxi: why public transport or your own car would not do."
    )
    amount = models.DecimalField(
        "amount (£)", max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: £{self.amount}"

    @staticmethod
    def mileage_amount(miles):
        return money(Decimal(miles) * settings.EXPENSES_MILEAGE_RATE)

    @classmethod
    def amount_for(cls, kind, *, amount=None, miles=None, reason="", receipts=0):
        """The amount this expense is for, checked: ClaimError({field: message}) if not."""
        errors = {}
        if kind == cls.Kind.MILEAGE:
            if not miles:
                errors["miles"] = "Enter how many miles you drove there and back."
            else:
                amount = cls.mileage_amount(miles)
        elif not amount or amount <= 0:
            errors["amount"] = "Enter what you paid, in pounds and pence, for example 4.50."
        if kind == cls.Kind.TAXI and not reason.strip():
            errors["reason"] = "Say why you needed a taxi."
        if kind in cls.NEEDS_RECEIPT and not receipts:
            errors["receipts"] = "Add a photo or PDF of the receipt or ticket."
        if errors:
            raise ClaimError(errors)
        return money(amount)


class Receipt(models.Model):
    """A receipt or ticket a person uploaded for an expense. Never served from a public
    address: see the views that serve it to the person and to staff."""

    expense = models.ForeignKey(Expense, on_delete=models.CASCADE, related_name="receipts")
    file = models.FileField(storage=get_receipt_storage, upload_to=receipt_name, max_length=200)
    # What the content was found to be (not what the name or the browser said).
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"Receipt {self.pk}"

    def delete_file(self):
        if self.file:
            self.file.storage.delete(self.file.name)


class ClaimEvent(models.Model):
    """One step in a claim's life: made, queried, answered, approved, rejected, exported."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "Claim made"
        QUERY = "query", "Queried"
        ANSWER = "answer", "Query answered"
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"
        EXPORTED = "exported", "Exported for payroll"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    # None: the person themselves.
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_action_display()} {record_time(self.at)}"


class ClaimExport(models.Model):
    """One month's file for payroll: the approved claims it holds are marked with it in the
    same transaction that makes it, so no claim is in two files."""

    month = models.DateField(help_text="The first day of the month the file is for.")
    made_at = models.DateTimeField(default=timezone.now)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-made_at"]

    def __str__(self):
        return f"Payroll export {self.month:%B %Y} ({record_time(self.made_at)})"

    @classmethod
    @transaction.atomic
    def make(cls, *, by, month=None, now=None):
        """Mark every approved claim not yet exported as in a new export, or return None if
        there is none. Rows are locked, so two of the team exporting at once cannot put a
        claim in both files."""
        now = now or timezone.now()
        month = month or timezone.localdate(now).replace(day=1)
        claims = list(Claim.objects.to_export().select_for_update().order_by("pk"))
        if not claims:
            return None
        export = cls.objects.create(month=month, made_at=now, made_by=by)
        Claim.objects.filter(pk__in=[c.pk for c in claims]).update(
            export=export, status=Claim.Status.EXPORTED, status_changed_at=now
        )
        ClaimEvent.objects.bulk_create(
            ClaimEvent(claim=c, action=ClaimEvent.Action.EXPORTED, by=by, at=now) for c in claims
        )
        return export


def tax_year(day):
    """The UK tax year (6 April to 5 April) holding `day`, as (first day, last day)."""
    start_year = day.year if (day.month, day.day) >= (4, 6) else day.year - 1
    return datetime.date(start_year, 4, 6), datetime.date(start_year + 1, 4, 5)
