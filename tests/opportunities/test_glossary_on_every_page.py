"""The trust's terms are explained on every public page that shows its text, not only on an
opportunity's page: the home page, the events, the list's cards and the lay partner roles."""

import pytest
from django.urls import reverse

from opportunities.models import Meeting, Opportunity
from tests.factories import GlossaryTermFactory, MeetingFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

GLOSSARY = "/glossary/"


@pytest.fixture
def iqi():
    return GlossaryTermFactory(
        term="iQI", slug="iqi", meaning="Imperial Quality Improvement, the trust's own method."
    )


def iqi_sprint(**opportunity):
    return MeetingFactory(
        kind=Meeting.Kind.EVENT, title="iQI Sprint", public_registration=True,
        location="QI hub, St Mary's Hospital",
        opportunity__kind=Opportunity.Kind.EVENT, opportunity__title="iQI Sprint events",
        **{f"opportunity__{key}": value for key, value in opportunity.items()},
    )


def test_it_explains_iqi_on_the_events_page_at_its_first_use(client, iqi):
    iqi_sprint()

    html = client.get(reverse("opportunities:events")).content.decode()

    assert GLOSSARY == reverse("opportunities:glossary")
    lede = html[html.index('<p class="nhsuk-lede-text">'):]
    assert lede.startswith(
        '<p class="nhsuk-lede-text">Events anyone can come to, such as our '
        f'<a class="app-glossary-term" href="{GLOSSARY}#iqi">iQI</a> Sprints.'
    )
    # Explained once: the event's own title later on the page is not linked again.
    assert html.count(f'href="{GLOSSARY}#iqi"') == 1
    assert "What the words on this page mean" in html
    assert "Imperial Quality Improvement, the trust&#x27;s own method." in html


def test_it_explains_the_events_terms_in_its_cards(client):
    GlossaryTermFactory(term="QI hub", slug="qi-hub", meaning="A room for improvement work.")
    iqi_sprint()

    html = client.get(reverse("opportunities:events")).content.decode()

    assert f'<a class="app-glossary-term" href="{GLOSSARY}#qi-hub">QI hub</a>' in html
    assert "A room for improvement work." in html


def test_it_lists_iqi_on_the_home_page_where_an_event_names_it(client, iqi):
    iqi_sprint()

    html = client.get(reverse("opportunities:home")).content.decode()

    # The event's title is a link, so the term is not linked inside it, but the page says
    # what it means.
    assert ">iQI Sprint</a>" in html
    assert "What the words on this page mean" in html
    assert "Imperial Quality Improvement, the trust&#x27;s own method." in html


def test_it_does_not_list_words_on_a_home_page_that_uses_none(client, iqi):
    html = client.get(reverse("opportunities:home")).content.decode()

    assert "What the words on this page mean" not in html


def test_it_explains_terms_in_the_lists_cards_once(client, iqi):
    OpportunityFactory(title="Outpatients", summary="Help us test our iQI ideas.")
    OpportunityFactory(title="Wards", summary="More iQI work.")

    html = client.get(reverse("opportunities:list")).content.decode()

    assert f'<a class="app-glossary-term" href="{GLOSSARY}#iqi">iQI</a>' in html
    assert html.count(f'href="{GLOSSARY}#iqi"') == 1
    assert "Imperial Quality Improvement" in html


def test_it_does_not_put_a_link_inside_a_cards_title_link(client, iqi):
    OpportunityFactory(title="iQI coaching", summary="Coaching for staff.")

    html = client.get(reverse("opportunities:list")).content.decode()

    assert ">iQI coaching</a>" in html
    assert f'href="{GLOSSARY}#iqi"' not in html
    assert "Imperial Quality Improvement" in html


def test_it_explains_the_programme_of_each_lay_partner_role(client):
    GlossaryTermFactory(
        term="clinical strategy", slug="clinical-strategy", meaning="The plan for our care."
    )
    OpportunityFactory(
        kind=Opportunity.Kind.LAY_PARTNER, title="Outpatients",
        programme__name="Improvement projects - clinical strategy implementation programme",
    )

    html = client.get(reverse("opportunities:lay_partners")).content.decode()

    assert (
        f'<a class="app-glossary-term" href="{GLOSSARY}#clinical-strategy">clinical strategy</a>'
        in html
    )
    assert "The plan for our care." in html


def test_it_escapes_the_trusts_text_as_it_explains_it(client, iqi):
    OpportunityFactory(title="<b>iQI</b>", summary="<script>alert(1)</script> iQI")

    html = client.get(reverse("opportunities:list")).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;iQI&lt;/b&gt;" in html
