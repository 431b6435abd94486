"""axe-core on the pages and states added for "what happens next" and true content: an event
with no date ("Tell me when the next one is"), its form empty and with errors, its confirmation
page, and an opportunity naming its site with review dates."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.browser.test_accessibility import assert_no_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trust_content():
    call_command("load_trust_content", verbosity=0)


def test_tell_me_when_the_next_one_is_has_no_violations(live_server, phone, trust_content):
    from applications.models import NextDateRequest

    sprint_url = live_server.url + reverse("opportunities:detail", args=["iqi-sprint-events"])
    phone.goto(sprint_url)
    assert phone.get_by_role("heading", name="What happens next").is_visible()
    assert_no_violations(phone, "an event with no date")

    phone.get_by_role("button", name="Tell me when the next one is").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Tell me when the next one is"
    assert_no_violations(phone, "tell me when the next one is: empty")

    phone.get_by_label("Full name").fill("Siobhán O'Brien")
    phone.get_by_role("button", name="Tell me when the next one is").click()
    assert phone.title().startswith("Error: ")
    assert_no_violations(phone, "tell me when the next one is: with errors")

    phone.get_by_label("Email address", exact=True).fill("siobhan@example.com")
    phone.get_by_label("I have read the privacy notice").check()
    phone.get_by_role("button", name="Tell me when the next one is").click()
    assert phone.get_by_role("heading", level=1).inner_text() == (
        "We will tell you when the next one is"
    )
    assert_no_violations(phone, "tell me when the next one is: sent")
    assert NextDateRequest.objects.get().email == "siobhan@example.com"


def test_a_page_naming_its_site_with_review_dates_has_no_violations(live_server, desktop):
    from tests.factories import OpportunityFactory, SiteFactory

    opportunity = OpportunityFactory(
        kind="lay_partner", on_site=True, lay_partners_in_post=None, audience="",
        site=SiteFactory(name="St Mary's Hospital", directions="See https://example.org/map"),
        meeting_day="Tuesday", last_reviewed=datetime.date(2026, 11, 29),
        next_review_due=datetime.date(2027, 5, 29),
    )

    desktop.goto(live_server.url + opportunity.get_absolute_url())
    assert "Next review due: 29 May 2027" in desktop.content()
    assert_no_violations(desktop, "a page with its site and review dates")
