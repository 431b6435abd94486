"""What the portal holds about a person, and how it lets go of it.

- Retention (`manage.py apply_retention`, daily): an expression of interest that ended as "not
  progressed" or "withdrawn", or a registration for an event closed after it
  (`manage.py close_event_registrations`), is anonymised RETENTION_ENDED_MONTHS after it ended;
  one whose person joined as a lay partner and later left, RETENTION_LAY_PARTNER_YEARS after
  they left. A sign-up for alerts about new opportunities never confirmed is deleted once its
  link has expired (ALERT_CONFIRMATION_DAYS); one unsubscribed was deleted there and then.
- Subject access (admin, or `manage.py subject_access`): everything held about an email address
  as a zip of CSV files and one JSON file. Someone who gave only a phone number (they asked to
  be phoned) is not found by it yet: staff find their expression in the admin by name or phone
  number, and answer from there.
- Erasure (admin, or `manage.py erase_person`): everything held about an email address is
  anonymised at once, its sign-up for alerts deleted.
- Claims (applications/claims.py: the claim, its expenses, its history and the receipts
  uploaded for it) go when the expression of interest they came from is anonymised, by
  retention or erasure: the rows, and the receipt files on disk (Django deletes no file when a
  row goes, so it is done here, once the deletion commits). Subject access includes them, the
  receipt files themselves too. A receipt uploaded with a claim form that was never sent is
  deleted a day later.
- Requests to hear when an event's next date is (NextDateRequest) are not expressions of
  interest and nothing reports on them: they are deleted, not anonymised,
  RETENTION_ENDED_MONTHS after the person was told (or after they asked, if no date came), and
  at once on erasure. Subject access includes them.

Anonymising keeps what reports need (the opportunity, the dates, the status and its history,
the age band and bookings), so counts, the changelist and the exports still work; it removes
every personal detail, the staff notes (free text about the person) and the reasons written on
moves. Each act is recorded as a PersonalDataRequest; the record of an erasure names the
references it anonymised, never the person.
"""

import datetime
import io
import json
import logging
import zipfile

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from involvement.formats import spreadsheet_time
from opportunities.impact import NamedLayPartner

from .claims import delete_receipt_files_after_commit
from .emails import alert_choices
from .models import (
    AlertSubscription,
    Booking,
    Claim,
    ClaimEvent,
    Expense,
    ExpressionOfInterest,
    NextDateRequest,
    PersonalDataRequest,
    Receipt,
    SignInLink,
    StaffNote,
    StatusChange,
    UpdateEmail,
)
from .spreadsheets import BYTE_ORDER_MARK, subject_access_row, write_csv, yes_no

security_log = logging.getLogger("involvement.security")

Status = ExpressionOfInterest.Status

# Every personal field of an expression of interest, and what it becomes. What is left
# (reference, opportunity, meeting, dates, status, age band, assignment, preferred contact
# method, privacy consent and its notice version) says nothing about who the person was.
ANONYMISED = {
    "full_name": "",
    "email": "",
    "phone": "",
    "parent_carer_name": "",
    "parent_carer_contact": "",
    "parent_carer_confirmed": False,
    # The parent's or carer's answer, and everything about how it was given: it names them,
    # and says something about the young person.
    "parent_consent": "",
    "parent_consent_method": "",
    "parent_consent_at": None,
    "parent_consent_given_by": "",
    "parent_consent_recorded_by": None,
    "parent_consent_note": "",
    "parent_consent_requested_at": None,
    "connections": [],
    "connection_other": "",
    "why_interested": "",
    "experience": "",
    "access_needs": [],
    "access_needs_other": "",
    "availability": "",
    "not_progressed_reason": "",
}

# Rows changed per transaction: a retention run over years of data never holds its locks long.
BATCH = 1000


def months_before(moment, months):
    """The same time `months` calendar months earlier; the 31st becomes the month's last day."""
    month_index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    next_month = datetime.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - datetime.timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def _ever_joined():
    return Exists(
        StatusChange.objects.filter(expression=OuterRef("pk"), from_status=Status.JOINED)
    )


