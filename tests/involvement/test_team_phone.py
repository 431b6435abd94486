"""The involvement team's phone number (TRUST_INVOLVEMENT_PHONE): shown, as a tel: link, beside
the team's email address wherever that is shown, and nowhere while it is not set (the trust's
page gives no number)."""

import pytest
from django.core import mail
from django.urls import reverse

from applications.emails import booking_email, confirmation_email
from applications.models import Booking
from applications.views import SENT_SESSION_KEY
from involvement.formats import tel_href
from tests.factories import (
    ExpressionOfInterestFactory,
    GlossaryTermFactory,
    MeetingFactory,
    OpportunityFactory,
)

pytestmark = pytest.mark.django_db

NUMBER = "020 7946 0123"
LINK = 'href="tel:02079460123"'
# Kept on one line: a number broken across two is easy to misread.
CALL = f'or call <a {LINK} class="nhsuk-u-nowrap">{NUMBER}</a>'


@pytest.fixture
def opportunity():
    # No contact of its own or its programme's: the team's are used.
    return OpportunityFactory(
        title="Patient flow", slug="patient-flow", contact_email="", programme__contact_email="",
    )


def public_pages(opportunity):
    GlossaryTermFactory(term="QI", slug="qi")
    return [
        reverse("opportunities:home"),
        reverse("opportunities:list") + "?q=nothing-matches-this",
        reverse("opportunities:detail", args=[opportunity.slug]),
        reverse("opportunities:events"),
        reverse("opportunities:glossary"),
        reverse("accessibility"),
        reverse("applications:interest_step", args=[opportunity.slug, "name"]),
        reverse("applications:manage", args=["not-a-real-link"]),
        "/no-such-page/",
    ]


def test_tel_links_are_the_digits_to_dial():
    assert tel_href("020 7946 0123") == "02079460123"
    assert tel_href("+44 (0)20 7946 0123") == "+442079460123"
    assert tel_href("(020) 7946-0123") == "02079460123"
    assert tel_href("") == ""


def test_the_number_is_shown_beside_the_email_wherever_it_is(client, settings, opportunity):
    settings.TRUST_INVOLVEMENT_PHONE = NUMBER

    for url in public_pages(opportunity):
        html = client.get(url).content.decode()
        assert settings.TRUST_INVOLVEMENT_EMAIL in html, url
        assert CALL in html, url
        # The footer, on every page.
        assert f"Call the involvement team on {NUMBER}" in html, url


def test_no_number_is_shown_when_the_trust_has_given_none(client, settings, opportunity):
    assert settings.TRUST_INVOLVEMENT_PHONE == ""

    for url in public_pages(opportunity):
        html = client.get(url).content.decode()
        assert "tel:" not in html, url
        assert "or call" not in html, url
        assert "Call the involvement team" not in html, url


def test_the_confirmation_page_gives_the_number(client, settings, opportunity):
    settings.TRUST_INVOLVEMENT_PHONE = NUMBER
    expression = ExpressionOfInterestFactory(opportunity=opportunity)
    session = client.session
    session[SENT_SESSION_KEY] = expression.reference
    session.save()

    html = client.get(
        reverse("applications:interest_sent", args=[opportunity.slug])
    ).content.decode()

    assert f"{CALL} and quote your reference number" in html


def test_the_event_registration_form_gives_the_number(client, settings, opportunity):
    settings.TRUST_INVOLVEMENT_PHONE = NUMBER
    event = MeetingFactory(opportunity=opportunity, kind="event", public_registration=True)

    html = client.get(
        reverse("applications:register_for_event", args=[event.pk])
    ).content.decode()

    assert CALL in html


def test_an_opportunitys_own_number_comes_before_the_teams(client, settings):
    settings.TRUST_INVOLVEMENT_PHONE = NUMBER
    opportunity = OpportunityFactory(contact_phone="01632 960 001")

    html = client.get(reverse("opportunities:detail", args=[opportunity.slug])).content.decode()

    assert '<a href="tel:01632960001" class="nhsuk-u-nowrap">01632 960 001</a>' in html


def test_the_emails_give_the_teams_number_only_when_set(settings, opportunity):
    expression = ExpressionOfInterestFactory(opportunity=opportunity)
    booking = Booking.objects.create(
        meeting=MeetingFactory(opportunity=opportunity), expression=expression
    )

    without = [confirmation_email(expression), booking_email(booking, "invitation")]
    settings.TRUST_INVOLVEMENT_PHONE = NUMBER
    with_number = [confirmation_email(expression), booking_email(booking, "invitation")]

    for message in without:
        assert "Phone:" not in message.body
        assert "tel:" not in message.alternatives[0][0]
    for message in with_number:
        assert f"Phone: {NUMBER}" in message.body
        assert f"{LINK}" in message.alternatives[0][0]
    assert mail.outbox == []
