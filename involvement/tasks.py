"""Background task: the email with a member of staff's link to set up their authenticator app.

Queued like the portal's other emails (see applications/tasks.py): once the transaction that
made the app commits, with nothing in the task's arguments but the app's id. The link itself is
made when the task runs, from the app as it is then, so it never sits in the task table; if a
newer link was asked for in the meantime, the email carries that one.
"""

import logging

from django.conf import settings
from django_tasks import task

from . import two_factor
from .email_queue import enqueue_on_commit
from .emails import build_email
from .formats import uk_time

logger = logging.getLogger(__name__)


class SetUpLinkEmailError(Exception):
    """The set-up link email could not be sent. Names the app's id and the error's kind only:
    the task table keeps this exception's traceback."""


def set_up_link_email(device):
    """The email to the member of staff, at their own address, with their set-up link."""
    user = device.user
    context = {
        "trust_name": settings.TRUST_NAME,
        "name": user.first_name or user.get_username(),
        "username": user.get_username(),
        "set_up_url": two_factor.set_up_url(device),
        "link_hours": settings.STAFF_SET_UP_LINK_HOURS,
        "link_expires": uk_time(two_factor.link_expires()),
        "help_email": settings.STAFF_SIGN_IN_HELP_EMAIL,
    }
    return build_email("staff_set_up_link", context, to=[user.email])


@task()
def send_set_up_link_email(device_id):
    """Email the link. Returns how many emails were sent: 0 if the app has been set up or
    deleted since, or the person has no email address any more."""
    device = two_factor.set_up_device(device_id)
    if device is None or not device.user.email:
        logger.info(
            "Authenticator app id=%s is no longer waiting to be set up by someone with an email "
            "address: no set-up link sent.", device_id,
        )
        return 0
    try:
        sent = set_up_link_email(device).send()
    except Exception as error:
        # Only the kind of error: smtplib's messages can hold the address.
        description = type(error).__name__
        logger.warning(
            "Could not send the set-up link for authenticator app id=%s: %s",
            device_id, description,
        )
        raise SetUpLinkEmailError(
            f"Could not send the set-up link for authenticator app id={device_id}: {description}"
        ) from None
    logger.info("Sent the set-up link for authenticator app id=%s", device_id)
    return sent


def queue_set_up_link_email(device):
    """Queue the email once the transaction commits (nothing is sent if it rolls back)."""
    enqueue_on_commit(send_set_up_link_email, device.pk)
