"""A lay partner claiming their involvement payment and expenses from their own page
(/my-involvement/claims/new/<booking>/): the rules (applications/claims.py) through the form,
receipts checked by their content and kept across mistakes, and one claim however often the
form is sent."""

import io
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from applications.claims import receipt_storage
from applications.models import Booking, Claim, ClaimEvent, Expense, Receipt
from tests.factories import AttendedBookingFactory, ClaimFactory, PaymentLevelFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("immediate_tasks")]

PAGE = reverse("applications:my_involvement")


def sign_in(client, email):
    session = client.session
    session["my_involvement_email"] = email
    session.save()


def claim_url(booking):
    return reverse("applications:claim_new", args=[booking.pk])


def pdf(name="ticket.pdf", size=None):
    content = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    if size:
        content += b"0" * (size - len(content))
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def photo(name="receipt.jpg", exif=None, kind="JPEG"):
    image = Image.new("RGB", (40, 30), (200, 180, 40))
    out = io.BytesIO()
    if exif is not None:
        image.save(out, kind, exif=exif)
    else:
        image.save(out, kind)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def answers(**extra):
    data = {
        "submission_key": str(uuid.uuid4()),
        "expense_rows": "1",
        "declaration": "on",
        "declaration_name": "Siobhán O'Brien",
    }
    data.update(extra)
    return data


@pytest.fixture
def booking(client):
    """A lay partner, signed in, at a two-hour meeting paid £20 an hour with up to an hour's
    preparation."""
    level = PaymentLevelFactory(
        rate_per_hour=Decimal("20"), preparation_paid=True,
        preparation_hours_limit=Decimal("1"),
    )
    booking = AttendedBookingFactory(
        expression__email="siobhan@example.com",
        expression__opportunity__payment_level=level,
        expression__opportunity__budget_code="CC-1234",
    )
    sign_in(client, "siobhan@example.com")
    return booking


# The page ----------------------------------------------------------------------------------


def test_the_page_offers_a_claim_for_each_meeting_attended_without_one(client, booking):
    claimed = AttendedBookingFactory(expression=booking.expression)
    ClaimFactory(booking=claimed)

    html = client.get(PAGE).content.decode()

    assert html.count("Claim your payment and expenses") == 1
    assert claim_url(booking) in html and claim_url(claimed) not in html
    assert "Your claims" in html and claimed.claim.reference in html


def test_it_shows_the_form_with_the_levels_terms_and_the_benefits_advice(client, booking):
    response = client.get(claim_url(booking))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Claim your payment and expenses</h1>" in html
    assert "We pay an involvement payment of £20 an hour." in html
    assert "If you get benefits, an involvement payment may affect them." in html
    assert "You can claim up to 1 hour of preparation for a meeting." in html
    assert "I do not want the involvement payment" in html
    assert 'name="hours"' in html and 'name="preparation_hours"' in html
    assert 'name="expense-0-kind"' in html and 'enctype="multipart/form-data"' in html
    assert "no-cache" in response["Cache-Control"]


def test_it_asks_no_hours_where_the_level_pays_by_the_meeting(client, booking):
    level = booking.meeting.opportunity.payment_level
    level.rate_per_hour, level.rate_per_meeting = None, Decimal("30")
    level.save()

    html = client.get(claim_url(booking)).content.decode()

    assert 'name="hours"' not in html and 'name="preparation_hours"' not in html
    assert "£30 for each meeting" in html


def test_it_has_no_expenses_section_where_expenses_are_not_paid(client, booking):
    opportunity = booking.meeting.opportunity
    opportunity.expenses_paid = False
    opportunity.save()

    html = client.get(claim_url(booking)).content.decode()

    assert "Expenses are not paid for this role" in html
    assert 'name="expense-0-kind"' not in html


