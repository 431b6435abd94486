"""Setting up a member of staff's authenticator app, by the one-time link emailed to them.

An admin adds an authenticator app for someone; the portal emails that person a link. Opening
it changes nothing and asks for their password; the right password shows the QR code; the
right code from the app confirms it and signs them in, and the link then stops working. The
link expires, cannot be altered, works only for the person it was sent to, and the sign-in page
never starts a set-up. The first administrator's link comes from
`manage.py set_up_authenticator`.

Over 600 lines: one feature, each way the link can be used or misused a test of its own.
"""

import logging
import re
import time
from io import StringIO
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.core import signing
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from involvement import two_factor as set_up
from involvement.admin_site import SET_UP_SESSION_KEY
from involvement.tasks import send_set_up_link_email
from tests.involvement.authenticator import code, wrong_code

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
SET_UP = "/admin/two-factor-set-up/"
PASSWORD_PAGE = "/admin/two-factor-set-up/password/"
PASSWORD = "a-long-test-password"
NOT_WORKING = "This link to set up your authenticator app does not work."
WRONG_PASSWORD = "Enter the right password for your account. It is case-sensitive."
LINK = re.compile(r"http://[^\s\"<>]+/admin/two-factor-set-up/link/[^\s\"<>/]+/")


@pytest.fixture(autouse=True)
def _quick_passwords_and_two_factor(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REQUIRE_STAFF_TWO_FACTOR = True


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        "lead", "lead@example.nhs.uk", PASSWORD, first_name="Jo", is_staff=True
    )


@pytest.fixture
def admin_client(django_user_model):
    """The portal's administrator, signed in with their own authenticator app."""
    admin_user = django_user_model.objects.create_superuser(
        "admin", "admin@example.nhs.uk", PASSWORD
    )
    admin_device = TOTPDevice.objects.create(user=admin_user, name="Phone", confirmed=True)
    admin_client = Client()
    admin_client.force_login(admin_user)
    session = admin_client.session
    session[DEVICE_ID_SESSION_KEY] = admin_device.persistent_id  # as if they had typed a code
    session.save()
    return admin_client


def add_app(admin_client, user):
    return admin_client.post(
        reverse("admin:otp_totp_totpdevice_add"), {"user": user.pk, "name": "Authenticator app"}
    )


@pytest.fixture
def invited(admin_client, staff, mailoutbox, django_capture_on_commit_callbacks):
    """The administrator adds an authenticator app for the member of staff: they are emailed."""
    with django_capture_on_commit_callbacks(execute=True):
        response = add_app(admin_client, staff)
    assert response.status_code == 302
    return TOTPDevice.objects.get(user=staff)


def link_in(email):
    return urlsplit(LINK.search(email.body).group(0)).path


@pytest.fixture
def link(invited, mailoutbox):
    return link_in(mailoutbox[-1])


def token_of(link):
    return link.rstrip("/").rsplit("/", 1)[1]


def enter_password(client, link, password=PASSWORD):
    return client.post(PASSWORD_PAGE, {"link": token_of(link), "password": password})


def text(response):
    return response.content.decode()


def signed_in(client):
    return "_auth_user_id" in client.session


# The email ----------------------------------------------------------------------------------------


def test_adding_an_app_emails_one_link_to_that_person(client, invited, mailoutbox):
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["lead@example.nhs.uk"]
    assert email.subject == "Set up two-factor sign-in for the involvement portal"
    assert "Dear Jo," in email.body
    assert "Your username is: lead" in email.body
    assert "works for 24 hours" in email.body
    html = email.alternatives[0][0]
    assert link_in(email) in html

    response = client.get(link_in(email))
    assert response.status_code == 200
    assert 'name="password"' in text(response)


