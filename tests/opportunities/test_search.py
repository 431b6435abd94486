"""Searching the list of opportunities: what people type finds what the trust means."""

import pytest
from django.db import connection
from django.urls import reverse

from opportunities.models import SearchSynonym
from tests.factories import OpportunityFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

LIST = reverse("opportunities:list")

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search and synonyms need PostgreSQL"
)
sqlite_only = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="the plain search is used only without PostgreSQL"
)


def titles(response):
    return [o.title for o in response.context["page"].object_list]


@postgres_only
def test_it_finds_words_by_their_stem(client):
    children = ProgrammeFactory(name="Children's services")
    OpportunityFactory(title="Young people's forum", programme=children)
    OpportunityFactory(title="Improving outpatient clinics")
    OpportunityFactory(title="Digital", summary="Help us choose the apps we use.")

    assert titles(client.get(LIST, {"q": "childrens"})) == ["Young people's forum"]
    assert titles(client.get(LIST, {"q": "clinic"})) == ["Improving outpatient clinics"]
    assert titles(client.get(LIST, {"q": "choosing app"})) == ["Digital"]


@postgres_only
def test_titles_rank_above_summaries_above_descriptions(client):
    OpportunityFactory(title="A", description="We talk about leaflets.", position=1)
    OpportunityFactory(title="B", summary="Review leaflets.", position=2)
    OpportunityFactory(title="Leaflets group", position=3)

    assert titles(client.get(LIST, {"q": "leaflet"})) == ["Leaflets group", "B", "A"]


@postgres_only
def test_it_searches_what_you_would_do(client):
    OpportunityFactory(title="Board", what_you_would_do="Read papers and ask questions.")
    OpportunityFactory(title="Other")

    assert titles(client.get(LIST, {"q": "questions"})) == ["Board"]


@postgres_only
def test_synonyms_find_the_words_the_trust_uses(client):
    # The migration's synonyms: kids -> children, elderly -> older people, a&e -> emergency.
    OpportunityFactory(title="Children and young people's board")
    OpportunityFactory(title="Care of older people")
    OpportunityFactory(title="Emergency department redesign")
    OpportunityFactory(title="Something else", summary="About people in general.")

    assert titles(client.get(LIST, {"q": "kids"})) == ["Children and young people's board"]
    assert titles(client.get(LIST, {"q": "Elderly"})) == ["Care of older people"]
    assert titles(client.get(LIST, {"q": "A&E"})) == ["Emergency department redesign"]
    OpportunityFactory(title="Joining up GPs and hospitals")
    assert titles(client.get(LIST, {"q": "GP"})) == ["Joining up GPs and hospitals"]
    # Each word must still match: the synonym stands in for its word only.
    assert titles(client.get(LIST, {"q": "elderly care"})) == ["Care of older people"]
    assert titles(client.get(LIST, {"q": "kids emergency"})) == []


@postgres_only
def test_a_synonym_staff_add_is_used_at_once(client):
    OpportunityFactory(title="Maternity voices")
    assert titles(client.get(LIST, {"q": "pregnancy"})) == []

    SearchSynonym.objects.create(term="  Pregnancy ", words="maternity, birth")

    assert SearchSynonym.objects.get(words="maternity, birth").term == "pregnancy"
    # The kept search page is forgotten, so the new synonym shows at once.
    assert titles(client.get(LIST, {"q": "pregnancy"})) == ["Maternity voices"]


@postgres_only
def test_a_search_of_only_common_words_finds_nothing_and_does_not_fail(client):
    OpportunityFactory(title="The group")

    response = client.get(LIST, {"q": "the and"})

    assert response.status_code == 200
    assert titles(response) == []


@sqlite_only
def test_without_postgresql_each_word_must_appear_as_typed(client):
    OpportunityFactory(title="Children's board")
    OpportunityFactory(title="Leaflets", what_you_would_do="Read leaflets at home.")

    assert titles(client.get(LIST, {"q": "children"})) == ["Children's board"]
    assert titles(client.get(LIST, {"q": "HOME leaflets"})) == ["Leaflets"]
    assert titles(client.get(LIST, {"q": "kids"})) == []


def test_a_search_longer_than_the_box_takes_is_explained_not_dropped(client):
    OpportunityFactory(title="Patient flow", kind="lay_partner")
    too_long = "patient flow " * 25  # 325 characters

    response = client.get(LIST, {"q": too_long, "kind": "lay_partner"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: " in html
    assert 'class="nhsuk-error-summary"' in html
    assert '<a href="#id_q">Search must be 200 characters or fewer</a>' in html
    assert 'id="id_q-error"' in html
    assert 'aria-describedby="id_q-hint id_q-error"' in html
    # What they typed stays in the box to shorten, and nothing is listed as its results.
    assert too_long.strip() in html
    assert titles(response) == []
    assert "Shorten your search to see results" in html
    assert "opportunities matching" not in html


def test_a_search_of_200_characters_is_run(client):
    OpportunityFactory(title="Patient flow")

    search = "flow " * 39 + " flow"
    assert len(search) == 200

    response = client.get(LIST, {"q": search})

    html = response.content.decode()
    assert "<title>Error" not in html
    assert titles(response) == ["Patient flow"]
