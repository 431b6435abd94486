"""The monthly file for payroll, from the claims list (applications/admin/claims.py and
applications/payroll.py): what it marks, what it holds and adds up to, downloading it again,
and who may make it."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from applications.models import Claim, ClaimEvent, ClaimExport, Expense
from applications.payroll import export_reference
from tests.factories import (
    AttendedBookingFactory,
    ClaimFactory,
    ExpressionOfInterestFactory,
    MeetingFactory,
    OpportunityFactory,
)

pytestmark = pytest.mark.django_db

Status = Claim.Status
CHANGELIST = reverse("admin:applications_claim_changelist")
EXPORT = reverse("admin:applications_claim_export")


@pytest.fixture
def team(client, django_user_model):
    user = django_user_model.objects.create_user(
        "sam", "sam@example.nhs.uk", first_name="Sam", last_name="Okafor", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Involvement team"))
    client.force_login(user)
    return user


def sections(response):
    """The file's rows, split at its blank rows: {first cell of a section: its rows}."""
    text = b"".join(
        response.streaming_content if response.streaming else [response.content]
    ).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    found, current = {}, []
    for row in rows + [[]]:
        if row:
            current.append(row)
        elif current:
            found[current[0][0]] = current
            current = []
    return found


def claim(expression, *, budget_code, payment="0", expenses=(), declined=False):
    """A claim by `expression` for a meeting of an opportunity with `budget_code`, with its
    expenses as Expense rows: [(kind, amount or miles)]."""
    opportunity = OpportunityFactory(budget_code=budget_code, title=f"Group {budget_code}")
    meeting = MeetingFactory(
        opportunity=opportunity, starts_at=timezone.now() - datetime.timedelta(days=3)
    )
    booking = AttendedBookingFactory(expression=expression, meeting=meeting)
    made = ClaimFactory(booking=booking, payment=Decimal(payment), payment_declined=declined)
    total = Decimal("0")
    for kind, figure in expenses:
        if kind == Expense.Kind.MILEAGE:
            amount = Expense.mileage_amount(Decimal(figure))
            Expense.objects.create(claim=made, kind=kind, miles=Decimal(figure), amount=amount)
        else:
            amount = Decimal(figure)
            Expense.objects.create(claim=made, kind=kind, amount=amount)
        total += amount
    made.expenses_total = total
    made.save()
    return made


@pytest.fixture
def month(team):
    """Three people, two budget codes, one declined payment, one mileage claim; four claims
    approved, one waiting and one rejected (neither of those two is paid).

    Counted by hand:
      Ada   ABC123  £25.00 + parking £4.50                     = £29.50
      Ada   ABC123  £25.00 + 10 miles at 45p = £4.50           = £29.50
      Bob   XYZ9    declined  + bus £6.20                      = £6.20
      =Cy   XYZ9    £50.00                                     = £50.00
    Ada £50.00 + £9.00 = £59.00; Bob £0.00 + £6.20; Cy £50.00 + £0.00.
    ABC123: 2 claims, £50.00 + £9.00 = £59.00; XYZ9: 2 claims, £50.00 + £6.20 = £56.20.
    All: 4 claims, £100.00 + £15.20 = £115.20.
    """
    ada = ExpressionOfInterestFactory(full_name="Ada Lovelace", email="ada@example.com")
    bob = ExpressionOfInterestFactory(full_name="Bob Ng", email="bob@example.com")
    # A name a spreadsheet would run as a formula, were it not made safe.
    cy = ExpressionOfInterestFactory(full_name="=Cy Young", email="cy@example.com")
    claims = [
        claim(ada, budget_code="ABC123", payment="25", expenses=[(Expense.Kind.PARKING, "4.50")]),
        claim(ada, budget_code="ABC123", payment="25", expenses=[(Expense.Kind.MILEAGE, "10")]),
        claim(bob, budget_code="XYZ9", declined=True,
              expenses=[(Expense.Kind.PUBLIC_TRANSPORT, "6.20")]),
        claim(cy, budget_code="XYZ9", payment="50"),
    ]
    for approved in claims:
        approved.step("approve", by=team)
    waiting = claim(bob, budget_code="XYZ9", payment="25")
    rejected = claim(cy, budget_code="XYZ9", payment="25")
    rejected.step("reject", by=team, message="Not one of our meetings.")
    return {"approved": claims, "waiting": waiting, "rejected": rejected}


