"""Who sees what: the involvement team sees every expression of interest, a programme lead only
their own programmes', and other staff none at all."""

import csv
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from applications.models import ExpressionOfInterest
from tests.factories import ExpressionOfInterestFactory, OpportunityFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

Status = ExpressionOfInterest.Status
CHANGELIST = "admin:applications_expressionofinterest_changelist"


def group_codenames(name):
    group = Group.objects.get(name=name)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def change_url(expression):
    return reverse("admin:applications_expressionofinterest_change", args=[expression.pk])


def move_url(expression):
    return reverse("admin:applications_expressionofinterest_move", args=[expression.pk])


def run_action(client, action, expressions, **extra):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [e.pk for e in expressions], **extra},
    )


@pytest.fixture
def make_staff(client, django_user_model):
    def make(username, group=None):
        user = django_user_model.objects.create_user(
            username, f"{username}@example.nhs.uk", is_staff=True
        )
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    return make


@pytest.fixture
def lead(make_staff):
    return make_staff("lead", "Programme lead")


@pytest.fixture
def own(lead):
    """An expression of interest in a programme the lead leads."""
    programme = ProgrammeFactory(name="Maternity")
    programme.leads.add(lead)
    return ExpressionOfInterestFactory(
        opportunity__programme=programme, status=Status.NEW, email="shared@example.org"
    )


@pytest.fixture
def others():
    """An expression of interest in someone else's programme."""
    return ExpressionOfInterestFactory(
        opportunity__programme=ProgrammeFactory(name="Cancer care"), status=Status.NEW,
        email="shared@example.org",
    )


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead)
    return client


# The groups ----------------------------------------------------------------------------------


IMPACT_RECORDS = {
    f"opportunities.{action}_{model}"
    for model in ["impactrecord", "impactupdate", "namedlaypartner"]
    for action in ["view", "add", "change"]
}


def test_the_involvement_team_group_has_its_permissions():
    opportunities = {
        f"opportunities.{action}_{model}"
        for model in ["programme", "opportunity", "meeting", "glossaryterm", "paymentlevel"]
        for action in ["view", "change", "add"]
    }
    assert group_codenames("Involvement team") == {
        "applications.view_expressionofinterest", "applications.change_expressionofinterest",
        "applications.view_statuschange", "applications.change_statuschange",
        "applications.add_staffnote", "applications.view_staffnote",
        "applications.change_staffnote",
        "applications.view_all_expressions", "applications.move_expression",
        "applications.export_expressions",
        *opportunities,
        "involvement.view_privacynotice", "involvement.change_privacynotice",
        "involvement.add_privacynotice",
        # Subject access and erasure, and their records (applications/personal_data.py).
        "applications.export_personal_data", "applications.erase_personal_data",
        "applications.view_personaldatarequest", "applications.view_expressionviewing",
        # Counts of the equality monitoring answers, never the answers themselves.
        "applications.view_equality_report",
        # "You said, we did", every programme's (opportunities/impact.py).
        "opportunities.change_all_impact_records",
        *IMPACT_RECORDS,
        # How many people get alerts about new opportunities, and what they chose.
        "applications.view_alertsubscription",
        # Claims: seeing them and their receipts, deciding them, the file for payroll.
        "applications.view_claim", "applications.decide_claim", "applications.export_claims",
        "applications.view_claimexport",
    }


def test_the_programme_lead_group_has_its_permissions():
    assert group_codenames("Programme lead") == {
        "applications.view_expressionofinterest", "applications.change_expressionofinterest",
        "applications.add_staffnote", "applications.view_staffnote",
        "applications.view_statuschange",
        "applications.move_expression", "applications.export_expressions",
        "opportunities.view_programme", "opportunities.view_opportunity",
        "opportunities.view_meeting", "opportunities.view_glossaryterm",
        "involvement.view_privacynotice",
        # "You said, we did" for their own programmes (the admin limits them to those).
        *IMPACT_RECORDS,
    }