def test_the_admin_is_told_the_link_was_sent(admin_client, staff, mailoutbox,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = add_app(admin_client, staff)

    page = text(admin_client.get(response["Location"]))
    assert "The portal has emailed lead (lead@example.nhs.uk) a link" in page
    assert len(mailoutbox) == 1


def test_an_admin_invites_without_seeing_the_secret(admin_client, invited):
    assert invited.confirmed is False
    change_page = text(admin_client.get(
        reverse("admin:otp_totp_totpdevice_change", args=[invited.pk])
    ))
    assert invited.key not in change_page
    assert "otpauth://" not in change_page
    config = admin_client.get(f"/admin/otp_totp/totpdevice/{invited.pk}/config/")
    assert config.status_code == 403


def test_it_will_not_invite_someone_without_an_email_address(
    admin_client, staff, mailoutbox, django_capture_on_commit_callbacks
):
    staff.email = ""
    staff.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = add_app(admin_client, staff)

    assert response.status_code == 200
    assert "lead has no email address, so the portal cannot send them a link" in text(response)
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert mailoutbox == []


def test_it_will_not_invite_someone_who_is_not_active_staff(
    admin_client, staff, mailoutbox, django_capture_on_commit_callbacks
):
    staff.is_staff = False
    staff.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = add_app(admin_client, staff)

    assert response.status_code == 200
    assert "lead is not an active staff account" in text(response)
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert mailoutbox == []


def test_the_email_is_not_sent_for_an_app_set_up_since(staff, mailoutbox):
    device = TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)

    assert send_set_up_link_email.call(device.pk) == 0
    assert mailoutbox == []


# Opening the link ---------------------------------------------------------------------------------


def test_opening_the_link_asks_for_the_password_and_changes_nothing(client, invited, link):
    key = invited.key

    response = client.get(link)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = text(response)
    assert 'name="password"' in page
    assert f'name="link" value="{token_of(link)}"' in page
    assert "(lead)" in page
    assert "data:image/svg+xml" not in page  # no QR code before the password
    assert SET_UP_SESSION_KEY not in client.session
    invited.refresh_from_db()
    assert (invited.key, invited.confirmed) == (key, False)
    # Opening it again (as a mail scanner and then the person would) still works.
    assert client.get(link).status_code == 200


def test_the_link_itself_takes_no_password(client, link):
    response = client.post(link, {"password": PASSWORD})

    assert response.status_code == 405
    assert SET_UP_SESSION_KEY not in client.session


def test_the_person_sets_up_their_app_from_the_link_and_is_signed_in(client, invited, link):
    response = enter_password(client, link)
    assert response.status_code == 302
    assert response["Location"] == SET_UP
    assert not signed_in(client)

    page = client.get(SET_UP)
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert 'src="data:image/svg+xml;base64,' in text(page)
    # The QR code is a data: image, which the Content-Security-Policy must allow.
    img_src = next(
        directive for directive in page["Content-Security-Policy"].split(";")
        if directive.strip().startswith("img-src")
    )
    assert "data:" in img_src.split()
    secret = re.search(r'<code id="set-up-key">([A-Z2-7 ]+)</code>', text(page)).group(1)
    assert len(secret.replace(" ", "")) == 32

    response = client.post(SET_UP, {"otp_token": code(invited)})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    invited.refresh_from_db()
    assert invited.confirmed is True
    assert signed_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == invited.persistent_id
    assert client.get("/admin/").status_code == 200
    assert SET_UP_SESSION_KEY not in client.session


def test_the_link_works_only_once(client, invited, link):
    enter_password(client, link)
    client.post(SET_UP, {"otp_token": code(invited)})
    client.logout()

    response = client.get(link)
    assert response.status_code == 404
    assert NOT_WORKING in text(response)
    assert 'name="password"' not in text(response)

    response = enter_password(client, link)
    assert response.status_code == 404
    assert NOT_WORKING in text(response)
    assert SET_UP_SESSION_KEY not in client.session


