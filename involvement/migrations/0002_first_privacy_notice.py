"""The privacy notice people have agreed to so far, as version "2026-11", published.

Before notices were kept in the database, the page was a template and every expression of
interest recorded "2026-11". This is that page's text, in the notice's own format: the lawful
basis in its field, the retention periods it stated (12 months, 6 years) recorded with it, and
the rest as its body. The trust's name and email address were filled in on the page from
settings, and are filled in here the same way.

`create_first_notice` is also used by tests whose database is emptied between tests.
"""

import datetime

from django.conf import settings
from django.db import migrations

VERSION = "2026-11"
# Midnight at the start of 1 November 2026 in London (GMT, so UTC too).
PUBLISHED_AT = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)

LAWFUL_BASIS = (
    "We use your information because it is needed to carry out our public task of involving "
    "patients and the public in our work (UK GDPR Article 6(1)(e)). Where you tell us about "
    "your health or access needs, we use it to provide health and social care services and to "
    "make reasonable adjustments (Article 9(2)(h))."
)

BODY = """\
## Who we are

{trust_name} is the data controller for the information you give us through this website.

## What we collect and why

When you tell us you are interested in an opportunity, we collect your name, how to contact \
you, your age group, your connection to the trust, why you are interested, and any access \
needs you tell us about. We use it only to contact you about getting involved and to support \
you to take part.

Browsing this website does not need you to give us any personal information. We do not use \
advertising or tracking cookies.

## Who can see it

Only the trust's involvement team and the staff leading the project you are interested in. We \
do not sell or share your information with anyone else.

## Your rights

You can ask to see the information we hold about you, to correct it, or to delete it. You can \
withdraw your interest at any time, without giving a reason. Email {involvement_email}.

If you are unhappy with how we have used your information, you can complain to the \
Information Commissioner's Office (ICO).
"""


def create_first_notice(apps, schema_editor=None, using="default"):
    if schema_editor is not None:
        using = schema_editor.connection.alias
    PrivacyNotice = apps.get_model("involvement", "PrivacyNotice")
    PrivacyNotice.objects.using(using).get_or_create(
        version=VERSION,
        defaults={
            "summary_of_changes": "",
            "lawful_basis": LAWFUL_BASIS,
            "body": BODY.format(
                trust_name=settings.TRUST_NAME, involvement_email=settings.TRUST_INVOLVEMENT_EMAIL
            ),
            "published_at": PUBLISHED_AT,
            "retention_ended_months": 12,
            "retention_lay_partner_years": 6,
            "created_at": PUBLISHED_AT,
        },
    )


def remove_first_notice(apps, schema_editor):
    PrivacyNotice = apps.get_model("involvement", "PrivacyNotice")
    PrivacyNotice.objects.using(schema_editor.connection.alias).filter(version=VERSION).delete()


class Migration(migrations.Migration):
    dependencies = [("involvement", "0001_initial")]

    operations = [migrations.RunPython(create_first_notice, remove_first_notice)]