def test_neither_group_can_delete_anything():
    for name in ["Involvement team", "Programme lead"]:
        assert not any(".delete_" in codename for codename in group_codenames(name))


# Programme leads -----------------------------------------------------------------------------


def test_a_programme_lead_sees_only_their_programmes_in_the_list(lead_client, own, others):
    response = lead_client.get(reverse(CHANGELIST))

    assert [e.pk for e in response.context["cl"].result_list] == [own.pk]
    assert others.reference not in response.content.decode()


def test_a_programme_lead_sees_only_their_programmes_in_the_programme_filter(
    lead_client, own, others
):
    html = lead_client.get(reverse(CHANGELIST)).content.decode()

    assert "Maternity" in html
    assert "Cancer care" not in html


def test_a_programme_lead_can_open_their_own_programmes_expression(lead_client, own):
    response = lead_client.get(change_url(own))

    assert response.status_code == 200


def test_a_programme_lead_gets_not_found_for_another_programmes_expression(
    lead_client, others
):
    response = lead_client.get(change_url(others))

    assert response.status_code == 404


def test_a_programme_lead_can_move_their_own_programmes_expression(lead_client, lead, own):
    lead_client.post(move_url(own), {"status": "contacted"})

    own.refresh_from_db()
    assert own.status == Status.CONTACTED
    assert own.changes.get().by == lead


def test_a_programme_lead_can_add_a_note_to_their_own_programmes_expression(
    lead_client, lead, own
):
    lead_client.post(
        change_url(own),
        {"assigned_to": lead.pk, "notes-TOTAL_FORMS": 1, "notes-INITIAL_FORMS": 0,
         "notes-0-text": "Booked onto the March briefing.", "changes-TOTAL_FORMS": 0,
         "changes-INITIAL_FORMS": 0},
    )

    own.refresh_from_db()
    assert own.assigned_to == lead
    assert own.notes.get().author == lead


def test_a_programme_lead_can_search_for_colleagues_to_assign(lead_client, lead):
    response = lead_client.get(
        reverse("admin:applications_expressionofinterest_assignees"), {"term": "lead"}
    )

    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(lead.pk), "text": "lead"}]


def test_a_programme_lead_cannot_move_another_programmes_expression(lead_client, others):
    response = lead_client.post(move_url(others), {"status": "contacted"})

    assert response.status_code == 404
    others.refresh_from_db()
    assert others.status == Status.NEW
    assert not others.changes.exists()


def test_a_programme_lead_cannot_change_another_programmes_expression(lead_client, lead, others):
    response = lead_client.post(
        change_url(others),
        {"assigned_to": lead.pk, "notes-TOTAL_FORMS": 1, "notes-INITIAL_FORMS": 0,
         "notes-0-text": "Sneaky", "changes-TOTAL_FORMS": 0, "changes-INITIAL_FORMS": 0},
    )

    assert response.status_code == 404
    others.refresh_from_db()
    assert others.assigned_to is None
    assert not others.notes.exists()


def test_a_programme_lead_cannot_mark_another_programmes_expression_contacted(
    lead_client, own, others
):
    run_action(lead_client, "mark_contacted", [own, others])

    own.refresh_from_db()
    others.refresh_from_db()
    assert own.status == Status.CONTACTED
    assert others.status == Status.NEW


def test_a_programme_lead_cannot_assign_another_programmes_expression(lead_client, own, others):
    run_action(lead_client, "assign_to_me", [others])

    others.refresh_from_db()
    assert others.assigned_to is None


def test_a_programme_lead_cannot_mark_another_programmes_expression_not_progressed(
    lead_client, others
):
    run_action(lead_client, "not_progressed", [others], confirm="yes", reason="Not ours.")

    others.refresh_from_db()
    assert others.status == Status.NEW


def test_a_programme_lead_exports_only_their_own_programmes(lead_client, own, others):
    response = run_action(lead_client, "export_as_csv", [own, others])

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [own.reference]


