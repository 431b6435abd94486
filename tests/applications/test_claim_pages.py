"""A lay partner's claims after they are made: the claim's page and answering a query, the
receipts (to the person only), and the yearly statement for tax and benefits."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from applications.claims import ClaimExport
from applications.models import Claim, ClaimEvent, Expense, Receipt
from applications.personal_data import Person, erase
from tests.factories import AttendedBookingFactory, ClaimFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("immediate_tasks")]

EMAIL = "siobhan@example.com"


def sign_in(client, email=EMAIL):
    session = client.session
    session["my_involvement_email"] = email
    session.save()


def claim_for(email=EMAIL, **kwargs):
    return ClaimFactory(booking__expression__email=email, **kwargs)


def with_receipt(claim, content=b"%PDF-1.4 a ticket", content_type="application/pdf"):
    expense = Expense.objects.create(claim=claim, kind="parking", amount=Decimal("4.00"))
    receipt = Receipt(expense=expense, content_type=content_type, size=len(content))
    receipt.file.save("r", ContentFile(content), save=False)
    receipt.save()
    return receipt


# The claim's page ------------------------------------------------------------------------------


def test_it_shows_the_claim_its_expenses_receipts_and_history(client):
    claim = claim_for(payment=Decimal("40.00"), expenses_total=Decimal("4.00"))
    receipt = with_receipt(claim)
    sign_in(client)

    response = client.get(reverse("applications:claim_detail", args=[claim.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert f"Claim {claim.reference}" in html
    assert "Waiting for approval" in html
    assert "£40.00" in html and "£44.00" in html
    assert reverse("applications:claim_receipt", args=[receipt.pk]) in html
    assert "Claim made" in html


def test_another_persons_claim_is_not_found(client):
    claim = claim_for("other@example.com")
    claim_for()  # theirs, so they are signed in as a lay partner
    sign_in(client)

    assert client.get(reverse("applications:claim_detail", args=[claim.pk])).status_code == 404


def test_they_answer_the_teams_question(client):
    staff = User.objects.create_user("finance", is_staff=True)
    claim = claim_for()
    claim.step("query", by=staff, message="Was the parking at the hospital?")
    sign_in(client)
    url = reverse("applications:claim_detail", args=[claim.pk])

    page = client.get(url).content.decode()
    assert "The involvement team has a question" in page
    assert "The team has a question for you" in page  # its status, in words to them
    assert "waiting for the person" not in page
    assert "Was the parking at the hospital?" in page

    empty = client.post(url, {"message": "  "})
    assert empty.status_code == 400
    assert "Enter your answer to the question" in empty.content.decode()

    mail.outbox.clear()
    response = client.post(url, {"message": "Yes, the main car park."})

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    answer = claim.events.last()
    assert (answer.action, answer.by, answer.message) == (
        ClaimEvent.Action.ANSWER, None, "Yes, the main car park."
    )
    assert len(mail.outbox) == 1
    assert "has a question" not in client.get(url).content.decode()


def test_an_answer_to_a_claim_not_queried_is_refused(client):
    claim = claim_for()
    sign_in(client)

    response = client.post(
        reverse("applications:claim_detail", args=[claim.pk]), {"message": "Hello"}
    )

    assert response.status_code == 400
    assert "This claim is not waiting for an answer from you" in response.content.decode()
    assert claim.events.count() == 1


def queried(claim, message="Please send the parking receipt."):
    claim.step("query", by=User.objects.create_user(f"lead-{claim.pk}", is_staff=True),
               message=message)
    return reverse("applications:claim_detail", args=[claim.pk])


def upload(content=b"%PDF-1.4 a parking ticket", name="ticket.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_an_answer_can_bring_the_receipt_the_team_asked_for(client):
    claim = claim_for()
    parking = Expense.objects.create(claim=claim, kind="parking", amount=Decimal("4.00"))
    url = queried(claim)
    sign_in(client)

    response = client.post(url, {"message": "Here it is.", "receipt": upload()})

    assert response.status_code == 302
    [receipt] = parking.receipts.all()
    assert receipt.content_type == "application/pdf"
    assert receipt.file.read() == b"%PDF-1.4 a parking ticket"
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED


def test_with_two_expenses_the_answer_says_which_the_receipt_is_for(client):
    claim = claim_for()
    Expense.objects.create(claim=claim, kind="parking", amount=Decimal("4.00"))
    taxi = Expense.objects.create(claim=claim, kind="taxi", amount=Decimal("18.00"),
                                  reason="No bus on Sundays.")
    url = queried(claim)
    sign_in(client)

    unsaid = client.post(url, {"message": "Attached.", "receipt": upload()})
    assert unsaid.status_code == 400
    html = unsaid.content.decode()
    assert "Choose which expense the receipt is for" in html
    assert "Attached." in html  # their answer stays filled in
    assert not Receipt.objects.exists()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.QUERIED  # nothing half-done

    response = client.post(url, {"message": "Attached.", "expense": taxi.pk, "receipt": upload()})

    assert response.status_code == 302
    assert [r.expense for r in Receipt.objects.all()] == [taxi]


def test_an_html_file_named_pdf_is_refused_with_the_answer(client):
    claim = claim_for()
    Expense.objects.create(claim=claim, kind="parking", amount=Decimal("4.00"))
    url = queried(claim)
    sign_in(client)

    response = client.post(url, {
        "message": "Here.", "receipt": upload(b"<html><script>alert(1)</script>", "r.pdf"),
    })

    assert response.status_code == 400
    assert "The file must be a photo (JPG or PNG) or a PDF" in response.content.decode()
    assert not Receipt.objects.exists()
    assert claim.events.count() == 2  # made, queried: no answer recorded


def test_a_claim_for_the_payment_alone_asks_for_no_receipt(client):
    claim = claim_for(payment=Decimal("40.00"))
    url = queried(claim, "Which meeting was it?")
    sign_in(client)

    html = client.get(url).content.decode()

    assert 'type="file"' not in html
    assert client.post(url, {"message": "The March one."}).status_code == 302


# Receipts ------------------------------------------------------------------------------------


def test_a_receipt_is_served_to_its_person_with_safe_headers(client):
    receipt = with_receipt(claim_for())
    sign_in(client)

    response = client.get(reverse("applications:claim_receipt", args=[receipt.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 a ticket"
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Content-Disposition"] == f'inline; filename="receipt-{receipt.pk}.pdf"'


@pytest.mark.parametrize("who", ["someone_else", "signed_out", "erased"])
def test_a_receipt_is_not_found_for_anyone_else(client, who):
    receipt = with_receipt(claim_for())
    url = reverse("applications:claim_receipt", args=[receipt.pk])
    if who == "someone_else":
        claim_for("other@example.com")
        sign_in(client, "other@example.com")
    elif who == "erased":
        sign_in(client)
        assert client.get(url).status_code == 200
        erase(Person(EMAIL), by=None, reason="They asked")

    assert client.get(url).status_code == 404


def test_a_receipt_kept_on_an_unsent_form_is_shown_only_in_the_browser_that_kept_it(client):
    claim_for()  # so they are a lay partner
    sign_in(client)
    session = client.session
    session["claim_draft_key"] = "this-browser"
    session.save()
    receipt = Receipt(content_type="application/pdf", size=5, draft_key="this-browser")
    receipt.file.save("r", ContentFile(b"%PDF-"), save=False)
    receipt.save()
    url = reverse("applications:claim_receipt", args=[receipt.pk])

    assert client.get(url).status_code == 200

    other_browser = type(client)()
    sign_in(other_browser)
    assert other_browser.get(url).status_code == 404


# The yearly statement -------------------------------------------------------------------------


def _export(claims, made_at):
    export = ClaimExport.objects.create(month=made_at.date().replace(day=1), made_at=made_at)
    Claim.objects.filter(pk__in=[c.pk for c in claims]).update(
        export=export, status=Claim.Status.EXPORTED
    )


@pytest.fixture
def two_years():
    """Claims of theirs across the tax years 2025-26 and 2026-27, counted by hand below:

    2025-26: A (£40 + £4.50) sent 10 May 2025; B (declined, £0 + £12.30) sent 5 April 2026
             at 23:30 UK time (the year's last day).
    2026-27: C (£25 + £0) sent 6 April 2026 at 00:15 UK time (the next year's first day).
    Not on any statement: D rejected; E approved, not yet sent to payroll; and another
    person's claim sent in 2025-26."""
    zone = timezone.get_current_timezone()

    def at(*args):
        return datetime.datetime(*args, tzinfo=zone)

    a = claim_for(payment=Decimal("40.00"), expenses_total=Decimal("4.50"))
    b = claim_for(payment=Decimal("0.00"), expenses_total=Decimal("12.30"), payment_declined=True)
    c = claim_for(payment=Decimal("25.00"))
    claim_for(payment=Decimal("99.00"), status=Claim.Status.REJECTED)
    claim_for(payment=Decimal("77.00"), status=Claim.Status.APPROVED)
    theirs = claim_for("other@example.com", payment=Decimal("55.00"))
    _export([a, theirs], at(2025, 5, 10, 9, 0))
    _export([b], at(2026, 4, 5, 23, 30))
    _export([c], at(2026, 4, 6, 0, 15))
    return a, b, c


def test_the_page_links_to_a_statement_for_each_tax_year_with_claims_paid(client, two_years):
    sign_in(client)

    html = client.get(reverse("applications:my_involvement")).content.decode()

    assert reverse("applications:claims_statement", args=[2025]) in html
    assert reverse("applications:claims_statement", args=[2026]) in html
    assert reverse("applications:claims_statement", args=[2024]) not in html


def test_the_statement_counts_what_was_sent_to_payroll_in_the_tax_year(client, two_years):
    a, b, c = two_years
    sign_in(client)

    response = client.get(reverse("applications:claims_statement", args=[2025]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "6 April 2025 to 5 April 2026" in html
    assert a.reference in html and b.reference in html and c.reference not in html
    value = '</dt>\n        <dd class="nhsuk-summary-list__value">'
    assert f"Involvement payments{value}£40.00" in html
    assert f"Expenses paid back{value}£16.80" in html
    assert f"Total{value}£56.80" in html
    assert "£55.00" not in html and "£99.00" not in html and "£77.00" not in html

    later = client.get(reverse("applications:claims_statement", args=[2026])).content.decode()
    assert c.reference in later and a.reference not in later
    assert "£25.00" in later


def test_the_statement_as_a_spreadsheet(client, two_years):
    a, b, _c = two_years
    sign_in(client)

    response = client.get(reverse("applications:claims_statement_csv", args=[2025]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="involvement-payments-2025-2026.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Claim reference" and rows[0][-3:] == [
        "Involvement payment (£)", "Expenses (£)", "Total (£)"
    ]
    assert [row[0] for row in rows[1:]] == [a.reference, b.reference, "Total"]
    assert rows[1][4] == "10 May 2025" and rows[2][4] == "5 April 2026"
    assert rows[-1][-3:] == ["40.00", "16.80", "56.80"]


def test_a_statement_is_not_found_signed_out(client, two_years):
    assert client.get(reverse("applications:claims_statement", args=[2025])).status_code == 404
    assert client.get(
        reverse("applications:claims_statement_csv", args=[2025])
    ).status_code == 404


def test_a_statement_for_a_year_with_nothing_paid_says_so(client, two_years):
    sign_in(client)

    html = client.get(reverse("applications:claims_statement", args=[2023])).content.decode()

    assert "None of your claims was sent to payroll in this tax year." in html
    assert "£0.00" in html


def test_a_meeting_attended_links_to_its_claim_form(client):
    booking = AttendedBookingFactory(expression__email=EMAIL)
    sign_in(client)

    html = client.get(reverse("applications:my_involvement")).content.decode()

    assert reverse("applications:claim_new", args=[booking.pk]) in html
