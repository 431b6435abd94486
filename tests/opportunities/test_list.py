import re

import pytest
from django.urls import reverse

from opportunities.models import Opportunity
from tests.factories import OpportunityFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

LIST = reverse("opportunities:list")


def titles(response):
    return [o.title for o in response.context["page"].object_list]


def test_it_lists_open_opportunities_as_cards(client):
    OpportunityFactory(title="Digital reference group", summary="Help us use technology well.")

    response = client.get(LIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Digital reference group" in html
    assert "Help us use technology well." in html
    assert "<strong>1</strong> opportunity" in html


def test_it_hides_drafts_closed_and_past_closing_date(client):
    OpportunityFactory(title="Open one")
    OpportunityFactory(title="Draft one", status=Opportunity.Status.DRAFT)
    OpportunityFactory(title="Closed one", status=Opportunity.Status.CLOSED)
    OpportunityFactory(title="Expired one", closing_date="2020-01-01")

    assert titles(client.get(LIST)) == ["Open one"]


def test_it_filters_by_kind(client):
    OpportunityFactory(title="Lay role", kind=Opportunity.Kind.LAY_PARTNER)
    OpportunityFactory(title="Group", kind=Opportunity.Kind.REFERENCE_GROUP)
    OpportunityFactory(title="Sprint", kind=Opportunity.Kind.EVENT)

    response = client.get(LIST, {"kind": ["lay_partner", "event"]})

    assert titles(response) == ["Lay role", "Sprint"]


def test_it_filters_by_programme_slug(client):
    children = ProgrammeFactory(slug="childrens-services")
    OpportunityFactory(title="Board", programme=children)
    OpportunityFactory(title="Elsewhere")

    assert titles(client.get(LIST, {"programme": "childrens-services"})) == ["Board"]


def test_it_filters_by_how_often(client):
    OpportunityFactory(title="Monthly", frequency=Opportunity.Frequency.MONTHLY)
    OpportunityFactory(title="Quarterly", frequency=Opportunity.Frequency.QUARTERLY)

    assert titles(client.get(LIST, {"frequency": "quarterly"})) == ["Quarterly"]


def test_it_filters_by_where(client):
    OpportunityFactory(title="Hospital", on_site=True)
    OpportunityFactory(title="Home", on_site=False, from_home=True)
    OpportunityFactory(title="Online", on_site=False, online=True)

    assert titles(client.get(LIST, {"where": "from_home"})) == ["Home"]
    assert titles(client.get(LIST, {"where": ["from_home", "online"]})) == ["Home", "Online"]


def test_it_filters_by_who_can_join(client):
    OpportunityFactory(title="Adults", audience=Opportunity.Audience.ADULTS)
    OpportunityFactory(title="Both", audience=Opportunity.Audience.EVERYONE)
    OpportunityFactory(title="Young", audience=Opportunity.Audience.YOUNG_PEOPLE)

    assert titles(client.get(LIST, {"who": "young_people"})) == ["Both", "Young"]
    assert titles(client.get(LIST, {"who": "adults"})) == ["Adults", "Both"]


def test_search_matches_title_summary_description_and_programme(client):
    digital = ProgrammeFactory(name="Digital programme")
    OpportunityFactory(title="Leaflets", summary="Review patient leaflets from home.")
    OpportunityFactory(title="Board", description="We review incidents.")
    OpportunityFactory(title="Apps", programme=digital)

    assert titles(client.get(LIST, {"q": "leaflets"})) == ["Leaflets"]
    assert titles(client.get(LIST, {"q": "INCIDENTS"})) == ["Board"]
    assert titles(client.get(LIST, {"q": "digital"})) == ["Apps"]


def test_search_and_filters_combine(client):
    OpportunityFactory(
        title="Digital reference group", kind=Opportunity.Kind.REFERENCE_GROUP, from_home=True
    )
    OpportunityFactory(title="Digital lay partner", kind=Opportunity.Kind.LAY_PARTNER)
    OpportunityFactory(title="Comms reference group", kind=Opportunity.Kind.REFERENCE_GROUP)

    response = client.get(LIST, {"q": "digital", "kind": "reference_group"})

    assert titles(response) == ["Digital reference group"]
    html = response.content.decode()
    # The chosen filters stay chosen, and each can be removed on its own.
    assert 'value="reference_group" checked' in html
    assert 'value="digital"' in html
    assert "Remove filter: Reference group" in html


def test_a_removal_link_keeps_the_other_filters(client):
    OpportunityFactory()

    response = client.get(LIST, {"q": "x", "kind": "event", "where": "online"})

    queries = [link["query"] for link in response.context["removal_links"]]
    assert "q=x&where=online" in queries
    assert "q=x&kind=event" in queries


def test_unknown_filter_values_are_ignored_not_errors(client):
    OpportunityFactory(title="Still shown")

    response = client.get(LIST, {"kind": "nonsense", "who": "martians", "page": "abc"})

    assert response.status_code == 200
    assert titles(response) == ["Still shown"]
    assert "<title>Error" not in response.content.decode()


def test_an_empty_result_helps(client):
    OpportunityFactory(title="Something")

    response = client.get(LIST, {"q": "zzzzzz"})

    html = response.content.decode()
    assert "No opportunities match your search" in html
    assert "see all the ways to get involved" in html
    assert "<strong>0</strong> opportunities" in html


def test_it_paginates_long_lists_keeping_the_filters(client):
    for n in range(25):
        OpportunityFactory(title=f"Group {n:02}", kind=Opportunity.Kind.REFERENCE_GROUP)

    first = client.get(LIST, {"kind": "reference_group"})
    second = client.get(LIST, {"kind": "reference_group", "page": 2})

    assert len(titles(first)) == 20
    assert len(titles(second)) == 5
    assert "kind=reference_group&amp;page=2" in first.content.decode()
    assert "(page 2 of 2)" in second.content.decode()


@pytest.mark.parametrize("count", [1, 50])
def test_query_count_does_not_grow_with_opportunities(client, django_assert_max_num_queries, count):
    programmes = ProgrammeFactory.create_batch(5)
    for n in range(count):
        OpportunityFactory(programme=programmes[n % 5])

    # Programmes, the count, the page, and the glossary that explains the cards' terms.
    with django_assert_max_num_queries(4):
        response = client.get(LIST, {"kind": "reference_group", "q": "Opportunity"})

    assert response.status_code == 200


def filter_values(response, name):
    return re.findall(rf'name="{name}" type="(?:checkbox|radio)" value="([^"]*)"',
                      response.content.decode())


def test_it_offers_only_filters_an_open_opportunity_matches(client):
    OpportunityFactory(kind=Opportunity.Kind.LAY_PARTNER, frequency="monthly", on_site=True)
    OpportunityFactory(
        kind=Opportunity.Kind.EVENT, frequency="one_off", on_site=False, from_home=True
    )
    # Neither a draft nor a closed one makes a choice worth offering.
    OpportunityFactory(kind=Opportunity.Kind.PROJECT_GROUP, online=True,
                       status=Opportunity.Status.DRAFT)
    OpportunityFactory(frequency="quarterly", online=True, status=Opportunity.Status.CLOSED)

    response = client.get(LIST)

    assert filter_values(response, "kind") == ["lay_partner", "event"]
    assert filter_values(response, "frequency") == ["monthly", "one_off"]
    assert filter_values(response, "where") == ["on_site", "from_home"]
    assert "Online" not in response.content.decode()
    assert filter_values(response, "who") == ["", "adults", "young_people"]


def test_a_chosen_filter_nothing_matches_stays_shown_to_untick(client):
    OpportunityFactory(title="Hospital", on_site=True)

    response = client.get(LIST, {"where": "online"})

    assert filter_values(response, "where") == ["on_site", "online"]
    assert 'value="online" checked' in response.content.decode()
    assert titles(response) == []
    assert "Remove filter: Online" in response.content.decode()


def test_with_no_open_opportunities_no_filter_is_offered(client):
    response = client.get(LIST)

    html = response.content.decode()
    assert filter_values(response, "kind") == []
    assert "Type of involvement" not in html
    assert "Where</legend>" not in html


def test_filtering_opens_the_page_at_the_results(client):
    # On a phone the filters come first: without the anchor, the count and the results
    # were some 1,800 px below where the page opened after "Apply filters".
    OpportunityFactory.create_batch(21, kind=Opportunity.Kind.REFERENCE_GROUP)

    response = client.get(LIST, {"kind": "reference_group"})

    html = response.content.decode()
    assert f'action="{LIST}#results"' in html
    assert 'id="results"' in html
    assert '?page=2#results"' in html.replace("kind=reference_group&amp;", "")
    assert "Remove filter: Reference group" in html
    assert 'href="?#results" class="nhsuk-link">Remove filter' in html


def test_a_search_error_opens_the_page_at_the_error_summary(client):
    OpportunityFactory()

    html = client.get(LIST, {"q": "x" * 201}).content.decode()

    assert f'action="{LIST}#results"' in html
    assert 'id="results"' not in html
