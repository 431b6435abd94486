"""The emails a booked person gets: invitation, registered, waiting list, place come up and
reminder. What they say, in UK time on both sides of the clock change; joining details only
for online meetings and only here; and a calendar file that calendars read correctly."""

import datetime
import re

import pytest
from django.db import transaction
from django.urls import reverse
from icalendar import Calendar

from applications.emails import booking_email
from applications.models import Booking, ExpressionOfInterest
from applications.tasks import queue_booking_email, send_booking_email
from opportunities.calendar import meeting_ics
from opportunities.models import Meeting
from tests.factories import ExpressionOfInterestFactory, MeetingFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

Status = Booking.Status
SITE = "https://involve.example.nhs.uk"
KINDS = ["invitation", "registered", "waitlisted", "promoted", "reminder"]

# 2027: the clocks go forward on Sunday 28 March and back on Sunday 31 October.
WINTER_START = datetime.datetime(2027, 3, 9, 10, 0, tzinfo=datetime.UTC)  # 10am GMT
SUMMER_START = datetime.datetime(2027, 4, 6, 9, 0, tzinfo=datetime.UTC)  # 10am BST


@pytest.fixture(autouse=True)
def _trust(settings, immediate_tasks):
    settings.TRUST_NAME = "Anytown Hospitals NHS Foundation Trust"


@pytest.fixture
def opportunity():
    return OpportunityFactory(
        title="Renal patient panel",
        summary="Help shape kidney care.",
        contact_name="Priya Shah",
        contact_email="renal.panel@example.nhs.uk",
    )


def meeting(opportunity, *, kind=Meeting.Kind.BRIEFING, start=WINTER_START, hours=3, **fields):
    return MeetingFactory(
        opportunity=opportunity,
        kind=kind,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=hours),
        **fields,
    )


def booking(meeting, status=Status.INVITED, **fields):
    expression = ExpressionOfInterestFactory(
        opportunity=meeting.opportunity, status=ExpressionOfInterest.Status.CONTACTED, **fields
    )
    return Booking.objects.create(meeting=meeting, expression=expression, status=status)


def html_of(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def flat(text):
    return re.sub(r"\s+", " ", text)


def links(text, action):
    """The bookings the absolute `action` links in the text are for. (A token carries the
    second it was made, so links are compared by what they open, not letter by letter.)"""
    prefix = re.escape(SITE + reverse("applications:booking_respond", args=["TOKEN", action]))
    pattern = prefix.replace("TOKEN", r"([^/\s\"]+)")
    return [Booking.from_token(token, action) for token in re.findall(pattern, text)]


def has_link(text, held, action):
    found = links(text, action)
    return bool(found) and all(booking == held for booking in found)


def calendar_of(message):
    [(filename, content, mimetype)] = message.attachments
    return filename, Calendar.from_ical(content), mimetype


# When ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, expected",
    [
        (WINTER_START, "Tuesday 9 March 2027, 10am to 1pm"),
        (SUMMER_START, "Tuesday 6 April 2027, 10am to 1pm"),
        # The last Saturday of summer time, and the first Monday after it.
        (datetime.datetime(2027, 10, 30, 13, 30, tzinfo=datetime.UTC),
         "Saturday 30 October 2027, 2:30pm to 5:30pm"),
        (datetime.datetime(2027, 11, 1, 12, 0, tzinfo=datetime.UTC),
         "Monday 1 November 2027, midday to 3pm"),
    ],
)
def test_the_time_is_written_in_uk_time_either_side_of_the_clock_change(
    opportunity, mailoutbox, start, expected
):
    held = booking(meeting(opportunity, start=start))

    send_booking_email.call(held.pk, "invitation")

    [email] = mailoutbox
    assert f"{expected} (UK time)" in email.body
    assert expected in flat(html_of(email))


def test_a_meeting_past_midnight_names_both_days(opportunity):
    late = meeting(opportunity, start=datetime.datetime(2027, 6, 1, 20, 0, tzinfo=datetime.UTC))

    assert late.when == "Tuesday 1 June 2027, 9pm to Wednesday 2 June 2027, midnight"


# The invitation ------------------------------------------------------------------------------


def test_the_invitation_says_what_when_where_and_what_to_expect(opportunity, mailoutbox):
    held = booking(meeting(opportunity, location="Room 4, Renal unit, St Mary's Hospital"))

    send_booking_email.call(held.pk, "invitation")

    [email] = mailoutbox
    assert email.to == [held.expression.email]
    assert email.reply_to == ["renal.panel@example.nhs.uk"]
    assert email.subject == (
        "Invitation: Briefing meeting, Renal patient panel, Tuesday 9 March 2027"
    )
    body = email.body
    assert "Briefing meeting: Renal patient panel" in body
    assert "Room 4, Renal unit, St Mary's Hospital" in body
    assert "We explain the project and the group" in body
    assert "the words it uses" in body
    assert "Priya Shah" in body
    assert held.expression.reference in body


