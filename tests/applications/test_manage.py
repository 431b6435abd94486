import datetime
import re

import pytest
from django.core import signing
from django.urls import resolve, reverse
from django.utils import timezone

from applications.models import MANAGE_LINK_SALT, Booking, ExpressionOfInterest
from opportunities.models import Meeting
from tests.factories import ExpressionOfInterestFactory, MeetingFactory

pytestmark = pytest.mark.django_db


def test_it_shows_the_status_in_plain_words(client):
    expression = ExpressionOfInterestFactory(opportunity__title="Digital reference group")

    response = client.get(expression.manage_path())

    assert response.status_code == 200
    html = response.content.decode()
    assert "Digital reference group" in html
    assert expression.reference in html
    assert "Someone from the team will contact you soon." in html
    assert "Withdraw my expression of interest" in html
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_it_withdraws_with_no_account(client):
    expression = ExpressionOfInterestFactory()

    response = client.post(expression.withdraw_path(), follow=True)

    expression.refresh_from_db()
    assert expression.status == ExpressionOfInterest.Status.WITHDRAWN
    change = expression.changes.get()
    assert change.by is None
    assert change.from_status == "new"
    html = response.content.decode()
    assert "You have withdrawn your expression of interest." in html
    assert "Withdraw my expression of interest" not in html


def test_it_makes_withdrawing_twice_harmless(client):
    expression = ExpressionOfInterestFactory()
    client.post(expression.withdraw_path())

    response = client.post(expression.withdraw_path(), follow=True)

    assert "already ended" in response.content.decode()
    assert expression.changes.count() == 1


def test_a_tampered_link_is_refused(client):
    expression = ExpressionOfInterestFactory()
    token = expression.manage_token()
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = client.get(reverse("applications:manage", args=[tampered]))
    confirm = client.get(reverse("applications:withdraw", args=[tampered]))
    post = client.post(reverse("applications:withdraw", args=[tampered]))

    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    assert confirm.status_code == 404
    assert post.status_code == 404
    expression.refresh_from_db()
    assert expression.status == ExpressionOfInterest.Status.NEW


def test_a_link_for_another_purpose_is_refused(client):
    expression = ExpressionOfInterestFactory()
    token = signing.dumps(expression.reference, salt="something-else", compress=True)

    assert client.get(reverse("applications:manage", args=[token])).status_code == 404


def test_an_expired_link_is_refused(client, settings):
    expression = ExpressionOfInterestFactory()
    token = expression.manage_token()
    settings.MANAGE_LINK_MAX_AGE = -1

    response = client.get(reverse("applications:manage", args=[token]))

    assert response.status_code == 404
    assert "may have expired" in response.content.decode()


def test_the_token_holds_no_personal_data(client):
    expression = ExpressionOfInterestFactory(email="secret.person@example.com")

    token = expression.manage_token()

    assert "secret" not in token
    assert signing.loads(token, salt=MANAGE_LINK_SALT) == expression.reference


# The person's meetings, and what happens next --------------------------------------------


def _booked(expression, status, **meeting):
    meeting = MeetingFactory(opportunity=expression.opportunity, **meeting)
    return Booking.objects.create(expression=expression, meeting=meeting, status=status)


def test_it_lists_their_meetings_with_when_where_and_their_place(client):
    expression = ExpressionOfInterestFactory()
    _booked(
        expression, Booking.Status.CONFIRMED, kind=Meeting.Kind.BRIEFING,
        location="Room 4, Charing Cross Hospital",
    )
    _booked(
        expression, Booking.Status.WAITLISTED, kind=Meeting.Kind.TASTER, is_online=True,
        location="", joining_details="https://meet.example.com/secret-room",
        starts_at=timezone.now() + datetime.timedelta(days=14),
    )

    html = client.get(expression.manage_path()).content.decode()

    assert "Your meetings" in html
    assert "Briefing meeting" in html and "Taster meeting" in html
    assert "Room 4, Charing Cross Hospital" in html
    assert "Confirmed" in html and "On the waiting list" in html
    assert Meeting.objects.get(kind="briefing").when in html
    assert "secret-room" not in html


def test_it_links_to_the_signed_booking_pages_to_accept_or_decline(client):
    expression = ExpressionOfInterestFactory()
    invited = _booked(expression, Booking.Status.INVITED, kind=Meeting.Kind.TASTER)

    html = client.get(expression.manage_path()).content.decode()

    accept = reverse("applications:booking_respond", args=[invited.token("accept"), "accept"])
    decline = reverse(
        "applications:booking_respond", args=[invited.token("decline"), "decline"]
    )
    assert f'href="{accept}"' in html
    assert f'href="{decline}"' in html
    assert "I cannot come" in html
    # Following the link only asks: the place is still theirs.
    assert client.get(decline).status_code == 200
    invited.refresh_from_db()
    assert invited.status == Booking.Status.INVITED


def test_it_offers_the_calendar_file_with_the_joining_details_for_a_place(client):
    expression = ExpressionOfInterestFactory()
    booking = _booked(
        expression, Booking.Status.INVITED, kind=Meeting.Kind.BRIEFING, is_online=True,
        location="", joining_details="https://meet.example.com/briefing-room",
    )
    url = reverse(
        "applications:booking_calendar", args=[expression.manage_token(), booking.pk]
    )

    html = client.get(expression.manage_path()).content.decode()
    response = client.get(url)

    assert f'href="{url}"' in html
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "briefing-room" in response.content.decode()


