"""Capacity holds when many people book at the same moment (PostgreSQL's row locks).

`Booking.book` locks the meeting's row while it counts places, so simultaneous bookings queue
behind one another. SQLite has no row locks and serialises writes anyway, so these tests run
on PostgreSQL only: CI uses PostgreSQL, and so can a laptop, with
DATABASE_URL=postgres://... pytest tests/applications/test_booking_concurrency.py
"""

import threading

import pytest
from django.db import connection

from applications.models import Booking, BookingError
from opportunities.models import Meeting
from tests.factories import ExpressionOfInterestFactory, MeetingFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL's row locks (SELECT ... FOR UPDATE); SQLite serialises "
        "writes, so it cannot show a race. Set DATABASE_URL to a PostgreSQL database.",
    ),
    pytest.mark.django_db(transaction=True),
]

CAPACITY = 3
PEOPLE = 20


def run_at_once(functions):
    """Run each function in its own thread, all released at the same moment by a barrier.

    Returns (results, errors), each a list in the order the functions were given. Every
    thread closes its own database connection when it is done.
    """
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)
    errors = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait(timeout=30)
            results[index] = function()
        except Exception as error:  # noqa: BLE001 - collected for the test to check
            errors[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, function))
        for index, function in enumerate(functions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a booking thread hung"
    return results, errors


@pytest.fixture
def meeting():
    return MeetingFactory(kind=Meeting.Kind.EVENT, public_registration=True, capacity=CAPACITY)


@pytest.fixture
def expressions(meeting):
    return [
        ExpressionOfInterestFactory(opportunity=meeting.opportunity, meeting=meeting)
        for _ in range(PEOPLE)
    ]


def statuses(meeting):
    return dict(Booking.objects.filter(meeting=meeting).values_list("pk", "status"))


def count(meeting, status):
    return Booking.objects.filter(meeting=meeting, status=status).count()


def test_twenty_people_booking_three_places_at_once_never_overbook(meeting, expressions):
    bookings, errors = run_at_once(
        [lambda expression=expression: Booking.book(meeting, expression)
         for expression in expressions]
    )

    assert errors == [None] * PEOPLE
    assert count(meeting, Booking.Status.CONFIRMED) == CAPACITY
    assert count(meeting, Booking.Status.WAITLISTED) == PEOPLE - CAPACITY
    assert Booking.objects.filter(meeting=meeting).count() == PEOPLE
    assert meeting.places_taken() == CAPACITY
    assert meeting.places_left() == 0
    # What each thread was told matches what was saved.
    saved = statuses(meeting)
    assert {booking.pk: booking.status for booking in bookings} == saved


def test_a_cancellation_promotes_exactly_the_first_person_waiting_once(meeting, expressions):
    run_at_once(
        [lambda expression=expression: Booking.book(meeting, expression)
         for expression in expressions]
    )
    first_waiting = Booking.objects.filter(meeting=meeting).waiting().first()
    second_waiting = Booking.objects.filter(meeting=meeting).waiting()[1]
    leaving = Booking.objects.filter(meeting=meeting, status=Booking.Status.CONFIRMED).first()

    promoted = leaving.cancel()

    assert promoted.pk == first_waiting.pk
    first_waiting.refresh_from_db()
    assert first_waiting.status == Booking.Status.CONFIRMED
    assert count(meeting, Booking.Status.CONFIRMED) == CAPACITY
    assert count(meeting, Booking.Status.WAITLISTED) == PEOPLE - CAPACITY - 1
    assert count(meeting, Booking.Status.CANCELLED) == 1
    assert Booking.objects.filter(meeting=meeting).waiting().first().pk == second_waiting.pk

    # Cancelling the same booking again is refused and changes nothing.
    before = statuses(meeting)
    with pytest.raises(BookingError):
        Booking.objects.get(pk=leaving.pk).cancel()
    assert statuses(meeting) == before


def test_the_same_cancellation_sent_twice_at_once_promotes_one_person(meeting, expressions):
    run_at_once(
        [lambda expression=expression: Booking.book(meeting, expression)
         for expression in expressions]
    )
    leaving = Booking.objects.filter(meeting=meeting, status=Booking.Status.CONFIRMED).first()
    first_waiting = Booking.objects.filter(meeting=meeting).waiting().first()

    # Two tabs, or a double click: each has its own copy of the booking.
    results, errors = run_at_once(
        [lambda: Booking.objects.get(pk=leaving.pk).cancel() for _ in range(2)]
    )

    assert sorted(type(error).__name__ for error in errors if error) == ["BookingError"]
    [promoted] = [result for result in results if result is not None]
    assert promoted.pk == first_waiting.pk
    assert count(meeting, Booking.Status.CONFIRMED) == CAPACITY
    assert count(meeting, Booking.Status.WAITLISTED) == PEOPLE - CAPACITY - 1
    assert count(meeting, Booking.Status.CANCELLED) == 1


def test_cancellations_and_new_bookings_at_once_keep_to_capacity(meeting, expressions):
    early, late = expressions[:10], expressions[10:]
    run_at_once(
        [lambda expression=expression: Booking.book(meeting, expression) for expression in early]
    )
    confirmed = list(Booking.objects.filter(meeting=meeting, status=Booking.Status.CONFIRMED))

    results, errors = run_at_once(
        [lambda booking=booking: Booking.objects.get(pk=booking.pk).cancel()
         for booking in confirmed]
        + [lambda expression=expression: Booking.book(meeting, expression)
           for expression in late]
    )

    assert errors == [None] * len(errors)
    assert count(meeting, Booking.Status.CONFIRMED) == CAPACITY
    assert count(meeting, Booking.Status.CANCELLED) == len(confirmed)
    assert count(meeting, Booking.Status.WAITLISTED) == PEOPLE - CAPACITY - len(confirmed)