def test_the_invitation_has_absolute_accept_and_decline_links(opportunity, mailoutbox):
    held = booking(meeting(opportunity))

    send_booking_email.call(held.pk, "invitation")

    [email] = mailoutbox
    for action in ("accept", "decline"):
        assert has_link(email.body, held, action)
        assert has_link(html_of(email), held, action)
    assert "I can't come, or it's not for me" in email.body


def test_the_links_in_the_email_open_the_booking(client, opportunity, mailoutbox):
    held = booking(meeting(opportunity))
    send_booking_email.call(held.pk, "invitation")
    [url] = re.findall(rf"{re.escape(SITE)}(/bookings/[^\s]+/accept/)", mailoutbox[0].body)

    client.post(url)

    held.refresh_from_db()
    assert held.status == Status.CONFIRMED


def test_a_taster_says_there_is_no_obligation(opportunity, mailoutbox):
    held = booking(meeting(opportunity, kind=Meeting.Kind.TASTER))

    send_booking_email.call(held.pk, "invitation")

    body = mailoutbox[0].body
    assert "You sit in on a real meeting of the group" in body
    assert "There is no obligation to join" in body


def test_an_event_says_what_the_event_is(opportunity, mailoutbox):
    held = booking(meeting(opportunity, kind=Meeting.Kind.EVENT, title="Open afternoon"))

    send_booking_email.call(held.pk, "registered")

    body = mailoutbox[0].body
    assert "Open afternoon: Renal patient panel" in body
    assert "An event for Renal patient panel. Help shape kidney care." in body


# Every kind ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_email_has_a_cant_come_link(opportunity, mailoutbox, kind):
    status = Status.WAITLISTED if kind == "waitlisted" else Status.CONFIRMED
    held = booking(meeting(opportunity), status)

    send_booking_email.call(held.pk, kind)

    [email] = mailoutbox
    assert has_link(email.body, held, "decline")
    assert has_link(html_of(email), held, "decline")


@pytest.mark.parametrize(
    "kind, subject",
    [
        ("registered", "You are booked: "),
        ("waitlisted", "You are on the waiting list: "),
        ("promoted", "A place has come up for you: "),
        ("reminder", "Reminder: "),
    ],
)
def test_each_kind_says_what_it_is(opportunity, mailoutbox, kind, subject):
    status = Status.WAITLISTED if kind == "waitlisted" else Status.CONFIRMED
    held = booking(meeting(opportunity), status)

    send_booking_email.call(held.pk, kind)

    assert mailoutbox[0].subject.startswith(subject)


def test_a_reminder_of_an_unanswered_invitation_still_offers_accept(opportunity, mailoutbox):
    invited = booking(meeting(opportunity), Status.INVITED)
    confirmed = booking(invited.meeting, Status.CONFIRMED)

    send_booking_email.call(invited.pk, "reminder")
    send_booking_email.call(confirmed.pk, "reminder")

    by_person = {email.to[0]: email.body for email in mailoutbox}
    assert has_link(by_person[invited.expression.email], invited, "accept")
    assert "/accept/" not in by_person[confirmed.expression.email]


# Joining details -----------------------------------------------------------------------------

JOINING = "Microsoft Teams: https://teams.example/meet/renal-42 Passcode: K1dney"


@pytest.mark.parametrize("kind", ["invitation", "registered", "promoted", "reminder"])
def test_people_with_a_place_at_an_online_meeting_get_the_joining_details(
    opportunity, mailoutbox, kind
):
    held = booking(meeting(opportunity, is_online=True, location="", joining_details=JOINING))

    send_booking_email.call(held.pk, kind)

    [email] = mailoutbox
    assert JOINING in email.body
    assert JOINING in html_of(email)
    _, calendar, _ = calendar_of(email)
    [event] = calendar.walk("VEVENT")
    assert JOINING in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "Online"


def test_someone_waiting_does_not_get_the_joining_details_or_a_calendar_file(
    opportunity, mailoutbox
):
    held = booking(
        meeting(opportunity, is_online=True, location="", joining_details=JOINING),
        Status.WAITLISTED,
    )

    send_booking_email.call(held.pk, "waitlisted")

    [email] = mailoutbox
    assert "renal-42" not in email.body
    assert "renal-42" not in html_of(email)
    assert email.attachments == []


