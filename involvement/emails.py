"""How the portal builds an email, whichever part of it sends one.

Each email is an `EmailMultiAlternatives` with a plain-text body and an HTML alternative,
rendered from `templates/emails/<name>.txt` and `<name>.html`, with its subject from
`<name>_subject.txt`. Text templates turn autoescaping off (a name like "O'Brien" must not
become "O&#x27;Brien" in plain text); HTML templates keep it on. Emails are built here and
sent by background tasks (applications/tasks.py, involvement/tasks.py), never in a request.
"""

import re

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def trust_context():
    """What every email may say about the trust: its name and the involvement team's contacts."""
    return {
        "trust_name": settings.TRUST_NAME,
        "involvement_email": settings.TRUST_INVOLVEMENT_EMAIL,
        "involvement_phone": settings.TRUST_INVOLVEMENT_PHONE,
    }


def _tidy_text(text):
    """Template tags on their own lines leave stray spaces and blank lines: remove them."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def build_email(name, context, *, to, reply_to=None):
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
