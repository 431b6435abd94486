"""Registrations for an event are not triage: the changelist leaves them out unless asked, they
are never overdue, they close after the event (attended or did not attend, from the booking),
and retention then reaches them like everything else."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from applications.models import Booking, ExpressionOfInterest
from applications.personal_data import apply_retention
from opportunities.models import Meeting, Opportunity
from tests.factories import ExpressionOfInterestFactory, MeetingFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

Status = ExpressionOfInterest.Status
CHANGELIST = "admin:applications_expressionofinterest_changelist"


@pytest.fixture
def staff_user(staff_client, django_user_model):
    return django_user_model.objects.get(username="staff")


def long_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


def event(*, ended_days_ago=None, **fields):
    opportunity = OpportunityFactory(kind=Opportunity.Kind.EVENT, title="Open day")
    if ended_days_ago is None:
        starts = timezone.now() + datetime.timedelta(days=7)
    else:
        starts = long_ago(ended_days_ago) - datetime.timedelta(hours=2)
    return MeetingFactory(
        opportunity=opportunity, kind=Meeting.Kind.EVENT, public_registration=True,
        starts_at=starts, ends_at=starts + datetime.timedelta(hours=2), **fields,
    )


def registration(meeting, booking_status=Booking.Status.CONFIRMED, **fields):
    expression = ExpressionOfInterestFactory(
        opportunity=meeting.opportunity, meeting=meeting, **fields
    )
    if booking_status is not None:
        Booking.objects.create(meeting=meeting, expression=expression, status=booking_status)
    return expression


def listed(response):
    return {expression.reference for expression in response.context["cl"].result_list}


# The changelist --------------------------------------------------------------------------------


def test_the_changelist_leaves_event_registrations_out_by_default(staff_client):
    interest = ExpressionOfInterestFactory()
    signed_up = registration(event())

    response = staff_client.get(reverse(CHANGELIST))

    assert listed(response) == {interest.reference}
    assert signed_up.reference not in response.content.decode()


def test_the_kind_filter_shows_registrations_or_everything(staff_client):
    interest = ExpressionOfInterestFactory()
    signed_up = registration(event())

    registrations = staff_client.get(reverse(CHANGELIST), {"kind": "event_registrations"})
    everything = staff_client.get(reverse(CHANGELIST), {"kind": "all"})

    assert listed(registrations) == {signed_up.reference}
    assert listed(everything) == {interest.reference, signed_up.reference}


def test_the_kind_filter_names_its_three_choices_with_the_default_selected(staff_client):
    response = staff_client.get(reverse(CHANGELIST))

    html = " ".join(response.content.decode().split())
    assert '<details data-filter-title="kind" open>' in html
    assert '<li class="selected"> <a href="?">Expressions of interest</a></li>' in html
    assert '<li> <a href="?kind=event_registrations">Event registrations</a></li>' in html
    assert '<li> <a href="?kind=all">All</a></li>' in html


def test_a_registration_is_never_overdue_however_long_ago_it_came(staff_client):
    registration(event(), submitted_at=long_ago(60), full_name="Ada Lovelace")

    response = staff_client.get(reverse(CHANGELIST), {"kind": "all"})
    overdue = staff_client.get(reverse(CHANGELIST), {"kind": "all", "waiting": "overdue"})

    assert "Ada Lovelace" in response.content.decode()
    assert "(overdue)" not in response.content.decode()
    assert listed(overdue) == set()


def test_an_expression_of_interest_as_old_is_still_overdue(staff_client):
    late = ExpressionOfInterestFactory(submitted_at=long_ago(60))

    response = staff_client.get(reverse(CHANGELIST), {"waiting": "overdue"})

    assert listed(response) == {late.reference}
    assert "(overdue)" in response.content.decode()


def test_the_overdue_count_leaves_registrations_out():
    registration(event(), submitted_at=long_ago(60))
    late = ExpressionOfInterestFactory(submitted_at=long_ago(60))

    overdue = ExpressionOfInterest.objects.overdue(timezone.localdate())

    assert list(overdue) == [late]


def test_a_person_with_a_confirmed_place_is_not_shown_as_waiting_on_their_page(staff_client):
    signed_up = registration(event(), submitted_at=long_ago(20))

    response = staff_client.get(
        reverse("admin:applications_expressionofinterest_change", args=[signed_up.pk])
    )

    html = response.content.decode()
    assert "Not needed: they registered for this event themselves" in html
    assert "(overdue)" not in html
    assert "working day" not in html


@pytest.mark.parametrize("rows", [1, 60])
def test_the_changelist_with_registrations_runs_a_fixed_number_of_queries(
    staff_client, django_assert_max_num_queries, rows
):
    meeting = event()
    for n in range(rows):
        if n % 2:
            registration(meeting)
        else:
            ExpressionOfInterestFactory(opportunity=meeting.opportunity)

    for kind in (None, "event_registrations", "all"):
        with django_assert_max_num_queries(8):
            response = staff_client.get(reverse(CHANGELIST), {"kind": kind} if kind else {})
        assert response.status_code == 200


# Closing after the event -----------------------------------------------------------------------


def close(*args):
    out = io.StringIO()
    call_command("close_event_registrations", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("booking_status", "status", "why"),
    [
        (Booking.Status.ATTENDED, Status.ATTENDED, "they attended"),
        (Booking.Status.DID_NOT_ATTEND, Status.DID_NOT_ATTEND, "they did not attend"),
        (Booking.Status.CONFIRMED, Status.DID_NOT_ATTEND, "no attendance was recorded"),
        (Booking.Status.CANCELLED, Status.DID_NOT_ATTEND, "their place was cancelled"),
        (Booking.Status.WAITLISTED, Status.DID_NOT_ATTEND, "they were still on the waiting list"),
    ],
)
def test_a_registration_closes_after_the_event_from_its_booking(booking_status, status, why):
    signed_up = registration(event(ended_days_ago=8), booking_status)

    output = close()

    signed_up.refresh_from_db()
    assert signed_up.status == status
    change = signed_up.changes.get()
    assert (change.from_status, change.to_status, change.by) == (Status.NEW, status, None)
    assert change.reason == f"The event is over: {why}."
    assert "Closed 1 registration(s) for events that are over" in output


def test_it_waits_the_grace_days_for_staff_to_record_who_came(settings):
    settings.EVENT_REGISTRATION_CLOSE_DAYS = 7
    recent = registration(event(ended_days_ago=6))
    due = registration(event(ended_days_ago=8))
    coming = registration(event())

    close()

    for expression in (recent, due, coming):
        expression.refresh_from_db()
    assert (recent.status, due.status, coming.status) == (
        Status.NEW, Status.DID_NOT_ATTEND, Status.NEW
    )


def test_closing_is_idempotent_and_leaves_ended_ones_and_triage_alone():
    meeting = event(ended_days_ago=10)
    attended = registration(meeting, Booking.Status.ATTENDED)
    withdrawn = registration(meeting, status=Status.WITHDRAWN)
    interest = ExpressionOfInterestFactory(
        opportunity=meeting.opportunity, submitted_at=long_ago(30)
    )

    first = close()
    second = close()

    for expression in (attended, withdrawn, interest):
        expression.refresh_from_db()
    assert (attended.status, withdrawn.status, interest.status) == (
        Status.ATTENDED, Status.WITHDRAWN, Status.NEW
    )
    assert attended.changes.count() == 1
    assert "1 attended, 0 did not attend" in first
    assert "Closed 0 registration(s)" in second


def test_a_dry_run_counts_and_changes_nothing():
    signed_up = registration(event(ended_days_ago=10))

    output = close("--dry-run")

    signed_up.refresh_from_db()
    assert signed_up.status == Status.NEW
    assert "1 registration(s)" in output


def test_a_closed_registration_cannot_be_moved_through_the_pipeline(staff_client):
    signed_up = registration(event(ended_days_ago=10), Booking.Status.ATTENDED)
    close()
    signed_up.refresh_from_db()

    assert signed_up.allowed_moves() == []
    response = staff_client.get(
        reverse("admin:applications_expressionofinterest_change", args=[signed_up.pk])
    )
    assert "Attended the event" in response.content.decode()


def test_attendance_recorded_after_closing_corrects_the_outcome(staff_client, staff_user):
    signed_up = registration(event(ended_days_ago=10))
    close()
    booking = signed_up.bookings.get()

    response = staff_client.post(
        reverse(
            "admin:applications_expressionofinterest_booking", args=[signed_up.pk, booking.pk]
        ),
        {"outcome": "attended"},
    )

    assert response.status_code == 302
    signed_up.refresh_from_db()
    assert signed_up.status == Status.ATTENDED
    last = signed_up.changes.last()
    assert (last.from_status, last.to_status, last.by) == (
        Status.DID_NOT_ATTEND, Status.ATTENDED, staff_user
    )


def test_retention_reaches_a_closed_registration_12_months_after_the_event(settings):
    settings.RETENTION_ENDED_MONTHS = 12
    signed_up = registration(event(ended_days_ago=400))
    close()

    too_soon = apply_retention()
    a_year_on = apply_retention(now=timezone.now() + datetime.timedelta(days=366))

    signed_up.refresh_from_db()
    assert too_soon["ended"] == 0
    assert a_year_on["ended"] == 1
    assert signed_up.anonymised_at is not None
    assert signed_up.full_name == "" and signed_up.email == ""


def test_an_open_registration_is_kept_until_it_is_closed():
    signed_up = registration(event(ended_days_ago=400), submitted_at=long_ago(800))

    apply_retention(now=timezone.now() + datetime.timedelta(days=366))

    signed_up.refresh_from_db()
    assert signed_up.anonymised_at is None


def test_the_timer_runs_the_command_daily_before_retention():
    from pathlib import Path

    systemd = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
    service = (systemd / "involvement-event-registrations.service").read_text()
    timer = (systemd / "involvement-event-registrations.timer").read_text()

    assert "manage.py close_event_registrations" in service
    assert "OnCalendar=*-*-* 02:00:00 Europe/London" in timer
    assert "Persistent=true" in timer
