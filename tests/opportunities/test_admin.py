import pytest
from django.urls import reverse

from opportunities.models import Opportunity, SearchSynonym
from tests.factories import (
    GlossaryTermFactory,
    MeetingFactory,
    OpportunityFactory,
    ProgrammeFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["programme", "opportunity", "meeting", "glossaryterm"])
@pytest.mark.parametrize("rows", [1, 30])
def test_changelists_render_with_a_fixed_number_of_queries(
    staff_client, django_assert_max_num_queries, model, rows
):
    programmes = ProgrammeFactory.create_batch(3)
    for n in range(rows):
        opportunity = OpportunityFactory(programme=programmes[n % 3])
        MeetingFactory(opportunity=opportunity)
        GlossaryTermFactory()

    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse(f"admin:opportunities_{model}_changelist"))

    assert response.status_code == 200


def test_the_opportunity_form_has_meetings_inline_and_view_on_site(staff_client):
    opportunity = OpportunityFactory(title="Patient flow")
    MeetingFactory(opportunity=opportunity, title="March meeting")

    response = staff_client.get(
        reverse("admin:opportunities_opportunity_change", args=[opportunity.pk])
    )

    html = response.content.decode()
    assert "March meeting" in html
    assert "View on site" in html
    assert 'id="id_slug"' in html


def test_staff_can_add_an_opportunity_that_starts_as_a_draft(staff_client):
    programme = ProgrammeFactory()

    response = staff_client.post(
        reverse("admin:opportunities_opportunity_add"),
        {
            "title": "Maternity voices",
            "slug": "maternity-voices",
            "programme": programme.pk,
            "kind": "reference_group",
            "status": "draft",
            "summary": "Help us improve maternity care.",
            "description": "About the group.",
            "frequency": "monthly",
            "on_site": "on",
            "audience": "adults",
            "lay_partner_target": 2,
            "lay_partners_in_post": 0,
            "position": 0,
            "meetings-TOTAL_FORMS": 0,
            "meetings-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    opportunity = Opportunity.objects.get(slug="maternity-voices")
    assert opportunity.status == Opportunity.Status.DRAFT
    assert opportunity not in Opportunity.objects.public()


def test_an_opportunity_with_no_way_to_take_part_is_refused(staff_client):
    programme = ProgrammeFactory()

    response = staff_client.post(
        reverse("admin:opportunities_opportunity_add"),
        {
            "title": "Nowhere", "slug": "nowhere", "programme": programme.pk,
            "kind": "event", "status": "open", "summary": "x", "description": "x",
            "frequency": "one_off", "audience": "adults", "lay_partner_target": 0,
            "lay_partners_in_post": 0, "position": 0,
            "meetings-TOTAL_FORMS": 0, "meetings-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 200
    assert "Say where people take part" in response.content.decode()
    assert not Opportunity.objects.filter(slug="nowhere").exists()


def test_still_needs_lay_partners_filter(staff_client):
    OpportunityFactory(title="Needs two", kind="lay_partner", lay_partners_in_post=0)
    OpportunityFactory(title="Full up", kind="lay_partner", lay_partners_in_post=2)
    OpportunityFactory(title="A group", kind="reference_group")

    response = staff_client.get(
        reverse("admin:opportunities_opportunity_changelist"), {"lay_partners": "needed"}
    )

    names = [o.title for o in response.context["cl"].result_list]
    assert names == ["Needs two"]


def test_open_and_close_actions(staff_client):
    draft = OpportunityFactory(status="draft")
    url = reverse("admin:opportunities_opportunity_changelist")

    staff_client.post(url, {"action": "open_selected", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == "open"

    staff_client.post(url, {"action": "close_selected", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == "closed"


def test_staff_can_add_a_search_synonym(staff_client):
    url = reverse("admin:opportunities_searchsynonym_add")

    response = staff_client.post(url, {"term": "Mums ", "words": "Maternity,, parents"})

    assert response.status_code == 302
    synonym = SearchSynonym.objects.get(term="mums")
    assert synonym.words == "maternity, parents"
    listing = staff_client.get(
        reverse("admin:opportunities_searchsynonym_changelist"), {"q": "mums"}
    )
    assert "maternity, parents" in listing.content.decode()


def test_a_synonym_with_nothing_to_search_for_is_refused(staff_client):
    url = reverse("admin:opportunities_searchsynonym_add")

    response = staff_client.post(url, {"term": "?!", "words": ", ,"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a word or phrase with letters or numbers in it." in html
    assert "Enter at least one word to search for instead." in html
    assert not SearchSynonym.objects.filter(term="?!").exists()


def test_a_synonym_already_there_in_other_capitals_is_refused(staff_client):
    SearchSynonym.objects.create(term="kids2", words="children")
    url = reverse("admin:opportunities_searchsynonym_add")

    response = staff_client.post(url, {"term": " KIDS2", "words": "young people"})

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert SearchSynonym.objects.get(term="kids2").words == "children"
