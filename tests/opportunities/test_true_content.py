"""Only what the trust has said: unknowns read "to be confirmed" or are left out; the site, day,
time and length when given; and when the page was last reviewed."""

import datetime
import html as html_module
import re

import pytest
from django.urls import reverse

from opportunities.models import Meeting, Opportunity
from tests.factories import MeetingFactory, OpportunityFactory, SiteFactory

pytestmark = pytest.mark.django_db


def row(html, key):
    """The value of one summary list row, as text."""
    match = re.search(
        rf'<dt class="nhsuk-summary-list__key">{key}</dt>\s*'
        r'<dd class="nhsuk-summary-list__value">(.*?)</dd>',
        html, flags=re.S,
    )
    assert match, f"no {key!r} row"
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def page(client, opportunity):
    return client.get(opportunity.get_absolute_url()).content.decode()


def test_unknowns_read_to_be_confirmed(client):
    opportunity = OpportunityFactory(
        kind=Opportunity.Kind.LAY_PARTNER, on_site=True, audience="",
        lay_partners_in_post=None,
    )

    html = page(client, opportunity)

    assert row(html, "Where") == "In person: place to be confirmed"
    assert row(html, "Day") == "To be confirmed"
    assert row(html, "Time") == "To be confirmed"
    assert row(html, "How long") == "To be confirmed"
    assert row(html, "Who can take part") == "To be confirmed"
    assert "At the hospital" not in html
    assert "Adults" not in row(html, "Who can take part")


def test_a_lay_partner_role_whose_number_in_post_is_not_known_claims_no_count(client):
    opportunity = OpportunityFactory(
        kind=Opportunity.Kind.LAY_PARTNER, lay_partner_target=2, lay_partners_in_post=None
    )

    html = page(client, opportunity)

    places = row(html, "Lay partner places")
    assert places == "We aim for 2 lay partners on each of our key projects and programmes."
    assert "filled" not in places
    lay_partners = client.get(reverse("opportunities:lay_partners")).content.decode()
    assert opportunity.title in lay_partners
    assert "places filled" not in lay_partners


def test_the_site_day_time_and_length_are_shown_when_given(client):
    site = SiteFactory(
        name="St Mary's Hospital", address="Praed Street\nLondon\nW2 1NY",
        directions="Enter by the Queen Elizabeth the Queen Mother wing.",
    )
    opportunity = OpportunityFactory(
        on_site=True, site=site, meeting_day="Tuesday", meeting_time="Morning",
        meeting_length="2 hours", audience=Opportunity.Audience.EVERYONE, minimum_age=14,
    )

    html = page(client, opportunity)

    where = row(html, "Where")
    assert where.startswith("In person at St Mary's Hospital")
    assert "Praed Street London W2 1NY" in where
    assert "Queen Mother wing" in where
    assert row(html, "Day") == "Tuesday"
    assert row(html, "Time") == "Morning"
    assert row(html, "How long") == "2 hours"
    assert row(html, "Who can take part") == "Adults and young people, aged 14 or over"


def test_a_group_done_from_home_has_no_meeting_times_and_a_card_that_says_so(client):
    group = OpportunityFactory(
        title="Leaflets group", kind=Opportunity.Kind.REFERENCE_GROUP, on_site=False,
        from_home=True, audience="",
    )

    html = page(client, group)
    listing = client.get(reverse("opportunities:list")).content.decode()

    assert row(html, "Where") == "From home, by email"
    assert '<dt class="nhsuk-summary-list__key">Day</dt>' not in html
    assert "<dt>Where:</dt> <dd>From home, by email</dd>" in listing
    assert "<dt>Who can join:</dt> <dd>To be confirmed</dd>" in listing


def test_where_is_to_be_confirmed_when_nothing_is_known(client):
    opportunity = OpportunityFactory(on_site=False)

    assert row(page(client, opportunity), "Where") == "To be confirmed"


def test_a_meeting_names_its_site_and_length(client):
    site = SiteFactory(name="Charing Cross Hospital", address="Fulham Palace Road\nW6 8RF")
    event = OpportunityFactory(kind=Opportunity.Kind.EVENT)
    MeetingFactory(
        opportunity=event, kind=Meeting.Kind.EVENT, public_registration=True, site=site,
        location="Lecture theatre",
        starts_at=datetime.datetime(2037, 3, 10, 10, 0, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2037, 3, 10, 13, 30, tzinfo=datetime.UTC),
    )

    html = page(client, event)

    assert "Tuesday 10 March 2037, 10am to 1:30pm (3 hours 30 minutes)" in html
    assert "Lecture theatre, Charing Cross Hospital<br>Fulham Palace Road, W6 8RF" in html


def test_a_meeting_needs_a_site_a_place_or_online():
    meeting = MeetingFactory.build(
        opportunity=OpportunityFactory(), location="", site=None, is_online=False
    )
    with pytest.raises(Exception, match="Choose the site or enter where the meeting is"):
        meeting.full_clean()
    meeting.site = SiteFactory()
    meeting.full_clean()


def test_the_page_says_when_it_was_last_reviewed_and_is_next_due(client):
    opportunity = OpportunityFactory(
        last_reviewed=datetime.date(2026, 11, 29), next_review_due=datetime.date(2027, 5, 29)
    )

    html = page(client, opportunity)

    assert (
        '<div class="nhsuk-review-date">\n  <p class="nhsuk-body-s">Page last reviewed: '
        "29 November 2026<br>Next review due: 29 May 2027</p>"
    ) in html
    # At the foot of the page content, after the questions.
    assert html.index("Page last reviewed") > html.index("<h2>Questions</h2>")


def test_no_review_date_is_made_up(client):
    html = page(client, OpportunityFactory())

    assert "Page last reviewed" not in html
    assert "Next review due" not in html
