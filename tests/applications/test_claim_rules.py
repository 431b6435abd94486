"""The rules of a claim (applications/claims.py), one by one, on the models themselves."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from applications.claims import (
    ClaimError,
    ClaimExport,
    Expense,
    check_can_claim,
    meeting_hours,
    payment_for,
    tax_year,
)
from applications.models import Booking, Claim, ClaimEvent
from tests.factories import AttendedBookingFactory, ClaimFactory, PaymentLevelFactory

pytestmark = pytest.mark.django_db


def test_only_a_meeting_recorded_as_attended_can_be_claimed_for():
    booking = AttendedBookingFactory(status=Booking.Status.CONFIRMED)
    with pytest.raises(ClaimError, match="recorded you as attending"):
        check_can_claim(booking)
    booking.status = Booking.Status.ATTENDED
    check_can_claim(booking)  # no error


def test_a_meeting_can_be_claimed_for_once():
    claim = ClaimFactory()
    with pytest.raises(ClaimError, match="already claimed"):
        check_can_claim(claim.booking)


def test_meeting_hours_round_up_to_the_quarter_hour():
    booking = AttendedBookingFactory()
    meeting = booking.meeting
    meeting.ends_at = meeting.starts_at + datetime.timedelta(hours=1, minutes=50)
    assert meeting_hours(meeting) == Decimal("2.00")
    meeting.ends_at = meeting.starts_at + datetime.timedelta(hours=1, minutes=30)
    assert meeting_hours(meeting) == Decimal("1.50")


def test_payment_per_meeting_and_per_hour_with_preparation():
    level = PaymentLevelFactory(
        rate_per_meeting=Decimal("25"), rate_per_hour=Decimal("12.50"),
        preparation_paid=True, preparation_hours_limit=Decimal("1"),
    )
    meeting = AttendedBookingFactory(meeting__opportunity__payment_level=level).meeting
    meeting.opportunity.payment_level = level
    # 25 + 2 hours at 12.50 + 1 hour's preparation at 12.50
    assert payment_for(meeting, hours=Decimal("2"), preparation_hours=Decimal("1")) == Decimal(
        "62.50"
    )


def test_hours_over_the_meeting_or_the_preparation_limit_are_refused():
    level = PaymentLevelFactory(
        rate_per_hour=Decimal("20"), preparation_paid=True, preparation_hours_limit=Decimal("1")
    )
    meeting = AttendedBookingFactory().meeting  # two hours long
    meeting.opportunity.payment_level = level
    with pytest.raises(ClaimError) as caught:
        payment_for(meeting, hours=Decimal("2.25"), preparation_hours=Decimal("1.5"))
    assert caught.value.message_dict == {
        "hours": ["The meeting lasted 2 hours: you cannot claim more."],
        "preparation_hours": ["You can claim up to 1 hour of preparation for a meeting."],
    }


def test_preparation_is_refused_where_the_level_does_not_pay_it():
    level = PaymentLevelFactory(rate_per_hour=Decimal("20"), preparation_paid=False)
    meeting = AttendedBookingFactory().meeting
    meeting.opportunity.payment_level = level
    with pytest.raises(ClaimError, match="Preparation time is not paid"):
        payment_for(meeting, hours=Decimal("1"), preparation_hours=Decimal("1"))


def test_a_declined_payment_or_no_level_pays_nothing():
    level = PaymentLevelFactory(rate_per_meeting=Decimal("25"))
    meeting = AttendedBookingFactory().meeting
    assert payment_for(meeting) == Decimal("0.00")
    meeting.opportunity.payment_level = level
    assert payment_for(meeting, declined=True) == Decimal("0.00")
    assert payment_for(meeting) == Decimal("25.00")


def test_mileage_is_worked_out_from_the_miles_at_the_set_rate(settings):
    settings.EXPENSES_MILEAGE_RATE = Decimal("0.45")
    # Whatever amount is typed, mileage is the miles at the rate.
    assert Expense.amount_for(Expense.Kind.MILEAGE, miles=Decimal("12.5"), amount=99) == Decimal(
        "5.63"
    )
    with pytest.raises(ClaimError, match="how many miles"):
        Expense.amount_for(Expense.Kind.MILEAGE)


def test_a_taxi_needs_a_reason_and_a_receipt():
    with pytest.raises(ClaimError) as caught:
        Expense.amount_for(Expense.Kind.TAXI, amount=Decimal("18"))
    assert set(caught.value.message_dict) == {"reason", "receipts"}
    assert Expense.amount_for(
        Expense.Kind.TAXI, amount=Decimal("18"), reason="I cannot walk to the bus stop.",
        receipts=1,
    ) == Decimal("18.00")


@pytest.mark.parametrize("amount", [None, Decimal("0"), Decimal("-3")])
def test_an_expense_needs_an_amount_above_nothing(amount):
    with pytest.raises(ClaimError, match="Enter what you paid"):
        Expense.amount_for(Expense.Kind.PARKING, amount=amount, receipts=1)


def test_staff_steps_follow_the_table_and_are_recorded(django_user_model):
    staff = django_user_model.objects.create_user("lead", is_staff=True)
    claim = ClaimFactory()
    with pytest.raises(ClaimError, match="Say what you need to know"):
        claim.step("query", by=staff, message=" ")
    claim.step("query", by=staff, message="Which car park did you use?")
    with pytest.raises(ClaimError, match="cannot be queried: it is queried"):
        claim.step("query", by=staff, message="Again?")
    claim.step("answer", message="The multi-storey.")
    claim.step("approve", by=staff)
    with pytest.raises(ClaimError, match="cannot be rejected: it is approved"):
        claim.step("reject", by=staff, message="No.")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    assert [(e.action, e.by, e.message) for e in claim.events.all()] == [
        ("submitted", None, ""),
        ("query", staff, "Which car park did you use?"),
        ("answer", None, "The multi-storey."),
        ("approve", staff, ""),
    ]


def test_an_export_takes_approved_claims_once(django_user_model):
    staff = django_user_model.objects.create_user("finance", is_staff=True)
    approved, waiting = ClaimFactory(status=Claim.Status.APPROVED), ClaimFactory()
    export = ClaimExport.make(by=staff)
    assert list(export.claims.all()) == [approved]
    approved.refresh_from_db()
    assert approved.status == Claim.Status.EXPORTED
    assert approved.events.filter(action=ClaimEvent.Action.EXPORTED, by=staff).exists()
    # Nothing approved since: no second file, and the waiting claim is untouched.
    assert ClaimExport.make(by=staff) is None
    waiting.refresh_from_db()
    assert waiting.status == Claim.Status.SUBMITTED and waiting.export is None


@pytest.mark.parametrize(
    "day, year",
    [
        (datetime.date(2026, 4, 5), (datetime.date(2025, 4, 6), datetime.date(2026, 4, 5))),
        (datetime.date(2026, 4, 6), (datetime.date(2026, 4, 6), datetime.date(2027, 4, 5))),
        (datetime.date(2027, 1, 1), (datetime.date(2026, 4, 6), datetime.date(2027, 4, 5))),
    ],
)
def test_the_tax_year_runs_from_6_april(day, year):
    assert tax_year(day) == year


def test_the_factory_claim_is_for_an_attended_meeting_in_the_past():
    claim = ClaimFactory()
    assert claim.booking.status == Booking.Status.ATTENDED
    assert claim.meeting.ends_at < timezone.now()
    assert claim.meeting.opportunity == claim.person.opportunity
