"""Undoing the last move, for a few minutes after it: recorded in the history as a change of its
own, by the member of staff who moved it or the involvement team, and refused once anything
else has happened."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from applications.models import Booking, ExpressionOfInterest, InvalidMove, StaffNote
from tests.factories import ExpressionOfInterestFactory, MeetingFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

Status = ExpressionOfInterest.Status


@pytest.fixture
def make_staff(django_user_model):
    def make(username, group):
        user = django_user_model.objects.create_user(username, is_staff=True)
        user.groups.add(Group.objects.get(name=group))
        return user

    return make


@pytest.fixture
def programme():
    return ProgrammeFactory()


@pytest.fixture
def lead(make_staff, programme):
    user = make_staff("lee", "Programme lead")
    programme.leads.add(user)
    return user


@pytest.fixture
def expression(programme):
    return ExpressionOfInterestFactory(opportunity__programme=programme, status=Status.NEW)


def undo_url(expression):
    return reverse("admin:applications_expressionofinterest_undo", args=[expression.pk])


def change_url(expression):
    return reverse("admin:applications_expressionofinterest_change", args=[expression.pk])


def minutes_ago(expression, minutes):
    expression.changes.update(at=timezone.now() - datetime.timedelta(minutes=minutes))


def test_it_undoes_a_mis_click_and_keeps_both_in_the_history(client, lead, expression):
    expression.move_to(Status.CONTACTED, by=lead)
    client.force_login(lead)
    page = client.get(change_url(expression)).content.decode()
    assert "Moved to “Contacted” by mistake?" in page
    assert "Undo: back to “New”" in page

    response = client.post(undo_url(expression), follow=True)

    assert f"Undone: {expression.reference} is back at “New”." in response.content.decode()
    expression.refresh_from_db()
    assert expression.status == Status.NEW
    # It was the first contact: they are waiting for one again.
    assert expression.first_contacted_at is None
    first, undo = expression.changes.order_by("at", "pk")
    assert (first.from_status, first.to_status) == (Status.NEW, Status.CONTACTED)
    assert (undo.from_status, undo.to_status, undo.by) == (Status.CONTACTED, Status.NEW, lead)
    assert undo.undoes == first
    assert undo.reason.startswith("Undone: the move to “Contacted” at ")
    assert "Undone: the move to “Contacted”" in client.get(change_url(expression)).content.decode()


def test_it_undoes_not_progressed_and_clears_its_reason(lead, expression):
    expression.move_to(Status.NOT_PROGRESSED, by=lead, reason="Clicked the wrong one.")

    expression.undo_last_move(by=lead)

    expression.refresh_from_db()
    assert (expression.status, expression.not_progressed_reason) == (Status.NEW, "")


def test_it_is_refused_after_the_window(client, lead, expression):
    expression.move_to(Status.CONTACTED, by=lead)
    minutes_ago(expression, ExpressionOfInterest.UNDO_MINUTES + 1)
    client.force_login(lead)
    assert "by mistake?" not in client.get(change_url(expression)).content.decode()

    response = client.post(undo_url(expression), follow=True)

    assert "A move can only be undone within 5 minutes of making it." in (
        response.content.decode()
    )
    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED
    assert expression.changes.count() == 1


def test_it_is_refused_to_another_member_of_staff(make_staff, programme, lead, expression):
    expression.move_to(Status.CONTACTED, by=lead)
    other_lead = make_staff("other", "Programme lead")
    programme.leads.add(other_lead)

    with pytest.raises(InvalidMove, match="Only the member of staff who made the move"):
        expression.undo_last_move(by=other_lead)
    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED


def test_the_involvement_team_may_undo_anyones_move(make_staff, lead, expression):
    expression.move_to(Status.CONTACTED, by=lead)
    team_member = make_staff("sam", "Involvement team")

    expression.undo_last_move(by=team_member)

    expression.refresh_from_db()
    assert expression.status == Status.NEW


def test_only_the_last_move_is_undone_and_an_undo_is_not_undone(lead, expression):
    expression.move_to(Status.CONTACTED, by=lead)
    expression.move_to(Status.WITHDRAWN, by=lead, reason="Asked us to stop.")

    expression.undo_last_move(by=lead)
    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED
    assert expression.first_contacted_at is not None  # the first contact stands

    with pytest.raises(InvalidMove, match="The last change was itself an undo"):
        expression.undo_last_move(by=lead)


def test_it_is_refused_after_another_move(lead, expression):
    expression.move_to(Status.CONTACTED, by=lead)
    first = expression.changes.get()
    expression.move_to(Status.NOT_PROGRESSED, by=lead, reason="Not now.")

    assert expression.undo_refusal(first, lead) == (
        "Something has happened since that move, so it cannot be undone."
    )


@pytest.mark.parametrize("since", ["note", "booking"])
def test_it_is_refused_when_anything_happened_since(lead, expression, since):
    expression.move_to(Status.CONTACTED, by=lead)
    if since == "note":
        StaffNote.objects.create(expression=expression, author=lead, text="Phoned them.")
    else:
        Booking.objects.create(expression=expression, meeting=MeetingFactory())

    with pytest.raises(InvalidMove, match="Something has happened since that move"):
        expression.undo_last_move(by=lead)


def test_the_persons_own_withdrawal_is_not_undone(make_staff, expression):
    expression.withdraw()

    with pytest.raises(InvalidMove, match="The person made the last change themselves"):
        expression.undo_last_move(by=make_staff("sam", "Involvement team"))


def test_undo_needs_post(client, lead, expression):
    expression.move_to(Status.CONTACTED, by=lead)
    client.force_login(lead)

    assert client.get(undo_url(expression)).status_code == 405