def expired(now=None):
    """What the retention periods say must go now, by rule: {name: queryset}.

    An expression expires when its status has been unchanged since on or before the cut-off:
    "12 months after" it ended means from the same time of day 12 calendar months later."""
    now = now or timezone.now()
    kept = ExpressionOfInterest.objects.with_personal_details()
    ended_cutoff = months_before(now, settings.RETENTION_ENDED_MONTHS)
    left_cutoff = months_before(now, settings.RETENTION_LAY_PARTNER_YEARS * 12)
    return {
        "ended": kept.filter(
            status__in=[Status.NOT_PROGRESSED, Status.WITHDRAWN, *Status.after_event_values()],
            status_changed_at__lte=ended_cutoff,
        ).exclude(_ever_joined()),
        "lay_partners_left": kept.filter(
            _ever_joined(), status=Status.WITHDRAWN, status_changed_at__lte=left_cutoff
        ),
    }


def expired_subject_access_addresses(now=None):
    """Subject access records name the address asked about, for accountability while the
    request may still be questioned; after RETENTION_ENDED_MONTHS the record stays (who, when,
    what was found) and the address goes."""
    cutoff = months_before(now or timezone.now(), settings.RETENTION_ENDED_MONTHS)
    return PersonalDataRequest.objects.filter(
        kind=PersonalDataRequest.Kind.SUBJECT_ACCESS, made_at__lte=cutoff
    ).exclude(email="")


def expired_next_date_requests(now=None):
    """Requests to hear about an event's next date, RETENTION_ENDED_MONTHS after the person
    was told (or after they asked, when no date has come since)."""
    cutoff = months_before(now or timezone.now(), settings.RETENTION_ENDED_MONTHS)
    return NextDateRequest.objects.alias(
        ended=Coalesce("told_at", "created_at")
    ).filter(ended__lte=cutoff)


def anonymise(expressions, now=None):
    """Remove the personal details of these expressions of interest (a queryset), in batches.

    Idempotent: what is already anonymised is left alone. Returns the references changed."""
    now = now or timezone.now()
    ids = list(
        expressions.with_personal_details().order_by("pk").values_list("pk", "reference")
    )
    for start in range(0, len(ids), BATCH):
        batch = [pk for pk, _ in ids[start:start + BATCH]]
        with transaction.atomic():
            # update() sends no signals: nothing public shows these fields (see page_cache).
            ExpressionOfInterest.objects.filter(pk__in=batch).update(
                **ANONYMISED, anonymised_at=now, updated_at=now
            )
            StaffNote.objects.filter(expression_id__in=batch).delete()
            # The not-progressed email staff wrote to them is free text about them too.
            UpdateEmail.objects.filter(expression_id__in=batch).exclude(text="").update(text="")
            StatusChange.objects.filter(expression_id__in=batch).exclude(reason="").update(
                reason=""
            )
            delete_claims(Claim.objects.filter(booking__expression_id__in=batch))
    return [reference for _, reference in ids]


def delete_claims(claims):
    """Delete these claims (their expenses, receipts and history go with them) and, once that
    commits, their receipts' files. Returns how many claims."""
    names = list(
        Receipt.objects.filter(expense__claim__in=claims).values_list("file", flat=True)
    )
    count = claims.count()
    if count:
        claims.delete()
        delete_receipt_files_after_commit(names)
    return count


