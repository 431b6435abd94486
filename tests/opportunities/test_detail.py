import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from opportunities.models import Meeting, Opportunity
from tests.factories import GlossaryTermFactory, MeetingFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def detail(opportunity):
    return reverse("opportunities:detail", args=[opportunity.slug])


def test_it_shows_what_a_person_needs_to_decide(client):
    opportunity = OpportunityFactory(
        title="Patient flow",
        kind=Opportunity.Kind.LAY_PARTNER,
        summary="Help patients move through our hospitals without delays.",
        description="First paragraph.\n\nWork includes:\n- ward rounds\n- patient handover",
        what_you_would_do="Come to a meeting every 2 weeks.",
        frequency=Opportunity.Frequency.FORTNIGHTLY,
        when="Tuesday mornings",
        preparation="Read the papers before each meeting.",
        audience=Opportunity.Audience.ADULTS,
        lay_partner_target=2,
        lay_partners_in_post=1,
        contact_email="flow@example.nhs.uk",
    )

    response = client.get(detail(opportunity))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Patient flow – Get involved" in html
    assert "Help patients move through our hospitals without delays." in html
    assert '<ul class="nhsuk-list nhsuk-list--bullet"><li>ward rounds</li>' in html
    assert "Every 2 weeks" in html
    assert "Tuesday mornings" in html
    assert "Read the papers before each meeting." in html
    assert "1 of 2 filled" in html
    assert "We are looking for 1 more." in html
    assert "mailto:flow@example.nhs.uk" in html
    assert "Tell us you are interested" in html


def test_a_full_lay_partner_role_still_welcomes_interest(client):
    opportunity = OpportunityFactory(
        kind=Opportunity.Kind.LAY_PARTNER, lay_partner_target=2, lay_partners_in_post=2
    )

    html = client.get(detail(opportunity)).content.decode()

    assert "2 of 2 filled" in html
    assert "We still welcome interest" in html


def test_contact_falls_back_to_programme_then_the_involvement_team(client, settings):
    settings.TRUST_INVOLVEMENT_EMAIL = "team@example.nhs.uk"
    with_programme = OpportunityFactory(programme__contact_email="programme@example.nhs.uk")
    with_nothing = OpportunityFactory()

    assert "mailto:programme@example.nhs.uk" in client.get(detail(with_programme)).content.decode()
    assert "mailto:team@example.nhs.uk" in client.get(detail(with_nothing)).content.decode()


def test_a_closed_opportunity_says_so_and_has_no_call_to_action(client):
    opportunity = OpportunityFactory(status=Opportunity.Status.CLOSED)

    html = client.get(detail(opportunity)).content.decode()

    assert "This opportunity is closed." in html
    assert "Tell us you are interested" not in html


def test_a_draft_is_not_public(client):
    opportunity = OpportunityFactory(status=Opportunity.Status.DRAFT)

    assert client.get(detail(opportunity)).status_code == 404


def test_staff_can_preview_a_draft(staff_client):
    opportunity = OpportunityFactory(status=Opportunity.Status.DRAFT)

    response = staff_client.get(detail(opportunity))

    assert response.status_code == 200
    assert "Draft preview" in response.content.decode()


def test_an_unknown_slug_is_a_404_in_nhs_style(client):
    response = client.get(reverse("opportunities:detail", args=["no-such-thing"]))

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_glossary_terms_are_explained_at_their_first_use(client):
    GlossaryTermFactory(term="QI", slug="qi", meaning="Quality improvement.")
    GlossaryTermFactory(
        term="board round", slug="board-round", meaning="A meeting at a whiteboard.",
        other_forms="board rounds",
    )
    GlossaryTermFactory(term="IT", slug="it", meaning="Information technology.")
    opportunity = OpportunityFactory(
        summary="Join our QI work.",
        description="QI is for everyone.\n\n- Board rounds on wards\n\nIt is about IT too.",
    )

    html = client.get(detail(opportunity)).content.decode()

    glossary = reverse("opportunities:glossary")
    assert f'<a class="app-glossary-term" href="{glossary}#qi">QI</a> work' in html
    # Only the first use on the page is linked.
    assert html.count(f'href="{glossary}#qi"') == 1
    assert f'href="{glossary}#board-round">Board rounds</a>' in html
    # "It" at the start of a sentence is not the acronym IT.
    assert "<p>It is about" in html
    assert f'href="{glossary}#it">IT</a>' in html
    assert "What the words on this page mean" in html
    assert "A meeting at a whiteboard." in html


def test_text_written_by_staff_is_escaped(client):
    GlossaryTermFactory(term="QI", slug="qi")
    opportunity = OpportunityFactory(
        summary="<script>alert(1)</script> QI", description="<b>bold</b> & QI"
    )

    html = client.get(detail(opportunity)).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp;" in html


def test_it_lists_upcoming_meetings_but_never_joining_details(client):
    opportunity = OpportunityFactory()
    MeetingFactory(
        opportunity=opportunity, kind=Meeting.Kind.BRIEFING, is_online=True, location="",
        joining_details="https://meet.example/secret-room",
    )
    MeetingFactory(
        opportunity=opportunity, title="Last year's meeting",
        starts_at=timezone.now() - datetime.timedelta(days=365),
    )

    html = client.get(detail(opportunity)).content.decode()

    assert "Briefing meeting" in html
    assert "Online" in html
    assert "secret-room" not in html
    assert "Last year" not in html


def test_an_involvement_payment_comes_with_benefits_advice(client):
    opportunity = OpportunityFactory(involvement_payment="£25 for each meeting.")

    html = client.get(detail(opportunity)).content.decode()

    assert "£25 for each meeting." in html
    assert "may affect them" in html


@pytest.mark.parametrize("meetings", [1, 30])
def test_query_count_does_not_grow_with_meetings_or_terms(
    client, django_assert_max_num_queries, meetings
):
    opportunity = OpportunityFactory()
    MeetingFactory.create_batch(meetings, opportunity=opportunity)
    GlossaryTermFactory.create_batch(meetings)

    # The opportunity with its meetings, the glossary, and what people's involvement changed.
    with django_assert_max_num_queries(4):
        response = client.get(detail(opportunity))

    assert response.status_code == 200