def test_a_meeting_in_person_never_sends_joining_details(opportunity, mailoutbox):
    # Left over from when it was to be online: the meeting is now in a room.
    held = booking(meeting(opportunity, is_online=False, location="Room 4",
                           joining_details=JOINING))

    send_booking_email.call(held.pk, "invitation")

    [email] = mailoutbox
    assert "renal-42" not in email.body
    assert "renal-42" not in html_of(email)
    _, calendar, _ = calendar_of(email)
    assert "renal-42" not in calendar.to_ical().decode()


def test_joining_details_stay_out_of_public_calendar_files_and_pages(client, opportunity):
    online = meeting(opportunity, is_online=True, location="", joining_details=JOINING,
                     start=datetime.datetime(2030, 3, 5, 10, 0, tzinfo=datetime.UTC))

    assert b"renal-42" not in meeting_ics(online)
    assert "renal-42" not in client.get(opportunity.get_absolute_url()).content.decode()


# The calendar file ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, local_hour", [(WINTER_START, 10), (SUMMER_START, 10)]
)
def test_the_calendar_file_has_the_start_in_london_time(
    opportunity, mailoutbox, start, local_hour
):
    held = booking(meeting(opportunity, start=start))

    send_booking_email.call(held.pk, "invitation")

    filename, calendar, mimetype = calendar_of(mailoutbox[0])
    assert filename == "briefing-meeting.ics"
    assert mimetype == "text/calendar"
    [event] = calendar.walk("VEVENT")
    dtstart = event["DTSTART"]
    assert dtstart.params["TZID"] == "Europe/London"
    assert dtstart.dt.hour == local_hour
    assert dtstart.dt == start
    assert event["DTEND"].dt == start + datetime.timedelta(hours=3)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert str(event["SUMMARY"]) == "Briefing meeting: Renal patient panel"


def test_the_calendar_file_is_named_after_the_meeting(opportunity):
    held = booking(meeting(opportunity, kind=Meeting.Kind.TASTER, title="Taster: March panel"))

    [(filename, _, _)] = booking_email(held, "invitation").attachments

    assert filename == "taster-march-panel.ics"


# Privacy, escaping, queueing -----------------------------------------------------------------


def test_no_email_repeats_what_the_person_told_us(opportunity, mailoutbox):
    held = booking(
        meeting(opportunity),
        access_needs=["bsl"],
        access_needs_other="I use a wheelchair",
        why_interested="My mother had dialysis",
        not_progressed_reason="",
    )

    for kind in KINDS:
        send_booking_email.call(held.pk, kind)

    for email in mailoutbox:
        for text in (email.body, html_of(email)):
            assert "wheelchair" not in text
            assert "dialysis" not in text
            assert "Sign Language" not in text


def test_html_escapes_what_staff_type(mailoutbox):
    opportunity = OpportunityFactory(title="<b>Bold</b> panel")
    held = booking(meeting(opportunity, location="<script>x</script>"))

    send_booking_email.call(held.pk, "invitation")

    html = html_of(mailoutbox[0])
    assert "<b>Bold</b>" not in html
    assert "<script>" not in html
    assert "<b>Bold</b> panel" in mailoutbox[0].body  # plain text is not escaped


def test_the_email_is_queued_only_when_the_transaction_commits(
    opportunity, mailoutbox, django_capture_on_commit_callbacks
):
    held = booking(meeting(opportunity))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            queue_booking_email(held, "invitation")
            assert mailoutbox == []

    assert len(callbacks) == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_when_the_transaction_rolls_back(opportunity, mailoutbox):
    held = booking(meeting(opportunity))

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            queue_booking_email(held, "invitation")
            raise RuntimeError

    assert mailoutbox == []


def test_an_unknown_kind_or_unsaved_booking_is_refused(opportunity):
    held = booking(meeting(opportunity))

    with pytest.raises(ValueError):
        queue_booking_email(held, "party")
    with pytest.raises(ValueError):
        queue_booking_email(Booking(meeting=held.meeting), "invitation")


def test_a_booking_cancelled_or_deleted_before_the_task_runs_is_not_emailed(
    opportunity, mailoutbox
):
    cancelled = booking(meeting(opportunity), Status.CANCELLED)
    gone = booking(cancelled.meeting)
    gone_pk = gone.pk
    gone.delete()

    assert send_booking_email.call(cancelled.pk, "reminder") == 0
    assert send_booking_email.call(gone_pk, "invitation") == 0
    assert mailoutbox == []