def apply_retention(*, dry_run=False, now=None):
    """Anonymise what has expired. Returns {rule: count}; with dry_run, only counts."""
    now = now or timezone.now()
    rules = expired(now)
    addresses = expired_subject_access_addresses(now)
    alerts = AlertSubscription.objects.unconfirmed_expired(now)
    next_date_requests = expired_next_date_requests(now)
    sign_in_links = SignInLink.objects.to_delete(now)
    unsent_receipts = Receipt.objects.drafts_to_delete(now)
    if dry_run:
        counts = {name: queryset.count() for name, queryset in rules.items()}
        counts["subject_access_addresses"] = addresses.count()
        counts["alerts_unconfirmed"] = alerts.count()
        counts["next_date_requests"] = next_date_requests.count()
        counts["sign_in_links"] = sign_in_links.count()
        counts["receipts_never_sent"] = unsent_receipts.count()
        return counts
    counts = {}
    references = []
    for name, queryset in rules.items():
        changed = anonymise(queryset, now=now)
        counts[name] = len(changed)
        references += changed
    counts["subject_access_addresses"] = addresses.update(email="")
    counts["alerts_unconfirmed"] = alerts.delete()[1].get(AlertSubscription._meta.label, 0)
    counts["next_date_requests"] = next_date_requests.delete()[0]
    # Used or expired sign-in links to lay partners' pages: no record is kept of them, so
    # they make no retention record on their own.
    counts["sign_in_links"] = sign_in_links.delete()[0]
    # Receipts uploaded with a claim form that was never sent: nobody is coming back for them,
    # and like the links they make no record on their own.
    counts["receipts_never_sent"] = unsent_receipts.delete_with_files()
    if (references or counts["subject_access_addresses"] or counts["alerts_unconfirmed"]
            or counts["next_date_requests"]):
        record = PersonalDataRequest.objects.create(
            kind=PersonalDataRequest.Kind.RETENTION,
            made_at=now,
            reason=(
                f"{settings.RETENTION_ENDED_MONTHS} months after ending, or "
                f"{settings.RETENTION_LAY_PARTNER_YEARS} years after a lay partner left; "
                f"alert sign-ups unconfirmed after {settings.ALERT_CONFIRMATION_DAYS} days"
            ),
            details={"counts": counts, "references": references},
        )
        security_log.info(
            "event=retention record_id=%s anonymised=%s addresses_removed=%s "
            "alerts_deleted=%s",
            record.pk, len(references), counts["subject_access_addresses"],
            counts["alerts_unconfirmed"],
        )
    return counts


# --- One person's data ------------------------------------------------------------------------