def test_the_link_can_be_opened_again_until_the_app_is_set_up(client, invited, link):
    # They enter their password, then stop to install an app.
    enter_password(client, link)
    first = text(client.get(SET_UP))
    client.logout()

    enter_password(client, link)
    again = text(client.get(SET_UP))

    key = re.compile(r'<code id="set-up-key">([A-Z2-7 ]+)</code>')
    assert key.search(first).group(1) == key.search(again).group(1)


def test_an_expired_link_does_not_work(client, invited, monkeypatch, security_log):
    made = time.time() - 25 * 60 * 60
    with monkeypatch.context() as past:
        past.setattr(time, "time", lambda: made)
        old_link = urlsplit(set_up.set_up_url(invited)).path

    response = client.get(old_link)
    assert response.status_code == 404
    assert NOT_WORKING in text(response)
    assert enter_password(client, old_link).status_code == 404
    assert SET_UP_SESSION_KEY not in client.session
    reasons = {r.security_fields["reason"] for r in refusals(security_log)}
    assert reasons == {"expired"}


def test_how_long_a_link_works_is_a_setting(client, invited, link, settings, monkeypatch):
    settings.STAFF_SET_UP_LINK_HOURS = 48
    made = time.time() - 25 * 60 * 60
    with monkeypatch.context() as past:
        past.setattr(time, "time", lambda: made)
        old_link = urlsplit(set_up.set_up_url(invited)).path

    assert client.get(old_link).status_code == 200


def test_a_tampered_link_does_not_work(client, invited, link, security_log):
    token = token_of(link)
    tampered = link.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))

    response = client.get(tampered)

    assert response.status_code == 404
    assert NOT_WORKING in text(response)
    assert client.post(PASSWORD_PAGE, {"link": "made-up", "password": PASSWORD}).status_code == 404
    assert {r.security_fields["reason"] for r in refusals(security_log)} == {"tampered"}


def test_a_link_works_only_with_the_password_of_the_person_it_was_sent_to(
    client, invited, link, django_user_model
):
    django_user_model.objects.create_user(
        "colleague", "colleague@example.nhs.uk", "the-colleagues-password", is_staff=True
    )

    response = enter_password(client, link, password="the-colleagues-password")

    assert response.status_code == 200
    assert WRONG_PASSWORD in text(response)
    assert SET_UP_SESSION_KEY not in client.session
    invited.refresh_from_db()
    assert invited.confirmed is False


def test_a_link_cannot_be_turned_to_another_persons_app(
    client, invited, link, django_user_model
):
    # Someone who knows their own link's make-up names another person's waiting app in it.
    colleague = django_user_model.objects.create_user(
        "colleague", "colleague@example.nhs.uk", PASSWORD, is_staff=True
    )
    theirs = TOTPDevice.objects.create(user=colleague, name="Phone", confirmed=False)
    _, fingerprint = signing.loads(token_of(link), salt=set_up.SET_UP_LINK_SALT)
    forged = signing.dumps([theirs.pk, fingerprint], salt=set_up.SET_UP_LINK_SALT)

    assert client.get(f"/admin/two-factor-set-up/link/{forged}/").status_code == 404
    response = client.post(PASSWORD_PAGE, {"link": forged, "password": PASSWORD})
    assert response.status_code == 404
    assert SET_UP_SESSION_KEY not in client.session


def test_a_wrong_password_on_the_link_page_is_refused_and_counted(client, invited, link):
    response = enter_password(client, link, password="not-the-password-at-all")

    assert response.status_code == 200
    page = text(response)
    assert WRONG_PASSWORD in page
    assert "<title>Error: " in page
    assert "data:image/svg+xml" not in page
    # The link is kept in the form, for another try.
    assert f'name="link" value="{token_of(link)}"' in page
    assert SET_UP_SESSION_KEY not in client.session
    assert AccessAttempt.objects.get(username="lead").failures_since_start == 1
    # The right password then works.
    assert enter_password(client, link)["Location"] == SET_UP