def test_it_refuses_the_calendar_file_for_someone_elses_booking_or_a_cancelled_one(client):
    expression = ExpressionOfInterestFactory()
    other = _booked(ExpressionOfInterestFactory(), Booking.Status.CONFIRMED)
    cancelled = _booked(expression, Booking.Status.CANCELLED)
    token = expression.manage_token()

    for booking in (other, cancelled):
        url = reverse("applications:booking_calendar", args=[token, booking.pk])
        assert client.get(url).status_code == 404
    html = client.get(expression.manage_path()).content.decode()
    assert "Add to calendar" not in html


def test_it_says_a_past_meeting_has_happened_and_offers_no_links(client):
    expression = ExpressionOfInterestFactory()
    _booked(
        expression, Booking.Status.CONFIRMED,
        starts_at=timezone.now() - datetime.timedelta(days=3),
    )

    html = client.get(expression.manage_path()).content.decode()

    assert "This meeting has happened" in html
    assert "Cancel my place" not in html
    assert "Add to calendar" not in html


def test_it_tells_someone_new_the_team_will_contact_them(client):
    expression = ExpressionOfInterestFactory()

    html = client.get(expression.manage_path()).content.decode()

    assert "What happens next" in html
    assert "Someone from the team will contact you soon." in html
    assert "Your meetings" not in html


def test_it_tells_someone_contacted_with_no_meeting_that_a_briefing_comes_next(client):
    expression = ExpressionOfInterestFactory()
    expression.move_to(ExpressionOfInterest.Status.CONTACTED, by=None)

    html = client.get(expression.manage_path()).content.decode()

    assert "We will invite you to a briefing meeting" in html


def test_it_does_not_promise_a_briefing_to_someone_invited_to_a_taster(client):
    expression = ExpressionOfInterestFactory()
    expression.move_to(ExpressionOfInterest.Status.CONTACTED, by=None)
    taster = _booked(expression, Booking.Status.INVITED, kind=Meeting.Kind.TASTER)

    html = client.get(expression.manage_path()).content.decode()

    assert f"You are invited to a taster meeting on {taster.meeting.when}." in html
    assert "Tell us whether you can come." in html
    assert "briefing" not in html.lower()


def test_it_tells_someone_with_a_place_to_come(client):
    expression = ExpressionOfInterestFactory()
    booking = _booked(
        expression, Booking.Status.CONFIRMED, kind=Meeting.Kind.EVENT, title="iQI Sprint"
    )

    html = client.get(expression.manage_path()).content.decode()

    assert f"You have a place at iQI Sprint on {booking.meeting.when}." in html


def test_it_says_no_next_step_once_withdrawn(client):
    expression = ExpressionOfInterestFactory()
    expression.withdraw()

    html = client.get(expression.manage_path()).content.decode()

    assert "What happens next" not in html
    assert "You have withdrawn your interest." in html


# Withdrawing asks first -------------------------------------------------------------------


def test_it_links_to_a_page_that_asks_before_withdrawing(client):
    expression = ExpressionOfInterestFactory(opportunity__title="Patient flow")

    manage = client.get(expression.manage_path()).content.decode()
    response = client.get(expression.withdraw_path())

    # Signed with the time, so the link is read rather than compared.
    withdraw = re.search(r'href="(/interest/manage/[^"]+/withdraw/)"', manage)[1]
    assert ExpressionOfInterest.from_manage_token(resolve(withdraw).kwargs["token"]) == expression
    html = response.content.decode()
    assert response.status_code == 200
    assert "Are you sure you want to withdraw?" in html
    assert "We will stop contacting you about Patient flow." in html
    assert "Yes, withdraw" in html
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    expression.refresh_from_db()
    assert expression.status == ExpressionOfInterest.Status.NEW
    assert not expression.changes.exists()


def test_it_says_which_places_withdrawing_cancels_and_cancels_them(client):
    expression = ExpressionOfInterestFactory()
    coming = _booked(expression, Booking.Status.CONFIRMED, title="Steering group visit")
    past = _booked(
        expression, Booking.Status.ATTENDED, title="Briefing in October",
        starts_at=timezone.now() - datetime.timedelta(days=30),
    )
    # The place goes to the first person waiting.
    coming.meeting.capacity = 1
    coming.meeting.save()
    waiting = Booking.objects.create(
        expression=ExpressionOfInterestFactory(), meeting=coming.meeting,
        status=Booking.Status.WAITLISTED,
    )

    html = client.get(expression.withdraw_path()).content.decode()
    client.post(expression.withdraw_path())

    assert "We will cancel your place at:" in html
    assert "Steering group visit" in html
    assert "Briefing in October" not in html
    for booking in (coming, past, waiting):
        booking.refresh_from_db()
    assert coming.status == Booking.Status.CANCELLED
    assert past.status == Booking.Status.ATTENDED
    assert waiting.status == Booking.Status.CONFIRMED


def test_it_no_longer_withdraws_from_a_post_to_the_manage_page(client):
    expression = ExpressionOfInterestFactory()

    response = client.post(expression.manage_path())

    assert response.status_code == 405
    expression.refresh_from_db()
    assert expression.status == ExpressionOfInterest.Status.NEW


def test_it_sends_someone_already_withdrawn_back_to_their_page(client):
    expression = ExpressionOfInterestFactory()
    expression.withdraw()

    response = client.get(expression.withdraw_path(), follow=True)

    # Their manage page: its link is signed afresh (with the time), so it is read, not compared.
    landed = resolve(response.redirect_chain[-1][0])
    assert landed.view_name == "applications:manage"
    assert ExpressionOfInterest.from_manage_token(landed.kwargs["token"]) == expression
    assert "already ended" in response.content.decode()