class Person:
    """Everything held about one email address: as the person, or as the parent or carer
    named on a young person's expression of interest (their contact details are theirs)."""

    def __init__(self, email):
        self.email = email.strip()
        matches = Q(email__iexact=self.email) | Q(parent_carer_contact__iexact=self.email)
        if not self.email:
            # No address is nobody: without this, "" would match everyone who gave no email
            # address (they asked to be phoned) and every adult's empty parent or carer contact.
            matches = Q(pk__in=[])
        self.expressions = (
            ExpressionOfInterest.objects.with_personal_details()
            .filter(matches)
            .select_related("opportunity", "meeting")
            .order_by("submitted_at")
        )
        self.next_date_requests = (
            NextDateRequest.objects.filter(email__iexact=self.email)
            if self.email else NextDateRequest.objects.none()
        ).select_related("opportunity").order_by("created_at")
        # Their sign-up for alerts about new opportunities (at most one per address).
        self.alerts = AlertSubscription.objects.for_address(self.email)
        # Sign-in links emailed to them for their own page (kept a day at most).
        self.sign_in_links = SignInLink.objects.for_address(self.email).order_by("created_at")
        # Their claims for meetings they attended, with expenses, receipts and history.
        self.claims = Claim.objects.filter(booking__expression__in=self.expressions)

    def holds_anything(self):
        return (
            self.expressions.exists() or self.alerts.exists()
            or self.next_date_requests.exists() or self.sign_in_links.exists()
        )

    def receipts(self):
        return (
            Receipt.objects.filter(expense__claim__in=self.claims)
            .select_related("expense__claim").order_by("pk")
        )

    def collect(self):
        """Everything, as plain data, in as few queries as there are kinds of record."""
        expressions = list(self.expressions)
        ids = [expression.pk for expression in expressions]
        bookings = (
            Booking.objects.filter(expression_id__in=ids)
            .select_related("meeting__opportunity", "expression")
            .order_by("created_at")
        )
        history = (
            StatusChange.objects.filter(expression_id__in=ids)
            .select_related("expression")
            .order_by("at")
        )
        notes = (
            StaffNote.objects.filter(expression_id__in=ids)
            .select_related("expression")
            .order_by("created_at")
        )
        emails = (
            UpdateEmail.objects.filter(expression_id__in=ids, recipient__isnull=True)
            .select_related("expression")
            .order_by("created_at", "pk")
        )
        return {
            "expressions": [subject_access_row(e, self.email) for e in expressions],
            "bookings": [_booking_row(b) for b in bookings],
            "status_history": [_history_row(c) for c in history],
            "staff_notes": [_note_row(n) for n in notes],
            "named_on_impact_records": [
                _named_row(n) for n in self.named_on_impact_records(expressions)
            ],
            "alerts": [_alert_row(a) for a in self.alerts.prefetch_related("programmes")],
            "emails_about_steps": [_email_row(m) for m in emails],
            "next_date_requests": [_next_date_row(r) for r in self.next_date_requests],
            "sign_in_links": [_sign_in_row(link) for link in self.sign_in_links],
            "claims": [
                _claim_row(c) for c in
                self.claims.select_related("booking__meeting__opportunity", "export")
                .order_by("submitted_at", "pk")
            ],
            "expenses": [
                _expense_row(e) for e in
                Expense.objects.filter(claim__in=self.claims).select_related("claim")
                .prefetch_related("receipts").order_by("claim__submitted_at", "pk")
            ],
            "claim_history": [
                _claim_event_row(e) for e in
                ClaimEvent.objects.filter(claim__in=self.claims).select_related("claim")
                .order_by("at", "pk")
            ],
        }

    def named_on_impact_records(self, expressions=None):
        """Where a "you said, we did" record names them as a lay partner: a name they gave, on
        a record about an opportunity they joined (the records know names, not people)."""
        expressions = list(self.expressions) if expressions is None else expressions
        names = {e.full_name.strip().lower() for e in expressions if e.full_name.strip()}
        if not names:
            return NamedLayPartner.objects.none()
        name_matches = Q()
        for name in names:
            name_matches |= Q(name__iexact=name)
        return (
            NamedLayPartner.objects.filter(name_matches)
            .filter(record__opportunities__in=[e.opportunity_id for e in expressions])
            .select_related("record")
            .distinct()
            .order_by("recorded_at")
        )

    def summary(self):
        data = self.collect()
        return {name: len(rows) for name, rows in data.items()}, data

    def counts(self):
        """How many of each kind of record, without reading them (for the erasure record)."""
        mine = {"expression__in": self.expressions}
        return {
            "expressions": self.expressions.count(),
            "bookings": Booking.objects.filter(**mine).count(),
            "status_history": StatusChange.objects.filter(**mine).count(),
            "staff_notes": StaffNote.objects.filter(**mine).count(),
            "named_on_impact_records": self.named_on_impact_records().count(),
            "alerts": self.alerts.count(),
            "emails_about_steps": UpdateEmail.objects.filter(
                **mine, recipient__isnull=True
            ).count(),
            "next_date_requests": self.next_date_requests.count(),
            "sign_in_links": self.sign_in_links.count(),
            "claims": self.claims.count(),
            "expenses": Expense.objects.filter(claim__in=self.claims).count(),
            "claim_history": ClaimEvent.objects.filter(claim__in=self.claims).count(),
        }


def _claim_row(c):
    meeting = c.booking.meeting
    return {
        "reference": c.reference,
        "meeting": str(meeting),
        "opportunity": meeting.opportunity.title,
        "meeting_starts": spreadsheet_time(meeting.starts_at),
        "status": c.get_status_display(),
        "payment_declined": yes_no(c.payment_declined),
        "hours": "" if c.hours is None else str(c.hours),
        "preparation_hours": "" if c.preparation_hours is None else str(c.preparation_hours),
        "involvement_payment": str(c.payment),
        "expenses": str(c.expenses_total),
        "budget_code": c.budget_code,
        "declaration_signed_by": c.declaration_name,
        "declared": spreadsheet_time(c.declared_at),
        "made": spreadsheet_time(c.submitted_at),
        "sent_to_payroll": spreadsheet_time(c.export.made_at) if c.export_id else "",
    }


def _expense_row(e):
    return {
        "claim": e.claim.reference,
        "kind": e.get_kind_display(),
        "where_or_what": e.description,
        "miles": "" if e.miles is None else str(e.miles),
        "why_a_taxi": e.reason,
        "amount": str(e.amount),
        "receipts": ", ".join(receipt_filename(r, e.claim) for r in e.receipts.all()),
    }


