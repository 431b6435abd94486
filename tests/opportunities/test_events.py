"""/events/: the upcoming events anyone can register for, and their dates on other pages."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applications.models import Booking
from opportunities.models import Meeting, Opportunity
from tests.factories import ExpressionOfInterestFactory, MeetingFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
EVENTS = reverse("opportunities:events")


def public_event(**fields):
    fields.setdefault("opportunity", OpportunityFactory(kind=Opportunity.Kind.EVENT))
    return MeetingFactory(kind=Meeting.Kind.EVENT, public_registration=True, **fields)


def book(meeting, count, status=Booking.Status.CONFIRMED):
    for _ in range(count):
        Booking.objects.create(
            meeting=meeting,
            expression=ExpressionOfInterestFactory(opportunity=meeting.opportunity),
            status=status,
        )


def test_it_lists_upcoming_public_events_only(client):
    sprint = OpportunityFactory(title="iQI Sprint events", kind=Opportunity.Kind.EVENT)
    public_event(opportunity=sprint, title="Spring iQI Sprint")
    public_event(
        opportunity=sprint, title="Last year's sprint",
        starts_at=timezone.now() - datetime.timedelta(days=300),
    )
    MeetingFactory(opportunity=sprint, kind=Meeting.Kind.BRIEFING, title="Staff-only briefing")
    public_event(
        opportunity=OpportunityFactory(status=Opportunity.Status.DRAFT), title="Draft event"
    )
    public_event(
        opportunity=OpportunityFactory(status=Opportunity.Status.CLOSED), title="Closed event"
    )

    response = client.get(EVENTS)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Events</h1>" in html
    assert "Spring iQI Sprint" in html
    assert f'href="/opportunities/{sprint.slug}/"' in html
    for hidden in ("Last year", "Staff-only briefing", "Draft event", "Closed event"):
        assert hidden not in html


def test_events_are_in_date_order_with_london_times_on_both_sides_of_the_clocks_changing(client):
    # 10:00 UTC in March is 10am GMT; 09:00 UTC in June is 10am BST.
    public_event(
        title="Summer sprint",
        starts_at=datetime.datetime(2037, 6, 9, 9, 0, tzinfo=UTC),
        ends_at=datetime.datetime(2037, 6, 9, 11, 30, tzinfo=UTC),
    )
    public_event(
        title="Spring sprint",
        starts_at=datetime.datetime(2037, 3, 10, 10, 0, tzinfo=UTC),
        ends_at=datetime.datetime(2037, 3, 10, 13, 0, tzinfo=UTC),
    )

    html = client.get(EVENTS).content.decode()

    assert "Tuesday 10 March 2037, 10am to 1pm" in html
    assert "Tuesday 9 June 2037, 10am to 12:30pm" in html
    assert html.index("Spring sprint") < html.index("Summer sprint")


def test_it_says_where_but_never_the_joining_details(client):
    public_event(title="Online sprint", is_online=True, location="",
                 joining_details="https://meet.example/room-4417?pwd=secret")
    public_event(title="Sprint at the hospital", location="Education centre, St Mary's Hospital")

    html = client.get(EVENTS).content.decode()

    assert "Online" in html
    assert "Education centre, St Mary&#x27;s Hospital" in html
    assert "room-4417" not in html
    assert "secret" not in html


def test_it_says_how_many_places_are_left(client):
    twelve_left = public_event(title="Twelve left", capacity=15)
    book(twelve_left, 3)
    # Cancelled and waiting bookings do not take places; an invitation does.
    book(twelve_left, 2, Booking.Status.CANCELLED)
    one_left = public_event(title="One left", capacity=2)
    book(one_left, 1, Booking.Status.INVITED)
    full = public_event(title="Full up", capacity=2)
    book(full, 2)
    book(full, 1, Booking.Status.WAITLISTED)
    public_event(title="No limit", capacity=None)

    html = client.get(EVENTS).content.decode()

    cards = {
        title: html[html.index(title):][:2500]
        for title in ("Twelve left", "One left", "Full up", "No limit")
    }
    assert "12 places left" in cards["Twelve left"]
    assert "1 place left" in cards["One left"]
    assert "Full – join the waiting list" in cards["Full up"]
    assert "Join the waiting list" in cards["Full up"]
    assert "No limit on places" in cards["No limit"]


def test_each_event_has_register_and_add_to_calendar_links(client):
    event = public_event(title="Spring sprint")

    html = client.get(EVENTS).content.decode()

    register = reverse("applications:register_for_event", args=[event.pk])
    calendar = reverse("opportunities:event_calendar", args=[event.pk])
    assert f'href="{register}"' in html
    assert f'href="{calendar}"' in html
    assert "Add to calendar" in html
    assert re.search(r">Register<span class=\"nhsuk-u-visually-hidden\"> for Spring sprint", html)
    # And a feed to subscribe to.
    assert reverse("opportunities:events_feed") in html


def test_an_empty_list_helps(client):
    html = client.get(EVENTS).content.decode()

    assert "There are no events with dates at the moment" in html
    assert "?kind=event" in html
    assert "mailto:" in html


def test_example_events_say_so(client):
    public_event(title="Example: iQI Sprint", is_example=True)

    html = client.get(EVENTS).content.decode()

    assert "Example date for demonstration" in html


@pytest.mark.parametrize("count", [1, 30])
def test_query_count_does_not_grow_with_events(client, django_assert_max_num_queries, count):
    for _ in range(count):
        event = public_event(capacity=10)
        book(event, 2)

    with django_assert_max_num_queries(2):
        response = client.get(EVENTS)

    assert response.status_code == 200
    assert response.content.decode().count("8 places left") == count


def test_events_is_in_the_menu_and_the_sitemap(client):
    html = client.get(reverse("opportunities:home")).content.decode()
    sitemap = client.get(reverse("sitemap")).content.decode()

    assert f'href="{EVENTS}">Events</a>' in html
    assert f"{EVENTS}</loc>" in sitemap


def test_home_lists_the_next_events_and_links_to_them(client):
    event = public_event(
        title="Spring sprint",
        starts_at=datetime.datetime(2037, 3, 10, 10, 0, tzinfo=UTC),
        ends_at=datetime.datetime(2037, 3, 10, 13, 0, tzinfo=UTC),
    )

    html = client.get(reverse("opportunities:home")).content.decode()

    assert "Tuesday 10 March 2037, 10am to 1pm" in html
    assert f'href="{EVENTS}#event-{event.pk}"' in html
    assert f'id="event-{event.pk}"' in client.get(EVENTS).content.decode()


class TestOpportunityPage:
    def test_public_events_get_register_and_calendar_links(self, client):
        event = public_event(title="Spring sprint", capacity=30)
        briefing = MeetingFactory(opportunity=event.opportunity, kind=Meeting.Kind.BRIEFING)

        html = client.get(event.opportunity.get_absolute_url()).content.decode()

        assert "Upcoming dates" in html
        assert reverse("applications:register_for_event", args=[event.pk]) in html
        assert reverse("opportunities:event_calendar", args=[event.pk]) in html
        assert "30 places left" in html
        assert "Briefing meeting" in html
        # A briefing is by invitation: no registration, and its calendar comes by email.
        assert reverse("applications:register_for_event", args=[briefing.pk]) not in html
        assert reverse("opportunities:event_calendar", args=[briefing.pk]) not in html

    def test_example_dates_say_so(self, client):
        meeting = MeetingFactory(kind=Meeting.Kind.TASTER, is_example=True)

        html = client.get(meeting.opportunity.get_absolute_url()).content.decode()

        assert "Example date for demonstration" in html


def public_urls(client):
    sitemap = client.get(reverse("sitemap")).content.decode()
    return re.findall(r"<loc>https?://[^/]+(/[^<]*)</loc>", sitemap)


def test_online_joining_details_are_on_no_public_page(client):
    secret = "joining-details-7f3a9c"
    event = public_event(
        title="Online sprint", is_online=True, location="", capacity=5,
        joining_details=f"https://meet.example/{secret}",
    )
    briefing = MeetingFactory(
        opportunity=event.opportunity, kind=Meeting.Kind.BRIEFING, is_online=True,
        location="", joining_details=f"Call {secret}",
    )
    full = public_event(opportunity=event.opportunity, is_online=True, location="", capacity=0,
                        joining_details=secret)
    urls = public_urls(client) + [
        EVENTS,
        reverse("opportunities:events_feed"),
        reverse("applications:register_for_event", args=[event.pk]),
        reverse("applications:register_for_event", args=[full.pk]),
        reverse("opportunities:event_calendar", args=[event.pk]),
        reverse("opportunities:event_calendar", args=[full.pk]),
    ]
    assert EVENTS in public_urls(client)
    assert event.opportunity.get_absolute_url() in urls

    for url in urls:
        response = Client().get(url)
        assert response.status_code == 200, url
        assert secret not in response.content.decode(), url
    # The briefing's own calendar file is not public at all.
    assert client.get(
        reverse("opportunities:event_calendar", args=[briefing.pk])
    ).status_code == 404
