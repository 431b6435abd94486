"""Two-factor sign-in (TOTP, django-otp) for every staff account when REQUIRE_STAFF_TWO_FACTOR is
on: the code is needed, and a failed sign-in never says which part was wrong.

Whether the username, the password or the code was wrong, or the person has no authenticator
app yet, the page, its status and its message are the same: a different answer for a right
password would tell whoever is guessing that they had found it. Wrong codes count towards the
slow-down and the lock-out like wrong passwords. (Setting up an app: test_authenticator_set_up.)
"""

import os
import re
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from involvement.admin_site import SET_UP_SESSION_KEY
from tests.involvement.authenticator import code, wrong_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_passwords")]

LOGIN = "/admin/login/"
PASSWORD = "a-long-test-password"
WRONG_PASSWORD = "not-the-password-at-all"
ONE_MESSAGE = (
    "Enter the right username, password and security code. The username and password are "
    "case-sensitive. Each code works once, for about 30 seconds."
)
TOO_SOON = "Wait 30 seconds before trying again."


@pytest.fixture
def two_factor(settings):
    settings.REQUIRE_STAFF_TWO_FACTOR = True


@pytest.fixture
def no_wait(settings):
    # The lock-out tests fail five times in a row, faster than the slowing allows.
    settings.STAFF_SIGN_IN_RETRY_WAIT = 0


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        "lead", "lead@example.nhs.uk", PASSWORD, is_staff=True
    )


@pytest.fixture
def device(staff):
    return TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)


def sign_in(client, otp_token=None, password=PASSWORD, username="lead"):
    data = {"username": username, "password": password, "next": "/admin/"}
    if otp_token is not None:
        data["otp_token"] = otp_token
    return client.post(LOGIN, data)


def signed_in(client):
    return "_auth_user_id" in client.session


def text(response):
    return response.content.decode()


def error_notes(response):
    return re.findall(r'<p class="errornote"[^>]*>\s*(.*?)\s*</p>', text(response), re.S)


