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
import io
import secrets
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.http import content_disposition_header

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
        # Readable by the portal's own user only: receipts hold people's names and journeys.
        self._wrapped = FileSystemStorage(
            location=settings.RECEIPTS_ROOT, base_url=None,
            file_permissions_mode=0o600, directory_permissions_mode=0o700,
        )


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


class ReceiptQuerySet(models.QuerySet):
    def kept_for(self, draft_key):
        """Receipts uploaded with a claim form not yet sent, in the browser holding this key."""
        if not draft_key:
            return self.none()
        return self.filter(expense__isnull=True, draft_key=draft_key)

    def drafts_to_delete(self, now):
        """Kept with a claim that was never sent: after a day nobody is coming back for them."""
        return self.filter(
            expense__isnull=True, uploaded_at__lt=now - datetime.timedelta(days=1)
        )

    def delete_with_files(self):
        """Delete these receipts and, once that commits, their files. Returns how many."""
        with transaction.atomic():
            names = list(self.values_list("file", flat=True))
            deleted = self.delete()[0]
            delete_receipt_files_after_commit(names)
        return deleted


class Receipt(models.Model):
    """A receipt or ticket a person uploaded for an expense. Never served from a public
    address: see the views that serve it to the person and to staff (`receipt_response`).

    A file input cannot be filled in again, so a receipt uploaded with a claim form that had a
    mistake elsewhere is kept (no expense yet, and the `draft_key` of the browser that sent it)
    and attached when the claim is made; one never attached goes after a day (retention)."""

    expense = models.ForeignKey(
        Expense, on_delete=models.CASCADE, related_name="receipts", null=True, blank=True
    )
    draft_key = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    file = models.FileField(storage=get_receipt_storage, upload_to=receipt_name, max_length=200)
    # What the content was found to be (not what the name or the browser said).
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = ReceiptQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"Receipt {self.pk}"

    @property
    def kind_text(self):
        """"PDF" or "photo (JPG)", for people."""
        return {"application/pdf": "PDF", "image/jpeg": "photo (JPG)",
                "image/png": "photo (PNG)"}.get(self.content_type, "file")

    @property
    def size_text(self):
        if self.size >= 1024 * 1024:
            return f"{self.size / (1024 * 1024):.1f}MB"
        return f"{max(1, round(self.size / 1024))}KB"

    @property
    def filename(self):
        """The name it is downloaded under: nothing of what the person called it."""
        return f"receipt-{self.pk}.{self.file.name.rsplit('.', 1)[-1]}"

    @classmethod
    def keep(cls, checked, *, draft_key="", expense=None, now=None):
        """Store a checked upload (`check_receipt_upload`): on `expense`, or, on a claim form
        not yet sent, as a receipt not yet attached, under the form's `draft_key`."""
        receipt = cls(
            content_type=checked.content_type, size=len(checked.content), draft_key=draft_key,
            expense=expense, uploaded_at=now or timezone.now(),
        )
        receipt.file.save("receipt", ContentFile(checked.content), save=False)
        receipt.save()
        return receipt


def delete_receipt_files_after_commit(names):
    """Remove these receipts' files once the transaction deleting their rows commits: Django
    does not delete files when rows go, and a rolled-back deletion must keep its files."""
    names = [name for name in names if name]
    if not names:
        return

    def delete():
        for name in names:
            receipt_storage.delete(name)

    transaction.on_commit(delete, robust=True)


# Uploads ----------------------------------------------------------------------------------------

WRONG_KIND = "The file must be a photo (JPG or PNG) or a PDF"
# A phone's photo is at most about 50 million pixels (a 48 megapixel camera). A small file that
# unpacks into far more is an attack on the server's memory, not a receipt.
MOST_PIXELS = 60_000_000


class CheckedUpload(NamedTuple):
    content: bytes
    content_type: str


