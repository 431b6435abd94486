"""The monthly file for payroll: the claims one `ClaimExport` holds, as a spreadsheet.

The file is written from the export's claims each time it is asked for, so downloading a past
export again gives the same file and marks nothing (`ClaimExport.make` marked its claims once,
when it was made).

One CSV file in three sections, each under a heading row of its own, so whoever pays it sees
every claim and can check the totals against them without a second file:

1. "Claims": a row per claim, oldest meeting first.
2. "Totals per person": what each person is paid, the involvement payment (paid through
   payroll) apart from expenses (reimbursed): payroll treats the two differently.
3. "Totals per budget code": what finance charges to each code, then the file's grand total.

People are told apart by email address, lower-cased (two people may share a name). Amounts are
plain numbers with two decimal places, so a spreadsheet sums them; every cell goes through
`spreadsheet_safe` (applications/spreadsheets.py), so nothing a person typed runs as a formula.
"""

import csv
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery

from involvement.formats import numeric_date, spreadsheet_time, staff_name

from .models import Claim, ClaimEvent
from .spreadsheets import BYTE_ORDER_MARK, spreadsheet_safe

CLAIM_HEADINGS = [
    "Claim reference", "Full name", "Email", "Meeting date", "Opportunity", "Budget code",
    "Involvement payment", "Expenses", "Total", "Approved by",
    "Approved on", "Export reference", "Export month",
]
PERSON_HEADINGS = [
    "Full name", "Email", "Claims", "Involvement payment", "Expenses",
    "Total",
]
BUDGET_HEADINGS = [
    "Budget code", "Claims", "Involvement payment", "Expenses", "Total",
]
NO_BUDGET_CODE = "(no budget code)"


def export_reference(export):
    """How the file and its rows name the export: "PAY-2026-11-0003"."""
    return f"PAY-{export.month:%Y-%m}-{export.pk:04d}"


def export_filename(export):
    return f"claims-for-payroll-{export_reference(export).lower()}.csv"


def amount(value):
    return f"{value:.2f}"


def export_claims(export):
    """The export's claims with everything the file shows, in two queries: the
    claims with their person, meeting, opportunity and when each was approved (the latest
    approval in its history), then the staff who approved them."""
    approvals = ClaimEvent.objects.filter(
        claim=OuterRef("pk"), action=ClaimEvent.Action.APPROVE
    ).order_by("-at", "-pk")
    claims = (
        Claim.objects.filter(export=export)
        .select_related("booking__expression", "booking__meeting__opportunity")
        .annotate(
            approved_at=Subquery(approvals.values("at")[:1]),
            approved_by_id=Subquery(approvals.values("by")[:1]),
        )
        .order_by("booking__meeting__starts_at", "pk")
    )
    claims = list(claims)
    approvers = get_user_model().objects.in_bulk(
        {claim.approved_by_id for claim in claims if claim.approved_by_id}
    )
    for claim in claims:
        claim.approved_by = approvers.get(claim.approved_by_id)
    return claims


class Totals:
    def __init__(self):
        self.claims = 0
        self.payment = Decimal("0")
        self.expenses = Decimal("0")

    def add(self, claim):
        self.claims += 1
        self.payment += claim.payment
        self.expenses += claim.expenses_total

    @property
    def total(self):
        return self.payment + self.expenses

    def cells(self):
        return [self.claims, amount(self.payment), amount(self.expenses), amount(self.total)]


def export_rows(export, claims=None):
    """The file's rows, each a list of cells (not yet made safe), section headings included."""
    claims = export_claims(export) if claims is None else claims
    reference, month = export_reference(export), f"{export.month:%B %Y}"
    people, names, codes = defaultdict(Totals), {}, defaultdict(Totals)
    everyone = Totals()
    yield [f"Claims for payroll: {month} ({reference})"]
    yield [f"Made {spreadsheet_time(export.made_at)} by {staff_name(export.made_by) or '-'}"]
    yield []
    yield ["Claims"]
    yield CLAIM_HEADINGS
    for claim in claims:
        person = claim.booking.expression
        meeting = claim.booking.meeting
        email = (person.email or "").lower()
        key = email or f"claim-{claim.pk}"
        names.setdefault(key, (person.full_name, person.email))
        people[key].add(claim)
        codes[claim.budget_code or NO_BUDGET_CODE].add(claim)
        everyone.add(claim)
        yield [
            claim.reference, person.full_name, person.email, numeric_date(meeting.starts_at),
            meeting.opportunity.title, claim.budget_code, amount(claim.payment),
            amount(claim.expenses_total), amount(claim.total), staff_name(claim.approved_by),
            spreadsheet_time(claim.approved_at), reference, month,
        ]
    yield []
    yield ["Totals per person"]
    yield PERSON_HEADINGS
    for key in sorted(people, key=lambda k: (names[k][0].casefold(), k)):
        name, email = names[key]
        yield [name, email, *people[key].cells()]
    yield []
    yield ["Totals per budget code"]
    yield BUDGET_HEADINGS
    for code in sorted(codes):
        yield [code, *codes[code].cells()]
    yield ["All budget codes", *everyone.cells()]


def write_export(file, export):
    """Write the export's file to `file` (a response, say). Returns how many claims."""
    claims = export_claims(export)
    file.write(BYTE_ORDER_MARK)
    writer = csv.writer(file)
    for row in export_rows(export, claims):
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return len(claims)