def _claim_event_row(e):
    return {
        "claim": e.claim.reference,
        "when": spreadsheet_time(e.at),
        "what": e.get_action_display(),
        # Staff are named by role only, as in status_history.
        "by": "You" if e.by_id is None and e.action in ("submitted", "answer")
        else "A member of the involvement team",
        "message": e.message,
    }


def receipt_filename(receipt, claim):
    """Its name in the subject access zip: the claim's reference, not the person's file name."""
    return f"receipts/{claim.reference}-{receipt.filename}"


def _sign_in_row(link):
    return {
        "sent_to": link.email,
        "sent": spreadsheet_time(link.created_at),
        "used": spreadsheet_time(link.used_at),
    }


def _named_row(n):
    return {
        "impact_record": n.record.title,
        "name_shown": n.name,
        "agreed_to_be_named": yes_no(n.agreed),
        "how_agreed": n.how_they_agreed,
    }


def _booking_row(b):
    return {
        "reference": b.expression.reference,
        "meeting": str(b.meeting),
        "opportunity": b.meeting.opportunity.title,
        "starts": spreadsheet_time(b.meeting.starts_at),
        "status": b.get_status_display(),
        "booked": spreadsheet_time(b.created_at),
        "reminder_sent": spreadsheet_time(b.reminder_sent_at),
    }


def _history_row(c):
    return {
        "reference": c.expression.reference,
        "when": spreadsheet_time(c.at),
        "from": c.get_from_status_display(),
        "to": c.get_to_status_display(),
        # Staff are named by role only: their names are their own personal data.
        "by": "You" if c.by_id is None else "A member of the involvement team",
        "reason": c.reason,
    }


def _alert_row(a):
    choices = alert_choices(a)
    return {
        "email": a.email,
        "kinds_of_opportunity": choices["kinds"],
        "areas_of_work": choices["programmes"],
        "signed_up": spreadsheet_time(a.requested_at),
        "confirmed": spreadsheet_time(a.confirmed_at) if a.confirmed_at else "Not confirmed",
        "last_alert": spreadsheet_time(a.last_sent_at),
    }


def _email_row(m):
    """An email to the person about a step staff took (applications/updates.py). Only the
    not-progressed email's words are stored: the others are the portal's standard wording."""
    return {
        "reference": m.expression.reference,
        "email": m.get_kind_display(),
        "recorded": spreadsheet_time(m.created_at),
        "sent": spreadsheet_time(m.sent_at),
        "words_written_for_you": m.text,
    }


def _note_row(n):
    return {
        "reference": n.expression.reference,
        "written": spreadsheet_time(n.created_at),
        "by": "A member of the involvement team",
        "note": n.text,
    }


def _next_date_row(r):
    return {
        "event": r.opportunity.title,
        "name": r.full_name,
        "email": r.email,
        "phone": r.phone,
        "asked": spreadsheet_time(r.created_at),
        "told": spreadsheet_time(r.told_at),
    }


README = """What {trust} holds about {email}
Produced on {when} in answer to a subject access request (record {record}).

expressions_of_interest.csv  each time you told us you were interested, with your answers
bookings.csv                 your places at briefing, taster and event meetings
status_history.csv           each step your expressions of interest went through
staff_notes.csv              notes the involvement team wrote about contacting you
alerts.csv                   your sign-up for emails about new opportunities, if you have one
emails_about_steps.csv       the emails we sent you when your interest moved on or ended
next_date_requests.csv       when you asked us to tell you the next date of an event
sign_in_links.csv            the links we emailed you to sign in to your own page
claims.csv                   your claims for involvement payments and expenses
expenses.csv                 the expenses on each claim
claim_history.csv            each step your claims went through, with any questions and answers
receipts/                    the receipts and tickets you uploaded, as you sent them (photos
                             without the location and camera details, which we never keep)
everything.json              all of the above in one file, for computers

Dates and times are UK time. To ask us to correct or delete any of this, email {contact}.
"""


