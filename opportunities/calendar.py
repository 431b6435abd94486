"""Calendar files (.ics) for meetings: one per meeting, and a feed of public events.

Times are stored in UTC and written with the Europe/London time zone, so a calendar shows the
right local time on both sides of the clock changes.
"""

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from involvement.formats import UK_TIME


def _calendar(name):
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.TRUST_NAME}//Involvement portal//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/London")
    return calendar


def meeting_event(meeting, *, joining_details=False):
    """One VEVENT. Online joining details go only into a booked person's invitation."""
    event = Event()
    event.add("uid", f"meeting-{meeting.pk}@{settings.SITE_URL.split('://')[-1]}")
    event.add("dtstamp", timezone.now())
    # A later SEQUENCE tells a calendar that already holds this meeting to take the new time
    # or place from a file sent after a change (RFC 5545, 3.8.7.4).
    # Seconds from its creation to its last change: grows with every change.
    if meeting.updated_at and meeting.created_at:
        changed = meeting.updated_at - meeting.created_at
        event.add("sequence", max(0, int(changed.total_seconds())))
    event.add("dtstart", meeting.starts_at.astimezone(UK_TIME))
    event.add("dtend", meeting.ends_at.astimezone(UK_TIME))
    event.add("summary", f"{meeting.display_title}: {meeting.opportunity.title}")
    event.add("location", meeting.place)
    url = settings.SITE_URL + meeting.opportunity.get_absolute_url()
    event.add("url", url)
    description = [meeting.opportunity.summary, "", f"More about it: {url}"]
    if joining_details and meeting.is_online and meeting.joining_details:
        description += ["", "How to join:", meeting.joining_details]
    event.add("description", "\n".join(description))
    return event


def meeting_ics(meeting, *, joining_details=False):
    calendar = _calendar(meeting.display_title)
    calendar.add_component(meeting_event(meeting, joining_details=joining_details))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def events_feed(meetings, name):
    calendar = _calendar(name)
    for meeting in meetings:
        calendar.add_component(meeting_event(meeting))
    calendar.add_missing_timezones()
    return calendar.to_ical()
