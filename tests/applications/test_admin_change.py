"""One expression of interest's page in the admin: read, move, note, assign."""

import re

import pytest
from django.urls import reverse

from applications.models import ExpressionOfInterest, StaffNote
from tests.factories import ExpressionOfInterestFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

Status = ExpressionOfInterest.Status


@pytest.fixture
def staff_user(staff_client, django_user_model):
    return django_user_model.objects.get(username="staff")


def change_url(expression):
    return reverse("admin:applications_expressionofinterest_change", args=[expression.pk])


def move_url(expression):
    return reverse("admin:applications_expressionofinterest_move", args=[expression.pk])


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def form_data(**fields):
    """What the browser posts for the change form: the only editable field and the inlines."""
    return {
        "assigned_to": "",
        "notes-TOTAL_FORMS": 0, "notes-INITIAL_FORMS": 0,
        "changes-TOTAL_FORMS": 0, "changes-INITIAL_FORMS": 0,
        **fields,
    }


# Reading -------------------------------------------------------------------------------------


def test_it_shows_connections_and_access_needs_as_the_form_worded_them(staff_client):
    expression = ExpressionOfInterestFactory(
        connections=["carer", "resident"], access_needs=["bsl", "large_print"]
    )

    html = staff_client.get(change_url(expression)).content.decode()

    for label in [
        "I am a carer or family member of a patient", "I live locally",
        "A British Sign Language (BSL) interpreter", "Large print",
    ]:
        assert label in html


def test_it_shows_choice_answers_by_their_labels(staff_client):
    expression = ExpressionOfInterestFactory(
        age_band=ExpressionOfInterest.AgeBand.AGE_65_PLUS,
        preferred_contact=ExpressionOfInterest.ContactMethod.EITHER,
    )

    html = staff_client.get(change_url(expression)).content.decode()

    assert "65 or over" in html
    assert '<div class="readonly">Either</div>' in html


def test_it_shows_the_answers_without_boxes_to_edit_them(staff_client):
    expression = ExpressionOfInterestFactory(why_interested="My mum was on the ward.")

    html = staff_client.get(change_url(expression)).content.decode()

    assert "My mum was on the ward." in html
    for field in ["full_name", "email", "phone", "why_interested", "age_band", "connections"]:
        assert f'name="{field}"' not in html
    assert 'name="assigned_to"' in html


def test_it_shows_the_parent_or_carer_for_an_under_16(staff_client):
    expression = ExpressionOfInterestFactory(
        age_band=ExpressionOfInterest.AgeBand.UNDER_16, parent_carer_name="Mary Byrne",
        parent_carer_confirmed=True,
    )

    html = staff_client.get(change_url(expression)).content.decode()

    assert "Mary Byrne" in html
    # Their own word that their parent or carer agrees, apart from the parent's or carer's.
    assert "They told us their parent or carer agrees" in html
    assert "Parent or carer consent" in html


def test_it_shows_a_summary_with_the_status_tag(staff_client):
    expression = ExpressionOfInterestFactory(status=Status.TASTER)

    html = staff_client.get(change_url(expression)).content.decode()

    assert '<strong class="eoi-tag eoi-tag--yellow">Taster meeting</strong>' in html
    assert expression.reference in html


def test_it_offers_only_the_allowed_moves(staff_client):
    expression = ExpressionOfInterestFactory(status=Status.CONTACTED)

    html = staff_client.get(change_url(expression)).content.decode()

    assert 'name="status" value="briefing"' in html
    assert 'name="status" value="not_progressed"' in html
    assert 'name="status" value="withdrawn"' in html
    assert 'name="status" value="joined"' not in html


def test_it_says_an_ended_expression_cannot_move(staff_client):
    expression = ExpressionOfInterestFactory(status=Status.WITHDRAWN)

    html = staff_client.get(change_url(expression)).content.decode()

    assert "has ended, so it cannot move" in html
    assert 'name="status"' not in html


# Moving --------------------------------------------------------------------------------------


def test_it_moves_through_the_pipeline_as_the_member_of_staff(staff_client, staff_user):
    expression = ExpressionOfInterestFactory(status=Status.NEW)

    response = staff_client.post(move_url(expression), {"status": "contacted", "reason": ""})

    assert response.status_code == 302
    assert response["Location"] == change_url(expression)
    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED
    assert expression.first_contacted_at is not None
    assert expression.changes.get().by == staff_user


def test_it_says_the_move_worked(staff_client):
    expression = ExpressionOfInterestFactory(status=Status.NEW)

    response = staff_client.post(move_url(expression), {"status": "contacted"}, follow=True)

    assert (
        f"{expression.reference} moved to “Contacted”. They have been emailed."
        in messages_of(response)
    )


