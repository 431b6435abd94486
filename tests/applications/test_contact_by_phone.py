"""Someone who would rather be phoned can leave only a phone number: the form, what is saved,
the emails (none to them, the usual one to staff), their confirmation page, the admin and
their personal data."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Booking, ExpressionOfInterest
from applications.personal_data import Person, apply_retention
from applications.tasks import send_booking_email, send_expression_emails
from opportunities.models import Meeting
from tests.factories import ExpressionOfInterestFactory, MeetingFactory, OpportunityFactory
from tests.public_forms import answer_questions, assert_sent_back, send_interest
from tests.public_forms import interest_answers as answers

pytestmark = pytest.mark.django_db

EMAIL_NEEDED = "Enter your email address, or choose phone and give your phone number"
PHONE_NEEDED = "Enter a phone number, like 01632 960 001 or 07700 900 982"
# The question page that asks how to contact them, with the email address and phone number.
CONTACT_PAGE = "How would you like us to contact you?"


@pytest.fixture
def opportunity():
    return OpportunityFactory(
        title="Patient flow", slug="patient-flow",
        contact_email="flow.involvement@example.nhs.uk",
    )


def name_still_there(client, opportunity):
    """The answer on the page before is kept while they put this one right."""
    page = client.get(reverse("applications:interest_step", args=[opportunity.slug, "name"]))
    return 'value="Siobhán O&#x27;Brien"' in page.content.decode()


def phone_only(**overrides):
    return answers(**{
        "email": "", "phone": "07700 900 982", "preferred_contact": "phone", **overrides
    })


def test_a_phone_only_expression_is_saved_and_confirmed_on_the_page(
    client, opportunity, immediate_tasks, mailoutbox
):
    response = send_interest(client, opportunity, phone_only(), follow=True)

    expression = ExpressionOfInterest.objects.get()
    assert expression.email == ""
    assert expression.phone == "07700 900 982"
    assert expression.preferred_contact == "phone"
    html = response.content.decode()
    assert expression.reference in html
    assert "We will phone you on <strong>07700 900 982</strong>" in html
    assert "We have sent a confirmation email" not in html


def test_a_phone_only_expression_emails_staff_and_not_the_person(
    client, opportunity, immediate_tasks, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_interest(client, opportunity, phone_only())

    [notification] = mailoutbox
    assert notification.to == ["flow.involvement@example.nhs.uk"]
    assert "This person wants a phone call, no email given" in notification.body
    [(html, _)] = notification.alternatives
    assert "This person wants a phone call, no email given" in html
    # Still no personal details in the staff email.
    assert "07700" not in notification.body


def test_someone_who_gave_an_email_is_not_told_to_staff_as_phone_only(
    client, opportunity, immediate_tasks, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_interest(
            client, opportunity, answers(phone="07700 900 982", preferred_contact="either")
        )

    assert sorted(message.to[0] for message in mailoutbox) == [
        "flow.involvement@example.nhs.uk", "siobhan@example.com",
    ]
    for message in mailoutbox:
        assert "no email given" not in message.body


def test_the_confirmation_task_sends_nothing_to_someone_without_an_email(
    opportunity, immediate_tasks, mailoutbox
):
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, email="", phone="020 7946 0000", preferred_contact="phone"
    )

    assert send_expression_emails.call(expression.pk) == 1

    assert [message.to for message in mailoutbox] == [["flow.involvement@example.nhs.uk"]]


def test_no_booking_email_is_sent_to_someone_without_an_email(
    opportunity, immediate_tasks, mailoutbox
):
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, email="", phone="020 7946 0000", preferred_contact="phone"
    )
    meeting = MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.BRIEFING)
    booking = Booking.objects.create(meeting=meeting, expression=expression)

    assert send_booking_email.call(booking.pk, "invitation") == 0
    assert mailoutbox == []


@pytest.mark.parametrize("preferred_contact", ["email", "either"])
def test_email_is_needed_unless_they_choose_phone(client, opportunity, preferred_contact):
    response = send_interest(
        client, opportunity,
        answers(email="", phone="07700 900 982", preferred_contact=preferred_contact),
    )

    html = assert_sent_back(
        response, title=CONTACT_PAGE, message=EMAIL_NEEDED, field="email", name_kept=False
    )
    # Every other answer is kept, the phone number and the choice included.
    assert 'value="07700 900 982"' in html
    assert name_still_there(client, opportunity)
    assert ExpressionOfInterest.objects.count() == 0


def test_no_choice_and_no_email_asks_for_both(client, opportunity):
    response = send_interest(client, opportunity, answers(email="", preferred_contact=None))

    html = response.content.decode()
    assert EMAIL_NEEDED in html
    assert "Select how you would like us to contact you" in html


@pytest.mark.parametrize("preferred_contact", ["phone", "either"])
def test_a_phone_number_is_needed_when_they_ask_to_be_phoned(
    client, opportunity, preferred_contact
):
    response = send_interest(
        client, opportunity, answers(email="", preferred_contact=preferred_contact)
    )

    assert_sent_back(
        response, title=CONTACT_PAGE, message=PHONE_NEEDED, field="phone", name_kept=False
    )
    assert name_still_there(client, opportunity)
    assert ExpressionOfInterest.objects.count() == 0


def test_choosing_phone_keeps_the_choice_when_sent_back(client, opportunity):
    response = send_interest(client, opportunity, answers(email="", preferred_contact="phone"))

    html = response.content.decode()
    [phone_radio] = re.findall(r'<input[^>]*value="phone"[^>]*>', html)
    assert "checked" in phone_radio
    assert EMAIL_NEEDED not in html


def test_a_wrong_phone_number_says_how_to_write_one(client, opportunity):
    response = send_interest(client, opportunity, phone_only(phone="12345"))

    assert_sent_back(
        response, title=CONTACT_PAGE,
        message="Enter a UK phone number, like 01632 960 001", field="phone", name_kept=False,
    )


@pytest.mark.parametrize(
    "phone", ["01632 960 001", "07700 900 982", "+44 7700 900982", "(020) 3312-5259"]
)
def test_real_phone_formats_are_enough_on_their_own(client, opportunity, phone):
    send_interest(client, opportunity, phone_only(phone=phone))

    assert ExpressionOfInterest.objects.get().phone == phone


def test_an_event_registration_still_needs_an_email(client):
    meeting = MeetingFactory(
        opportunity=OpportunityFactory(kind="event"), kind=Meeting.Kind.EVENT,
        public_registration=True, capacity=10,
    )
    data = answers(email="", phone="07700 900 982")
    data.pop("preferred_contact")

    response = client.post(reverse("applications:register_for_event", args=[meeting.pk]), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter your email address" in html
    assert EMAIL_NEEDED not in html
    assert ExpressionOfInterest.objects.count() == 0


def test_the_admin_shows_a_phone_only_expression(staff_client, opportunity):
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, email="", phone="020 7946 0000", preferred_contact="phone"
    )

    html = staff_client.get(
        reverse("admin:applications_expressionofinterest_change", args=[expression.pk])
    ).content.decode()

    assert "None given: they want a phone call" in html
    assert "020 7946 0000" in html
    assert 'href="mailto:"' not in html
    found = staff_client.get(
        reverse("admin:applications_expressionofinterest_changelist"), {"q": "7946 0000"}
    ).content.decode()
    assert expression.reference in found


def test_no_address_finds_nobody_for_subject_access_or_erasure(opportunity):
    ExpressionOfInterestFactory(
        opportunity=opportunity, email="", phone="020 7946 0000", preferred_contact="phone"
    )
    ExpressionOfInterestFactory(opportunity=opportunity, email="siobhan@example.com")

    assert Person("").counts()["expressions"] == 0
    assert Person("  ").counts()["expressions"] == 0
    assert Person("siobhan@example.com").counts()["expressions"] == 1


def test_retention_anonymises_a_phone_only_expression(opportunity):
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, email="", phone="020 7946 0000", preferred_contact="phone",
        status=ExpressionOfInterest.Status.WITHDRAWN,
        status_changed_at=timezone.now() - datetime.timedelta(days=800),
    )

    assert apply_retention()["ended"] == 1

    expression.refresh_from_db()
    assert expression.phone == ""
    assert expression.anonymised_at is not None


def test_check_your_answers_says_no_email_was_given(client, opportunity):
    check = answer_questions(client, opportunity, phone_only())

    html = check.content.decode()
    assert "07700 900 982" in html
    assert re.search(r"Email address</dt>\s*<dd[^>]*>Not given</dd>", html)
    assert re.search(r"How we contact you</dt>\s*<dd[^>]*>Phone</dd>", html)
