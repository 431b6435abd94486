""""You said, we did" pages scanned with axe-core (the rules of test_accessibility.py), and the
list's filters used without JavaScript on a phone."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.browser.test_accessibility import assert_no_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def records():
    from applications.models import ExpressionOfInterest
    from opportunities.impact import ImpactUpdate, NamedLayPartner
    from tests.factories import (
        ExpressionOfInterestFactory,
        ImpactRecordFactory,
        OpportunityFactory,
        ProgrammeFactory,
    )

    programme = ProgrammeFactory(name="Patient communications", slug="communications")
    opportunity = OpportunityFactory(programme=programme, title="Patient communications group")
    done = ImpactRecordFactory(
        title="Clearer appointment letters", programme=programme, status="done",
        we_did="We rewrote the letters with the group.", who_was_involved="the reference group",
    )
    done.opportunities.add(opportunity)
    done.publish()
    ImpactUpdate.objects.create(record=done, text="The first letters are out.").share()
    NamedLayPartner.objects.create(
        record=done, name="Grace Hopper", agreed=True, how_they_agreed="By email"
    )
    not_possible = ImpactRecordFactory(
        title="Hot meals at night", programme=programme, status="not_possible",
        not_possible_reason="The kitchen closes at 8pm.",
    )
    not_possible.publish()
    member = ExpressionOfInterestFactory(
        opportunity=opportunity, status=ExpressionOfInterest.Status.JOINED
    )
    return {"done": done, "opportunity": opportunity, "member": member}


def test_the_impact_pages_have_no_violations(live_server, phone, records):
    pages = {
        "list": reverse("opportunities:impact_list"),
        "list filtered, nothing found": reverse("opportunities:impact_list")
        + "?status=planned#results",
        "list with a search too long": reverse("opportunities:impact_list") + "?q=" + "x" * 201,
        "a record with its timeline": records["done"].get_absolute_url(),
        "the year": reverse("opportunities:impact_year", args=[timezone.now().year]),
        "an opportunity showing its changes": records["opportunity"].get_absolute_url(),
        "home with the latest changes": reverse("opportunities:home"),
        "stop the emails": records["member"].impact_emails_stop_path(),
    }
    for what, path in pages.items():
        phone.goto(live_server.url + path)
        assert_no_violations(phone, what)
    phone.get_by_role("button", name="Stop these emails").click()
    phone.wait_for_load_state()
    assert "We will not send you these emails" in phone.content()
    assert_no_violations(phone, "the emails stopped")


def test_the_filters_work_without_javascript(live_server, phone_without_js, records):
    page = phone_without_js
    page.goto(live_server.url + reverse("opportunities:impact_list"))
    page.get_by_label("Progress").select_option(label="Not possible")
    with page.expect_navigation():
        page.get_by_role("button", name="Show results").click()
    assert "status=not_possible" in page.url
    assert page.locator(".nhsuk-card__link").all_inner_texts() == ["Hot meals at night"]