def test_wrong_passwords_on_the_link_page_lock_out(client, invited, link, settings):
    settings.STAFF_SIGN_IN_RETRY_WAIT = 0
    for _ in range(5):
        response = enter_password(client, link, password="not-the-password-at-all")

    assert response.status_code == 429
    response = enter_password(client, link)
    assert response.status_code == 429
    assert "Signing in to this account from here is locked" in text(response)
    assert SET_UP_SESSION_KEY not in client.session


def test_the_token_is_not_kept_with_failed_attempts(client, invited, link):
    enter_password(client, link, password="not-the-password-at-all")

    token = token_of(link)
    for record in [*AccessAttempt.objects.all(), *AccessFailureLog.objects.all()]:
        for value in vars(record).values():
            assert token not in str(value)


def test_a_wrong_code_does_not_finish_setting_up(client, invited, link):
    enter_password(client, link)
    client.get(SET_UP)

    response = client.post(SET_UP, {"otp_token": wrong_code(invited)})

    assert response.status_code == 200
    assert "The code is not right." in text(response)
    invited.refresh_from_db()
    assert invited.confirmed is False
    assert not signed_in(client)


def test_the_set_up_page_needs_the_link_and_password_first(client, invited):
    response = client.get(SET_UP)

    assert response.status_code == 302
    assert response["Location"] == LOGIN


def test_setting_up_must_be_finished_within_ten_minutes(client, invited, link):
    enter_password(client, link)
    session = client.session
    session[SET_UP_SESSION_KEY] = {
        **session[SET_UP_SESSION_KEY], "started": int(time.time()) - 11 * 60
    }
    session.save()

    response = client.post(SET_UP, {"otp_token": code(invited)})

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    invited.refresh_from_db()
    assert invited.confirmed is False


def test_after_setting_up_the_code_is_needed_to_sign_in(client, invited, link):
    enter_password(client, link)
    client.post(SET_UP, {"otp_token": code(invited)})
    client.logout()

    refused = client.post(LOGIN, {"username": "lead", "password": PASSWORD})
    assert refused.status_code == 200
    assert not signed_in(client)
    # The next code, half a minute on.
    invited.refresh_from_db()
    response = client.post(
        LOGIN, {"username": "lead", "password": PASSWORD, "otp_token": code(invited, steps=1)}
    )
    assert response.status_code == 302


# New links ---------------------------------------------------------------------------------------


def test_a_new_link_stops_the_old_one_working(
    admin_client, client, invited, link, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:otp_totp_totpdevice_changelist"),
            {"action": "send_new_set_up_link", "_selected_action": [invited.pk]},
        )

    assert response.status_code == 302
    assert len(mailoutbox) == 2
    new_link = link_in(mailoutbox[1])
    assert new_link != link
    assert client.get(link).status_code == 404
    assert client.get(new_link).status_code == 200


def test_a_half_finished_set_up_ends_when_a_new_link_is_sent(
    client, invited, link, django_capture_on_commit_callbacks
):
    enter_password(client, link)
    with django_capture_on_commit_callbacks(execute=True):
        set_up.start_set_up(invited)

    response = client.post(SET_UP, {"otp_token": code(invited)})

    assert response["Location"] == LOGIN
    invited.refresh_from_db()
    assert invited.confirmed is False


def test_the_new_link_action_leaves_apps_already_set_up_alone(
    admin_client, staff, mailoutbox, django_capture_on_commit_callbacks
):
    device = TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)
    key = device.key

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:otp_totp_totpdevice_changelist"),
            {"action": "send_new_set_up_link", "_selected_action": [device.pk]},
            follow=True,
        )

    assert "already set up, so no link was sent" in text(response)
    assert mailoutbox == []
    device.refresh_from_db()
    assert (device.key, device.confirmed) == (key, True)


