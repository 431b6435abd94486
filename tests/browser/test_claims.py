"""A lay partner's claim in a real browser: made at phone width with JavaScript off (receipts
uploaded, "Add another expense", a mistake put right), and axe-core on each claim page."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.claims import ClaimExport
from applications.models import Booking, Claim, SignInLink
from tests.browser.test_accessibility import assert_no_violations
from tests.factories import AttendedBookingFactory, ClaimFactory, PaymentLevelFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("immediate_tasks")]

EMAIL = "siobhan@example.com"
PDF = {"name": "ticket.pdf", "mimeType": "application/pdf",
       "buffer": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"}


@pytest.fixture
def booking():
    level = PaymentLevelFactory(rate_per_hour=Decimal("20"), name="Level 2: partner")
    return AttendedBookingFactory(
        expression__email=EMAIL, expression__opportunity__title="Maternity voices",
        expression__opportunity__payment_level=level,
    )


def sign_in(live_server, page):
    link = SignInLink.issue(EMAIL)
    page.goto(live_server.url + reverse("applications:my_involvement_link", args=[link.token()]))
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your involvement"


def test_a_claim_made_at_phone_width_without_javascript(live_server, phone_without_js, booking):
    page = phone_without_js
    sign_in(live_server, page)
    assert not page.evaluate("document.body.classList.contains('js-enabled')")

    page.get_by_role("link", name="Claim your payment and expenses").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Claim your payment and expenses"
    page.get_by_label("How many hours were you at the meeting?").fill("2")
    page.get_by_label("What was it for?").select_option("parking")
    page.get_by_label("How much did you pay?").fill("3.50")
    page.get_by_label("Photo or PDF of the receipt or ticket").set_input_files(PDF)
    page.get_by_role("button", name="Add another expense").click()

    # Everything is still there, the receipt kept, and a second row to fill in.
    assert "Receipt kept: PDF" in page.content()
    assert page.get_by_label("How many hours were you at the meeting?").input_value() == "2"
    second = page.locator("#expense-2")
    second.get_by_label("What was it for?").select_option("mileage")
    second.get_by_label("Miles driven, there and back (mileage only)").fill("10")
    page.get_by_role("button", name="Send claim", exact=True).last.click()

    # The declaration was forgotten: said, and nothing lost.
    assert page.title().startswith("Error: ")
    assert "Tick the box to confirm the declaration" in page.locator(
        ".nhsuk-error-summary").inner_text()
    assert "Receipt kept: PDF" in page.content()
    page.get_by_label("I declare that").check()
    page.get_by_label("Your full name").fill("Siobhán O'Brien")
    page.get_by_role("button", name="Send claim", exact=True).last.click()

    assert page.locator(".nhsuk-panel__title").inner_text() == "Claim sent"
    claim = Claim.objects.get()
    assert claim.reference in page.locator(".nhsuk-panel").inner_text()
    assert claim.payment == Decimal("40.00") and claim.expenses_total == Decimal("8.00")
    parking, mileage = claim.expenses.all()
    assert parking.receipts.count() == 1 and mileage.amount == Decimal("4.50")
    # Back on their page, the meeting is claimed and the claim listed.
    page.get_by_role("link", name="Back to your involvement page").click()
    assert claim.reference in page.locator("main").inner_text()
    assert page.get_by_role("link", name="Claim your payment and expenses").count() == 0


def test_the_claim_pages_have_no_violations(live_server, phone, booking):
    zone = timezone.get_current_timezone()
    paid = ClaimFactory(booking__expression=booking.expression, payment=Decimal("25"))
    ClaimExport.objects.create(
        month=datetime.date(2026, 5, 1), made_at=datetime.datetime(2026, 5, 10, tzinfo=zone)
    ).claims.add(paid)
    not_attended = AttendedBookingFactory(
        expression=booking.expression, status=Booking.Status.CONFIRMED
    )
    sign_in(live_server, phone)
    assert_no_violations(phone, "their page, with claims")

    phone.goto(live_server.url + reverse("applications:claim_new", args=[booking.pk]))
    assert_no_violations(phone, "the claim form")
    phone.get_by_label("What was it for?").select_option("taxi")
    phone.get_by_label("Photo or PDF of the receipt or ticket").set_input_files(PDF)
    phone.get_by_role("button", name="Add another expense").click()
    assert_no_violations(phone, "the claim form, a receipt kept and a row added")
    phone.get_by_role("button", name="Send claim", exact=True).last.click()
    assert phone.title().startswith("Error: ")
    assert_no_violations(phone, "the claim form, with errors")
    phone.get_by_label("How many hours were you at the meeting?").fill("2")
    phone.get_by_label("How much did you pay?").first.fill("12")
    phone.get_by_label("Why did you need a taxi? (taxi only)").first.fill("No buses at 7am.")
    phone.get_by_label("I declare that").check()
    phone.get_by_label("Your full name").fill("Siobhán O'Brien")
    phone.get_by_role("button", name="Send claim", exact=True).last.click()
    assert phone.locator(".nhsuk-panel__title").inner_text() == "Claim sent"
    assert_no_violations(phone, "the claim sent")

    phone.goto(live_server.url + reverse("applications:claim_new", args=[not_attended.pk]))
    assert phone.get_by_role("heading", level=1).inner_text() == (
        "You cannot claim for this meeting"
    )
    assert_no_violations(phone, "a meeting that cannot be claimed for")

    paid.step("query", by=None, message="Which car park?")
    phone.goto(live_server.url + reverse("applications:claim_detail", args=[paid.pk]))
    assert "Which car park?" in phone.content()
    assert_no_violations(phone, "a claim, queried")
    phone.get_by_role("button", name="Send your answer").click()
    assert_no_violations(phone, "a claim, the answer empty")

    phone.goto(live_server.url + reverse("applications:claims_statement", args=[2026]))
    assert paid.reference in phone.content()
    assert_no_violations(phone, "the statement")