def check_receipt_upload(upload):
    """What an uploaded receipt really is, from its content (never its name or what the
    browser said), as a CheckedUpload; ClaimError in plain English if it is not a PDF, JPEG or
    PNG, or is too big.

    Photos are opened, checked and saved again, so what is kept is only the picture: a phone's
    EXIF data (where it was taken, the phone, the time) is dropped. The picture is turned
    upright first, as the EXIF said, so dropping it does not leave receipts on their side."""
    limit = settings.RECEIPT_MAX_MB * 1024 * 1024
    if upload.size > limit:
        raise ClaimError(f"The file must be {settings.RECEIPT_MAX_MB}MB or smaller")
    content = upload.read()
    if len(content) > limit:
        raise ClaimError(f"The file must be {settings.RECEIPT_MAX_MB}MB or smaller")
    if not content:
        raise ClaimError("The file is empty: choose the photo or PDF again")
    if content.startswith(b"%PDF-"):
        return CheckedUpload(content, "application/pdf")
    return _checked_image(content)


def _checked_image(content):
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            if kind not in ("JPEG", "PNG"):
                raise ClaimError(WRONG_KIND)
            if image.width * image.height > MOST_PIXELS:
                raise ClaimError(
                    "The photo is too big to open: take it again at a lower resolution, or "
                    "send a PDF"
                )
            image.verify()
        # verify() leaves the image unusable: open it again to read the picture.
        with Image.open(io.BytesIO(content)) as image:
            picture = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if kind == "JPEG":
                if picture.mode not in ("RGB", "L"):
                    picture = picture.convert("RGB")
                # No exif= argument: the new file has none.
                picture.save(out, "JPEG", quality=90)
                return CheckedUpload(out.getvalue(), "image/jpeg")
            picture.save(out, "PNG")
            return CheckedUpload(out.getvalue(), "image/png")
    except ClaimError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError,
            SyntaxError):
        raise ClaimError(WRONG_KIND) from None


def receipt_response(receipt):
    """The HTTP response that shows a receipt, for the person's pages and staff's alike. The
    caller decides who may see it. The file is the content type found when it was uploaded;
    the browser is told not to guess another, to run nothing in it (a PDF viewer's scripts,
    a crafted file), and to keep no copy."""
    try:
        handle = receipt.file.open("rb")
    except FileNotFoundError:
        raise Http404("The receipt's file is missing") from None
    response = FileResponse(handle, content_type=receipt.content_type)
    response["Content-Disposition"] = content_disposition_header(False, receipt.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


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
        # As the buttons and links name it.
        verbose_name = "payroll export"

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


def make_claim(booking, *, submission_key, draft_key, payment, expenses, declaration_name,
               payment_declined=False, hours=None, preparation_hours=None, now=None):
    """Make the claim for this booking, with its expenses and their kept receipts, in one
    transaction with the booking's row locked, so a double click or two tabs make one claim.

    `expenses` are (fields for Expense, [kept Receipt]) pairs, already checked
    (`Expense.amount_for`); receipts are attached only if they were kept under `draft_key`.
    Returns (claim, made): the claim made before with the same `submission_key`, and False,
    if there is one. ClaimError if the booking cannot be claimed for (`check_can_claim`).
    The person's email is queued for when it commits."""
    from .tasks import queue_claim_email

    now = now or timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update().select_related("meeting__opportunity")
            .get(pk=booking.pk)
        )
        earlier = Claim.objects.filter(submission_key=submission_key).first()
        if earlier is not None:
            return earlier, False
        check_can_claim(booking)
        claim = Claim.objects.create(
            booking=booking, payment_declined=payment_declined, hours=hours,
            preparation_hours=preparation_hours, payment=payment,
            expenses_total=money(sum((fields["amount"] for fields, _ in expenses), Decimal(0))),
            budget_code=booking.meeting.opportunity.budget_code,
            declaration_name=declaration_name, declared_at=now, submitted_at=now,
            status_changed_at=now, submission_key=submission_key,
        )
        for fields, receipts in expenses:
            expense = Expense.objects.create(claim=claim, **fields)
            Receipt.objects.kept_for(draft_key).filter(pk__in=[r.pk for r in receipts]).update(
                expense=expense, draft_key=""
            )
        event = ClaimEvent.objects.create(
            claim=claim, action=ClaimEvent.Action.SUBMITTED, at=now
        )
        queue_claim_email(event)
    return claim, True