def test_unticking_confirmed_sends_a_new_link(
    admin_client, client, staff, mailoutbox, django_capture_on_commit_callbacks
):
    device = TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)
    old_code = code(device)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
            {
                "name": "Authenticator app", "confirmed": "",
                "throttling_failure_count": 0, "throttling_failure_timestamp": "",
            },
        )

    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["lead@example.nhs.uk"]
    # The old app no longer signs in, and the sign-in page does not start a set-up.
    refused = client.post(
        LOGIN, {"username": "lead", "password": PASSWORD, "otp_token": old_code}
    )
    assert refused.status_code == 200
    assert SET_UP_SESSION_KEY not in client.session
    assert client.get(link_in(mailoutbox[0])).status_code == 200


def test_an_app_cannot_be_moved_to_someone_else(admin_client, staff, django_user_model):
    device = TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)
    other = django_user_model.objects.create_user("other", "o@example.nhs.uk", is_staff=True)

    admin_client.post(
        reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
        {"user": other.pk, "name": "Phone", "confirmed": "on",
         "throttling_failure_count": 0, "throttling_failure_timestamp": ""},
    )

    device.refresh_from_db()
    assert device.user == staff


# The first administrator --------------------------------------------------------------------------


def test_the_command_prints_a_link_for_the_first_administrator(client, staff, mailoutbox):
    out = StringIO()

    call_command("set_up_authenticator", "lead", stdout=out)

    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed is False
    printed = LINK.search(out.getvalue()).group(0)
    assert printed.startswith(settings.SITE_URL + "/admin/two-factor-set-up/link/")
    assert "It works for 24 hours" in out.getvalue()
    assert mailoutbox == []  # printed, not emailed
    link = urlsplit(printed).path
    assert enter_password(client, link)["Location"] == SET_UP
    client.post(SET_UP, {"otp_token": code(device)})
    assert signed_in(client)


def test_the_command_run_again_replaces_the_first_link(client, staff):
    first, second = StringIO(), StringIO()
    call_command("set_up_authenticator", "lead", stdout=first)
    call_command("set_up_authenticator", "lead", stdout=second)

    assert TOTPDevice.objects.filter(user=staff).count() == 1
    assert client.get(urlsplit(LINK.search(first.getvalue()).group(0)).path).status_code == 404
    assert client.get(urlsplit(LINK.search(second.getvalue()).group(0)).path).status_code == 200


def test_the_command_refuses_someone_already_set_up_or_unknown(staff):
    TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)

    with pytest.raises(CommandError, match="already has an authenticator app"):
        call_command("set_up_authenticator", "lead")
    with pytest.raises(CommandError, match="There is no user with the username nobody"):
        call_command("set_up_authenticator", "nobody")


# The security log ---------------------------------------------------------------------------------


@pytest.fixture
def security_log(caplog):
    logger = logging.getLogger("involvement.security")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="involvement.security")
    yield caplog
    logger.removeHandler(caplog.handler)


def refusals(caplog):
    return [
        r for r in caplog.records
        if getattr(r, "security_event", None) == "two-factor-set-up-link-refused"
    ]


def test_the_set_up_is_logged_without_the_token_password_or_code(
    security_log, client, staff, invited, link
):
    client.get(link)
    enter_password(client, link, password="not-the-password-at-all")
    enter_password(client, link)
    used = code(invited)
    client.post(SET_UP, {"otp_token": used})
    client.get(link)

    # Every record, from every logger (Django's own included), since the link was sent.
    records = security_log.get_records("setup") + security_log.get_records("call")
    events = [r.security_event for r in records if hasattr(r, "security_event")]
    assert "two-factor-set-up-link-sent" in events
    assert "two-factor-set-up-started" in events
    assert "two-factor-set-up" in events
    assert [r.security_fields["reason"] for r in refusals(security_log)] == ["used-or-replaced"]
    logged = "\n".join(
        f"{r.getMessage()} {getattr(r, 'security_fields', '')!r}" for r in records
    )
    for secret in (token_of(link), PASSWORD, "not-the-password-at-all", used, invited.key):
        assert secret not in logged
