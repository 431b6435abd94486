"""The security log, and the rules that slow down and lock out repeated failed sign-ins.

Security events go to the `involvement.security` logger (its own handler and format in
settings.LOGGING), one line per event as `event=... key=value ...`. Each record also carries
`security_event` and `security_fields` attributes for tests and log shippers.

What is never logged: passwords, security codes, the token in an authenticator app's set-up
link, anything a member of the public typed into a form, the rows of an export, or the search
text typed into the admin (it is often a person's name or email address). An attempted
username is logged only as a short keyed hash, so the log can show "the same username failed
five times" without a mistyped password (people sometimes type their password into the username
box) ever reaching it. Staff who did sign in are named by their user id and username: that is
who did what, which is the point of the log.

Sign-in rules (see the "Staff sign-in" settings):

* django-axes counts failed sign-ins for each username and address and, at AXES_FAILURE_LIMIT
  (5), locks that pair out for AXES_COOLOFF_TIME (an hour); `locked_out_response` is the page.
  A failed sign-in is any refusal: a wrong username or password (Django's `authenticate()`
  reports it), and also a right password with a missing or wrong security code, no
  authenticator app, or an account that is not a staff one (`count_failed_sign_in`). Counting
  only wrong passwords would let someone guess codes without limit, and would itself show
  them when a password was right.
* Before that, failures are *slowed*: after STAFF_SIGN_IN_SLOW_AFTER (3) failures for a
  username and address, a further attempt sooner than STAFF_SIGN_IN_RETRY_WAIT (30) seconds
  after the last failure is refused without checking the password ("Wait 30 seconds before
  trying again"). It is counted in the cache and refused at once, never by sleeping: a
  `time.sleep` in the request would tie up one of the server's few workers for each attempt,
  so an attacker could make the admin unusable for everyone simply by failing to sign in.
"""

import logging
import re
import time

from axes.helpers import get_cool_off
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.utils.crypto import salted_hmac

from .client_address import client_address

logger = logging.getLogger("involvement.security")

# Search text and paging in an admin address; only the filters are logged.
NOT_FILTERS = {"q", "o", "p", "e", "all"}
_UNSAFE = re.compile(r"[^\w@.:/,+=&%-]")


def username_hash(username):
    """A short keyed hash of an attempted username: the same name always gives the same hash,
    but the hash cannot be turned back into the name without the site's secret key."""
    normalised = (username or "").strip().lower()
    return salted_hmac("involvement.security.username", normalised).hexdigest()[:12]


def client_ip(request):
    """The visitor's address, found as django-axes finds it (AXES_CLIENT_IP_CALLABLE), so the
    log and the lock agree."""
    if request is None:
        return "-"
    return client_address(request) or "-"


def _value(value):
    # One short token per value: nothing can break the line or pose as another field.
    text = str(value)[:200]
    return _UNSAFE.sub("_", text) or "-"


def log_event(event, request=None, level=logging.INFO, **fields):
    """Write one security event. `fields` must never hold form contents."""
    if request is not None:
        fields.setdefault("ip", client_ip(request))
    message = " ".join(
        [f"event={event}"] + [f"{key}={_value(value)}" for key, value in fields.items()]
    )
    logger.log(
        level, message, extra={"security_event": event, "security_fields": dict(fields)}
    )


