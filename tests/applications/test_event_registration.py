"""Registering for a public event: a short form, a booking or a waiting-list place, once."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.forms import EventRegistrationForm
from applications.models import Booking, ExpressionOfInterest
from opportunities.models import Meeting, Opportunity
from tests.factories import ExpressionOfInterestFactory, MeetingFactory, OpportunityFactory
from tests.public_forms import assert_sent_back, send_interest

pytestmark = pytest.mark.django_db


def answers(**overrides):
    data = {
        "full_name": "Siobhán O'Brien",
        "email": "siobhan@example.com",
        "phone": "",
        "age_band": "25_64",
        "privacy_consent": "on",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def form_url(meeting):
    return reverse("applications:register_for_event", args=[meeting.pk])


def sent_url(meeting):
    return reverse("applications:registration_sent", args=[meeting.pk])


@pytest.fixture
def sprint():
    return OpportunityFactory(
        title="iQI Sprint events", slug="iqi-sprint-events", kind=Opportunity.Kind.EVENT,
        audience=Opportunity.Audience.EVERYONE, contact_email="qi.hub@example.nhs.uk",
    )


@pytest.fixture
def event(sprint):
    return MeetingFactory(
        opportunity=sprint, kind=Meeting.Kind.EVENT, title="Spring iQI Sprint",
        public_registration=True, capacity=30,
        starts_at=datetime.datetime(2037, 3, 10, 10, 0, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2037, 3, 10, 13, 0, tzinfo=datetime.UTC),
    )


@pytest.fixture
def queued(monkeypatch):
    """The booking emails the view queues, as (booking id, kind)."""
    calls = []
    monkeypatch.setattr(
        "applications.views.queue_booking_email",
        lambda booking, kind: calls.append((booking.pk, kind)),
    )
    return calls


def fill(meeting, places_taken):
    for _ in range(places_taken):
        Booking.objects.create(
            meeting=meeting,
            expression=ExpressionOfInterestFactory(opportunity=meeting.opportunity),
            status=Booking.Status.CONFIRMED,
        )


def test_it_shows_a_short_form_about_the_event(client, event):
    response = client.get(form_url(event))

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    html = response.content.decode()
    assert "<h1>Register for Spring iQI Sprint</h1>" in html
    assert "Tuesday 10 March 2037, 10am to 1pm" in html
    assert "30 places left" in html
    assert "novalidate" in html
    for name in ("full_name", "email", "phone", "age_band", "access_needs", "privacy_consent",
                 "submission_key", "website"):
        assert f'name="{name}"' in html, name
    # The long questions of the interest form are not asked.
    for name in ("why_interested", "connections", "experience", "availability",
                 "preferred_contact"):
        assert f'name="{name}"' not in html, name
    # Under-16s are welcome at this event, with a parent or carer.
    assert "If you are under 16" in html


def test_registering_books_a_place_and_shows_the_confirmation(client, event, queued):
    response = client.post(form_url(event), answers(access_needs=["bsl"]), follow=True)

    expression = ExpressionOfInterest.objects.get()
    booking = Booking.objects.get()
    assert expression.opportunity == event.opportunity
    assert expression.meeting == event
    assert expression.access_needs == ["bsl"]
    assert expression.privacy_consent is True
    assert booking.expression == expression
    assert booking.meeting == event
    assert booking.status == Booking.Status.CONFIRMED
    assert queued == [(booking.pk, "registered")]
    assert response.redirect_chain == [(sent_url(event), 302)]
    html = response.content.decode()
    assert "You are registered" in html
    assert expression.reference in html
    assert "Tuesday 10 March 2037, 10am to 1pm" in html
    assert reverse("opportunities:event_calendar", args=[event.pk]) in html
    assert "qi.hub@example.nhs.uk" in html
    for url, _ in response.redirect_chain:
        assert "siobhan" not in url.lower()
        assert expression.reference not in url


def test_a_full_event_puts_people_on_the_waiting_list_and_says_so(client, event, queued):
    event.capacity = 2
    event.save()
    fill(event, 2)
    Booking.objects.create(
        meeting=event, expression=ExpressionOfInterestFactory(opportunity=event.opportunity),
        status=Booking.Status.WAITLISTED,
    )

    page = client.get(form_url(event)).content.decode()
    response = client.post(form_url(event), answers(), follow=True)

    assert "Full – join the waiting list" in page
    assert "you will go on the waiting list" in page
    booking = Booking.objects.get(expression__email="siobhan@example.com")
    assert booking.status == Booking.Status.WAITLISTED
    assert queued == [(booking.pk, "waitlisted")]
    html = response.content.decode()
    assert "You are on the waiting list" in html
    assert "You are number 2 on the waiting list" in html
    assert event.bookings.holding_places().count() == 2


def test_the_person_is_emailed_after_the_commit(
    client, event, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(form_url(event), answers())

    assert [message.to for message in mailoutbox] == [["siobhan@example.com"]]
    assert ExpressionOfInterest.objects.get().reference in mailoutbox[0].body


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("full_name", "", "Enter your full name"),
        ("email", "", "Enter your email address"),
        ("email", "not-an-email",
         "Enter an email address in the correct format, like name@example.com"),
        ("phone", "12345", "Enter a UK phone number, like 01632 960 001"),
        ("age_band", None, "Select how old you are"),
        ("privacy_consent", None, "Confirm that you have read the privacy notice and agree"),
    ],
)
def test_each_mistake_gets_a_specific_message_and_keeps_the_other_answers(
    client, event, field, value, message
):
    data = answers(**{field: value}, access_needs=["large_print"])
    if value is None:
        data.pop(field, None)

    response = client.post(form_url(event), data)

    html = assert_sent_back(
        response, title="Register: Spring iQI Sprint", message=message, field=field
    )
    assert 'value="large_print" checked>' in html
    assert ExpressionOfInterest.objects.count() == 0
    assert Booking.objects.count() == 0


def test_under_16s_need_a_parent_or_carer(client, event, queued):
    refused = client.post(form_url(event), answers(age_band="under_16"))
    accepted = client.post(
        form_url(event),
        answers(age_band="under_16", parent_carer_name="Mary O'Brien",
                parent_carer_contact="07700 900123", parent_carer_confirmed="on"),
    )

    assert refused.status_code == 400
    assert "Enter your parent or carer&#x27;s full name" in refused.content.decode()
    assert accepted.status_code == 302
    expression = ExpressionOfInterest.objects.get()
    assert expression.is_under_16
    assert expression.parent_carer_confirmed is True


def test_an_adults_only_event_does_not_ask_about_under_16s(client, queued):
    adults = MeetingFactory(
        opportunity=OpportunityFactory(audience=Opportunity.Audience.ADULTS),
        kind=Meeting.Kind.EVENT, public_registration=True,
    )

    page = client.get(form_url(adults)).content.decode()
    response = client.post(form_url(adults), answers(age_band="16_17"))

    assert "If you are under 16" not in page
    assert "is for adults aged 18 or over" in response.content.decode()
    assert ExpressionOfInterest.objects.count() == 0


def test_the_same_form_sent_twice_registers_once(client, event, queued):
    data = answers()

    first = client.post(form_url(event), data)
    second = client.post(form_url(event), data)

    assert ExpressionOfInterest.objects.count() == 1
    assert Booking.objects.count() == 1
    assert len(queued) == 1
    assert first["Location"] == second["Location"] == sent_url(event)


def test_the_honeypot_blocks_with_a_clear_message_and_keeps_the_answers(client, event, queued):
    response = client.post(form_url(event), answers(website="http://spam.example"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "Your registration has not been sent yet" in html
    assert "Empty the box labelled" in html
    assert "Siobhán O&#x27;Brien" in html
    assert Booking.objects.count() == 0
    assert queued == []


def test_the_rate_limit_blocks_a_flood_but_not_a_person(client, event, settings, queued):
    settings.EXPRESSION_RATE_LIMIT = 3
    for _ in range(5):
        client.post(form_url(event), answers(email=""))
    for _ in range(3):
        assert client.post(form_url(event), answers()).status_code == 302

    blocked = client.post(form_url(event), answers())

    assert blocked.status_code == 429
    html = blocked.content.decode()
    assert "You have sent a lot of forms from this internet connection" in html
    assert "Siobhán O&#x27;Brien" in html
    assert Booking.objects.count() == 3


def test_the_rate_limit_counts_interest_forms_and_registrations_together(
    client, event, settings, queued
):
    settings.EXPRESSION_RATE_LIMIT = 2
    # Events take registrations only, so the interest form is for another opportunity.
    group = OpportunityFactory(kind=Opportunity.Kind.REFERENCE_GROUP)
    send_interest(
        client, group,
        answers(preferred_contact="email", connections=["patient"], why_interested="To help."),
    )
    client.post(form_url(event), answers())

    assert client.post(form_url(event), answers()).status_code == 429


def test_a_failure_while_saving_leaves_nothing_behind(
    client, event, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    def fail(booking, kind):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("applications.views.queue_booking_email", fail)
    client.raise_request_exception = False

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(form_url(event), answers())

    assert response.status_code == 500
    assert ExpressionOfInterest.objects.count() == 0
    assert Booking.objects.count() == 0
    assert callbacks == []
    assert mailoutbox == []


class TestWhenRegistrationIsNotPossible:
    def test_a_past_event_says_registration_has_closed(self, client, event, queued):
        event.starts_at = timezone.now() - datetime.timedelta(days=1)
        event.ends_at = event.starts_at + datetime.timedelta(hours=3)
        event.save()

        get = client.get(form_url(event))
        post = client.post(form_url(event), answers())

        assert get.status_code == 404
        assert "Registration for this event has closed" in get.content.decode()
        assert reverse("opportunities:events") in get.content.decode()
        assert post.status_code == 404
        assert ExpressionOfInterest.objects.count() == 0

    @pytest.mark.parametrize(
        "kind", [Meeting.Kind.BRIEFING, Meeting.Kind.TASTER, Meeting.Kind.EVENT]
    )
    def test_a_meeting_the_public_cannot_register_for_is_a_404(self, client, sprint, kind):
        meeting = MeetingFactory(opportunity=sprint, kind=kind, public_registration=False)

        assert client.get(form_url(meeting)).status_code == 404
        assert client.post(form_url(meeting), answers()).status_code == 404
        assert ExpressionOfInterest.objects.count() == 0

    @pytest.mark.parametrize("status", [Opportunity.Status.DRAFT, Opportunity.Status.CLOSED])
    def test_an_event_of_a_draft_or_closed_opportunity_is_a_404(self, client, status):
        meeting = MeetingFactory(
            opportunity=OpportunityFactory(status=status), kind=Meeting.Kind.EVENT,
            public_registration=True,
        )

        assert client.get(form_url(meeting)).status_code == 404
        assert client.post(form_url(meeting), answers()).status_code == 404

    def test_even_staff_cannot_register_for_a_draft_opportunitys_event(self, staff_client):
        meeting = MeetingFactory(
            opportunity=OpportunityFactory(status=Opportunity.Status.DRAFT),
            kind=Meeting.Kind.EVENT, public_registration=True,
        )

        assert staff_client.get(form_url(meeting)).status_code == 404

    def test_no_such_event_is_a_404(self, client):
        assert client.get(reverse("applications:register_for_event", args=[9999])).status_code \
            == 404


def test_the_confirmation_page_needs_the_session(client, event):
    response = client.get(sent_url(event))

    assert response.status_code == 302
    assert response["Location"] == reverse("opportunities:events")


def test_the_confirmation_page_is_for_the_event_registered_for(client, event, sprint, queued):
    other = MeetingFactory(opportunity=sprint, kind=Meeting.Kind.EVENT, public_registration=True)
    client.post(form_url(event), answers())

    assert client.get(sent_url(other)).status_code == 302
    assert client.get(sent_url(event)).status_code == 200


def test_the_form_class_saves_the_meeting_and_opportunity(event):
    form = EventRegistrationForm(answers(), meeting=event)

    assert form.is_valid(), form.errors
    expression = form.save()

    assert expression.meeting == event
    assert expression.opportunity == event.opportunity
    assert expression.why_interested == ""
    assert expression.connections == []
