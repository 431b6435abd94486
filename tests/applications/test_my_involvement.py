"""A lay partner's own page (/my-involvement/): asking for a sign-in link, using it once,
the page itself, signing out, and the links in subject access, erasure and retention
(applications/my_involvement.py, applications/views.py)."""

import datetime
import re
import uuid

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from applications.models import Booking, ExpressionOfInterest, SignInLink
from applications.personal_data import Person, apply_retention, erase
from tests.factories import ExpressionOfInterestFactory, MeetingFactory, OpportunityFactory

# Emails are queued when the transaction commits, so these tests commit for real.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("immediate_tasks")]

SIGN_IN = reverse("applications:my_involvement_sign_in")
SENT = reverse("applications:my_involvement_sent")
PAGE = reverse("applications:my_involvement")
SIGN_OUT = reverse("applications:my_involvement_sign_out")
JOINED = ExpressionOfInterest.Status.JOINED


def lay_partner(email="siobhan@example.com", **kwargs):
    return ExpressionOfInterestFactory(email=email, status=JOINED, **kwargs)


def ask(client, email="siobhan@example.com", **extra):
    return client.post(SIGN_IN, {"email": email, "submission_key": str(uuid.uuid4()), **extra})


def link_in(message):
    found = re.search(r"https://involve\.example\.nhs\.uk(/my-involvement/sign-in/[^\s]+/)",
                      message.body)
    assert found, message.body
    return found[1]


def sign_in(client, email="siobhan@example.com"):
    ask(client, email)
    return client.post(link_in(mail.outbox[-1]))


# Asking for a link ---------------------------------------------------------------------------


def test_it_shows_the_form_never_cached(client):
    response = client.get(SIGN_IN)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Sign in to your involvement page</h1>" in html
    assert 'name="email"' in html and 'name="website"' in html
    assert "no-cache" in response["Cache-Control"]


def test_it_emails_a_lay_partner_a_link(client):
    lay_partner(email="Siobhan@Example.com")

    response = ask(client, "siobhan@example.com")

    assert response.status_code == 302 and response["Location"] == SENT
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["siobhan@example.com"]
    assert message.subject == "Sign in to your involvement page"
    assert "works once, for 30 minutes" in message.body
    link = SignInLink.objects.get()
    token = link_in(message).rstrip("/").rsplit("/", 1)[1]
    # Only the token's hash is kept.
    assert token not in link.token_hash and len(link.token_hash) == 64
    page = client.get(SENT)
    assert "If <strong>siobhan@example.com</strong> is the email address" in page.content.decode()


@pytest.mark.parametrize(
    "status", [ExpressionOfInterest.Status.NEW, ExpressionOfInterest.Status.TASTER]
)
def test_someone_not_joined_gets_no_email_but_the_same_page(client, status):
    ExpressionOfInterestFactory(email="siobhan@example.com", status=status)
    known = lay_partner(email="known@example.com")

    response = ask(client, "siobhan@example.com")
    unknown = ask(client, "nobody@example.com")

    assert mail.outbox == [] and not SignInLink.objects.exists()
    assert response["Location"] == unknown["Location"] == SENT
    not_joined_page = client.get(SENT).content.decode().replace("nobody@", "siobhan@")
    ask(client, known.email)
    joined_page = client.get(SENT).content.decode().replace("known@", "siobhan@")
    assert len(mail.outbox) == 1
    # The pages differ only in the CSRF token, if at all.
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", not_joined_page) == strip.sub("", joined_page)


def test_an_erased_person_gets_no_link(client):
    expression = lay_partner()
    erase(Person(expression.email), by=None, reason="Asked to be forgotten")

    ask(client)

    assert mail.outbox == []


def test_a_form_with_mistakes_says_how_to_fix_them(client):
    response = ask(client, "not an address")

    html = response.content.decode()
    assert response.status_code == 400
    assert "<title>Error: " in html
    assert "Enter an email address in the correct format, like name@example.com" in html
    assert 'value="not an address"' in html


def test_the_box_bots_fill_in_stops_the_form(client):
    lay_partner()

    response = ask(client, website="http://spam.example")

    assert response.status_code == 400 and mail.outbox == []


