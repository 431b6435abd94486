"""Security events go to the `involvement.security` log, and no personal data from forms does.

Logged: sign-in, failed sign-in (the attempted username only as a short keyed hash), lock-out,
refused permission, export of personal data (who, how many rows, which filters), sign-out.
Never logged: passwords, security codes, attempted usernames in clear, or any member of the
public's name or email address.
"""

import logging
import time

import pytest
from django.conf import settings as project_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications.models import ExpressionOfInterest
from involvement.middleware import StaffSessionTimeoutMiddleware
from involvement.security import log_export, username_hash
from tests.factories import ExpressionOfInterestFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "a-long-test-password"
CHANGELIST = "admin:applications_expressionofinterest_changelist"
# What must never reach the log.
WRONG_PASSWORD = "Tr0ub4dor&3-wrong"
TYPED_USERNAME = "jo.bloggs.typed"
PUBLIC_NAME = "Wilhelmina Quartermaine"
PUBLIC_EMAIL = "wilhelmina.q@example.com"


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def security_log(caplog):
    """The security log's records. It does not pass records on to the root logger (it has its
    own handler), so the capturing handler is attached to it directly."""
    logger = logging.getLogger("involvement.security")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="involvement.security")
    yield caplog
    logger.removeHandler(caplog.handler)


def records(caplog, event=None):
    found = [r for r in caplog.records if r.name == "involvement.security"]
    return [r for r in found if event is None or r.security_event == event]


def one(caplog, event):
    found = records(caplog, event)
    assert len(found) == 1, [r.getMessage() for r in records(caplog)]
    return found[0]


def everything_logged(caplog):
    """Every word of every security record: its message and its fields."""
    return "\n".join(
        f"{r.getMessage()} {r.security_fields!r}" for r in records(caplog)
    )


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("lead", password=PASSWORD, is_staff=True)


def sign_in(client, username="lead", password=PASSWORD, **data):
    return client.post(LOGIN, {"username": username, "password": password, **data})


def test_the_security_log_has_its_own_handler_and_format():
    config = project_settings.LOGGING
    logger = config["loggers"]["involvement.security"]
    assert logger["level"] == "INFO"
    assert logger["handlers"] == ["security"]
    assert logger["propagate"] is False
    assert config["handlers"]["security"]["formatter"] == "security"
    assert "SECURITY" in config["formatters"]["security"]["format"]

    handler = logging.getLogger("involvement.security").handlers[0]
    record = logging.LogRecord(
        "involvement.security", logging.INFO, __file__, 1, "event=sign-in user_id=1", None, None
    )
    assert " SECURITY INFO event=sign-in user_id=1" in handler.format(record)


def test_sign_in_is_logged_with_who(client, staff, security_log):
    sign_in(client)

    record = one(security_log, "sign-in")
    assert record.levelno == logging.INFO
    assert record.security_fields["user_id"] == staff.pk
    assert record.security_fields["username"] == "lead"
    assert record.security_fields["ip"] == "127.0.0.1"
    assert record.security_fields["two_factor"] == "no"
    assert PASSWORD not in everything_logged(security_log)


def test_a_failed_sign_in_is_logged_without_the_username_or_password(client, security_log):
    sign_in(client, username=TYPED_USERNAME, password=WRONG_PASSWORD)

    record = one(security_log, "sign-in-failed")
    assert record.levelno == logging.WARNING
    assert record.security_fields["username_hash"] == username_hash(TYPED_USERNAME)
    assert len(record.security_fields["username_hash"]) == 12
    assert record.security_fields["ip"] == "127.0.0.1"
    logged = everything_logged(security_log)
    assert TYPED_USERNAME not in logged
    assert WRONG_PASSWORD not in logged


def test_a_password_typed_into_the_username_box_is_not_logged(client, security_log):
    sign_in(client, username=WRONG_PASSWORD, password="")
    sign_in(client, username=WRONG_PASSWORD, password="x")

    assert WRONG_PASSWORD not in everything_logged(security_log)


def test_a_lock_out_is_logged(client, staff, settings, security_log):
    settings.STAFF_SIGN_IN_RETRY_WAIT = 0
    for _ in range(5):
        response = sign_in(client, password=WRONG_PASSWORD)
    assert response.status_code == 429

    record = one(security_log, "locked-out")
    assert record.levelno == logging.WARNING
    assert record.security_fields["username_hash"] == username_hash("lead")
    assert record.security_fields["ip"] == "127.0.0.1"
    assert len(records(security_log, "sign-in-failed")) == 5
    logged = everything_logged(security_log)
    assert "lead" not in logged
    assert WRONG_PASSWORD not in logged


def test_a_too_quick_retry_is_logged(client, staff, security_log):
    for _ in range(4):
        sign_in(client, password=WRONG_PASSWORD)

    record = one(security_log, "sign-in-too-soon")
    assert record.security_fields["username_hash"] == username_hash("lead")
    assert "lead" not in everything_logged(security_log)


