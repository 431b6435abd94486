"""Repeated failed sign-ins to the admin are slowed, then locked (django-axes).

Five failures for one username from one address lock that pair out for an hour. Before that,
after the third failure, another try sooner than 30 seconds after the last failure is refused
without the password being checked.
"""

import datetime
import time

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.core.cache import cache
from django.utils import timezone

from involvement.security import failures_cache_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_passwords")]

LOGIN = "/admin/login/"
PASSWORD = "a-long-test-password"
WRONG = "not-the-password-at-all"
INVALID = "Enter the right username and password for a staff account."
TOO_SOON = "Wait 30 seconds before trying again."


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        "lead", "lead@example.nhs.uk", PASSWORD, is_staff=True
    )


@pytest.fixture
def no_wait(settings):
    # The lock-out tests fail five times in a row, faster than the slowing allows.
    settings.STAFF_SIGN_IN_RETRY_WAIT = 0


def sign_in(client, password=PASSWORD, username="lead", **extra):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra
    )


def signed_in(client):
    return "_auth_user_id" in client.session


def failures(username="lead"):
    return sum(a.failures_since_start for a in AccessAttempt.objects.filter(username=username))


def lock_out(client):
    for _ in range(5):
        response = sign_in(client, WRONG)
    return response


def test_the_right_password_signs_in(client, staff):
    response = sign_in(client)

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert signed_in(client)
    assert client.get("/admin/").status_code == 200


def test_a_wrong_password_is_refused_and_counted(client, staff):
    response = sign_in(client, WRONG)

    assert response.status_code == 200
    assert INVALID in response.content.decode()
    assert not signed_in(client)
    assert failures() == 1


def test_the_fifth_failure_locks_the_account_from_that_address(client, staff, no_wait):
    for attempt in range(1, 5):
        response = sign_in(client, WRONG)
        assert response.status_code == 200, attempt
        assert INVALID in response.content.decode()

    response = sign_in(client, WRONG)

    assert response.status_code == 429
    assert failures() == 5


def test_the_right_password_is_refused_while_locked(client, staff, no_wait):
    lock_out(client)

    response = sign_in(client)

    assert response.status_code == 429
    assert not signed_in(client)
    assert client.get("/admin/").status_code == 302


def test_the_lock_out_page_says_how_long_and_whom_to_ask(client, staff, no_wait, settings):
    response = lock_out(client)
    text = response.content.decode()

    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "Signing in to this account from here is locked for 1 hour." in text
    assert "Try again after 1 hour." in text
    assert f'<a href="mailto:{settings.STAFF_SIGN_IN_HELP_EMAIL}">' in text
    assert "Involvement portal" in text  # the admin's own header, not Django's
    assert WRONG not in text


def test_resetting_with_axes_unlocks(client, staff, no_wait):
    lock_out(client)

    assert reset(username="lead") == 1

    response = sign_in(client)
    assert response.status_code == 302
    assert signed_in(client)


def test_the_lock_ends_after_an_hour(client, staff, no_wait):
    lock_out(client)
    assert sign_in(client).status_code == 429

    # An hour and a minute later.
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=61))

    response = sign_in(client)
    assert response.status_code == 302
    assert signed_in(client)


def test_the_lock_is_for_that_username_from_that_address_only(client, staff, no_wait):
    lock_out(client)

    assert sign_in(client, REMOTE_ADDR="10.1.2.3").status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(client, staff, no_wait):
    for _ in range(4):
        sign_in(client, WRONG)
    assert sign_in(client).status_code == 302
    client.logout()

    # Four more failures do not lock: the count started again.
    for _ in range(4):
        assert sign_in(client, WRONG).status_code == 200
    assert failures() == 4


# Slowing before the lock ------------------------------------------------------------------------


def test_the_first_three_failures_are_not_slowed(client, staff):
    for _ in range(3):
        response = sign_in(client, WRONG)
        assert INVALID in response.content.decode()
        assert TOO_SOON not in response.content.decode()
    assert failures() == 3


def test_a_quick_retry_after_the_third_failure_is_refused_without_checking(client, staff):
    for _ in range(3):
        sign_in(client, WRONG)

    response = sign_in(client)  # the right password, but too soon

    assert response.status_code == 200
    assert TOO_SOON in response.content.decode()
    assert not signed_in(client)
    assert failures() == 3  # not checked, so not counted


def test_after_the_wait_a_retry_is_accepted(client, staff):
    for _ in range(3):
        sign_in(client, WRONG)
    assert TOO_SOON in sign_in(client).content.decode()

    # Thirty-one seconds later.
    key = failures_cache_key("lead", "127.0.0.1")
    record = cache.get(key)
    cache.set(key, {**record, "last": record["last"] - 31})

    response = sign_in(client)
    assert response.status_code == 302
    assert signed_in(client)
    assert cache.get(key) is None


def test_each_failure_after_the_third_restarts_the_wait(client, staff):
    key = failures_cache_key("lead", "127.0.0.1")
    for _ in range(3):
        sign_in(client, WRONG)
    cache.set(key, {**cache.get(key), "last": time.time() - 31})

    assert INVALID in sign_in(client, WRONG).content.decode()  # the fourth failure

    assert TOO_SOON in sign_in(client).content.decode()
    assert failures() == 4


def test_the_wait_is_for_that_username_from_that_address_only(client, staff, django_user_model):
    django_user_model.objects.create_user("other", password=PASSWORD, is_staff=True)
    for _ in range(3):
        sign_in(client, WRONG)

    assert sign_in(client, REMOTE_ADDR="10.1.2.3").status_code == 302
    client.logout()
    assert sign_in(client, username="other").status_code == 302


def test_the_wait_is_a_setting(client, staff, settings):
    settings.STAFF_SIGN_IN_RETRY_WAIT = 1
    for _ in range(3):
        sign_in(client, WRONG)
    assert "Wait 1 second before trying again." in sign_in(client).content.decode()
    time.sleep(1.1)

    assert sign_in(client).status_code == 302
