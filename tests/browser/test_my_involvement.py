"""axe-core on every page of a lay partner's own page, signing in through the browser as a
person does: the form (and its errors), the email's link, the page, signing out."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from applications.models import Booking, ExpressionOfInterest
from tests.browser.test_accessibility import assert_no_violations
from tests.factories import ExpressionOfInterestFactory, MeetingFactory, OpportunityFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("immediate_tasks")]


def test_signing_in_the_page_and_signing_out_have_no_violations(live_server, phone):
    expression = ExpressionOfInterestFactory(
        email="siobhan@example.com", status=ExpressionOfInterest.Status.JOINED,
        opportunity=OpportunityFactory(title="Maternity voices"),
    )
    coming = MeetingFactory(opportunity=expression.opportunity, is_online=True,
                            joining_details="Teams meeting ID 123 456")
    past = MeetingFactory(opportunity=expression.opportunity,
                          starts_at=timezone.now() - datetime.timedelta(days=30))
    Booking.objects.create(expression=expression, meeting=coming, status="confirmed")
    Booking.objects.create(expression=expression, meeting=past, status="attended")
    sign_in = live_server.url + reverse("applications:my_involvement_sign_in")

    phone.goto(sign_in)
    assert_no_violations(phone, "sign in")
    phone.get_by_role("button", name="Email me a link").click()
    assert phone.title().startswith("Error: ")
    assert_no_violations(phone, "sign in, with an error")
    phone.get_by_label("Email address").fill("siobhan@example.com")
    phone.get_by_role("button", name="Email me a link").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Check your email"
    assert_no_violations(phone, "check your email")

    link = re.search(r"https?://[^/\s]+(/my-involvement/sign-in/[^\s]+/)", mail.outbox[0].body)[1]
    phone.goto(live_server.url + link)
    assert_no_violations(phone, "the link")
    phone.get_by_role("button", name="Sign in").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Your involvement"
    assert "Teams meeting ID 123 456" in phone.content()
    assert_no_violations(phone, "the page")

    phone.goto(live_server.url + reverse("applications:my_involvement_sign_out"))
    assert_no_violations(phone, "sign out")
    phone.get_by_role("button", name="Sign out").click()
    assert "You have signed out." in phone.content()

    phone.goto(live_server.url + link)
    assert phone.get_by_role("heading", level=1).inner_text() == "This link has been used"
    assert_no_violations(phone, "a used link")
