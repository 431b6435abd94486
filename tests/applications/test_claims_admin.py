"""Claims in the admin (applications/admin/claims.py): the list the team triages, a claim's
page, the three decisions with the person's email, approving many at once, receipts shown to
staff, who may do what, and the team's home."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from applications.models import Claim, ClaimEvent, Expense, Receipt
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

Status = Claim.Status
CHANGELIST = reverse("admin:applications_claim_changelist")
PDF = b"%PDF-1.4\n% a bus ticket\n"


def change_url(claim):
    return reverse("admin:applications_claim_change", args=[claim.pk])


def decide_url(claim):
    return reverse("admin:applications_claim_decide", args=[claim.pk])


def receipt_url(claim, receipt):
    return reverse("admin:applications_claim_receipt", args=[claim.pk, receipt.pk])


@pytest.fixture
def make_staff(django_user_model):
    def make(username, group=None):
        user = django_user_model.objects.create_user(
            username, f"{username}@example.nhs.uk", first_name=username.title(),
            last_name="Tester", is_staff=True,
        )
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    return make


@pytest.fixture
def team(make_staff, client):
    user = make_staff("sam", "Involvement team")
    client.force_login(user)
    return user


@pytest.fixture
def receipts_root(settings, tmp_path):
    settings.RECEIPTS_ROOT = tmp_path / "receipts"
    return settings.RECEIPTS_ROOT


def with_receipt(claim, content=PDF):
    expense = Expense.objects.create(
        claim=claim, kind=Expense.Kind.PUBLIC_TRANSPORT, description="Bus to the hospital",
        amount=Decimal("4.50"),
    )
    receipt = Receipt(expense=expense, content_type="application/pdf", size=len(content))
    receipt.file.save("ticket.pdf", ContentFile(content), save=False)
    receipt.save()
    return receipt


def claim_for(name, email="", **kwargs):
    return ClaimFactory(
        booking__expression__full_name=name,
        booking__expression__email=email or f"{name.split()[0].lower()}@example.com",
        **kwargs,
    )


# The list ---------------------------------------------------------------------------------


def test_the_list_shows_each_claim_oldest_waiting_first(client, team):
    now = timezone.now()
    newer = claim_for("Grace Hopper", payment=Decimal("25"), expenses_total=Decimal("4.50"),
                      submitted_at=now - datetime.timedelta(days=1))
    older = claim_for("Ada Lovelace", payment_declined=True, expenses_total=Decimal("6.20"),
                      submitted_at=now - datetime.timedelta(days=20))
    approved = claim_for("Alan Turing", submitted_at=now - datetime.timedelta(days=40))
    Claim.objects.filter(pk=approved.pk).update(status=Status.APPROVED)

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    page = response.content.decode()
    # Waiting claims first, the oldest first; then the approved one, although older.
    assert page.index("Ada Lovelace") < page.index("Grace Hopper") < page.index("Alan Turing")
    assert older.reference in page and "Declined" in page and "£6.20" in page
    assert "£25.00" in page and "£4.50" in page and "£29.50" in page
    assert "Waiting for approval" in page
    assert newer.booking.meeting.opportunity.title in page


@pytest.mark.parametrize("typed", ["C{:06d}", "c{}", "{:06d}"])
def test_a_claim_is_found_by_its_reference(client, team, typed):
    wanted = claim_for("Ada Lovelace")
    claim_for("Grace Hopper")
    response = client.get(CHANGELIST, {"q": typed.format(wanted.pk)})
    assert list(response.context["cl"].result_list) == [wanted]


def test_a_claim_is_found_by_name_or_email(client, team):
    ada = claim_for("Ada Lovelace", email="ada@example.org")
    claim_for("Grace Hopper")
    assert list(client.get(CHANGELIST, {"q": "lovelace"}).context["cl"].result_list) == [ada]
    assert list(
        client.get(CHANGELIST, {"q": "ada@example.org"}).context["cl"].result_list
    ) == [ada]


def test_the_filters_find_long_waits_budget_codes_and_exports(client, team):
    now = timezone.now()
    long_wait = claim_for("Ada Lovelace", submitted_at=now - datetime.timedelta(days=30),
                          budget_code="ABC123")
    recent = claim_for("Grace Hopper", submitted_at=now, budget_code="XYZ9")
    approved = claim_for("Alan Turing", budget_code="XYZ9")
    approved.step("approve", by=team)

    def found(**params):
        return set(client.get(CHANGELIST, params).context["cl"].result_list)

    assert found(waiting="all") == {long_wait, recent}
    assert found(waiting="10") == {long_wait}
    assert found(budget_code="XYZ9") == {recent, approved}
    assert found(exported="no") == {long_wait, recent, approved}
    from applications.claims import ClaimExport

    ClaimExport.make(by=team)
    assert found(exported="yes") == {approved}
    programme = long_wait.booking.meeting.opportunity.programme
    assert found(booking__meeting__opportunity__programme__id__exact=programme.pk) == {long_wait}


def test_working_days_waiting_are_shown_for_a_waiting_claim(client, team):
    # Made on a Monday, seen nine days later on a Wednesday: seven working days (no bank
    # holidays in that fortnight of 2026).
    made = timezone.make_aware(datetime.datetime(2026, 10, 5, 10))
    claim = claim_for("Ada Lovelace", submitted_at=made)
    from applications.admin.claims import working_days_waiting

    assert working_days_waiting(claim, today=datetime.date(2026, 10, 14)) == 7
    claim.status = Status.APPROVED
    assert working_days_waiting(claim, today=datetime.date(2026, 10, 14)) is None


# The claim's page -------------------------------------------------------------------------


def test_the_claim_page_shows_what_they_entered_the_receipts_and_the_history(
    client, team, receipts_root
):
    claim = claim_for(
        "Ada Lovelace", payment=Decimal("25"), hours=Decimal("2"), expenses_total=Decimal("4.50")
    )
    receipt = with_receipt(claim)
    Expense.objects.create(
        claim=claim, kind=Expense.Kind.MILEAGE, miles=Decimal("10"), amount=Decimal("4.50"),
        description="Home to the hospital and back",
    )

    response = client.get(change_url(claim))

    assert response.status_code == 200
    page = response.content.decode()
    assert claim.reference in page and "Ada Lovelace" in page
    assert "£25.00" in page and "Bus to the hospital" in page and "Home to the hospital" in page
    assert receipt_url(claim, receipt) in page
    assert "Claim made" in page  # the history
    assert "The person" in page
    assert "Ada Lovelace" in page  # the declaration, signed
    for button in ("Approve", "Query", "Reject"):
        assert f'value="{button.lower()}"' in page


def test_approving_records_it_and_emails_the_person(
    client, team, django_capture_on_commit_callbacks
):
    claim = claim_for("Ada Lovelace", email="ada@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_url(claim), {"act": "approve", "message": ""})

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Status.APPROVED
    event = claim.events.get(action=ClaimEvent.Action.APPROVE)
    assert event.by == team
    [email] = mail.outbox
    assert email.to == ["ada@example.com"] and claim.reference in email.subject
    page = client.get(response.url).content.decode()
    assert f"Claim {claim.reference} approved. Ada Lovelace has been emailed." in page


@pytest.mark.parametrize("act, status", [("query", Status.QUERIED), ("reject", Status.REJECTED)])
def test_a_query_or_rejection_sends_the_message_to_the_person(
    client, team, django_capture_on_commit_callbacks, act, status
):
    claim = claim_for("Ada Lovelace", email="ada@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(decide_url(claim), {"act": act, "message": "  Which car park was it?  "})

    claim.refresh_from_db()
    assert claim.status == status
    assert claim.events.get(action=act).message == "Which car park was it?"
    [email] = mail.outbox
    assert email.to == ["ada@example.com"]
    assert "Which car park was it?" in email.body
    if act == "query":  # what they were asked, at the top of the claim's page
        assert "“Which car park was it?”" in client.get(change_url(claim)).content.decode()


@pytest.mark.parametrize("act, error", [
    ("query", "Say what you need to know."),
    ("reject", "Give the reason for rejecting the claim: the person is told it."),
])
def test_a_query_or_rejection_needs_a_message(
    client, team, django_capture_on_commit_callbacks, act, error
):
    claim = claim_for("Ada Lovelace")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_url(claim), {"act": act, "message": "   "})

    assert response.status_code == 400
    page = response.content.decode()
    assert error in page and "<title>Error: " in page
    assert 'aria-invalid="true"' in page
    claim.refresh_from_db()
    assert claim.status == Status.SUBMITTED and claim.events.count() == 1
    assert mail.outbox == []


def test_a_refused_step_keeps_the_message_typed(client, team, django_capture_on_commit_callbacks):
    claim = claim_for("Ada Lovelace")
    claim.step("approve", by=team)  # by someone else, a moment ago

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            decide_url(claim), {"act": "query", "message": "Was the taxi shared?"}
        )

    assert response.status_code == 400
    page = response.content.decode()
    assert "This claim cannot be queried: it is approved." in page
    assert "Your message was not sent" in page and "Was the taxi shared?" in page
    assert mail.outbox == []


def test_deciding_is_post_only(client, team):
    claim = claim_for("Ada Lovelace")
    assert client.get(decide_url(claim)).status_code == 405
    claim.refresh_from_db()
    assert claim.status == Status.SUBMITTED


def test_deciding_needs_the_csrf_token(team):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(team)
    claim = claim_for("Ada Lovelace")
    assert strict.post(decide_url(claim), {"act": "approve"}).status_code == 403
    claim.refresh_from_db()
    assert claim.status == Status.SUBMITTED


def test_approving_many_at_once_approves_each_and_names_those_it_cannot(
    client, team, django_capture_on_commit_callbacks
):
    waiting = [
        claim_for("Ada Lovelace", payment=Decimal("25")),
        claim_for("Grace Hopper", payment=Decimal("12.50"), expenses_total=Decimal("3")),
    ]
    rejected = claim_for("Alan Turing", payment=Decimal("100"))
    rejected.step("reject", by=team, message="Not a meeting of ours.")

    selected = {
        "action": "approve_selected", "_selected_action": [c.pk for c in [*waiting, rejected]],
    }
    # First a page that says what will be approved, and approves nothing.
    asked = client.post(CHANGELIST, selected).content.decode()
    assert "You are about to approve 2 claims, £40.50 in all." in asked
    assert "cannot be approved" in asked
    assert not Claim.objects.filter(status=Status.APPROVED).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHANGELIST, {**selected, "confirm": "yes"}, follow=True)

    for claim in waiting:
        claim.refresh_from_db()
        assert claim.status == Status.APPROVED
    rejected.refresh_from_db()
    assert rejected.status == Status.REJECTED
    assert len(mail.outbox) == 2
    page = response.content.decode()
    assert "2 claims approved" in page
    assert f"{rejected.reference}: This claim cannot be approved: it is rejected." in page


# Receipts -----------------------------------------------------------------------------------


def test_staff_see_a_receipt_safely(client, team, receipts_root):
    claim = claim_for("Ada Lovelace")
    receipt = with_receipt(claim)

    response = client.get(receipt_url(claim, receipt))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    # The whole admin is "no-store" (involvement/middleware.py), which keeps it out of every
    # cache, shared or private.
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"] == (
        f'inline; filename="receipt-{receipt.pk}.pdf"'
    )


def test_another_claims_receipt_is_not_found(client, team, receipts_root):
    claim = claim_for("Ada Lovelace")
    other = with_receipt(claim_for("Grace Hopper"))
    assert client.get(receipt_url(claim, other)).status_code == 404


def test_staff_who_may_not_see_claims_get_no_receipt(client, make_staff, receipts_root):
    claim = claim_for("Ada Lovelace")
    receipt = with_receipt(claim)
    client.force_login(make_staff("priya", "Programme lead"))
    assert client.get(receipt_url(claim, receipt)).status_code == 404


# Who may do what ----------------------------------------------------------------------------


def test_the_involvement_team_sees_decides_and_exports_claims():
    permissions = {
        p.codename for p in Group.objects.get(name="Involvement team").permissions.all()
    }
    assert {"view_claim", "decide_claim", "export_claims", "view_claimexport"} <= permissions
    lead = {p.codename for p in Group.objects.get(name="Programme lead").permissions.all()}
    assert not {"view_claim", "decide_claim", "export_claims"} & lead


def test_a_programme_lead_cannot_see_or_decide_claims(client, make_staff):
    claim = claim_for("Ada Lovelace")
    client.force_login(make_staff("priya", "Programme lead"))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(claim)).status_code == 403
    assert client.post(decide_url(claim), {"act": "approve"}).status_code == 403
    claim.refresh_from_db()
    assert claim.status == Status.SUBMITTED


def test_seeing_claims_is_not_deciding_them(client, make_staff):
    from django.contrib.auth.models import Permission

    viewer = make_staff("viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_claim"))
    client.force_login(viewer)
    claim = claim_for("Ada Lovelace")

    page = client.get(change_url(claim)).content.decode()
    assert 'value="approve"' not in page
    assert "Export approved claims for payroll" not in client.get(CHANGELIST).content.decode()
    assert client.post(decide_url(claim), {"act": "approve"}).status_code == 403
    response = client.post(CHANGELIST, {
        "action": "approve_selected", "_selected_action": [claim.pk], "confirm": "yes",
    })
    claim.refresh_from_db()
    assert claim.status == Status.SUBMITTED
    assert response.status_code in (200, 302)


def test_nobody_edits_or_deletes_a_claim_here(client, team):
    claim = claim_for("Ada Lovelace")
    page = client.get(change_url(claim)).content.decode()
    assert 'name="_save"' not in page
    assert client.post(change_url(claim), {"declaration_name": "Someone else"}).status_code == 403
    assert client.get(reverse("admin:applications_claim_delete", args=[claim.pk])).status_code \
        == 403
    assert client.get(reverse("admin:applications_claim_add")).status_code == 403


# The team's home ----------------------------------------------------------------------------


def test_the_teams_home_shows_the_claims_waiting(client, team):
    made = timezone.now() - datetime.timedelta(days=21)
    claim_for("Ada Lovelace", submitted_at=made)
    claim_for("Grace Hopper")
    approved = claim_for("Alan Turing", submitted_at=made - datetime.timedelta(days=30))
    approved.step("approve", by=team)

    response = client.get(reverse("admin:applications_team_home"))

    claims = response.context["claims_waiting"]
    assert claims["count"] == 2
    from applications.models import working_days_between

    assert claims["oldest_days"] == working_days_between(
        timezone.localdate(made), timezone.localdate()
    )
    assert claims["oldest_days"] >= 13
    page = response.content.decode()
    assert "Claims waiting" in page and f"{CHANGELIST}?waiting=all" in page
    assert f"{claims['oldest_days']}</span> working days the oldest has waited" in page


def test_the_teams_home_spreadsheet_has_the_claims_waiting(client, team):
    import csv
    import io

    claim_for("Ada Lovelace", submitted_at=timezone.now() - datetime.timedelta(days=21))
    response = client.get(reverse("admin:applications_team_home_csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    figures = {row[3]: row[4] for row in rows if row and row[0] == "Now"}
    assert figures["Claims waiting for approval"] == "1"
    assert int(figures["Working days the oldest claim has waited"]) >= 13


def test_the_teams_home_has_no_claims_for_a_programme_lead(client, make_staff):
    claim_for("Ada Lovelace")
    client.force_login(make_staff("priya", "Programme lead"))
    response = client.get(reverse("admin:applications_team_home"))
    assert response.context["claims_waiting"] is None
    assert "Claims waiting" not in response.content.decode()


# Payment terms ------------------------------------------------------------------------------


def test_payment_terms_in_the_admin(client, staff_client):
    from tests.factories import OpportunityFactory, PaymentLevelFactory

    PaymentLevelFactory(name="Level 2", preparation_hours_limit=Decimal("1.5"))
    page = staff_client.get(reverse("admin:opportunities_paymentlevel_changelist"))
    assert "1.50" in page.content.decode()
    opportunity = OpportunityFactory()
    form = staff_client.get(
        reverse("admin:opportunities_opportunity_change", args=[opportunity.pk])
    ).content.decode()
    assert 'name="expenses_paid"' in form and 'name="budget_code"' in form


def test_the_public_page_says_plainly_when_expenses_are_not_paid(client):
    from tests.factories import OpportunityFactory

    opportunity = OpportunityFactory(status="open", expenses="Travel paid.", expenses_paid=False)
    page = client.get(opportunity.get_absolute_url()).content.decode()
    assert "Expenses are not paid for this opportunity." in page
    assert "Travel paid." not in page
    opportunity.expenses_paid = True
    opportunity.save()
    from django.core.cache import cache

    cache.clear()
    page = client.get(opportunity.get_absolute_url()).content.decode()
    assert "Expenses are not paid" not in page and "Travel paid." in page



# Query budgets (the changelists' are in tests/test_query_budgets.py) -----------------------


def queries_for(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_claim_page_and_a_receipt_cost_the_same_queries_however_much_they_hold(
    client, team, receipts_root
):
    small = claim_for("Ada Lovelace")
    with_receipt(small)
    small.step("query", by=team, message="Which bus?")  # both queried: the page shows the query
    large = claim_for("Grace Hopper")
    for _ in range(6):
        with_receipt(large)
    for act, message in [("query", "Which bus?"), ("answer", ""), ("query", "And the taxi?")]:
        large.step(act, by=None if act == "answer" else team, message=message)

    client.get(change_url(small))  # the first page fills Django's caches (content types)
    small_page = queries_for(client, change_url(small))
    assert small_page <= 12
    assert queries_for(client, change_url(large)) == small_page
    receipt = large.expenses.first().receipts.first()
    assert queries_for(client, receipt_url(large, receipt)) <= 6