def test_it_is_rate_limited(client, settings):
    settings.EXPRESSION_RATE_LIMIT = 2
    lay_partner()

    assert ask(client).status_code == 302
    assert ask(client).status_code == 302
    response = ask(client)

    assert response.status_code == 429
    assert len(mail.outbox) == 2


def test_the_same_form_sent_twice_sends_one_link(client):
    lay_partner()
    data = {"email": "siobhan@example.com", "submission_key": str(uuid.uuid4())}

    first = client.post(SIGN_IN, data)
    again = client.post(SIGN_IN, data)

    assert first["Location"] == again["Location"] == SENT
    assert len(mail.outbox) == 1 and SignInLink.objects.count() == 1


def test_the_sent_page_without_asking_goes_to_the_form(client):
    assert client.get(SENT)["Location"] == SIGN_IN


# Using the link ------------------------------------------------------------------------------


def test_opening_the_link_only_asks_and_the_button_signs_in(client):
    lay_partner()
    ask(client)
    link = link_in(mail.outbox[0])

    opened = client.get(link)

    assert opened.status_code == 200
    assert "<h1>Sign in to your involvement page</h1>" in opened.content.decode()
    assert SignInLink.objects.get().used_at is None
    signed_in = client.post(link)
    assert signed_in.status_code == 302 and signed_in["Location"] == PAGE
    assert SignInLink.objects.get().used_at is not None
    assert client.session["my_involvement_email"] == "siobhan@example.com"
    assert client.session.get_expiry_age() == 3 * 60 * 60
    assert client.get(PAGE).status_code == 200


def test_a_used_link_fails_kindly(client):
    lay_partner()
    sign_in(client)
    link = link_in(mail.outbox[0])

    client.post(SIGN_OUT)
    again = client.post(link)

    assert again.status_code == 404
    assert "This link has been used" in again.content.decode()
    assert "Ask for a new link" in again.content.decode()
    assert client.get(PAGE)["Location"] == SIGN_IN


def test_an_expired_link_fails_kindly(client, settings):
    settings.MY_INVOLVEMENT_LINK_MINUTES = 30
    lay_partner()
    ask(client)
    link = link_in(mail.outbox[0])
    SignInLink.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=31))

    response = client.post(link)

    assert response.status_code == 404
    assert "This link has expired" in response.content.decode()
    assert "my_involvement_email" not in client.session
    assert SignInLink.objects.get().used_at is None


def test_a_made_up_link_fails(client):
    response = client.get(reverse("applications:my_involvement_link", args=["0" * 64]))

    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()


def test_another_persons_link_signs_in_as_them_only(client):
    """A link is for the address it was sent to: whoever opens it sees that person's page,
    never a mix, and a link for one person does not work as another's."""
    lay_partner(email="siobhan@example.com", opportunity=OpportunityFactory(title="Maternity"))
    lay_partner(email="other@example.com", opportunity=OpportunityFactory(title="Renal care"))
    sign_in(client, "other@example.com")

    html = client.get(PAGE).content.decode()

    assert "Renal care" in html and "Maternity" not in html


def test_someone_erased_after_the_link_was_sent_cannot_use_it(client):
    expression = lay_partner()
    ask(client)
    link = link_in(mail.outbox[0])
    erase(Person(expression.email), by=None, reason="Asked to be forgotten")

    response = client.post(link)

    assert response.status_code == 404
    assert "my_involvement_email" not in client.session


def test_someone_erased_while_signed_in_is_signed_out(client):
    expression = lay_partner()
    sign_in(client)
    erase(Person(expression.email), by=None, reason="Asked to be forgotten")

    assert client.get(PAGE)["Location"] == SIGN_IN


# The page ------------------------------------------------------------------------------------


def test_the_page_needs_signing_in(client):
    assert client.get(PAGE)["Location"] == SIGN_IN


def test_sign_out_clears_the_session_and_needs_the_button(client):
    lay_partner()
    sign_in(client)

    # Opening the address only shows the button.
    asked = client.get(SIGN_OUT)
    assert '<button class="nhsuk-button" data-module="nhsuk-button" type="submit">Sign out' in (
        asked.content.decode()
    )
    assert client.session["my_involvement_email"] == "siobhan@example.com"
    response = client.post(SIGN_OUT, follow=True)

    assert "You have signed out." in response.content.decode()
    assert "my_involvement_email" not in client.session
    assert client.get(PAGE)["Location"] == SIGN_IN


