"""Claims in subject access, erasure and retention (applications/personal_data.py): the rows,
and the receipt files on disk."""

import datetime
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from applications.claims import receipt_storage
from applications.models import Claim, ClaimEvent, Expense, ExpressionOfInterest, Receipt
from applications.personal_data import Person, apply_retention, erase, subject_access_zip
from tests.factories import ClaimFactory

# Files are deleted once the deletion commits, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "siobhan@example.com"


def receipt_on(claim, content=b"%PDF-1.4 parking ticket", kind="parking"):
    expense = Expense.objects.create(
        claim=claim, kind=kind, amount=Decimal("4.00"), description="Hospital car park"
    )
    receipt = Receipt(expense=expense, content_type="application/pdf", size=len(content))
    receipt.file.save("r", ContentFile(content), save=False)
    receipt.save()
    return receipt


@pytest.fixture
def claim():
    claim = ClaimFactory(
        booking__expression__email=EMAIL, payment=Decimal("40.00"),
        expenses_total=Decimal("4.00"),
    )
    ClaimEvent.objects.create(claim=claim, action="query", message="Which car park?")
    return claim


def test_subject_access_holds_claims_expenses_history_and_the_receipts(claim):
    receipt = receipt_on(claim)
    ClaimFactory(booking__expression__email="other@example.com")

    content, record = subject_access_zip(Person(EMAIL), by=None)

    archive = zipfile.ZipFile(io.BytesIO(content))
    names = archive.namelist()
    for name in ("claims.csv", "expenses.csv", "claim_history.csv"):
        assert name in names
    claims_csv = archive.read("claims.csv").decode("utf-8-sig")
    assert claim.reference in claims_csv and "40.00" in claims_csv
    assert claims_csv.count("\n") == 2  # heading and their one claim
    assert "Hospital car park" in archive.read("expenses.csv").decode("utf-8-sig")
    assert "Which car park?" in archive.read("claim_history.csv").decode("utf-8-sig")
    receipt_name = f"receipts/{claim.reference}-receipt-{receipt.pk}.pdf"
    assert archive.read(receipt_name) == b"%PDF-1.4 parking ticket"
    assert receipt_name in archive.read("expenses.csv").decode("utf-8-sig")
    assert "receipts/" in archive.read("README.txt").decode()
    everything = json.loads(archive.read("everything.json"))
    assert everything["claims"][0]["reference"] == claim.reference
    assert record.details["counts"]["claims"] == 1


def test_erasure_deletes_claims_and_their_receipt_files(claim):
    receipt = receipt_on(claim)
    name = receipt.file.name
    kept = receipt_on(ClaimFactory(booking__expression__email="other@example.com"))
    assert receipt_storage.exists(name)

    record = erase(Person(EMAIL), by=None, reason="They asked us to")

    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert not Expense.objects.filter(claim_id=claim.pk).exists()
    assert not ClaimEvent.objects.filter(claim_id=claim.pk).exists()
    assert not Receipt.objects.filter(pk=receipt.pk).exists()
    assert not receipt_storage.exists(name)
    assert record.details["counts"]["claims"] == 1
    # Nobody else's.
    assert receipt_storage.exists(kept.file.name) and Receipt.objects.filter(pk=kept.pk).exists()


def test_retention_deletes_the_claims_of_a_lay_partner_who_left_long_ago(claim, settings):
    receipt = receipt_on(claim)
    name = receipt.file.name
    expression = claim.booking.expression
    expression.move_to(ExpressionOfInterest.Status.WITHDRAWN, by=None)
    left = timezone.now() - datetime.timedelta(days=366 * settings.RETENTION_LAY_PARTNER_YEARS)
    ExpressionOfInterest.objects.filter(pk=expression.pk).update(status_changed_at=left)

    counts = apply_retention()

    assert counts["lay_partners_left"] == 1
    assert not Claim.objects.exists() and not Receipt.objects.exists()
    assert not receipt_storage.exists(name)


def test_retention_keeps_the_claims_of_a_lay_partner_still_taking_part(claim):
    receipt = receipt_on(claim)

    apply_retention()

    assert Claim.objects.filter(pk=claim.pk).exists()
    assert receipt_storage.exists(receipt.file.name)


def test_retention_deletes_receipts_kept_from_a_claim_form_never_sent():
    def kept(uploaded_at):
        receipt = Receipt(content_type="application/pdf", size=5, draft_key="a-browser",
                          uploaded_at=uploaded_at)
        receipt.file.save("r", ContentFile(b"%PDF-"), save=False)
        receipt.save()
        return receipt

    now = timezone.now()
    old = kept(now - datetime.timedelta(hours=25))
    recent = kept(now - datetime.timedelta(hours=23))

    assert apply_retention(dry_run=True)["receipts_never_sent"] == 1
    counts = apply_retention()

    assert counts["receipts_never_sent"] == 1
    assert list(Receipt.objects.all()) == [recent]
    assert not receipt_storage.exists(old.file.name)
    assert receipt_storage.exists(recent.file.name)
