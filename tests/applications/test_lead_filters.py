"""A programme lead's opportunity filter on the expressions of interest list: their programmes'
opportunities with no programme chosen (the programme filter hides itself when they lead only
one), and nobody else's."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.factories import ExpressionOfInterestFactory, OpportunityFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:applications_expressionofinterest_changelist"


@pytest.fixture
def lead_client(client, django_user_model):
    lead = django_user_model.objects.create_user("lee", is_staff=True)
    lead.groups.add(Group.objects.get(name="Programme lead"))
    client.force_login(lead)
    client.lead = lead
    return client


@pytest.fixture
def maternity(lead_client):
    programme = ProgrammeFactory(name="Maternity")
    programme.leads.add(lead_client.lead)
    return programme


def filter_spec(response, field_path):
    specs = response.context["cl"].filter_specs
    return next(
        (spec for spec in specs if getattr(spec, "field_path", None) == field_path), None
    )


def opportunity_choices(response):
    spec = filter_spec(response, "opportunity")
    return spec.title, [title for _pk, title in spec.lookup_choices]


def test_a_lead_with_one_programme_can_filter_by_opportunity(lead_client, maternity):
    voices = ExpressionOfInterestFactory(
        opportunity__programme=maternity, opportunity__title="Maternity voices"
    )
    ExpressionOfInterestFactory(
        opportunity__programme=maternity, opportunity__title="Birth centre group"
    )
    ExpressionOfInterestFactory(opportunity__title="Cancer care forum")  # another programme's
    OpportunityFactory(programme=maternity, title="Nobody has asked yet")

    response = lead_client.get(reverse(CHANGELIST))

    html = response.content.decode()
    # Django leaves out a filter with a single choice: their one programme.
    assert filter_spec(response, "opportunity__programme") is None
    assert opportunity_choices(response) == (
        "opportunity", ["Birth centre group", "Maternity voices"]
    )
    assert "choose a programme first" not in html
    assert "Cancer care forum" not in html
    link = f"?opportunity__id__exact={voices.opportunity_id}"
    assert link in html

    filtered = lead_client.get(reverse(CHANGELIST) + link)
    assert [e.reference for e in filtered.context["cl"].result_list] == [voices.reference]


def test_a_lead_with_two_programmes_sees_both_programmes_opportunities(lead_client, maternity):
    children = ProgrammeFactory(name="Children's services")
    children.leads.add(lead_client.lead)
    ExpressionOfInterestFactory(opportunity__programme=maternity, opportunity__title="Voices")
    ExpressionOfInterestFactory(opportunity__programme=children, opportunity__title="Forum")

    response = lead_client.get(reverse(CHANGELIST))

    assert opportunity_choices(response) == ("opportunity", ["Forum", "Voices"])


@pytest.mark.parametrize("count", [1, 20])
def test_a_leads_list_asks_the_same_number_of_queries(
    lead_client, maternity, count, django_assert_max_num_queries
):
    for number in range(count):
        ExpressionOfInterestFactory(
            opportunity=OpportunityFactory(programme=maternity, title=f"Group {number}")
        )
    lead_client.get(reverse(CHANGELIST))

    with django_assert_max_num_queries(12):
        response = lead_client.get(reverse(CHANGELIST))

    assert len(opportunity_choices(response)[1]) == count


def test_the_team_still_chooses_a_programme_first(staff_client):
    ExpressionOfInterestFactory(opportunity__title="Maternity voices")

    response = staff_client.get(reverse(CHANGELIST))

    assert opportunity_choices(response) == ("opportunity (choose a programme first)", [])