def page(response):
    """The whole page, but for the CSRF token (different on every page)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text(response))


def failures(username="lead"):
    return sum(a.failures_since_start for a in AccessAttempt.objects.filter(username=username))


# With two-factor sign-in required -----------------------------------------------------------------


def test_the_sign_in_page_asks_for_a_security_code(client, two_factor):
    page = text(client.get(LOGIN))

    assert 'name="otp_token"' in page
    assert "Security code" in page
    assert 'autocomplete="one-time-code"' in page
    assert "6-digit security code from the" in page


def test_the_sign_in_page_says_what_to_do_without_an_app_for_everyone(client, two_factor):
    page = text(client.get(LOGIN))

    assert "Not set up your authenticator app yet? Use the link in the email" in page
    assert f'<a href="mailto:{settings.STAFF_SIGN_IN_HELP_EMAIL}">' in page
    assert "lost your phone, or locked out?" in page


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


def test_it_gives_one_message_for_a_wrong_code(client, two_factor, device):
    response = sign_in(client, wrong_code(device))

    assert response.status_code == 200
    assert error_notes(response) == [ONE_MESSAGE]
    assert "security code is not right" not in text(response)
    assert not signed_in(client)
    assert client.get("/admin/").status_code == 302


def test_it_gives_one_message_for_a_missing_code(client, two_factor, device):
    response = sign_in(client)

    assert response.status_code == 200
    assert error_notes(response) == [ONE_MESSAGE]
    assert not signed_in(client)


def test_it_gives_one_message_for_a_wrong_password_with_the_right_code(
    client, two_factor, device
):
    response = sign_in(client, code(device), password=WRONG_PASSWORD)

    assert error_notes(response) == [ONE_MESSAGE]
    assert not signed_in(client)


def test_a_code_works_only_once(client, two_factor, device):
    used = code(device)
    assert sign_in(client, used).status_code == 302
    client.logout()

    response = sign_in(client, used)

    assert error_notes(response) == [ONE_MESSAGE]
    assert not signed_in(client)


def test_it_gives_one_message_to_staff_without_an_authenticator_app(client, two_factor, staff):
    response = sign_in(client, "123456")

    assert response.status_code == 200
    assert error_notes(response) == [ONE_MESSAGE]
    assert "has not been set up yet" not in text(response)
    # The fixed help line, on every sign-in page, says whom to ask.
    assert settings.STAFF_SIGN_IN_HELP_EMAIL in text(response)
    assert not signed_in(client)


def test_it_gives_one_message_while_an_app_waits_to_be_set_up(client, two_factor, staff):
    waiting = TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=False)
    key = waiting.key

    response = sign_in(client)

    # The sign-in page never starts setting up an app: that needs the emailed link.
    assert response.status_code == 200
    assert error_notes(response) == [ONE_MESSAGE]
    assert SET_UP_SESSION_KEY not in client.session
    waiting.refresh_from_db()
    assert (waiting.key, waiting.confirmed) == (key, False)
    assert not signed_in(client)


# Each way of failing, set up and tried. All must give the page a wrong password gives.
def _wrong_password(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)
    return sign_in(client, code(device), password=WRONG_PASSWORD)


def _wrong_password_no_code(client, staff):
    TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)
    return sign_in(client, password=WRONG_PASSWORD)


def _wrong_code(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)
    return sign_in(client, wrong_code(device))


def _no_code(client, staff):
    TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)
    return sign_in(client)


def _no_app(client, staff):
    return sign_in(client, "123456")


def _app_waiting_to_be_set_up(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="Phone", confirmed=False)
    return sign_in(client, code(device))


def _wrong_code_with_two_apps(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)
    TOTPDevice.objects.create(user=staff, name="Tablet", confirmed=True)
    return sign_in(client, wrong_code(device))


def _not_a_staff_account(client, staff):
    staff.is_staff = False
    staff.save()
    device = TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)
    return sign_in(client, code(device))


@pytest.mark.parametrize(
    "fail",
    [
        _wrong_password_no_code, _wrong_code, _no_code, _no_app, _app_waiting_to_be_set_up,
        _wrong_code_with_two_apps, _not_a_staff_account,
    ],
)
def test_it_gives_the_same_page_however_the_sign_in_failed(client, two_factor, staff, fail):
    expected = _wrong_password(client, staff)
    TOTPDevice.objects.all().delete()

    response = fail(client, staff)

    assert response.status_code == expected.status_code == 200
    assert error_notes(response) == error_notes(expected) == [ONE_MESSAGE]
    assert page(response) == page(expected)
    # The password is never filled in again (django-otp would, once it is known right).
    assert PASSWORD not in text(response)
    assert not signed_in(client)
    assert failures() == 2


def test_it_gives_the_same_message_for_a_username_that_does_not_exist(
    client, two_factor, device
):
    expected = sign_in(client, wrong_code(device))

    response = sign_in(client, code(device), username="nobody-by-this-name")

    assert response.status_code == expected.status_code == 200
    assert error_notes(response) == error_notes(expected) == [ONE_MESSAGE]
    assert page(response).replace("nobody-by-this-name", "lead") == page(expected)


# Wrong codes are failed sign-ins: slowed, then locked out ----------------------------------------


def test_wrong_codes_are_counted_like_wrong_passwords(client, two_factor, device):
    sign_in(client, wrong_code(device))
    sign_in(client)

    assert failures() == 2


def test_wrong_codes_lock_the_account_out(client, two_factor, device, no_wait):
    for attempt in range(1, 5):
        response = sign_in(client, wrong_code(device))
        assert response.status_code == 200, attempt
        assert error_notes(response) == [ONE_MESSAGE]

    response = sign_in(client, wrong_code(device))

    assert response.status_code == 429
    assert failures() == 5


def test_after_five_wrong_codes_the_right_password_and_code_are_refused(
    client, two_factor, device, no_wait
):
    for _ in range(5):
        sign_in(client, wrong_code(device))
    # The device's own throttling (django-otp) is not what refuses it here.
    TOTPDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)

    response = sign_in(client, code(device))

    assert response.status_code == 429
    assert not signed_in(client)
    assert client.get("/admin/").status_code == 302
    page = text(response)
    assert "Signing in to this account from here is locked for 1 hour." in page
    assert "Try again after 1 hour." in page
    assert f'<a href="mailto:{settings.STAFF_SIGN_IN_HELP_EMAIL}">' in page
    assert "a wrong password or security code was entered" in page


def test_a_quick_retry_after_three_wrong_codes_is_slowed(client, two_factor, device):
    for _ in range(3):
        sign_in(client, wrong_code(device))

    response = sign_in(client, code(device))  # the right password and code, but too soon

    assert TOO_SOON in text(response)
    assert not signed_in(client)


def test_the_slow_down_says_the_same_whichever_part_was_wrong(
    client, two_factor, device, django_user_model
):
    other = django_user_model.objects.create_user("lead2", password=PASSWORD, is_staff=True)
    other_device = TOTPDevice.objects.create(user=other, name="Phone", confirmed=True)
    for _ in range(3):
        sign_in(client, code(device), password=WRONG_PASSWORD)
        sign_in(client, wrong_code(other_device), username="lead2")

    after_wrong_passwords = sign_in(client, code(device))
    after_wrong_codes = sign_in(client, code(other_device), username="lead2")

    assert error_notes(after_wrong_passwords) == error_notes(after_wrong_codes)
    assert len(error_notes(after_wrong_codes)) == 1
    assert TOO_SOON in error_notes(after_wrong_codes)[0]


# Sessions and settings ----------------------------------------------------------------------------


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


def test_someone_with_two_apps_signs_in_with_either_without_choosing(
    client, two_factor, staff, device
):
    tablet = TOTPDevice.objects.create(user=staff, name="Tablet", confirmed=True)

    response = sign_in(client, code(tablet))
    assert response.status_code == 302
    assert client.session[DEVICE_ID_SESSION_KEY] == tablet.persistent_id
    client.logout()

    response = sign_in(client, code(device))
    assert response.status_code == 302
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    # Only the app the code came from checked it: the other has no wrong code counted.
    tablet.refresh_from_db()
    assert tablet.throttling_failure_count == 0