def staff_fields(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_id": "-"}
    return {"user_id": user.pk, "username": user.get_username()}


# Slowing repeated failures ---------------------------------------------------------------------


def failures_cache_key(username, ip):
    """Where recent failed sign-ins for a username and address are counted."""
    return f"sign-in-failures:{username_hash(username)}:{ip}"


def _slow_key(request, username):
    return failures_cache_key(username, client_ip(request))


def sign_in_wait(request, username):
    """Seconds this username and address must still wait before trying again (0: go ahead)."""
    wait = settings.STAFF_SIGN_IN_RETRY_WAIT
    record = cache.get(_slow_key(request, username))
    if not wait or not record or record["failures"] < settings.STAFF_SIGN_IN_SLOW_AFTER:
        return 0
    return max(0, int(record["last"] + wait - time.time() + 0.999))


def _count_failure(request, username):
    key = _slow_key(request, username)
    record = cache.get(key) or {"failures": 0}
    record = {"failures": record["failures"] + 1, "last": time.time()}
    cool_off = get_cool_off(request)
    cache.set(key, record, int(cool_off.total_seconds()) if cool_off else 3600)


def count_failed_sign_in(request, username, reason):
    """Count a sign-in refused after the password was found right, as a wrong password is.

    It sends the signal Django's `authenticate()` sends for a wrong password, with the same
    arguments (the credentials without the password, and the request), so django-axes counts
    it towards the lock-out (and locks out at the limit) and `sign_in_failed` below towards
    the slow-down. `reason` is only for the security log: the visitor is never told it.
    """
    user_login_failed.send(
        sender=__name__, credentials={"username": username}, request=request,
        security_reason=reason,
    )


# Signal receivers (connected when involvement.apps imports this module) ------------------------


@receiver(user_login_failed, dispatch_uid="involvement.security.sign_in_failed")
def sign_in_failed(sender, credentials, request=None, security_reason=None, **kwargs):
    username = (credentials or {}).get("username") or ""
    if request is not None:
        _count_failure(request, username)
    log_event(
        "sign-in-failed", request, level=logging.WARNING, username_hash=username_hash(username),
        # From Django's authenticate(): no such username, a wrong password or an inactive
        # account, which it does not tell apart.
        reason=security_reason or "username-or-password",
    )


@receiver(user_logged_in, dispatch_uid="involvement.security.signed_in")
def signed_in(sender, request, user, **kwargs):
    if request is not None:
        cache.delete(_slow_key(request, user.get_username()))
    verified = getattr(user, "otp_device", None) is not None
    log_event(
        "sign-in", request, user_id=user.pk, username=user.get_username(),
        two_factor="yes" if verified else "no",
    )


@receiver(user_logged_out, dispatch_uid="involvement.security.signed_out")
def signed_out(sender, request, user, **kwargs):
    reason = getattr(request, "security_sign_out_reason", "signed-out")
    log_event(
        "sign-out", request, user_id=user.pk if user else "-",
        username=user.get_username() if user else "-", reason=reason,
    )


@receiver(user_locked_out, dispatch_uid="involvement.security.locked_out")
def locked_out(sender, request, username, ip_address, **kwargs):
    log_event(
        "locked-out", level=logging.WARNING, username_hash=username_hash(username),
        ip=ip_address or client_ip(request),
    )


# Other events ------------------------------------------------------------------------------------


def log_permission_denied(request):
    log_event(
        "permission-denied", request, level=logging.WARNING, method=request.method,
        path=request.path, **staff_fields(request),
    )


def log_export(request, what, count):
    """Record an export of personal data: who, how many rows, which filters (never the rows,
    nor the search text)."""
    fields = {"what": what, "rows": count}
    if request is None:
        fields["user_id"] = "-"
    else:
        fields.update(staff_fields(request))
        filters = [
            f"{key}={value}"
            for key, values in sorted(request.GET.lists())
            if key not in NOT_FILTERS
            for value in values
        ]
        fields["filters"] = "&".join(filters) or "none"
        fields["search"] = "yes" if request.GET.get("q") else "no"
        if request.method == "POST" and "action" in request.POST:
            fields["selection"] = "all-matching" if request.POST.get("select_across") == "1" \
                else "ticked"
    log_event("export", request, **fields)


# The lock-out page -------------------------------------------------------------------------------


def _duration(delta):
    minutes = round(delta.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes or not hours:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " and ".join(parts)


def locked_out_response(request, original_response=None, credentials=None):
    """django-axes's response once a username and address are locked (AXES_LOCKOUT_CALLABLE)."""
    from django.contrib import admin

    from .admin_common import render_admin_page

    cool_off = get_cool_off(request)
    response = render_admin_page(
        request,
        "admin/involvement/locked_out.html",
        {
            "title": "Sign-in locked",
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cool_off": _duration(cool_off) if cool_off else None,
            "help_email": settings.STAFF_SIGN_IN_HELP_EMAIL,
        },
        site=admin.site,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    # django-axes returns this from its middleware, where Django renders no TemplateResponse.
    response.render()
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
