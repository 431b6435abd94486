"""Signing up for emails about new opportunities (/alerts/): the form, double opt-in, the
person's own page and unsubscribing (applications/alerts.py, applications/views.py)."""

import logging
import re
import uuid

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from applications.models import AlertSubscription
from tests.factories import ProgrammeFactory

# Emails are queued when the transaction commits, so these tests commit for real.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("immediate_tasks")]

SIGN_UP = reverse("applications:alerts")


def answers(**overrides):
    data = {"email": "siobhan@example.com", "submission_key": str(uuid.uuid4())}
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def link_in(message, path_start):
    site = r"https://involve\.example\.nhs\.uk"
    found = re.search(site + "(" + path_start + r"[^\s]+/)", message.body)
    assert found, message.body
    return found[1]


def sign_up_and_confirm(client, **overrides):
    client.post(SIGN_UP, answers(**overrides))
    confirm = link_in(mail.outbox[-1], "/alerts/confirm/")
    response = client.post(confirm)
    return response, AlertSubscription.objects.get()


@pytest.fixture
def children():
    return ProgrammeFactory(name="Children's services", slug="childrens-services")


# The form ------------------------------------------------------------------------------------


def test_it_shows_the_form_without_javascript_and_is_never_cached(client, children):
    response = client.get(SIGN_UP)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Get emails about new opportunities</h1>" in html
    assert "novalidate" in html
    assert 'name="email"' in html
    assert 'value="lay_partner"' in html and "Lay partner roles" in html
    assert f'value="{children.pk}"' in html and "Children&#x27;s services" in html
    assert 'name="website"' in html  # the box bots fill in
    assert response["Cache-Control"].startswith("max-age=0")
    # The form page carries this visitor's own token: the public page cache never keeps it.
    second = Client().get(SIGN_UP)
    assert re.search(r'name="submission_key" value="([^"]+)"', html)[1] not in (
        second.content.decode()
    )