def subject_access_zip(person, *, by, now=None):
    """The zip file for a subject access request, and its PersonalDataRequest record."""
    now = now or timezone.now()
    counts, data = person.summary()
    record = PersonalDataRequest.objects.create(
        kind=PersonalDataRequest.Kind.SUBJECT_ACCESS,
        made_at=now,
        made_by=by,
        made_by_username=by.get_username() if by else "",
        email=person.email,
        details={
            "counts": counts,
            "references": [row["reference"] for row in data["expressions"]],
        },
    )
    security_log.info(
        "event=subject-access-export record_id=%s user_id=%s expressions=%s",
        record.pk, getattr(by, "pk", "-"), counts["expressions"],
    )
    files = {
        "README.txt": README.format(
            trust=settings.TRUST_NAME, email=person.email, when=spreadsheet_time(now),
            record=record.pk, contact=settings.TRUST_INVOLVEMENT_EMAIL,
        ),
        "expressions_of_interest.csv": _csv(data["expressions"]),
        "bookings.csv": _csv(data["bookings"]),
        "status_history.csv": _csv(data["status_history"]),
        "staff_notes.csv": _csv(data["staff_notes"]),
        "named_on_impact_records.csv": _csv(data["named_on_impact_records"]),
        "alerts.csv": _csv(data["alerts"]),
        "emails_about_steps.csv": _csv(data["emails_about_steps"]),
        "next_date_requests.csv": _csv(data["next_date_requests"]),
        "sign_in_links.csv": _csv(data["sign_in_links"]),
        "claims.csv": _csv(data["claims"]),
        "expenses.csv": _csv(data["expenses"]),
        "claim_history.csv": _csv(data["claim_history"]),
        "everything.json": json.dumps(
            {"produced": spreadsheet_time(now), "email": person.email, **data}, indent=2,
            ensure_ascii=False,
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, (BYTE_ORDER_MARK if name.endswith(".csv") else "") + text)
        for receipt in person.receipts():
            try:
                with receipt.file.open("rb") as handle:
                    archive.writestr(receipt_filename(receipt, receipt.expense.claim),
                                     handle.read())
            except FileNotFoundError:
                # Said in the zip rather than failing the whole request: staff can look into it.
                security_log.warning("event=subject-access-receipt-missing receipt_id=%s",
                                     receipt.pk)
    return buffer.getvalue(), record


def zip_filename(record):
    # No name or email address in a file name: downloads folders are not private.
    return f"subject-access-{timezone.localtime(record.made_at):%Y-%m-%d}-{record.pk}.zip"


def _csv(rows):
    out = io.StringIO()
    if rows:
        write_csv(out, list(rows[0]), (row.values() for row in rows))
    return out.getvalue()


def erase(person, *, by, reason, now=None):
    """Anonymise everything held about this person, and record it without naming them."""
    reason = reason.strip()
    if not reason:
        raise ValueError("An erasure needs a reason")
    now = now or timezone.now()
    with transaction.atomic():
        counts = person.counts()
        # They will not be coming: their places at meetings still to come go to whoever is
        # waiting (who is told, as when anyone cancels).
        upcoming = Booking.objects.filter(
            expression__in=person.expressions, meeting__starts_at__gt=now
        ).cancellable()
        for booking in upcoming:
            booking.cancel()
        # Nobody is left to contact: what was still going ends as withdrawn, so it leaves the
        # team's queue and the lay partner counts, with the move in its history.
        for expression in person.expressions:
            if Status.WITHDRAWN in expression.allowed_moves():
                expression.move_to(Status.WITHDRAWN, by=by)
        # Their name comes off any "you said, we did" record that shows it.
        NamedLayPartner.objects.filter(
            pk__in=[named.pk for named in person.named_on_impact_records()]
        ).delete()
        references = anonymise(person.expressions, now=now)
        # An alert sign-up is only its address and choices: nothing in it is worth keeping.
        person.alerts.delete()
        # Nothing reports on these: they go.
        person.next_date_requests.delete()
        person.sign_in_links.delete()
        # The record of an earlier subject access request named them: it no longer does.
        PersonalDataRequest.objects.filter(email__iexact=person.email).update(email="")
        record = PersonalDataRequest.objects.create(
            kind=PersonalDataRequest.Kind.ERASURE,
            made_at=now,
            made_by=by,
            made_by_username=by.get_username() if by else "",
            reason=reason,
            details={"counts": counts, "references": references},
        )
    security_log.info(
        "event=erasure record_id=%s user_id=%s anonymised=%s",
        record.pk, getattr(by, "pk", "-"), len(references),
    )
    return record