@pytest.mark.parametrize("who", ["signed_out", "someone_else"])
def test_it_is_not_found_for_anyone_but_the_person(client, booking, who):
    if who == "signed_out":
        client.session.flush()
        client.cookies.clear()
    else:
        other = AttendedBookingFactory(expression__email="other@example.com")
        sign_in(client, "other@example.com")
        assert client.get(claim_url(other)).status_code == 200

    assert client.get(claim_url(booking)).status_code == 404
    assert client.post(claim_url(booking), answers(hours="2")).status_code == 404
    assert not Claim.objects.exists()


# Making a claim --------------------------------------------------------------------------------


def test_a_claim_with_payment_mileage_and_a_receipted_expense(client, booking):
    response = client.post(claim_url(booking), answers(
        hours="2", preparation_hours="0.5", **{
            "expense_rows": "2",
            "expense-0-kind": "mileage", "expense-0-description": "Home to the hospital and back",
            "expense-0-miles": "12",
            "expense-1-kind": "parking", "expense-1-amount": "£3.50",
            "expense-1-receipt": pdf(),
        },
    ))

    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:claim_detail", args=[claim.pk])
    # 2 hours and half an hour's preparation at £20; 12 miles at 45p; parking £3.50.
    assert claim.payment == Decimal("50.00")
    assert claim.expenses_total == Decimal("8.90")
    assert claim.budget_code == "CC-1234"
    assert claim.declaration_name == "Siobhán O'Brien" and claim.declared_at
    assert claim.status == Claim.Status.SUBMITTED
    mileage, parking = claim.expenses.all()
    assert (mileage.kind, mileage.miles, mileage.amount) == ("mileage", Decimal("12.0"),
                                                             Decimal("5.40"))
    assert parking.amount == Decimal("3.50")
    receipt = parking.receipts.get()
    assert receipt.content_type == "application/pdf" and receipt.draft_key == ""
    assert receipt_storage.exists(receipt.file.name)
    assert "ticket" not in receipt.file.name  # nothing of the person's own file name
    assert list(claim.events.values_list("action", flat=True)) == [ClaimEvent.Action.SUBMITTED]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["siobhan@example.com"]

    page = client.get(response["Location"]).content.decode()
    assert "Claim sent" in page and claim.reference in page
    # The confirmation is shown once; the claim's page stays.
    assert "Claim sent" not in client.get(response["Location"]).content.decode()


def test_the_same_form_sent_twice_makes_one_claim(client, booking):
    data = answers(hours="2")

    first = client.post(claim_url(booking), data)
    second = client.post(claim_url(booking), data)

    assert Claim.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert len(mail.outbox) == 1


def test_a_meeting_already_claimed_for_cannot_be_claimed_again(client, booking):
    client.post(claim_url(booking), answers(hours="2"))

    response = client.post(claim_url(booking), answers(hours="1"))

    assert "You have already claimed for this meeting." in response.content.decode()
    assert Claim.objects.count() == 1
    assert client.get(claim_url(booking)).content.decode().count("already claimed") == 1


def test_a_meeting_not_recorded_as_attended_cannot_be_claimed_for(client, booking):
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CONFIRMED)

    get = client.get(claim_url(booking))
    post = client.post(claim_url(booking), answers(hours="2"))

    for response in (get, post):
        assert "You cannot claim for this meeting" in response.content.decode()
        assert "recorded you as attending" in response.content.decode()
    assert not Claim.objects.exists()


def test_hours_over_the_meeting_and_the_preparation_limit_are_refused(client, booking):
    response = client.post(claim_url(booking), answers(hours="3", preparation_hours="2"))

    html = response.content.decode()
    assert response.status_code == 400
    assert "<title>Error: " in html
    assert '<a href="#id_hours">The meeting lasted 2 hours: you cannot claim more.</a>' in html
    assert "You can claim up to 1 hour of preparation for a meeting." in html
    assert 'value="3"' in html  # answers kept
    assert not Claim.objects.exists()


