import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from opportunities.models import Opportunity, SearchSynonym
from tests.factories import (
    GlossaryTermFactory,
    MeetingFactory,
    OpportunityFactory,
    ProgrammeFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", ["programme", "opportunity", "meeting", "glossaryterm", "site"]
)
@pytest.mark.parametrize("rows", [1, 30])
def test_changelists_render_with_a_fixed_number_of_queries(
    staff_client, django_assert_max_num_queries, model, rows
):
    programmes = ProgrammeFactory.create_batch(3)
    for n in range(rows):
        site = SiteFactory()
        opportunity = OpportunityFactory(programme=programmes[n % 3], site=site)
        MeetingFactory(opportunity=opportunity, site=site)
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


def test_an_opportunity_whose_place_the_trust_has_not_given_says_to_be_confirmed(
    staff_client,
):
    # Before, the admin insisted on a place; a guess is worse than "to be confirmed".
    programme = ProgrammeFactory()

    response = staff_client.post(
        reverse("admin:opportunities_opportunity_add"),
        {
            "title": "Nowhere yet", "slug": "nowhere", "programme": programme.pk,
            "kind": "project_group", "status": "open", "summary": "x", "description": "x",
            "frequency": "to_be_agreed", "audience": "", "lay_partner_target": 0,
            "lay_partners_in_post": "", "position": 0,
            "meetings-TOTAL_FORMS": 0, "meetings-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    opportunity = Opportunity.objects.get(slug="nowhere")
    assert opportunity.next_steps == Opportunity.NextSteps.CONTACT  # defaulted by kind
    page = staff_client.get(opportunity.get_absolute_url()).content.decode()
    assert '<dt class="nhsuk-summary-list__key">Where</dt>' in page
    assert "To be confirmed" in page


def test_a_site_is_only_for_an_opportunity_in_person(staff_client):
    site = SiteFactory()
    programme = ProgrammeFactory()

    response = staff_client.post(
        reverse("admin:opportunities_opportunity_add"),
        {
            "title": "Online only", "slug": "online-only", "programme": programme.pk,
            "kind": "reference_group", "status": "open", "summary": "x", "description": "x",
            "frequency": "monthly", "online": "on", "site": site.pk, "audience": "",
            "lay_partner_target": 0, "position": 0,
            "meetings-TOTAL_FORMS": 0, "meetings-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 200
    assert "Tick &#x27;in person&#x27; for an opportunity held at a site" in (
        response.content.decode()
    )
    assert not Opportunity.objects.filter(slug="online-only").exists()


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


# Review dates -------------------------------------------------------------------------------


def _review_listing(staff_client, **query):
    response = staff_client.get(reverse("admin:opportunities_opportunity_changelist"), query)
    assert response.status_code == 200
    return response, sorted(o.title for o in response.context["cl"].result_list)


def test_staff_can_filter_the_opportunities_overdue_for_review(staff_client):
    today = timezone.localdate()
    OpportunityFactory(title="Overdue", next_review_due=today - datetime.timedelta(days=1))
    OpportunityFactory(title="Due today", next_review_due=today)
    OpportunityFactory(title="Due soon", next_review_due=today + datetime.timedelta(days=10))
    OpportunityFactory(title="Due later", next_review_due=today + datetime.timedelta(days=90))
    OpportunityFactory(title="Never set")

    response, overdue = _review_listing(staff_client, review="overdue")
    assert overdue == ["Overdue"]
    assert "Overdue for review" in response.content.decode()
    assert _review_listing(staff_client, review="soon")[1] == ["Due soon", "Due today"]
    assert _review_listing(staff_client, review="none")[1] == ["Never set"]


def test_the_changelist_says_which_are_overdue(staff_client):
    today = timezone.localdate()
    OpportunityFactory(title="Overdue", next_review_due=today - datetime.timedelta(days=3))

    response, _ = _review_listing(staff_client)

    html = response.content.decode()
    assert "<strong>Overdue</strong>" in html
    assert "Next review due" in html


def test_the_review_dates_must_run_forwards(staff_client):
    opportunity = OpportunityFactory(
        last_reviewed=datetime.date(2026, 11, 1), next_review_due=datetime.date(2026, 10, 1)
    )
    with pytest.raises(ValidationError, match="after the last review"):
        opportunity.full_clean()


def test_staff_can_add_a_site_and_name_it_on_a_meeting(staff_client):
    response = staff_client.post(reverse("admin:opportunities_site_add"), {
        "name": "St Mary's Hospital", "slug": "st-marys-hospital",
        "address": "Praed Street\nLondon\nW2 1NY", "directions": "", "position": 0,
    })

    assert response.status_code == 302, response.content.decode()[:2000]
    meeting_form = staff_client.get(reverse("admin:opportunities_meeting_add"))
    assert 'name="site"' in meeting_form.content.decode()
