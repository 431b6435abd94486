"""One claim per meeting when the form is sent many times at once (a double click, two tabs):
`make_claim` locks the booking's row (PostgreSQL only, as tests/applications/
test_booking_concurrency.py explains)."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection

from applications.claims import ClaimError, make_claim
from applications.models import Claim, ClaimEvent
from tests.applications.test_booking_concurrency import run_at_once
from tests.factories import AttendedBookingFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL's row locks (SELECT ... FOR UPDATE).",
    ),
    pytest.mark.django_db(transaction=True),
]

TIMES = 8


def attempt(booking, key):
    return lambda: make_claim(
        booking, submission_key=key, draft_key="", payment=Decimal("20.00"),
        declaration_name="Siobhán O'Brien", expenses=[],
    )


def test_the_same_form_sent_at_once_makes_one_claim():
    booking = AttendedBookingFactory()
    key = uuid.uuid4()

    results, errors = run_at_once([attempt(booking, key) for _ in range(TIMES)])

    assert errors == [None] * TIMES
    claim = Claim.objects.get()
    assert {made_claim.pk for made_claim, _ in results} == {claim.pk}
    assert sorted(made for _, made in results) == [False] * (TIMES - 1) + [True]
    assert ClaimEvent.objects.filter(claim=claim).count() == 1


def test_two_tabs_at_once_make_one_claim_and_the_rest_are_told_why():
    booking = AttendedBookingFactory()

    results, errors = run_at_once([attempt(booking, uuid.uuid4()) for _ in range(TIMES)])

    assert Claim.objects.count() == 1
    assert sum(result is not None for result in results) == 1
    refused = [error for error in errors if error is not None]
    assert len(refused) == TIMES - 1
    assert all(isinstance(error, ClaimError) for error in refused)
    assert all("already claimed" in error.messages[0] for error in refused)
