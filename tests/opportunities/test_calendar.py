"""Calendar files: one per public event, and a feed of upcoming public events to subscribe to."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from opportunities.models import Meeting, Opportunity
from tests.factories import MeetingFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
LONDON = ZoneInfo("Europe/London")
SECRET = "https://meet.example/j/8812?pwd=never-public"


@pytest.fixture
def sprint():
    return OpportunityFactory(
        title="iQI Sprint events", slug="iqi-sprint-events", kind=Opportunity.Kind.EVENT,
        summary="Staff and patients work together on new ideas.",
    )


def public_event(opportunity, **fields):
    return MeetingFactory(
        opportunity=opportunity, kind=Meeting.Kind.EVENT, public_registration=True, **fields
    )


def events_in(response):
    calendar = Calendar.from_ical(response.content)
    return [component for component in calendar.walk("VEVENT")]


def ics_url(meeting):
    return reverse("opportunities:event_calendar", args=[meeting.pk])


def test_a_public_event_has_a_calendar_file(client, sprint, settings):
    settings.SITE_URL = "https://involvement.example.nhs.uk"
    event = public_event(
        sprint, title="Spring iQI Sprint", location="Education centre, St Mary's Hospital",
        starts_at=datetime.datetime(2027, 3, 9, 10, 0, tzinfo=UTC),
        ends_at=datetime.datetime(2027, 3, 9, 13, 0, tzinfo=UTC),
    )

    response = client.get(ics_url(event))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="iqi-sprint-events-2027-03-09.ics"'
    )
    [vevent] = events_in(response)
    assert str(vevent["UID"]) == f"meeting-{event.pk}@involvement.example.nhs.uk"
    assert str(vevent["SUMMARY"]) == "Spring iQI Sprint: iQI Sprint events"
    assert str(vevent["LOCATION"]) == "Education centre, St Mary's Hospital"
    assert str(vevent["URL"]) == "https://involvement.example.nhs.uk/opportunities/iqi-sprint-events/"
    assert "Staff and patients work together on new ideas." in str(vevent["DESCRIPTION"])
    assert "/opportunities/iqi-sprint-events/" in str(vevent["DESCRIPTION"])


@pytest.mark.parametrize(
    ("utc_start", "day"),
    [
        # 25 March 2027 is before the clocks go forward (GMT: London = UTC)...
        (datetime.datetime(2027, 3, 25, 10, 0, tzinfo=UTC), datetime.date(2027, 3, 25)),
        # ...and 1 April 2027 after (BST: London = UTC + 1).
        (datetime.datetime(2027, 4, 1, 9, 0, tzinfo=UTC), datetime.date(2027, 4, 1)),
    ],
)
def test_times_are_10am_london_time_either_side_of_the_clock_change(
    client, sprint, utc_start, day
):
    event = public_event(
        sprint, starts_at=utc_start, ends_at=utc_start + datetime.timedelta(hours=3)
    )

    response = client.get(ics_url(event))

    raw = response.content.decode()
    assert "DTSTART;TZID=Europe/London:" + day.strftime("%Y%m%d") + "T100000" in raw
    assert "DTEND;TZID=Europe/London:" + day.strftime("%Y%m%d") + "T130000" in raw
    assert "BEGIN:VTIMEZONE" in raw
    [vevent] = events_in(response)
    start = vevent.decoded("DTSTART")
    end = vevent.decoded("DTEND")
    assert str(vevent["DTSTART"].params["TZID"]) == "Europe/London"
    assert start.astimezone(LONDON).replace(tzinfo=None) == datetime.datetime.combine(
        day, datetime.time(10)
    )
    assert end.astimezone(LONDON).hour == 13
    # The same moment as stored.
    assert start == utc_start


def test_online_events_say_online_and_never_give_the_joining_details(client, sprint):
    event = public_event(sprint, is_online=True, location="", joining_details=SECRET)

    response = client.get(ics_url(event))

    assert SECRET not in response.content.decode()
    assert "never-public" not in response.content.decode()
    [vevent] = events_in(response)
    assert str(vevent["LOCATION"]) == "Online"


@pytest.mark.parametrize(
    "meeting_fields",
    [
        {"public_registration": False, "kind": Meeting.Kind.BRIEFING},
        {"public_registration": False, "kind": Meeting.Kind.TASTER},
        {"public_registration": False, "kind": Meeting.Kind.EVENT},
    ],
)
def test_meetings_that_are_not_public_have_no_public_calendar_file(
    client, sprint, meeting_fields
):
    meeting = MeetingFactory(opportunity=sprint, **meeting_fields)

    assert client.get(ics_url(meeting)).status_code == 404


@pytest.mark.parametrize("status", [Opportunity.Status.DRAFT, Opportunity.Status.CLOSED])
def test_events_of_an_opportunity_the_public_cannot_join_have_none(client, status):
    event = public_event(OpportunityFactory(status=status))

    assert client.get(ics_url(event)).status_code == 404


def test_no_such_meeting_is_a_404(client):
    assert client.get(reverse("opportunities:event_calendar", args=[999999])).status_code == 404


def test_the_feed_has_every_upcoming_public_event_and_nothing_else(client, sprint):
    soon = timezone.now() + datetime.timedelta(days=10)
    first = public_event(sprint, title="First", starts_at=soon, is_online=True, location="",
                         joining_details=SECRET)
    second = public_event(sprint, title="Second", starts_at=soon + datetime.timedelta(days=30))
    public_event(sprint, title="Past", starts_at=timezone.now() - datetime.timedelta(days=3))
    MeetingFactory(opportunity=sprint, kind=Meeting.Kind.BRIEFING, title="Private briefing")
    public_event(OpportunityFactory(status=Opportunity.Status.DRAFT), title="Draft")

    response = client.get(reverse("opportunities:events_feed"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert "events" in str(calendar["X-WR-CALNAME"])
    vevents = events_in(response)
    assert [str(v["UID"]).split("@")[0] for v in vevents] == [
        f"meeting-{first.pk}", f"meeting-{second.pk}"
    ]
    assert all(str(v["DTSTART"].params["TZID"]) == "Europe/London" for v in vevents)
    assert SECRET not in response.content.decode()
    assert "never-public" not in response.content.decode()


def test_the_feed_is_valid_when_empty(client):
    response = client.get(reverse("opportunities:events_feed"))

    assert response.status_code == 200
    assert events_in(response) == []


def test_calendar_files_only_answer_get(client, sprint):
    event = public_event(sprint)

    assert client.post(ics_url(event)).status_code == 405
    assert client.post(reverse("opportunities:events_feed")).status_code == 405
