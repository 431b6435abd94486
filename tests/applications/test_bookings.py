"""A booking's moves: accept, cancel (with the waiting list), attended, did not attend, and the
moves refused with a message that says why."""

import datetime

import pytest
from django.utils import timezone

from applications.models import Booking, BookingError, ExpressionOfInterest
from opportunities.models import Meeting
from tests.factories import ExpressionOfInterestFactory, MeetingFactory

pytestmark = pytest.mark.django_db

Status = Booking.Status
Stage = ExpressionOfInterest.Status


def booking(status=Status.INVITED, *, meeting=None, stage=Stage.CONTACTED, **meeting_fields):
    meeting = meeting or MeetingFactory(**meeting_fields)
    expression = ExpressionOfInterestFactory(opportunity=meeting.opportunity, status=stage)
    return Booking.objects.create(meeting=meeting, expression=expression, status=status)


# Booking -------------------------------------------------------------------------------------


def test_book_gives_a_place_while_there_is_one_then_the_waiting_list():
    meeting = MeetingFactory(capacity=1)
    first, second = ExpressionOfInterestFactory.create_batch(2, opportunity=meeting.opportunity)

    one = Booking.book(meeting, first, status=Status.INVITED)
    two = Booking.book(meeting, second, status=Status.INVITED)

    assert (one.status, two.status) == (Status.INVITED, Status.WAITLISTED)
    assert meeting.places_left() == 0


def test_booking_the_same_person_twice_returns_their_booking():
    meeting = MeetingFactory()
    expression = ExpressionOfInterestFactory(opportunity=meeting.opportunity)

    first = Booking.book(meeting, expression, status=Status.INVITED)
    again = Booking.book(meeting, expression, status=Status.INVITED)

    assert again.pk == first.pk
    assert Booking.objects.count() == 1


def test_a_cancelled_booking_is_reused_when_they_are_invited_again():
    cancelled = booking(Status.CANCELLED)

    again = Booking.book(cancelled.meeting, cancelled.expression, status=Status.INVITED)

    assert again.pk == cancelled.pk
    assert again.status == Status.INVITED


# Accept --------------------------------------------------------------------------------------


def test_an_invitation_is_accepted():
    invited = booking(Status.INVITED)

    invited.accept()

    invited.refresh_from_db()
    assert invited.status == Status.CONFIRMED


@pytest.mark.parametrize(
    "status, word",
    [
        (Status.CONFIRMED, "confirmed"),
        (Status.CANCELLED, "cancelled"),
        (Status.WAITLISTED, "on the waiting list"),
        (Status.ATTENDED, "attended"),
    ],
)
def test_only_an_invitation_can_be_accepted(status, word):
    other = booking(status)

    with pytest.raises(BookingError) as refused:
        other.accept()

    assert refused.value.messages == [
        f"This invitation cannot be accepted: the booking is {word}."
    ]
    other.refresh_from_db()
    assert other.status == status


# Cancel --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.INVITED, Status.CONFIRMED, Status.WAITLISTED])
def test_a_booking_can_be_cancelled(status):
    held = booking(status)

    assert held.cancel() is None

    held.refresh_from_db()
    assert held.status == Status.CANCELLED


def test_cancelling_gives_the_place_to_the_first_person_waiting():
    meeting = MeetingFactory(capacity=1)
    held = booking(Status.CONFIRMED, meeting=meeting)
    first = booking(Status.WAITLISTED, meeting=meeting)
    second = booking(Status.WAITLISTED, meeting=meeting)
    # The first to join the waiting list is first in line, whatever their id.
    Booking.objects.filter(pk=second.pk).update(
        created_at=timezone.now() + datetime.timedelta(minutes=1)
    )

    promoted = held.cancel()

    assert promoted.pk == first.pk
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.CONFIRMED, Status.WAITLISTED)


def test_cancelling_a_place_on_the_waiting_list_promotes_nobody():
    meeting = MeetingFactory(capacity=1)
    booking(Status.CONFIRMED, meeting=meeting)
    waiting = booking(Status.WAITLISTED, meeting=meeting)
    other = booking(Status.WAITLISTED, meeting=meeting)

    assert waiting.cancel() is None

    other.refresh_from_db()
    assert other.status == Status.WAITLISTED


@pytest.mark.parametrize(
    "status, word",
    [(Status.CANCELLED, "cancelled"), (Status.ATTENDED, "attended"),
     (Status.DID_NOT_ATTEND, "did not attend")],
)
def test_a_finished_booking_cannot_be_cancelled(status, word):
    done = booking(status)

    with pytest.raises(BookingError) as refused:
        done.cancel()

    assert refused.value.messages == [f"This booking cannot be cancelled: it is {word}."]


# Attendance ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, before, after",
    [
        (Meeting.Kind.BRIEFING, Stage.CONTACTED, Stage.BRIEFING),
        (Meeting.Kind.TASTER, Stage.BRIEFING, Stage.TASTER),
    ],
)
def test_attending_a_briefing_or_taster_moves_the_expression_on(kind, before, after, admin_user):
    held = booking(Status.CONFIRMED, kind=kind, stage=before, title="")

    held.mark_attended(by=admin_user)

    held.refresh_from_db()
    expression = held.expression
    expression.refresh_from_db()
    assert held.status == Status.ATTENDED
    assert expression.status == after
    change = expression.changes.get()
    assert (change.from_status, change.to_status, change.by) == (before, after, admin_user)
    assert change.reason.startswith(f"Attended {Meeting.Kind(kind).label}")


def test_attending_an_ordinary_meeting_does_not_move_the_expression(admin_user):
    held = booking(Status.CONFIRMED, kind=Meeting.Kind.MEETING, stage=Stage.CONTACTED)

    held.mark_attended(by=admin_user)

    held.expression.refresh_from_db()
    assert held.expression.status == Stage.CONTACTED
    assert not held.expression.changes.exists()


def test_attending_a_briefing_does_not_move_an_expression_already_further_on(admin_user):
    held = booking(Status.CONFIRMED, kind=Meeting.Kind.BRIEFING, stage=Stage.TASTER)

    held.mark_attended(by=admin_user)

    held.expression.refresh_from_db()
    assert held.expression.status == Stage.TASTER


def test_did_not_attend_is_recorded_and_can_be_corrected(admin_user):
    held = booking(Status.CONFIRMED, kind=Meeting.Kind.BRIEFING, stage=Stage.CONTACTED)

    held.mark_did_not_attend(by=admin_user)
    held.refresh_from_db()
    assert held.status == Status.DID_NOT_ATTEND
    held.expression.refresh_from_db()
    assert held.expression.status == Stage.CONTACTED

    held.mark_attended(by=admin_user)  # they were there after all
    held.refresh_from_db()
    assert held.status == Status.ATTENDED


@pytest.mark.parametrize(
    "status, word", [(Status.CANCELLED, "cancelled"), (Status.WAITLISTED, "on the waiting list")]
)
def test_attendance_cannot_be_recorded_without_a_place(status, word, admin_user):
    other = booking(status)

    with pytest.raises(BookingError) as attended:
        other.mark_attended(by=admin_user)
    with pytest.raises(BookingError) as missed:
        other.mark_did_not_attend(by=admin_user)

    assert attended.value.messages == [f"Attendance cannot be recorded: the booking is {word}."]
    assert missed.value.messages == [f"Non-attendance cannot be recorded: the booking is {word}."]
    other.refresh_from_db()
    assert other.status == status