def test_a_programme_lead_sees_only_their_own_of_the_same_persons_other_expressions(
    lead_client, lead, own, others
):
    programme = own.opportunity.programme
    sibling = ExpressionOfInterestFactory(
        opportunity=OpportunityFactory(programme=programme), email="shared@example.org"
    )

    html = lead_client.get(change_url(own)).content.decode()

    assert sibling.reference in html
    assert others.reference not in html


def test_a_programme_lead_sees_counts_only_on_their_own_programmes_opportunities(
    lead_client, own, others
):
    def opportunity_page(expression):
        return lead_client.get(
            reverse("admin:opportunities_opportunity_change", args=[expression.opportunity_id])
        ).content.decode()

    assert "expressions of interest for this opportunity" in opportunity_page(own)
    assert "expressions of interest for this opportunity" not in opportunity_page(others)


def test_a_programme_lead_cannot_delete(lead_client, own):
    response = lead_client.get(
        reverse("admin:applications_expressionofinterest_delete", args=[own.pk])
    )

    assert response.status_code == 403


# Other staff ---------------------------------------------------------------------------------


def test_staff_with_no_group_get_no_list(client, make_staff, own):
    client.force_login(make_staff("porter"))

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 403


def test_staff_with_no_group_do_not_see_expressions_on_the_admin_home(client, make_staff):
    client.force_login(make_staff("porter"))

    response = client.get(reverse("admin:index"))

    apps = response.context["app_list"]
    models = [model["object_name"] for app in apps for model in app["models"]]
    assert "ExpressionOfInterest" not in models
    assert reverse(CHANGELIST) not in response.content.decode()


def test_staff_with_no_group_cannot_open_or_move_one(client, make_staff, own):
    client.force_login(make_staff("porter"))

    assert client.get(change_url(own)).status_code in (403, 404)
    assert client.post(move_url(own), {"status": "contacted"}).status_code in (403, 404)
    own.refresh_from_db()
    assert own.status == Status.NEW


def test_staff_with_no_group_cannot_search_for_colleagues_to_assign(client, make_staff):
    client.force_login(make_staff("porter"))

    response = client.get(reverse("admin:applications_expressionofinterest_assignees"))

    assert response.status_code == 403


def test_staff_who_may_see_but_not_export_are_not_offered_the_export(
    client, django_user_model, own
):
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_expressionofinterest"),
        Permission.objects.get(codename="view_all_expressions"),
    )
    client.force_login(viewer)

    response = run_action(client, "export_as_csv", [own])

    assert response.get("Content-Type", "").startswith("text/html")
    assert "export_as_csv" not in client.get(reverse(CHANGELIST)).content.decode()


# The involvement team ------------------------------------------------------------------------


@pytest.fixture
def team_client(client, make_staff):
    client.force_login(make_staff("team", "Involvement team"))
    return client


def test_the_involvement_team_sees_every_programme(team_client, own, others):
    response = team_client.get(reverse(CHANGELIST))

    assert {e.pk for e in response.context["cl"].result_list} == {own.pk, others.pk}


def test_the_involvement_team_can_open_and_move_any(team_client, others):
    assert team_client.get(change_url(others)).status_code == 200

    team_client.post(move_url(others), {"status": "contacted"})

    others.refresh_from_db()
    assert others.status == Status.CONTACTED


def test_the_involvement_team_exports_everything_selected(team_client, own, others):
    response = run_action(team_client, "export_as_csv", [own, others])

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {row[0] for row in rows[1:]} == {own.reference, others.reference}


def test_the_involvement_team_cannot_delete(team_client, own):
    response = team_client.get(
        reverse("admin:applications_expressionofinterest_delete", args=[own.pk])
    )

    assert response.status_code == 403
    assert "delete_selected" not in team_client.get(reverse(CHANGELIST)).content.decode()


def test_a_superuser_can_delete(staff_client, own):
    response = staff_client.post(
        reverse("admin:applications_expressionofinterest_delete", args=[own.pk]),
        {"post": "yes"},
    )

    assert response.status_code == 302
    assert not ExpressionOfInterest.objects.filter(pk=own.pk).exists()
