"""`manage.py send_meeting_reminders`: one reminder per booking however often it runs, only
for meetings in the window, and a word to staff about meetings nobody is booked on."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from applications.models import Booking
from tests.factories import ExpressionOfInterestFactory, MeetingFactory, OpportunityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

Status = Booking.Status


@pytest.fixture
def opportunity():
    return OpportunityFactory(title="Renal patient panel", contact_email="renal@example.nhs.uk")


def in_(hours, opportunity, **fields):
    start = timezone.now() + datetime.timedelta(hours=hours)
    return MeetingFactory(
        opportunity=opportunity, starts_at=start, ends_at=start + datetime.timedelta(hours=2),
        **fields,
    )


def book(meeting, status=Status.CONFIRMED):
    expression = ExpressionOfInterestFactory(opportunity=meeting.opportunity)
    return Booking.objects.create(meeting=meeting, expression=expression, status=status)


def run(django_capture_on_commit_callbacks, **options):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_meeting_reminders", stdout=out, **options)
    return out.getvalue()


def reminders(outbox):
    return [email for email in outbox if email.subject.startswith("Reminder: ")]


def staff_notices(outbox):
    return [email for email in outbox if "nobody booked" in email.subject]


def test_each_booking_is_reminded_once_however_often_it_runs(
    opportunity, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = in_(24, opportunity)
    confirmed = book(meeting, Status.CONFIRMED)
    invited = book(meeting, Status.INVITED)

    first = run(django_capture_on_commit_callbacks)
    run(django_capture_on_commit_callbacks)
    run(django_capture_on_commit_callbacks)

    assert "Sent 2 reminder(s)" in first
    assert sorted(email.to[0] for email in reminders(mailoutbox)) == sorted(
        [confirmed.expression.email, invited.expression.email]
    )
    for booking in (confirmed, invited):
        booking.refresh_from_db()
        assert booking.reminder_sent_at is not None


def test_a_reminder_already_claimed_is_not_sent_again(
    opportunity, mailoutbox, django_capture_on_commit_callbacks
):
    # Another run got there first (between this run's query and its update).
    booking = book(in_(24, opportunity))
    Booking.objects.filter(pk=booking.pk).update(reminder_sent_at=timezone.now())

    run(django_capture_on_commit_callbacks)

    assert reminders(mailoutbox) == []


def test_nobody_is_reminded_outside_the_window(
    opportunity, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.MEETING_REMINDER_DAYS = 2
    later = book(in_(24 * 3, opportunity))
    earlier = book(in_(-3, opportunity))  # started three hours ago

    run(django_capture_on_commit_callbacks)

    assert reminders(mailoutbox) == []
    for booking in (later, earlier):
        booking.refresh_from_db()
        assert booking.reminder_sent_at is None


def test_the_window_follows_the_days_option_then_the_setting(
    opportunity, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.MEETING_REMINDER_DAYS = 1
    booking = book(in_(24 * 3, opportunity))

    run(django_capture_on_commit_callbacks)
    assert reminders(mailoutbox) == []

    settings.MEETING_REMINDER_DAYS = 4
    run(django_capture_on_commit_callbacks, days=2)
    assert reminders(mailoutbox) == []

    run(django_capture_on_commit_callbacks)
    assert [email.to for email in reminders(mailoutbox)] == [[booking.expression.email]]


@pytest.mark.parametrize(
    "status", [Status.CANCELLED, Status.WAITLISTED, Status.ATTENDED, Status.DID_NOT_ATTEND]
)
def test_only_confirmed_and_invited_bookings_are_reminded(
    opportunity, mailoutbox, django_capture_on_commit_callbacks, status
):
    booking = book(in_(24, opportunity), status)

    run(django_capture_on_commit_callbacks)

    assert reminders(mailoutbox) == []
    booking.refresh_from_db()
    assert booking.reminder_sent_at is None


def test_example_meetings_are_left_alone(
    opportunity, mailoutbox, django_capture_on_commit_callbacks
):
    book(in_(24, opportunity, is_example=True))
    in_(24, opportunity, is_example=True)

    run(django_capture_on_commit_callbacks)

    assert mailoutbox == []


def test_staff_are_told_about_meetings_with_nobody_booked(
    opportunity, mailoutbox, django_capture_on_commit_callbacks
):
    empty = in_(30, opportunity, title="Empty briefing")
    only_cancelled = in_(20, opportunity, title="Everyone cancelled")
    book(only_cancelled, Status.CANCELLED)
    book(in_(10, opportunity, title="Well attended"))
    in_(24 * 5, opportunity, title="Far off")

    output = run(django_capture_on_commit_callbacks)

    [notice] = staff_notices(mailoutbox)
    assert notice.to == ["renal@example.nhs.uk"]
    assert notice.subject == "2 meetings soon have nobody booked"
    assert "Empty briefing: Renal patient panel" in notice.body
    assert "Everyone cancelled: Renal patient panel" in notice.body
    assert "Well attended" not in notice.body and "Far off" not in notice.body
    assert f"/admin/opportunities/meeting/{empty.pk}/change/" in notice.body
    assert "Told staff about 2 meeting(s)" in output


def test_each_contact_hears_only_about_their_own_meetings(
    mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.TRUST_INVOLVEMENT_EMAIL = "involvement@example.nhs.uk"
    in_(24, OpportunityFactory(contact_email="renal@example.nhs.uk"), title="Renal briefing")
    in_(24, OpportunityFactory(contact_email="", programme__contact_email=""),
        title="Team briefing")

    run(django_capture_on_commit_callbacks)

    by_address = {email.to[0]: email for email in staff_notices(mailoutbox)}
    assert set(by_address) == {"renal@example.nhs.uk", "involvement@example.nhs.uk"}
    assert "Renal briefing" in by_address["renal@example.nhs.uk"].subject
    assert "Team briefing" in by_address["involvement@example.nhs.uk"].subject


def test_a_dry_run_counts_and_changes_nothing(
    opportunity, mailoutbox, django_capture_on_commit_callbacks
):
    booking = book(in_(24, opportunity))
    in_(24, opportunity)

    output = run(django_capture_on_commit_callbacks, dry_run=True)

    assert "Dry run, nothing sent: 1 reminder(s)" in output
    assert "1 meeting(s) with nobody booked" in output
    assert mailoutbox == []
    booking.refresh_from_db()
    assert booking.reminder_sent_at is None


def test_days_must_be_positive():
    with pytest.raises(CommandError):
        call_command("send_meeting_reminders", days=0, stdout=io.StringIO())