def booked(expression, status=Booking.Status.CONFIRMED, **meeting):
    meeting = MeetingFactory(opportunity=expression.opportunity, **meeting)
    return Booking.objects.create(expression=expression, meeting=meeting, status=status)


def test_the_page_shows_groups_meetings_coming_and_attended(client):
    expression = lay_partner(opportunity=OpportunityFactory(title="Maternity voices"))
    lay_partner(opportunity=OpportunityFactory(title="Renal reference group"))
    ExpressionOfInterestFactory(
        email="siobhan@example.com", opportunity=OpportunityFactory(title="Still thinking")
    )
    online = booked(
        expression, title="Planning meeting", is_online=True,
        joining_details="Teams meeting ID 123 456",
    )
    waiting = booked(
        expression, status=Booking.Status.WAITLISTED, title="Away day", is_online=True,
        joining_details="Secret for the booked only",
    )
    past = timezone.now() - datetime.timedelta(days=30)
    booked(expression, status=Booking.Status.ATTENDED, title="Spring meeting", starts_at=past)
    booked(expression, status=Booking.Status.CANCELLED, title="Cancelled one")
    sign_in(client)

    response = client.get(PAGE)

    html = response.content.decode()
    assert "no-cache" in response["Cache-Control"]
    assert "Maternity voices" in html and "Renal reference group" in html
    assert "Still thinking" not in html
    assert "Planning meeting" in html and "Teams meeting ID 123 456" in html
    assert "Away day" in html and "Secret for the booked only" not in html
    assert "Spring meeting" in html
    assert "Cancelled one" not in html
    calendar = reverse("applications:my_involvement_calendar", args=[online.pk])
    assert calendar in html
    assert reverse("applications:my_involvement_calendar", args=[waiting.pk]) not in html
    ics = client.get(calendar)
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"Teams meeting ID 123 456" in b"".join(ics.content.split(b"\r\n "))


def test_the_calendar_file_is_only_for_their_own_places(client):
    lay_partner()
    someone_else = booked(lay_partner(email="other@example.com"))
    url = reverse("applications:my_involvement_calendar", args=[someone_else.pk])

    assert client.get(url).status_code == 404
    sign_in(client)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("bookings", [1, 12])
def test_the_page_query_count(client, django_assert_max_num_queries, bookings):
    expression = lay_partner()
    for _ in range(bookings):
        booked(expression, is_online=True, joining_details="Link")
    sign_in(client)

    with django_assert_max_num_queries(6):
        response = client.get(PAGE)

    assert response.content.decode().count("Add to calendar") == bookings


def test_the_sitemap_does_not_list_these_pages(client):
    assert "/my-involvement/" not in client.get("/sitemap.xml").content.decode()


# Personal data -------------------------------------------------------------------------------


def test_subject_access_and_erasure_cover_sign_in_links(client):
    expression = lay_partner()
    sign_in(client)
    ask(client)

    person = Person(expression.email)
    rows = person.collect()["sign_in_links"]

    assert len(rows) == 2
    assert rows[0]["sent_to"] == "siobhan@example.com" and rows[0]["used"]
    assert rows[1]["used"] == ""
    assert person.counts()["sign_in_links"] == 2
    record = erase(person, by=None, reason="Asked to be forgotten")
    assert not SignInLink.objects.exists()
    assert record.details["counts"]["sign_in_links"] == 2


def test_retention_deletes_links_a_day_old(client):
    lay_partner()
    ask(client)
    ask(client)
    old = SignInLink.objects.order_by("pk").first()
    SignInLink.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=1, minutes=1)
    )

    assert apply_retention(dry_run=True)["sign_in_links"] == 1
    counts = apply_retention()

    assert counts["sign_in_links"] == 1
    assert list(SignInLink.objects.values_list("pk", flat=True)) != [old.pk]
    assert SignInLink.objects.count() == 1


def test_the_manage_page_of_someone_who_joined_points_to_their_page(client):
    joined = lay_partner()
    waiting = ExpressionOfInterestFactory(email="siobhan@example.com")

    assert SIGN_IN in client.get(joined.manage_path()).content.decode()
    assert SIGN_IN not in client.get(waiting.manage_path()).content.decode()