def test_declining_the_payment_claims_expenses_only(client, booking):
    client.post(claim_url(booking), answers(**{
        "decline_payment": "on", "hours": "2",
        "expense-0-kind": "mileage", "expense-0-miles": "10",
    }))

    claim = Claim.objects.get()
    assert claim.payment_declined and claim.payment == Decimal("0.00")
    assert claim.hours is None
    assert claim.expenses_total == Decimal("4.50")


def test_declining_the_payment_with_no_expenses_is_nothing_to_claim(client, booking):
    response = client.post(claim_url(booking), answers(decline_payment="on"))

    assert response.status_code == 400
    assert "There is nothing to claim" in response.content.decode()
    assert not Claim.objects.exists()


def test_each_mistake_is_said_by_its_box_and_nothing_is_saved(client, booking):
    response = client.post(claim_url(booking), {
        "submission_key": str(uuid.uuid4()), "expense_rows": "1",
        "expense-0-kind": "taxi", "expense-0-amount": "twelve",
    })

    html = response.content.decode()
    assert response.status_code == 400
    for message in [
        "Enter how many hours you were at the meeting.",
        "Tick the box to confirm the declaration",
        "Enter your full name to sign the declaration",
        "Expense 1: Enter what you paid, in pounds and pence, for example 4.50",
    ]:
        assert message in html
    assert 'href="#id_expense-0-amount"' in html
    assert not Claim.objects.exists() and not Expense.objects.exists()


def test_a_taxi_needs_a_reason_and_a_receipt(client, booking):
    response = client.post(claim_url(booking), answers(hours="2", **{
        "expense-0-kind": "taxi", "expense-0-amount": "12",
    }))

    html = response.content.decode()
    assert "Expense 1: Say why you needed a taxi." in html
    assert "Expense 1: Add a photo or PDF of the receipt or ticket." in html


# Receipts ---------------------------------------------------------------------------------------


def test_a_good_receipt_is_kept_when_something_else_is_wrong_then_attached(client, booking):
    data = answers(**{"expense-0-kind": "parking", "expense-0-amount": "4",
                      "expense-0-receipt": pdf()})
    del data["declaration"]

    response = client.post(claim_url(booking), data)

    html = response.content.decode()
    receipt = Receipt.objects.get()
    assert response.status_code == 400 and not Claim.objects.exists()
    assert "Receipt kept: PDF" in html
    assert f'name="expense-0-kept" value="{receipt.pk}"' in html
    assert receipt.expense is None and receipt.draft_key

    # Sent again with the mistake put right: the kept receipt goes with the claim.
    client.post(claim_url(booking), answers(hours="2", **{
        "submission_key": data["submission_key"], "expense-0-kind": "parking",
        "expense-0-amount": "4", "expense-0-kept": str(receipt.pk),
    }))

    receipt.refresh_from_db()
    assert receipt.expense.claim == Claim.objects.get()


def test_a_receipt_kept_in_another_browser_cannot_be_named(client, booking, django_user_model):
    other = Receipt.objects.create(
        content_type="application/pdf", size=10, draft_key="someone-elses-key", file="x.pdf"
    )

    response = client.post(claim_url(booking), answers(hours="2", **{
        "expense-0-kind": "parking", "expense-0-amount": "4",
        "expense-0-kept": str(other.pk),
    }))

    assert "Add a photo or PDF of the receipt or ticket." in response.content.decode()
    other.refresh_from_db()
    assert other.expense is None


def test_add_another_expense_shows_one_more_row_with_everything_kept(client, booking):
    response = client.post(claim_url(booking), {
        "submission_key": str(uuid.uuid4()), "expense_rows": "1", "hours": "1.5",
        "expense-0-kind": "parking", "expense-0-amount": "4", "expense-0-receipt": photo(),
        "add_expense": "1",
    })

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="expense-1-kind"' in html and 'name="expense_rows" value="2"' in html
    assert 'value="1.5"' in html and 'value="4"' in html
    assert "Receipt kept: photo (JPG)" in html
    # Not finished yet, so no mistakes are pointed out.
    assert "There is a problem" not in html
    assert not Claim.objects.exists()


