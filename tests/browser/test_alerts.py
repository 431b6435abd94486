"""Alerts about new opportunities in a real browser: every page of the journey, and its error
states, scanned with axe (0 violations, `region` included); the journey also without
JavaScript."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.browser.test_accessibility import assert_no_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trust_content():
    call_command("load_trust_content", verbosity=0)


def path_in(message, start):
    return re.search(r"https?://[^/\s]+(" + start + r"[^\s]+/)", message.body)[1]


@pytest.mark.parametrize("javascript", [True, False])
def test_signing_up_confirming_changing_and_unsubscribing_have_no_violations(
    live_server, request, trust_content, mailoutbox, javascript
):
    from applications.models import AlertSubscription

    page = request.getfixturevalue("phone" if javascript else "phone_without_js")

    def scan(label):
        # axe runs as a script in the page, so only where the browser runs scripts; without
        # JavaScript the same pages are checked to work, step by step.
        if javascript:
            assert_no_violations(page, label)

    page.goto(live_server.url + reverse("opportunities:home"))
    page.get_by_role("link", name="Get an email when new opportunities open").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Get emails about new opportunities"
    )
    scan("alerts sign-up")

    # A mistake first: the address without its @. The choices stay ticked.
    page.get_by_label("Email address").fill("siobhan.example.com")
    page.get_by_label("Lay partner roles").check()
    page.get_by_role("button", name="Sign up").click()
    assert page.title().startswith("Error: ")
    assert "Enter an email address in the correct format" in page.locator(
        ".nhsuk-error-summary"
    ).inner_text()
    assert page.get_by_label("Lay partner roles").is_checked()
    scan("alerts sign-up with errors")

    page.get_by_label("Email address").fill("siobhan@example.com")
    page.get_by_role("button", name="Sign up").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
    scan("check your email")

    confirm = path_in(mailoutbox[-1], "/alerts/confirm/")
    page.goto(live_server.url + confirm)
    assert page.get_by_role("heading", level=1).inner_text() == "Confirm your email alerts"
    scan("confirm")
    page.get_by_role("button", name="Yes, send me these emails").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your email alerts"
    assert "You are signed up" in page.content()
    scan("manage, just confirmed")
    assert AlertSubscription.objects.get().is_confirmed

    page.get_by_label("Events").check()
    page.get_by_role("button", name="Save my choices").click()
    assert "Your choices are saved." in page.content()
    assert AlertSubscription.objects.get().kinds == ["lay_partner", "event"]
    scan("manage, choices saved")

    page.get_by_role("button", name="Unsubscribe").click()
    assert page.get_by_role("heading", level=1).inner_text() == "You have unsubscribed"
    scan("unsubscribed")
    assert not AlertSubscription.objects.exists()


def test_the_unsubscribe_question_broken_links_and_a_mistaken_choice_have_no_violations(
    live_server, phone, trust_content, settings
):
    from django.utils import timezone

    from applications.models import AlertSubscription

    subscription = AlertSubscription.objects.create(
        email="siobhan@example.com", confirmed_at=timezone.now(), sent_up_to=timezone.now()
    )
    manage = live_server.url + reverse(
        "applications:alerts_manage", args=[subscription.manage_token()]
    )

    # A choice that is not on the list (only a tampered form sends one).
    phone.goto(manage)
    phone.locator('input[name="kinds"]').first.evaluate("el => { el.value = 'astronaut' }")
    phone.locator('input[name="kinds"]').first.check()
    phone.get_by_role("button", name="Save my choices").click()
    assert phone.title().startswith("Error: ")
    assert_no_violations(phone, "manage with an error")

    phone.goto(live_server.url + reverse(
        "applications:alerts_unsubscribe", args=[subscription.manage_token()]
    ))
    assert phone.get_by_role("heading", level=1).inner_text() == (
        "Stop emails about new opportunities"
    )
    assert_no_violations(phone, "unsubscribe: are you sure?")

    phone.goto(live_server.url + reverse("applications:alerts_confirm", args=["not-a-link"]))
    assert phone.get_by_role("heading", level=1).inner_text() == "This link does not work"
    assert_no_violations(phone, "confirm link does not work")

    pending = AlertSubscription.objects.create(email="pending@example.com")
    token = pending.confirm_token()
    settings.ALERT_CONFIRMATION_DAYS = 0  # every link signed before now has expired
    phone.goto(live_server.url + reverse("applications:alerts_confirm", args=[token]))
    assert phone.get_by_role("heading", level=1).inner_text() == "This link has expired"
    assert_no_violations(phone, "confirm link expired")

    subscription.delete()
    phone.goto(manage)
    assert phone.get_by_role("heading", level=1).inner_text() == (
        "You are not signed up for these emails"
    )
    assert_no_violations(phone, "manage after unsubscribing")