def test_the_home_page_and_the_list_link_to_it(client):
    for page in ("opportunities:home", "opportunities:list"):
        assert f'href="{SIGN_UP}"' in client.get(reverse(page)).content.decode(), page


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your email address"),
        ("siobhan.example.com", "Enter an email address in the correct format, like "
         "name@example.com"),
    ],
)
def test_a_missing_or_mistyped_address_is_sent_back_with_the_choices_kept(
    client, children, email, message
):
    response = client.post(
        SIGN_UP, answers(email=email, kinds=["event", "lay_partner"], programmes=[children.pk])
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "<title>Error: Get emails about new opportunities" in html
    assert 'class="nhsuk-error-summary"' in html
    assert f'<a href="#id_email">{message}</a>' in html
    if email:
        assert f'value="{email}"' in html
    for value in ("event", "lay_partner", str(children.pk)):
        assert re.search(rf'value="{value}"[^>]*checked', html), value
    assert not re.search(r'value="reference_group"[^>]*checked', html)
    assert not AlertSubscription.objects.exists()
    assert mail.outbox == []


def test_a_choice_not_on_the_list_gets_a_specific_message(client, children):
    response = client.post(SIGN_UP, answers(kinds=["astronaut"], programmes=["999999"]))

    html = response.content.decode()
    assert response.status_code == 400
    assert "Select the kinds of opportunity from the list" in html
    assert "Select the areas of our work from the list" in html
    assert 'value="siobhan@example.com"' in html


def test_the_box_bots_fill_in_stops_the_form_with_the_answers_kept(client):
    response = client.post(SIGN_UP, answers(website="http://spam.example"))

    assert response.status_code == 400
    assert "Empty the box labelled" in response.content.decode()
    assert 'value="siobhan@example.com"' in response.content.decode()
    assert not AlertSubscription.objects.exists()


def test_the_rate_limit_protects_it(client, settings):
    settings.EXPRESSION_RATE_LIMIT = 2
    for n in range(2):
        assert client.post(SIGN_UP, answers(email=f"person{n}@example.com")).status_code == 302

    response = client.post(SIGN_UP, answers(email="person3@example.com"))

    assert response.status_code == 429
    assert "You have sent a lot of forms" in response.content.decode()
    assert 'value="person3@example.com"' in response.content.decode()
    assert AlertSubscription.objects.count() == 2


# Double opt-in -------------------------------------------------------------------------------


def test_signing_up_sends_only_a_confirmation_and_says_check_your_email(client, children):
    response = client.post(
        SIGN_UP, answers(email=" Siobhan@Example.com ", kinds=["event"],
                         programmes=[children.pk]), follow=True,
    )

    assert response.redirect_chain == [(reverse("applications:alerts_sent"), 302)]
    html = response.content.decode()
    assert "<h1>Check your email</h1>" in html
    assert "Siobhan@Example.com" in html
    subscription = AlertSubscription.objects.get()
    assert subscription.email == "Siobhan@Example.com"
    assert subscription.kinds == ["event"]
    assert list(subscription.programmes.all()) == [children]
    assert not subscription.is_confirmed
    [message] = mail.outbox
    assert message.to == ["Siobhan@Example.com"]
    assert message.subject == "Confirm you want emails about new opportunities"
    assert "Kinds of opportunity: Events" in message.body
    assert "Areas of our work: Children's services" in message.body
    assert "works for 3 days" in message.body
    # Not an alert: no unsubscribe headers on it, and no address in any URL.
    assert "List-Unsubscribe" not in message.extra_headers
    assert "siobhan" not in response.redirect_chain[0][0].lower()


def test_the_check_your_email_page_needs_the_sign_up_in_this_browser(client):
    response = client.get(reverse("applications:alerts_sent"))

    assert response.status_code == 302
    assert response["Location"] == SIGN_UP


def test_opening_the_link_only_asks_and_the_button_confirms(client):
    client.post(SIGN_UP, answers(kinds=["lay_partner"]))
    confirm = link_in(mail.outbox[0], "/alerts/confirm/")

    page = client.get(confirm)
    assert page.status_code == 200
    assert "<h1>Confirm your email alerts</h1>" in page.content.decode()
    assert "Lay partner roles" in page.content.decode()
    # A scanner following the link changes nothing.
    assert not AlertSubscription.objects.get().is_confirmed

    response = client.post(confirm, follow=True)

    subscription = AlertSubscription.objects.get()
    assert subscription.is_confirmed
    assert subscription.sent_up_to == subscription.confirmed_at
    assert response.redirect_chain[-1][0].startswith("/alerts/manage/")
    assert "You are signed up" in response.content.decode()
    assert "<h1>Your email alerts</h1>" in response.content.decode()
    # Confirming again (the link used twice) goes to the same page.
    again = client.post(confirm, follow=True)
    assert "You have already confirmed" in again.content.decode()
    assert len(mail.outbox) == 1


def test_an_expired_confirmation_link_says_so_and_signs_nobody_up(client, settings):
    client.post(SIGN_UP, answers())
    confirm = link_in(mail.outbox[0], "/alerts/confirm/")
    settings.ALERT_CONFIRMATION_DAYS = 0  # every link signed before now has expired

    for response in (client.get(confirm), client.post(confirm)):
        assert response.status_code == 404
        assert "<h1>This link has expired</h1>" in response.content.decode()
    assert not AlertSubscription.objects.get().is_confirmed


def test_a_tampered_confirmation_link_does_not_work(client):
    client.post(SIGN_UP, answers())
    confirm = link_in(mail.outbox[0], "/alerts/confirm/")
    tampered = confirm[:-3] + ("A" if confirm[-3] != "A" else "B") + confirm[-2:]
    forged = reverse("applications:alerts_confirm", args=[
        signing.dumps(AlertSubscription.objects.get().key, salt="something-else")
    ])

    for url in (tampered, forged, reverse("applications:alerts_confirm", args=["nonsense"])):
        response = client.post(url)
        assert response.status_code == 404, url
        assert "<h1>This link does not work</h1>" in response.content.decode()
    assert not AlertSubscription.objects.get().is_confirmed


def test_the_same_form_sent_twice_sends_one_email(client):
    data = answers()
    client.post(SIGN_UP, data)
    client.post(SIGN_UP, data)

    assert AlertSubscription.objects.count() == 1
    assert len(mail.outbox) == 1


def test_signing_up_again_before_confirming_replaces_the_choices(client):
    client.post(SIGN_UP, answers(kinds=["event"]))
    client.post(SIGN_UP, answers(email="SIOBHAN@example.com", kinds=["reference_group"]))

    subscription = AlertSubscription.objects.get()
    assert subscription.kinds == ["reference_group"]
    assert len(mail.outbox) == 2
    assert "Kinds of opportunity: Reference groups" in mail.outbox[1].body


def test_an_address_already_confirmed_keeps_its_choices_and_is_sent_its_own_link(client):
    sign_up_and_confirm(client, kinds=["event"])

    response = Client().post(SIGN_UP, answers(email="siobhan@EXAMPLE.com", kinds=["lay_partner"]),
                             follow=True)

    # The page says the same as for anyone: it does not tell whose address it is.
    assert "<h1>Check your email</h1>" in response.content.decode()
    subscription = AlertSubscription.objects.get()
    assert subscription.kinds == ["event"]
    message = mail.outbox[-1]
    assert message.subject == "You already get emails about new opportunities"
    assert link_in(message, "/alerts/manage/") == reverse(
        "applications:alerts_manage", args=[subscription.manage_token()]
    )
    assert "/alerts/confirm/" not in message.body


# The person's own page ------------------------------------------------------------------------


def test_the_manage_page_shows_and_changes_the_choices(client, children):
    _, subscription = sign_up_and_confirm(client, kinds=["event"])
    manage = reverse("applications:alerts_manage", args=[subscription.manage_token()])
    client.get(manage)  # the message after confirming is shown once

    page = Client().get(manage)
    html = page.content.decode()
    assert page.status_code == 200
    assert "siobhan@example.com" in html
    assert "Events" in html and "All areas of our work" in html
    assert re.search(r'value="event"[^>]*checked', html)

    response = Client().post(
        manage, {"kinds": ["lay_partner", "reference_group"], "programmes": [children.pk]},
        follow=True,
    )

    assert "Your choices are saved." in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.kinds == ["lay_partner", "reference_group"]
    assert list(subscription.programmes.all()) == [children]
    assert subscription.sent_up_to > subscription.confirmed_at  # new choices apply from now


def test_the_manage_page_sends_back_a_choice_not_on_the_list(client):
    _, subscription = sign_up_and_confirm(client, kinds=["event"])
    manage = reverse("applications:alerts_manage", args=[subscription.manage_token()])

    response = client.post(manage, {"kinds": ["astronaut", "lay_partner"]})

    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: Your email alerts" in html
    assert '<a href="#id_kinds">Select the kinds of opportunity from the list</a>' in html
    subscription.refresh_from_db()
    assert subscription.kinds == ["event"]


def test_a_tampered_or_unconfirmed_manage_link_shows_nothing(client):
    client.post(SIGN_UP, answers())
    subscription = AlertSubscription.objects.get()

    tampered = client.get(reverse("applications:alerts_manage", args=["not-a-token"]))
    unconfirmed = client.get(
        reverse("applications:alerts_manage", args=[subscription.manage_token()])
    )

    assert tampered.status_code == 404
    assert "siobhan" not in tampered.content.decode()
    assert "<h1>You are not signed up for these emails</h1>" in unconfirmed.content.decode()
    assert "siobhan" not in unconfirmed.content.decode()


# Unsubscribing -------------------------------------------------------------------------------


def test_one_click_unsubscribe_works_without_a_csrf_token_or_cookies(client):
    _, subscription = sign_up_and_confirm(client)
    mail_program = Client(enforce_csrf_checks=True)

    response = mail_program.post(
        reverse("applications:alerts_unsubscribe", args=[subscription.manage_token()]),
        "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert "<h1>You have unsubscribed</h1>" in response.content.decode()
    assert not AlertSubscription.objects.exists()
    # Sent again (mail programs retry), it is still a success.
    again = mail_program.post(
        reverse("applications:alerts_unsubscribe", args=[subscription.manage_token()]),
        "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded",
    )
    assert again.status_code == 200


def test_opening_the_unsubscribe_link_only_asks(client):
    _, subscription = sign_up_and_confirm(client)
    url = reverse("applications:alerts_unsubscribe", args=[subscription.manage_token()])

    page = client.get(url)

    assert page.status_code == 200
    assert "<h1>Stop emails about new opportunities</h1>" in page.content.decode()
    assert AlertSubscription.objects.exists()
    # Its button works from a browser with cookies and no token in the form.
    Client(enforce_csrf_checks=True).post(url)
    assert not AlertSubscription.objects.exists()
    after = client.get(url)
    assert "<h1>You are not signed up for these emails</h1>" in after.content.decode()


def test_the_manage_page_unsubscribes_without_javascript(client):
    _, subscription = sign_up_and_confirm(client)
    manage = reverse("applications:alerts_manage", args=[subscription.manage_token()])
    html = client.get(manage).content.decode()
    action = re.search(r'<form method="post" action="([^"]+)"[^>]*>\s*<button[^>]*>Unsubscribe',
                       html)[1]

    client.post(action)

    assert not AlertSubscription.objects.exists()


def test_a_tampered_unsubscribe_link_changes_nothing(client):
    _, subscription = sign_up_and_confirm(client)

    response = Client().post(reverse("applications:alerts_unsubscribe", args=["forged"]))

    assert response.status_code == 404
    assert AlertSubscription.objects.exists()



def test_other_methods_are_refused_on_every_alerts_page(client):
    _, subscription = sign_up_and_confirm(client)
    urls = [
        SIGN_UP,
        reverse("applications:alerts_sent"),
        reverse("applications:alerts_confirm", args=[subscription.confirm_token()]),
        reverse("applications:alerts_manage", args=[subscription.manage_token()]),
        reverse("applications:alerts_unsubscribe", args=[subscription.manage_token()]),
    ]

    for url in urls:
        for method in ("PUT", "PATCH", "DELETE"):
            assert client.generic(method, url).status_code == 405, (method, url)
    assert AlertSubscription.objects.get().is_confirmed


def test_signing_up_confirming_and_unsubscribing_log_nothing_personal(client, caplog):
    with caplog.at_level(logging.INFO):
        _, subscription = sign_up_and_confirm(client)
        client.post(reverse("applications:alerts_unsubscribe",
                            args=[subscription.manage_token()]))

    assert f"Alert sign-up id={subscription.pk} confirmed" in caplog.text
    assert "unsubscribed" in caplog.text
    assert "siobhan" not in caplog.text.lower()
