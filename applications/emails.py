"""The two emails sent when someone expresses interest: built here, sent by `applications.tasks`.

Each email is an `EmailMultiAlternatives` with a plain-text body and an HTML alternative, both
rendered from templates in `templates/emails/`. Text templates turn autoescaping off (a name
like "O'Brien" must not become "O&#x27;Brien" in plain text); HTML templates keep it on.
"""

import datetime
import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

# Staff read times in UK time, whatever the server's clock or the active time zone.
UK_TIME = ZoneInfo("Europe/London")

CONTACT_WAYS = {
    "email": "by email",
    "phone": "by phone",
    "either": "by email or phone",
}


def _trust_context():
    return {
        "trust_name": settings.TRUST_NAME,
        "involvement_email": settings.TRUST_INVOLVEMENT_EMAIL,
        "involvement_phone": settings.TRUST_INVOLVEMENT_PHONE,
    }


def _tidy_text(text):
    """Template tags on their own lines leave stray spaces and blank lines: remove them."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _build(name, context, *, to, reply_to=None):
    subject = render_to_string(f"emails/{name}_subject.txt", context)
    # A header cannot hold a line break, and the subject template may end with one.
    subject = " ".join(subject.split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=_tidy_text(render_to_string(f"emails/{name}.txt", context)),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to,
    )
    message.attach_alternative(render_to_string(f"emails/{name}.html", context), "text/html")
    return message


def uk_time(moment):
    """'14 November 2026 at 2:05pm', in UK time (GMT or BST), as NHS style writes times."""
    local = timezone.localtime(moment, UK_TIME)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{suffix}"


def manage_link_lifetime():
    """How long the manage link works, in whole days (the setting is in seconds)."""
    return settings.MANAGE_LINK_MAX_AGE // (24 * 60 * 60)


def confirmation_email(expression):
    """The email to the person: what they asked about, their reference and what happens next.

    It deliberately repeats nothing sensitive they told us (why they are interested, access
    needs, connection to the trust): email is not a safe place for it, and anyone who sees
    their inbox would see it. Their name, the opportunity and the reference are enough.
    """
    opportunity = expression.opportunity
    contact = opportunity.contact()
    days = manage_link_lifetime()
    expires = timezone.localtime(timezone.now(), UK_TIME).date() + datetime.timedelta(days=days)
    context = {
        **_trust_context(),
        "expression": expression,
        "opportunity": opportunity,
        "contact": contact,
        "contact_way": CONTACT_WAYS.get(expression.preferred_contact, "by email"),
        "manage_url": settings.SITE_URL + expression.manage_path(),
        "link_days": days,
        "link_expires": f"{expires.day} {expires:%B %Y}",
    }
    return _build(
        "expression_confirmation", context, to=[expression.email], reply_to=[contact["email"]]
    )


def notification_email(expression):
    """The email to the opportunity's contact: that there is a new expression, and where to see it.

    It holds no name, email address, phone number or answers, only the reference, what it is
    for, when it came and the age band (so an under-16 is handled with a parent or carer from
    the start). Staff email is often forwarded and read on shared devices; the personal
    details stay in the admin, behind sign-in and the programme permissions.
    """
    opportunity = expression.opportunity
    context = {
        **_trust_context(),
        "expression": expression,
        "opportunity": opportunity,
        "programme": opportunity.programme,
        "submitted": uk_time(expression.submitted_at),
        "age_band": expression.get_age_band_display(),
        "admin_url": settings.SITE_URL
        + reverse("admin:applications_expressionofinterest_change", args=[expression.pk]),
    }
    return _build("expression_notification", context, to=[opportunity.contact()["email"]])
