"""Two-factor sign-in (TOTP, django-otp) for every staff account when REQUIRE_STAFF_TWO_FACTOR is
on, and how a member of staff sets up their authenticator app after an admin invites them."""

import os
import re
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from involvement.admin import SET_UP_SESSION_KEY

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
SET_UP = "/admin/two-factor-set-up/"
PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def two_factor(settings):
    settings.REQUIRE_STAFF_TWO_FACTOR = True


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        "lead", "lead@example.nhs.uk", PASSWORD, is_staff=True
    )


@pytest.fixture
def device(staff):
    return TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)


def code(device, steps=0):
    """The code the person's app shows now (or `steps` time steps away)."""
    device.refresh_from_db()
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps)
    return f"{value:0{device.digits}d}"


def wrong_code(device):
    accepted = {code(device, steps) for steps in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1, 10) if f"{n:06d}" not in accepted)


def sign_in(client, otp_token=None, password=PASSWORD, username="lead"):
    data = {"username": username, "password": password, "next": "/admin/"}
    if otp_token is not None:
        data["otp_token"] = otp_token
    return client.post(LOGIN, data)


def signed_in(client):
    return "_auth_user_id" in client.session


def text(response):
    return response.content.decode()


# With two-factor sign-in required -----------------------------------------------------------------


def test_the_sign_in_page_asks_for_a_security_code(client, two_factor):
    page = text(client.get(LOGIN))

    assert 'name="otp_token"' in page
    assert "Security code" in page
    assert 'autocomplete="one-time-code"' in page
    assert "6-digit security code from the" in page


def test_the_right_password_and_code_sign_in(client, two_factor, device):
    response = sign_in(client, code(device))

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/admin/").status_code == 200


def test_a_code_typed_as_the_app_shows_it_works(client, two_factor, device):
    shown = code(device)

    response = sign_in(client, f"{shown[:3]} {shown[3:]}")

    assert response.status_code == 302


def test_a_wrong_code_is_refused(client, two_factor, device):
    response = sign_in(client, wrong_code(device))

    assert response.status_code == 200
    assert "The security code is not right." in text(response)
    assert not signed_in(client)
    assert client.get("/admin/").status_code == 302


def test_a_missing_code_is_asked_for(client, two_factor, device):
    response = sign_in(client)

    assert "Enter the 6-digit security code from your authenticator app." in text(response)
    assert not signed_in(client)


def test_a_code_does_not_help_a_wrong_password(client, two_factor, device):
    response = sign_in(client, code(device), password="not-the-password-at-all")

    assert "Enter the right username and password" in text(response)
    assert not signed_in(client)


def test_a_code_works_only_once(client, two_factor, device):
    used = code(device)
    assert sign_in(client, used).status_code == 302
    client.logout()

    response = sign_in(client, used)

    assert "The security code is not right." in text(response)
    assert not signed_in(client)


def test_staff_without_an_authenticator_app_cannot_get_in(client, two_factor, staff, settings):
    response = sign_in(client, "123456")

    assert response.status_code == 200
    assert "has not been set up yet" in text(response)
    assert settings.STAFF_SIGN_IN_HELP_EMAIL in text(response)
    assert not signed_in(client)


def test_a_session_not_verified_by_a_code_cannot_use_the_admin(client, two_factor, staff, device):
    # force_login (or any sign-in that skipped the code) is not enough.
    client.force_login(staff)

    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    page = text(client.get(LOGIN))
    assert "you have not entered a" in page


def test_the_requirement_is_checked_on_every_request(client, settings, staff, device):
    settings.REQUIRE_STAFF_TWO_FACTOR = False
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200

    settings.REQUIRE_STAFF_TWO_FACTOR = True
    assert client.get("/admin/").status_code == 302