def test_it_marks_not_progressed_with_the_reason_given(staff_client, staff_user):
    expression = ExpressionOfInterestFactory(status=Status.BRIEFING)

    # The first press shows the email to the person for review; the second moves it.
    staff_client.post(
        move_url(expression), {"status": "not_progressed", "reason": "Under the age limit."}
    )
    expression.refresh_from_db()
    assert expression.status == Status.BRIEFING
    staff_client.post(move_url(expression), {
        "status": "not_progressed", "reason": "Under the age limit.", "confirm": "yes",
        "send_email": "do_not_send", "email_text": "",
    })

    expression.refresh_from_db()
    assert expression.status == Status.NOT_PROGRESSED
    assert expression.not_progressed_reason == "Under the age limit."
    assert expression.changes.get().reason == "Under the age limit."


def test_it_shows_the_refusal_of_an_invalid_move_and_changes_nothing(staff_client):
    expression = ExpressionOfInterestFactory(status=Status.NEW)

    response = staff_client.post(move_url(expression), {"status": "joined"}, follow=True)

    assert response.status_code == 200
    assert (
        "You cannot move an expression of interest from “New” to “Joined”. "
        "The next step is “Contacted”." in messages_of(response)
    )
    expression.refresh_from_db()
    assert expression.status == Status.NEW
    assert not expression.changes.exists()


def test_it_refuses_not_progressed_without_a_reason(staff_client):
    expression = ExpressionOfInterestFactory(status=Status.CONTACTED)

    response = staff_client.post(
        move_url(expression), {"status": "not_progressed", "reason": " "}, follow=True
    )

    assert "Give a reason why this expression of interest is not progressing." in (
        messages_of(response)
    )
    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED


def test_it_refuses_a_status_that_does_not_exist(staff_client):
    expression = ExpressionOfInterestFactory(status=Status.NEW)

    response = staff_client.post(move_url(expression), {"status": "deleted"}, follow=True)

    assert "Choose one of the moves offered." in messages_of(response)
    expression.refresh_from_db()
    assert expression.status == Status.NEW


def test_it_refuses_to_move_on_a_get(staff_client):
    expression = ExpressionOfInterestFactory(status=Status.NEW)

    response = staff_client.get(move_url(expression), {"status": "contacted"})

    assert response.status_code == 405
    expression.refresh_from_db()
    assert expression.status == Status.NEW


# Notes, assigning, history -------------------------------------------------------------------


def test_a_new_note_is_written_by_the_member_of_staff(staff_client, staff_user):
    expression = ExpressionOfInterestFactory()

    response = staff_client.post(
        change_url(expression),
        form_data(**{"notes-TOTAL_FORMS": 1, "notes-0-text": "Left a voicemail."}),
    )

    assert response.status_code == 302
    note = StaffNote.objects.get(expression=expression)
    assert (note.text, note.author) == ("Left a voicemail.", staff_user)


def test_existing_notes_are_shown_but_not_editable(staff_client, staff_user):
    expression = ExpressionOfInterestFactory()
    note = StaffNote.objects.create(expression=expression, author=staff_user, text="Rang twice.")

    html = staff_client.get(change_url(expression)).content.decode()

    assert "Rang twice." in html
    assert "Rang twice.</textarea>" not in html
    assert 'name="notes-0-DELETE"' not in html
    note.refresh_from_db()
    assert note.text == "Rang twice."


def test_staff_can_assign_it_to_a_colleague(staff_client, django_user_model):
    colleague = django_user_model.objects.create_user("sam", is_staff=True)
    expression = ExpressionOfInterestFactory(assigned_to=None)

    staff_client.post(change_url(expression), form_data(assigned_to=colleague.pk))

    expression.refresh_from_db()
    assert expression.assigned_to == colleague


def test_it_refuses_to_assign_someone_who_is_not_staff(staff_client, django_user_model):
    outsider = django_user_model.objects.create_user("outsider", is_staff=False)
    expression = ExpressionOfInterestFactory(assigned_to=None)

    response = staff_client.post(change_url(expression), form_data(assigned_to=outsider.pk))

    assert response.status_code == 200
    expression.refresh_from_db()
    assert expression.assigned_to is None


def test_the_answers_cannot_be_changed_by_posting_them(staff_client):
    expression = ExpressionOfInterestFactory(full_name="Siobhán O'Brien")

    staff_client.post(
        change_url(expression), form_data(full_name="Someone else", email="x@example.com")
    )

    expression.refresh_from_db()
    assert expression.full_name == "Siobhán O'Brien"
    assert expression.email != "x@example.com"


