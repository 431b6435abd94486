"""Setting up a member of staff's authenticator app, by a link sent to their own email.

An admin adds an (unconfirmed) authenticator app for someone in the admin (involvement/admin.py),
or whoever has shell access runs `manage.py set_up_authenticator USERNAME` for the very first
administrator. Either way `start_set_up` gives the app a new secret and the person gets a
set-up link: by email (involvement/tasks.py), or on the command line.

The link has to be signed, expiring and good for one set-up only, because it is half of what
lets someone choose the authenticator app that signs in to this account (the other half is the
password). Without it, whoever first arrived with the password could set up their own app.

* Signed: `django.core.signing` with its own salt, so no other link of the portal's can pose
  as one.
* Expiring: STAFF_SET_UP_LINK_HOURS after it was made.
* One set-up only: the link carries a fingerprint of the app's secret and of the time step of
  its last accepted code. Confirming the app (which accepts a code, so moves that time step
  on) or sending a new link (which makes a new secret) changes the fingerprint, and every
  earlier link stops working. Until then the person can open it again, for example if they
  had to stop to install an authenticator app.

The secret itself is made when the link is sent and never shown in the admin
(settings.OTP_ADMIN_HIDE_SENSITIVE_DATA): only the person who opens the link and enters their
password sees the QR code.
"""

import datetime
import time

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

SET_UP_LINK_SALT = "involvement.two_factor.set_up_link"


def link_max_age():
    """How long a set-up link works, in seconds."""
    return settings.STAFF_SET_UP_LINK_HOURS * 60 * 60


def fingerprint(device):
    """Changes whenever the app gets a new secret or accepts a code: see the module's notes."""
    value = f"{device.pk}:{device.key}:{device.last_t}:{device.confirmed}"
    return salted_hmac(SET_UP_LINK_SALT, value).hexdigest()[:24]


def set_up_token(device):
    return signing.dumps([device.pk, fingerprint(device)], salt=SET_UP_LINK_SALT)


def set_up_url(device):
    """The whole link, for an email or the console."""
    return settings.SITE_URL + reverse("admin:two_factor_set_up_link", args=[set_up_token(device)])


def link_expires():
    """When a link made now stops working."""
    return timezone.now() + datetime.timedelta(seconds=link_max_age())


class SetUpLinkError(Exception):
    """Why a set-up link was refused, for the security log (never shown: the page says only
    that the link does not work)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def device_for_set_up_link(token):
    """The authenticator app waiting to be set up that the link is for.

    Raises SetUpLinkError when the link does not work: "tampered", "expired", or
    "used-or-replaced" (the app has been set up, given a newer link or deleted since, or its
    person is no longer active staff).
    """
    try:
        device_id, signed_fingerprint = signing.loads(
            token, salt=SET_UP_LINK_SALT, max_age=link_max_age()
        )
    except signing.SignatureExpired:
        raise SetUpLinkError("expired") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise SetUpLinkError("tampered") from None
    device = set_up_device(device_id)
    if device is None or not constant_time_compare(fingerprint(device), signed_fingerprint):
        raise SetUpLinkError("used-or-replaced")
    return device


def set_up_device(device_id):
    """The app with this id, if it is still waiting to be set up by an active member of staff."""
    if not isinstance(device_id, int):
        return None
    return (
        TOTPDevice.objects.filter(
            pk=device_id, confirmed=False, user__is_active=True, user__is_staff=True
        )
        .select_related("user")
        .first()
    )


def start_set_up(device):
    """Make the app wait to be set up again, with a new secret: every earlier link stops working.

    The caller sends the new link (involvement.tasks.queue_set_up_link_email) or prints it.
    """
    device.key = default_key()
    device.confirmed = False
    device.last_t = -1
    device.drift = 0
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save(update_fields=[
        "key", "confirmed", "last_t", "drift", "throttling_failure_count",
        "throttling_failure_timestamp",
    ])
    return device


def code_matches(device, code):
    """Whether the app would show this code now, checked without recording anything on it.

    For someone with more than one app: the one the code matches then checks it for real
    (which records a wrong code, or that this code is used up). Checking each app for real
    would count a wrong code against every app the code did not come from.
    """
    try:
        value = int(code)
    except (TypeError, ValueError):
        return False
    check = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    check.time = time.time()
    return check.verify(value, device.tolerance, device.last_t + 1)