def test_the_export_marks_the_approved_claims_emails_each_person_and_downloads_the_file(
    client, team, month, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    export = ClaimExport.objects.get()
    assert response["Content-Disposition"] == (
        f'attachment; filename="claims-for-payroll-{export_reference(export).lower()}.csv"'
    )
    assert set(export.claims.all()) == set(month["approved"])
    for made in month["approved"]:
        made.refresh_from_db()
        assert made.status == Status.EXPORTED
        assert made.events.filter(action=ClaimEvent.Action.EXPORTED, by=team).count() == 1
    for other in (month["waiting"], month["rejected"]):
        other.refresh_from_db()
        assert other.export is None
    # One email for each claim sent to payroll.
    assert sorted(email.to[0] for email in mail.outbox) == [
        "ada@example.com", "ada@example.com", "bob@example.com", "cy@example.com",
    ]

    file = sections(response)
    claims = file["Claims"]
    assert claims[1][:9] == [
        "Claim reference", "Full name", "Email", "Meeting date", "Opportunity", "Budget code",
        "Involvement payment", "Expenses", "Total",
    ]
    rows = {row[0]: row for row in claims[2:]}
    assert set(rows) == {made.reference for made in month["approved"]}
    ada_mileage = rows[month["approved"][1].reference]
    assert ada_mileage[1:3] == ["Ada Lovelace", "ada@example.com"]
    assert ada_mileage[5:9] == ["ABC123", "25.00", "4.50", "29.50"]
    assert ada_mileage[9] == "Sam Okafor" and ada_mileage[10]  # approved by, and when
    assert ada_mileage[11:] == [export_reference(export), f"{export.month:%B %Y}"]
    bob = rows[month["approved"][2].reference]
    assert bob[6:9] == ["0.00", "6.20", "6.20"]
    cy = rows[month["approved"][3].reference]
    assert cy[1] == "'=Cy Young"  # not a formula

    # By name, as typed ("=" sorts before letters).
    assert file["Totals per person"][2:] == [
        ["'=Cy Young", "cy@example.com", "1", "50.00", "0.00", "50.00"],
        ["Ada Lovelace", "ada@example.com", "2", "50.00", "9.00", "59.00"],
        ["Bob Ng", "bob@example.com", "1", "0.00", "6.20", "6.20"],
    ]
    assert file["Totals per budget code"][2:] == [
        ["ABC123", "2", "50.00", "9.00", "59.00"],
        ["XYZ9", "2", "50.00", "6.20", "56.20"],
        ["All budget codes", "4", "100.00", "15.20", "115.20"],
    ]


def test_a_past_export_downloads_again_the_same_and_marks_nothing(
    client, team, month, django_capture_on_commit_callbacks
):
    first = client.post(EXPORT)
    export = ClaimExport.objects.get()
    events = ClaimEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        again = client.get(reverse("admin:applications_claimexport_download", args=[export.pk]))

    assert again.status_code == 200
    assert again.content == first.content
    assert ClaimEvent.objects.count() == events
    assert mail.outbox == []
    listing = client.get(reverse("admin:applications_claimexport_changelist")).content.decode()
    assert export_reference(export) in listing and "£115.20" in listing
    assert "Download (CSV)" in listing


def test_no_claim_goes_in_two_exports(client, team, month):
    client.post(EXPORT)
    later = claim(
        ExpressionOfInterestFactory(full_name="Dee Lee"), budget_code="ABC123", payment="25"
    )
    later.step("approve", by=team)

    response = client.post(EXPORT)

    second = ClaimExport.objects.order_by("-pk").first()
    assert ClaimExport.objects.count() == 2
    assert list(second.claims.all()) == [later]
    assert [row[0] for row in sections(response)["Claims"][2:]] == [later.reference]


def test_with_nothing_approved_there_is_a_message_and_no_file(client, team, month):
    client.post(EXPORT)

    response = client.post(EXPORT, follow=True)

    assert response["Content-Type"].startswith("text/html")
    assert ClaimExport.objects.count() == 1
    assert (
        "There are no approved claims waiting to go to payroll, so no file was made."
        in response.content.decode()
    )


def test_the_button_is_on_the_list_with_how_many_claims_it_will_send(client, team, month):
    page = client.get(CHANGELIST).content.decode()
    assert "Export approved claims for payroll" in page
    assert "4 approved claims not yet sent" in page
    assert f'action="{EXPORT}"' in page and 'method="post"' in page


def test_exporting_is_post_only(client, team, month):
    assert client.get(EXPORT).status_code == 405
    assert ClaimExport.objects.count() == 0


def test_only_staff_allowed_to_export_make_or_download_the_file(
    client, team, month, django_user_model
):
    client.post(EXPORT)
    export = ClaimExport.objects.get()
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_claim"),
        Permission.objects.get(codename="view_claimexport"),
    )
    client.force_login(viewer)
    assert "Export approved claims" not in client.get(CHANGELIST).content.decode()
    listing = client.get(reverse("admin:applications_claimexport_changelist")).content.decode()
    assert export_reference(export) in listing and "Download (CSV)" not in listing
    assert client.post(EXPORT).status_code == 403
    download = reverse("admin:applications_claimexport_download", args=[export.pk])
    assert client.get(download).status_code == 403
    lead = django_user_model.objects.create_user("priya", is_staff=True)
    lead.groups.add(Group.objects.get(name="Programme lead"))
    client.force_login(lead)
    assert client.get(download).status_code == 403
    assert client.get(reverse("admin:applications_claimexport_changelist")).status_code == 403