def test_a_wrong_security_code_is_logged_without_the_code(client, staff, settings, security_log):
    settings.REQUIRE_STAFF_TWO_FACTOR = True
    device = TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)
    right = totp(device.bin_key)
    wrong = f"{(right + 500_000) % 1_000_000:06d}"

    sign_in(client, otp_token=wrong)

    record = one(security_log, "two-factor-failed")
    assert record.security_fields["user_id"] == staff.pk
    assert wrong not in everything_logged(security_log)
    assert not records(security_log, "sign-in")


@pytest.mark.parametrize(
    ("has_app", "password", "code", "reason"),
    [
        (True, WRONG_PASSWORD, "right", "username-or-password"),
        (True, PASSWORD, "wrong", "wrong-code"),
        (True, PASSWORD, None, "no-code"),
        (False, PASSWORD, "123456", "no-authenticator-app"),
    ],
)
def test_a_failed_sign_in_is_logged_with_its_real_reason(
    client, staff, settings, security_log, has_app, password, code, reason
):
    # The visitor is given one message for all of these; the log, for the trust's IT, says which.
    settings.REQUIRE_STAFF_TWO_FACTOR = True
    data = {}
    if has_app:
        device = TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)
        right = totp(device.bin_key)
        codes = {"right": right, "wrong": (right + 500_000) % 1_000_000}
        if code in codes:
            data["otp_token"] = f"{codes[code]:06d}"
    elif code:
        data["otp_token"] = code

    sign_in(client, password=password, **data)

    record = one(security_log, "sign-in-failed")
    assert record.security_fields["reason"] == reason
    assert record.security_fields["username_hash"] == username_hash("lead")
    logged = everything_logged(security_log)
    assert password not in logged
    if "otp_token" in data:
        assert data["otp_token"] not in logged


def test_a_two_factor_sign_in_says_so(client, staff, settings, security_log):
    settings.REQUIRE_STAFF_TWO_FACTOR = True
    device = TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)
    code = f"{totp(device.bin_key):06d}"

    sign_in(client, otp_token=code)

    assert one(security_log, "sign-in").security_fields["two_factor"] == "yes"
    assert code not in everything_logged(security_log)


def test_a_refused_permission_is_logged_with_the_path_and_user(
    client, django_user_model, security_log
):
    # Staff, but with no permission on expressions of interest.
    user = django_user_model.objects.create_user("porter", password=PASSWORD, is_staff=True)
    client.force_login(user)
    path = reverse(CHANGELIST)

    response = client.get(path)

    assert response.status_code == 403
    record = one(security_log, "permission-denied")
    assert record.levelno == logging.WARNING
    assert record.security_fields["path"] == path
    assert record.security_fields["user_id"] == user.pk
    assert record.security_fields["method"] == "GET"


def test_an_export_is_logged_with_who_how_many_and_which_filters(staff_client, security_log):
    ExpressionOfInterestFactory(full_name=PUBLIC_NAME, email=PUBLIC_EMAIL)
    ExpressionOfInterestFactory(full_name=PUBLIC_NAME, email="second@example.com")
    ExpressionOfInterestFactory(full_name="Someone Else")
    chosen = ExpressionOfInterest.objects.filter(full_name=PUBLIC_NAME)
    staff_user = staff_client.session["_auth_user_id"]

    response = staff_client.post(
        reverse(CHANGELIST) + "?status__exact=new&q=Wilhelmina+Quartermaine",
        {"action": "export_as_csv", "_selected_action": [e.pk for e in chosen]},
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert PUBLIC_NAME in response.content.decode()  # the export itself has the rows
    record = one(security_log, "export")
    fields = record.security_fields
    assert fields["what"] == "expressions-of-interest"
    assert fields["rows"] == 2
    assert str(fields["user_id"]) == staff_user
    assert fields["username"] == "staff"
    assert fields["filters"] == "status__exact=new"
    assert fields["search"] == "yes"
    assert fields["selection"] == "ticked"
    logged = everything_logged(security_log)
    for personal in (PUBLIC_NAME, "Wilhelmina", "Quartermaine", PUBLIC_EMAIL, "second@"):
        assert personal not in logged


def test_an_export_outside_the_admin_is_still_logged(security_log):
    log_export(None, "expressions-of-interest", 3)

    fields = one(security_log, "export").security_fields
    assert (fields["rows"], fields["user_id"]) == (3, "-")


def test_signing_out_after_thirty_idle_minutes_is_logged(staff_client, security_log):
    session = staff_client.session
    session[StaffSessionTimeoutMiddleware.KEY] = int(time.time()) - 31 * 60
    session.save()

    staff_client.get("/admin/")

    record = one(security_log, "sign-out")
    assert record.security_fields["reason"] == "idle"
    assert record.security_fields["username"] == "staff"


def test_log_lines_cannot_be_forged(security_log, rf):
    request = rf.get("/admin/", HTTP_USER_AGENT="x")
    request.user = type("U", (), {"is_authenticated": False})()
    log_export(request, "expressions-of-interest\nevent=sign-in user_id=1", 1)

    message = one(security_log, "export").getMessage()
    assert "\n" not in message
    assert " event=sign-in" not in message
