"""Staff sessions end after 30 minutes without a request, and 12 hours after signing in.

Time is moved forward honestly: the times the session keeps are set back, as if the minutes or
hours had passed, and the next request is what a member of staff would then get.
"""

import time

import pytest
from django.conf import settings as project_settings

from involvement.middleware import StaffSessionTimeoutMiddleware

pytestmark = pytest.mark.django_db

LAST_ACTIVITY = StaffSessionTimeoutMiddleware.KEY
SIGNED_IN_AT = StaffSessionTimeoutMiddleware.SIGNED_IN_KEY
MINUTE = 60
HOUR = 60 * MINUTE
CHANGELIST = "/admin/applications/expressionofinterest/"


def set_back(client, **seconds):
    """Pretend that many seconds have passed since each of the session's times."""
    session = client.session
    for key, ago in seconds.items():
        session[key] = session[key] - ago
    session.save()


def test_the_limits_are_thirty_minutes_idle_and_twelve_hours_in_all():
    assert project_settings.STAFF_IDLE_TIMEOUT == 30 * MINUTE
    assert project_settings.SESSION_COOKIE_AGE == 12 * HOUR
    assert project_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_signing_in_starts_both_timers(client, django_user_model):
    django_user_model.objects.create_user("lead", password="a-long-test-password", is_staff=True)
    before = int(time.time())

    client.post("/admin/login/", {"username": "lead", "password": "a-long-test-password"})

    session = client.session
    assert before <= session[LAST_ACTIVITY] <= time.time()
    assert session[SIGNED_IN_AT] == session[LAST_ACTIVITY]


def test_the_session_cookie_ends_with_the_browser_and_the_session_after_twelve_hours(
    client, django_user_model
):
    django_user_model.objects.create_user("lead", password="a-long-test-password", is_staff=True)

    response = client.post(
        "/admin/login/", {"username": "lead", "password": "a-long-test-password"}
    )

    cookie = response.cookies[project_settings.SESSION_COOKIE_NAME]
    # No max-age or expiry: a shared computer forgets the session when the browser closes.
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert cookie["httponly"] is True
    # On the server the session lasts at most 12 hours from when it was last saved ...
    assert client.session.get_expiry_age() == 12 * HOUR
    # ... and the middleware ends it 12 hours after signing in, however busy (below).


def test_a_request_within_thirty_minutes_keeps_the_session(staff_client):
    set_back(staff_client, last_activity=29 * MINUTE)

    response = staff_client.get("/admin/")

    assert response.status_code == 200
    assert abs(staff_client.session[LAST_ACTIVITY] - time.time()) < 5


def test_after_thirty_one_idle_minutes_staff_are_sent_to_sign_in(staff_client):
    assert staff_client.get(CHANGELIST).status_code == 200
    set_back(staff_client, last_activity=31 * MINUTE)

    response = staff_client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={CHANGELIST}"
    assert "_auth_user_id" not in staff_client.session
    # Signed out for good, not just for that request.
    assert staff_client.get("/admin/").status_code == 302


def test_a_busy_session_ends_twelve_hours_after_signing_in(staff_client):
    # Busy all day: a request a minute ago, but signed in 12 hours and a minute ago.
    set_back(staff_client, signed_in_at=12 * HOUR + MINUTE, last_activity=MINUTE)

    response = staff_client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "_auth_user_id" not in staff_client.session


def test_a_session_just_under_twelve_hours_old_still_works(staff_client):
    set_back(staff_client, signed_in_at=12 * HOUR - MINUTE, last_activity=MINUTE)

    assert staff_client.get("/admin/").status_code == 200


def test_the_idle_timer_is_saved_at_most_once_a_minute(staff_client):
    set_back(staff_client, last_activity=30)
    before = staff_client.session[LAST_ACTIVITY]

    staff_client.get("/admin/")

    assert staff_client.session[LAST_ACTIVITY] == before  # not rewritten within the minute


def test_a_session_from_before_the_timers_gets_them(staff_client):
    session = staff_client.session
    del session[LAST_ACTIVITY]
    del session[SIGNED_IN_AT]
    session.save()

    assert staff_client.get("/admin/").status_code == 200

    session = staff_client.session
    assert abs(session[LAST_ACTIVITY] - time.time()) < 5
    assert abs(session[SIGNED_IN_AT] - time.time()) < 5


def test_the_public_site_does_not_need_a_session(client):
    assert client.get("/").status_code == 200
    assert LAST_ACTIVITY not in client.session
