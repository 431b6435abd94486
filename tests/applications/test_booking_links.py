"""The accept and decline links in booking emails: opening one only asks, the button acts,
and a link that is tampered with, expired, for the other action or used again is refused
kindly."""

import datetime
import re
import time
from unittest import mock

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from applications.models import Booking, ExpressionOfInterest
from tests.factories import ExpressionOfInterestFactory, MeetingFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

Status = Booking.Status


def booking(status=Status.INVITED, *, meeting=None, **fields):
    meeting = meeting or MeetingFactory(title="Briefing for new members", **fields)
    expression = ExpressionOfInterestFactory(
        opportunity=meeting.opportunity, status=ExpressionOfInterest.Status.CONTACTED
    )
    return Booking.objects.create(meeting=meeting, expression=expression, status=status)


def link(held, action):
    return reverse("applications:booking_respond", args=[held.token(action), action])


def status_of(held):
    held.refresh_from_db()
    return held.status


def text_of(response):
    return re.sub(r"\s+", " ", response.content.decode())


# Opening the link ----------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_opening_a_link_only_asks(client, action):
    held = booking()

    response = client.get(link(held, action))

    assert response.status_code == 200
    assert status_of(held) == Status.INVITED
    html = text_of(response)
    assert '<form method="post"' in html
    assert "Briefing for new members" in html
    assert html.count("<h1") == 1


def test_the_pages_are_not_cached(client):
    response = client.get(link(booking(), "accept"))

    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_the_accept_page_says_when_in_uk_time(client):
    held = booking(
        starts_at=datetime.datetime(2027, 3, 9, 10, 0, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2027, 3, 9, 13, 0, tzinfo=datetime.UTC),
    )

    response = client.get(link(held, "accept"))

    assert "Tuesday 9 March 2027, 10am to 1pm (UK time)" in text_of(response)


def test_the_page_never_shows_online_joining_details(client):
    held = booking(is_online=True, joining_details="https://meet.example/secret-room")

    for action in ("accept", "decline"):
        assert "secret-room" not in text_of(client.get(link(held, action)))


# Acting --------------------------------------------------------------------------------------


def test_the_accept_button_confirms_the_place(client):
    held = booking()
    url = link(held, "accept")

    response = client.post(url)

    assert response.status_code == 302
    assert response["Location"] == url
    assert status_of(held) == Status.CONFIRMED
    assert "You have a place" in text_of(client.get(response["Location"]))


def test_the_decline_button_cancels_the_place(client):
    held = booking(Status.CONFIRMED)

    response = client.post(link(held, "decline"), follow=True)

    assert status_of(held) == Status.CANCELLED
    html = text_of(response)
    assert "We have cancelled your place" in html
    # They can still withdraw their interest altogether, without a reason.
    manage = re.search(r'href="(/interest/manage/[^"]+)"', response.content.decode())[1]
    assert ExpressionOfInterest.from_manage_token(resolve(manage).kwargs["token"]) == (
        held.expression
    )