def test_remove_deletes_a_kept_receipt_and_its_file(client, booking):
    client.post(claim_url(booking), answers(**{
        "expense-0-kind": "parking", "expense-0-amount": "4", "expense-0-receipt": pdf(),
    }))
    receipt = Receipt.objects.get()
    name = receipt.file.name

    response = client.post(claim_url(booking), answers(**{
        "expense-0-kind": "parking", "expense-0-amount": "4",
        "expense-0-kept": str(receipt.pk), "remove_receipt": str(receipt.pk),
    }))

    assert "Receipt kept" not in response.content.decode()
    assert not Receipt.objects.exists()
    assert not receipt_storage.exists(name)


def test_a_receipt_over_the_size_limit_is_refused(client, booking, settings):
    settings.RECEIPT_MAX_MB = 1

    response = client.post(claim_url(booking), answers(hours="2", **{
        "expense-0-kind": "parking", "expense-0-amount": "4",
        "expense-0-receipt": pdf(size=1024 * 1024 + 1),
    }))

    assert "The file must be 1MB or smaller" in response.content.decode()
    assert not Receipt.objects.exists() and not Claim.objects.exists()


@pytest.mark.parametrize("upload", [
    # An HTML page named as a PDF and sent as one.
    SimpleUploadedFile("receipt.pdf", b"<html><script>alert(1)</script></html>",
                       content_type="application/pdf"),
    # A GIF (a real picture, of a kind not taken) named .jpg.
    SimpleUploadedFile("receipt.jpg", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
                       content_type="image/jpeg"),
    # A JPEG's first bytes, and nothing of a picture after them.
    SimpleUploadedFile("receipt.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00garbage",
                       content_type="image/jpeg"),
], ids=["html-named-pdf", "gif-named-jpg", "broken-jpeg"])
def test_a_file_that_is_not_a_photo_or_pdf_is_refused_whatever_its_name(client, booking, upload):
    response = client.post(claim_url(booking), answers(hours="2", **{
        "expense-0-kind": "parking", "expense-0-amount": "4", "expense-0-receipt": upload,
    }))

    html = response.content.decode()
    assert "Expense 1: The file must be a photo (JPG or PNG) or a PDF" in html
    assert not Receipt.objects.exists() and not Claim.objects.exists()


def test_a_phone_photo_is_kept_without_its_location(client, booking):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 23.0, 10.0), 3: "W", 4: (0.0, 30.0, 0.0)}  # GPS
    upload = photo(exif=exif)
    assert b"PhoneMaker" in upload.read()
    upload.seek(0)

    client.post(claim_url(booking), answers(hours="2", **{
        "expense-0-kind": "parking", "expense-0-amount": "4", "expense-0-receipt": upload,
    }))

    receipt = Receipt.objects.get()
    stored = receipt_storage.open(receipt.file.name).read()
    assert receipt.content_type == "image/jpeg" and receipt.expense is not None
    assert b"PhoneMaker" not in stored and b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (40, 30) and not image.getexif()


def test_a_png_is_taken(client, booking):
    client.post(claim_url(booking), answers(hours="2", **{
        "expense-0-kind": "parking", "expense-0-amount": "4",
        "expense-0-receipt": photo(name="r.png", kind="PNG"),
    }))

    assert Receipt.objects.get().content_type == "image/png"


def test_a_small_file_that_unpacks_into_a_huge_picture_is_refused(client, booking):
    out = io.BytesIO()
    Image.new("1", (10000, 7000)).save(out, "PNG")  # 70 million pixels in a few kilobytes
    assert len(out.getvalue()) < 100_000

    response = client.post(claim_url(booking), answers(hours="2", **{
        "expense-0-kind": "parking", "expense-0-amount": "4",
        "expense-0-receipt": SimpleUploadedFile("r.png", out.getvalue(), "image/png"),
    }))

    assert "The photo is too big to open" in response.content.decode()
    assert not Receipt.objects.exists()