def test_the_assign_box_searches_staff_only(staff_client, django_user_model):
    django_user_model.objects.create_user("priya", first_name="Priya", is_staff=True)
    django_user_model.objects.create_user("priyanka", first_name="Priyanka", is_staff=False)

    response = staff_client.get(
        reverse("admin:applications_expressionofinterest_assignees"), {"term": "priya"}
    )

    assert [result["text"] for result in response.json()["results"]] == ["Priya"]


def test_it_lists_the_history_with_who_moved_it_and_why(staff_client, django_user_model):
    colleague = django_user_model.objects.create_user(
        "jo", first_name="Jo", last_name="Bloggs", is_staff=True
    )
    expression = ExpressionOfInterestFactory(status=Status.NEW)
    expression.move_to(Status.CONTACTED, by=colleague)
    expression.move_to(Status.WITHDRAWN, by=None, reason="Withdrawn by the person")

    html = staff_client.get(change_url(expression)).content.decode()

    assert "Jo Bloggs" in html
    assert "The person" in html
    assert "Withdrawn by the person" in html
    assert re.search(r'field-moved_from">\s*<p>New</p>', html)
    assert re.search(r'field-moved_to">\s*<p>Contacted</p>', html)


def test_it_links_other_expressions_from_the_same_email(staff_client):
    expression = ExpressionOfInterestFactory(email="ada@example.org")
    other = ExpressionOfInterestFactory(
        email="Ada@Example.org", opportunity=OpportunityFactory(title="Maternity voices")
    )
    stranger = ExpressionOfInterestFactory(email="someone@example.org")

    html = staff_client.get(change_url(expression)).content.decode()

    assert f'href="{change_url(other)}"' in html
    assert "Maternity voices" in html
    assert stranger.reference not in html


def test_there_is_no_add_page(staff_client):
    response = staff_client.get(reverse("admin:applications_expressionofinterest_add"))

    assert response.status_code == 403


# The opportunity's page ----------------------------------------------------------------------


def test_the_opportunity_page_counts_its_expressions_by_status(staff_client):
    opportunity = OpportunityFactory()
    ExpressionOfInterestFactory.create_batch(2, opportunity=opportunity, status=Status.NEW)
    ExpressionOfInterestFactory(opportunity=opportunity, status=Status.JOINED)
    ExpressionOfInterestFactory(status=Status.NEW)  # another opportunity's

    html = staff_client.get(
        reverse("admin:opportunities_opportunity_change", args=[opportunity.pk])
    ).content.decode()

    changelist = reverse("admin:applications_expressionofinterest_changelist")
    assert (
        f'<a href="{changelist}?opportunity__id__exact={opportunity.pk}&amp;status__exact=new'
        '&amp;kind=all"><strong class="eoi-tag eoi-tag--blue">New</strong> 2</a>' in html
    )
    assert '<strong class="eoi-tag eoi-tag--green">Joined</strong> 1</a>' in html
    assert "All 3 expressions of interest for this opportunity" in html


def test_the_opportunity_counts_link_to_the_filtered_list(staff_client):
    opportunity = OpportunityFactory()
    wanted = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.NEW)
    ExpressionOfInterestFactory(opportunity=opportunity, status=Status.JOINED)

    response = staff_client.get(
        reverse("admin:applications_expressionofinterest_changelist"),
        {"opportunity__id__exact": opportunity.pk, "status__exact": "new", "kind": "all"},
    )

    assert [e.pk for e in response.context["cl"].result_list] == [wanted.pk]


def test_a_lay_partner_role_shows_joined_against_the_target(staff_client):
    opportunity = OpportunityFactory(
        kind="lay_partner", lay_partner_target=2, lay_partners_in_post=1
    )
    ExpressionOfInterestFactory(opportunity=opportunity, status=Status.JOINED)
    ExpressionOfInterestFactory(opportunity=opportunity, status=Status.TASTER)

    html = staff_client.get(
        reverse("admin:opportunities_opportunity_change", args=[opportunity.pk])
    ).content.decode()

    assert "2 of 2 (1 already in post, 1 joined through the portal)" in html


def test_a_group_says_it_is_not_a_lay_partner_role(staff_client):
    opportunity = OpportunityFactory(kind="reference_group")

    html = staff_client.get(
        reverse("admin:opportunities_opportunity_change", args=[opportunity.pk])
    ).content.decode()

    assert "Not a lay partner role." in html