def test_declining_gives_the_place_to_the_first_person_waiting_and_emails_them(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory(capacity=1, title="Taster meeting in March")
    held = booking(Status.INVITED, meeting=meeting)
    first = booking(Status.WAITLISTED, meeting=meeting)
    second = booking(Status.WAITLISTED, meeting=meeting)
    Booking.objects.filter(pk=second.pk).update(
        created_at=timezone.now() + datetime.timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        client.post(link(held, "decline"))

    assert status_of(held) == Status.CANCELLED
    assert status_of(first) == Status.CONFIRMED
    assert status_of(second) == Status.WAITLISTED
    [email] = mailoutbox
    assert email.to == [first.expression.email]
    assert email.subject.startswith("A place has come up for you: Taster meeting in March")


def test_declining_when_nobody_is_waiting_emails_nobody(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    held = booking(Status.INVITED)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(link(held, "decline"))

    assert status_of(held) == Status.CANCELLED
    assert mailoutbox == []


def test_someone_waiting_can_leave_the_waiting_list(client):
    held = booking(Status.WAITLISTED)

    assert "Leave the waiting list?" in text_of(client.get(link(held, "decline")))
    client.post(link(held, "decline"))

    assert status_of(held) == Status.CANCELLED


# Refused links -------------------------------------------------------------------------------


def assert_link_does_not_work(response):
    assert response.status_code == 404
    html = text_of(response)
    assert "This link does not work" in html
    assert "Traceback" not in html


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_does_not_work(client, method):
    held = booking()
    token = held.token("accept")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = getattr(client, method)(
        reverse("applications:booking_respond", args=[tampered, "accept"])
    )

    assert_link_does_not_work(response)
    assert status_of(held) == Status.INVITED


def test_a_link_for_another_booking_cannot_be_forged_from_its_id(client):
    held = booking()
    forged = f"{held.pk}:accept"

    assert_link_does_not_work(
        client.post(reverse("applications:booking_respond", args=[forged, "accept"]))
    )


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_link_does_not_work(client, settings, method):
    held = booking()
    made = time.time() - settings.MANAGE_LINK_MAX_AGE - 60
    with mock.patch("django.core.signing.time.time", return_value=made):
        token = held.token("accept")

    response = getattr(client, method)(
        reverse("applications:booking_respond", args=[token, "accept"])
    )

    assert_link_does_not_work(response)
    assert status_of(held) == Status.INVITED


@pytest.mark.parametrize("token_for, used_as", [("decline", "accept"), ("accept", "decline")])
def test_a_link_only_does_what_it_was_made_for(client, token_for, used_as):
    held = booking()

    response = client.post(
        reverse("applications:booking_respond", args=[held.token(token_for), used_as])
    )

    assert_link_does_not_work(response)
    assert status_of(held) == Status.INVITED


def test_an_unknown_action_does_not_work(client):
    held = booking()

    assert_link_does_not_work(
        client.post(reverse("applications:booking_respond", args=[held.token("delete"), "delete"]))
    )


def test_a_link_for_a_booking_that_has_gone_does_not_work(client):
    held = booking()
    url = link(held, "accept")
    held.delete()

    assert_link_does_not_work(client.get(url))


def test_an_accept_link_used_again_says_they_have_a_place(client):
    held = booking()
    url = link(held, "accept")
    client.post(url)

    again = client.post(url)

    assert again.status_code == 409
    assert "You have a place" in text_of(again)
    assert '<form method="post"' not in text_of(again)
    assert status_of(held) == Status.CONFIRMED


def test_a_decline_link_used_again_says_the_place_is_cancelled(client):
    meeting = MeetingFactory(capacity=1)
    held = booking(Status.INVITED, meeting=meeting)
    url = link(held, "decline")
    client.post(url)
    # The place has gone to someone else since; declining again must not touch theirs.
    other = booking(Status.CONFIRMED, meeting=meeting)

    again = client.post(url)

    assert again.status_code == 409
    assert "cancelled your place" in text_of(again)
    assert status_of(other) == Status.CONFIRMED


def test_accepting_after_declining_is_refused_kindly(client):
    held = booking()
    client.post(link(held, "decline"))

    response = client.get(link(held, "accept"))

    assert response.status_code == 200
    assert "You told us you cannot come" in text_of(response)
    assert '<form method="post"' not in text_of(response)
    client.post(link(held, "accept"))
    assert status_of(held) == Status.CANCELLED


def test_a_link_for_a_meeting_that_has_happened_does_nothing(client):
    past = timezone.now() - datetime.timedelta(days=3)
    held = booking(starts_at=past, ends_at=past + datetime.timedelta(hours=2))

    response = client.post(link(held, "decline"))

    assert response.status_code == 409
    assert "This meeting has happened" in text_of(response)
    assert status_of(held) == Status.INVITED
