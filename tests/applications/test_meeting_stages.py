"""“Briefing meeting” and “Taster meeting” say the person has been to one: moving to either needs
a booking for a meeting of that kind, or a reason."""

import pytest
from django.urls import reverse

from applications.models import Booking, ExpressionOfInterest, InvalidMove
from opportunities.models import Meeting
from tests.factories import ExpressionOfInterestFactory, MeetingFactory

pytestmark = pytest.mark.django_db

Status = ExpressionOfInterest.Status


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("amina", is_staff=True)


def booked(expression, kind, status):
    Booking.objects.create(
        expression=expression, status=status,
        meeting=MeetingFactory(opportunity=expression.opportunity, kind=kind),
    )


@pytest.mark.parametrize(
    ("start", "stage", "message"),
    [
        (Status.CONTACTED, Status.BRIEFING,
         "To move to “Briefing meeting”, they need a booking for a briefing meeting: invite "
         "them to one, or give a reason (for example, “Had their briefing meeting by phone”)."),
        (Status.BRIEFING, Status.TASTER,
         "To move to “Taster meeting”, they need a booking for a taster meeting: invite them "
         "to one, or give a reason (for example, “Had their taster meeting by phone”)."),
    ],
)
def test_it_refuses_a_stage_with_no_meeting_and_no_reason(staff, start, stage, message):
    expression = ExpressionOfInterestFactory(status=start)

    with pytest.raises(InvalidMove) as refusal:
        expression.move_to(stage, by=staff)

    assert refusal.value.messages == [message]
    expression.refresh_from_db()
    assert expression.status == start
    assert not expression.changes.exists()


def test_a_reason_is_enough(staff):
    expression = ExpressionOfInterestFactory(status=Status.CONTACTED)

    expression.move_to(Status.BRIEFING, by=staff, reason="Briefed by phone on Tuesday.")

    expression.refresh_from_db()
    assert expression.status == Status.BRIEFING
    assert expression.changes.get().reason == "Briefed by phone on Tuesday."


@pytest.mark.parametrize(
    "booking_status",
    [Booking.Status.INVITED, Booking.Status.CONFIRMED, Booking.Status.ATTENDED],
)
def test_a_booking_for_a_meeting_of_that_kind_is_enough(staff, booking_status):
    expression = ExpressionOfInterestFactory(status=Status.BRIEFING)
    booked(expression, Meeting.Kind.TASTER, booking_status)

    expression.move_to(Status.TASTER, by=staff)

    expression.refresh_from_db()
    assert expression.status == Status.TASTER


@pytest.mark.parametrize(
    ("kind", "booking_status"),
    [
        (Meeting.Kind.TASTER, Booking.Status.CONFIRMED),  # the wrong kind of meeting
        (Meeting.Kind.BRIEFING, Booking.Status.CANCELLED),
        (Meeting.Kind.BRIEFING, Booking.Status.DID_NOT_ATTEND),
        (Meeting.Kind.BRIEFING, Booking.Status.WAITLISTED),
    ],
)
def test_other_bookings_are_not_enough(staff, kind, booking_status):
    expression = ExpressionOfInterestFactory(status=Status.CONTACTED)
    booked(expression, kind, booking_status)

    with pytest.raises(InvalidMove):
        expression.move_to(Status.BRIEFING, by=staff)


def test_other_moves_need_no_meeting(staff):
    expression = ExpressionOfInterestFactory(status=Status.TASTER)

    expression.move_to(Status.JOINED, by=staff)

    assert expression.status == Status.JOINED


def test_the_change_page_says_why_and_keeps_the_status(staff_client):
    expression = ExpressionOfInterestFactory(status=Status.CONTACTED)
    move = reverse("admin:applications_expressionofinterest_move", args=[expression.pk])

    response = staff_client.post(move, {"status": "briefing"}, follow=True)

    assert "they need a booking for a briefing meeting" in response.content.decode()
    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED

    staff_client.post(move, {"status": "briefing", "reason": "Briefed at the group."})
    expression.refresh_from_db()
    assert expression.status == Status.BRIEFING
