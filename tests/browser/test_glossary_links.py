"""A glossary term in a list card's text opens its meaning, not the card's page, although the
card's title link covers the whole card (NHS.UK's clickable card)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_opens_the_meaning_of_a_term_in_a_clickable_card(live_server, desktop):
    from tests.factories import GlossaryTermFactory, OpportunityFactory

    GlossaryTermFactory(term="iQI", slug="iqi", meaning="Imperial Quality Improvement.")
    opportunity = OpportunityFactory(title="Outpatients", summary="Help us test our iQI ideas.")

    desktop.goto(live_server.url + reverse("opportunities:list"))
    desktop.locator(".nhsuk-card").get_by_role("link", name="iQI").click()
    desktop.wait_for_url("**/glossary/#iqi")

    desktop.goto(live_server.url + reverse("opportunities:list"))
    # The rest of the card's text still opens the opportunity.
    box = desktop.locator(".nhsuk-card__description").bounding_box()
    desktop.mouse.click(box["x"] + 5, box["y"] + 5)
    desktop.wait_for_url("**" + opportunity.get_absolute_url())