def test_with_two_factor_off_the_password_is_enough(client, settings, staff):
    settings.REQUIRE_STAFF_TWO_FACTOR = False

    assert 'name="otp_token"' not in text(client.get(LOGIN))
    response = sign_in(client)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("environment", "required"),
    [
        ({"DEBUG": "false"}, True),  # production
        ({"DEBUG": "true"}, False),  # a laptop
        ({"DEBUG": "false", "REQUIRE_STAFF_TWO_FACTOR": "false"}, False),
    ],
)
def test_it_is_required_in_production_by_default(environment, required):
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "SECRET_KEY": "s" * 60,
        "ALLOWED_HOSTS": "involvement.example.nhs.uk",
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "-c",
         "import involvement.settings as s; print(s.REQUIRE_STAFF_TWO_FACTOR)"],
        cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, check=True,
    )
    assert result.stdout.strip() == str(required)


def test_someone_with_two_apps_chooses_one(client, two_factor, staff, device):
    TOTPDevice.objects.create(user=staff, name="Tablet", confirmed=True)

    response = sign_in(client, code(device))
    assert "Choose the authenticator app you are using." in text(response)
    assert 'name="otp_device"' in text(response)

    response = client.post(LOGIN, {
        "username": "lead", "password": PASSWORD, "next": "/admin/",
        "otp_device": device.persistent_id, "otp_token": code(device),
    })
    assert response.status_code == 302


# Setting up an authenticator app ------------------------------------------------------------------


@pytest.fixture
def admin_client(django_user_model, two_factor):
    """The portal's administrator, signed in with their own authenticator app."""
    admin_user = django_user_model.objects.create_superuser("admin", password=PASSWORD)
    admin_device = TOTPDevice.objects.create(user=admin_user, name="Phone", confirmed=True)
    admin_client = Client()
    admin_client.force_login(admin_user)
    session = admin_client.session
    session[DEVICE_ID_SESSION_KEY] = admin_device.persistent_id  # as if they had typed a code
    session.save()
    return admin_client


@pytest.fixture
def invited(admin_client, staff):
    """The administrator invites the member of staff to set up an authenticator app."""
    response = admin_client.post(
        reverse("admin:otp_totp_totpdevice_add"),
        {"user": staff.pk, "name": "Authenticator app"},
    )
    assert response.status_code == 302
    return TOTPDevice.objects.get(user=staff)


def test_an_admin_invites_without_seeing_the_secret(admin_client, invited):
    assert invited.confirmed is False
    change_page = text(admin_client.get(
        reverse("admin:otp_totp_totpdevice_change", args=[invited.pk])
    ))
    assert invited.key not in change_page
    assert "otpauth://" not in change_page
    config = admin_client.get(f"/admin/otp_totp/totpdevice/{invited.pk}/config/")
    assert config.status_code == 403


def test_the_invited_person_sets_up_their_app_and_is_signed_in(client, invited):
    invited_key = invited.key

    response = sign_in(client)  # no code yet: they have not got the app set up
    assert response.status_code == 302
    assert response["Location"] == SET_UP
    assert not signed_in(client)

    page = client.get(SET_UP)
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    invited.refresh_from_db()
    assert invited.key != invited_key  # a fresh secret only they see
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
    assert client.get("/admin/").status_code == 200
    assert SET_UP_SESSION_KEY not in client.session


def test_after_setting_up_the_code_is_needed_to_sign_in(client, invited):
    sign_in(client)
    client.get(SET_UP)
    client.post(SET_UP, {"otp_token": code(invited)})
    client.logout()

    assert "Enter the 6-digit security code" in text(sign_in(client))
    # The next code, half a minute on.
    invited.refresh_from_db()
    next_code = code(invited, steps=1)
    assert sign_in(client, next_code).status_code == 302


def test_a_wrong_code_does_not_finish_setting_up(client, invited):
    sign_in(client)
    client.get(SET_UP)

    response = client.post(SET_UP, {"otp_token": wrong_code(invited)})

    assert response.status_code == 200
    assert "The code is not right." in text(response)
    invited.refresh_from_db()
    assert invited.confirmed is False
    assert not signed_in(client)


def test_the_set_up_page_needs_the_password_first(client, invited):
    response = client.get(SET_UP)

    assert response.status_code == 302
    assert response["Location"] == LOGIN


def test_setting_up_must_be_finished_within_ten_minutes(client, invited):
    sign_in(client)
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


def test_unticking_confirmed_makes_them_set_it_up_again(client, two_factor, device):
    device.confirmed = False
    device.save()

    response = sign_in(client, code(device))

    assert response["Location"] == SET_UP
