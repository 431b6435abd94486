"""A draft of the next privacy notice, for the involvement team and information governance to
check and publish: it adds the optional equality questions, and that the trust records which
staff look at a person's details.

A draft, not a published version: a notice people agree to is published by a person, after
review, never by a deployment. Until then new expressions of interest keep recording 2026-11.
"""

from django.db import migrations

VERSION = "2026-12"

SUMMARY = (
    "Adds the optional equality monitoring questions, and that we record which staff look at "
    "your details."
)

LAWFUL_BASIS_ADDITION = (
    "\n\nIf you choose to answer our equality monitoring questions, we use your answers to "
    "check that we involve people from every part of our community, as the Equality Act 2010 "
    "asks of us (UK GDPR Article 9(2)(g), with the Data Protection Act 2018, Schedule 1, "
    "paragraph 8: equality of opportunity or treatment)."
)

BODY_ADDITION = """

## Equality monitoring

After you tell us you are interested, we ask some optional questions about you, such as your \
ethnic group and whether you have a disability. You do not have to answer them, and every \
question has "Prefer not to say". Your answers are kept separately, with nothing that links them \
to your name or to what you sent us, so we cannot find them, show them to you or delete them \
later. We only ever look at them as totals, and we never show a total of fewer than 5 people.

## Who has looked at your details

We keep a record of which members of staff have looked at your details, and when. You can ask \
us for it.
"""


def create_draft(apps, schema_editor):
    using = schema_editor.connection.alias
    PrivacyNotice = apps.get_model("involvement", "PrivacyNotice")
    current = (
        PrivacyNotice.objects.using(using)
        .filter(published_at__isnull=False)
        .order_by("-published_at")
        .first()
    )
    if current is None or PrivacyNotice.objects.using(using).filter(version=VERSION).exists():
        return
    PrivacyNotice.objects.using(using).create(
        version=VERSION,
        summary_of_changes=SUMMARY,
        lawful_basis=current.lawful_basis + LAWFUL_BASIS_ADDITION,
        body=current.body.rstrip() + BODY_ADDITION,
    )


def remove_draft(apps, schema_editor):
    PrivacyNotice = apps.get_model("involvement", "PrivacyNotice")
    PrivacyNotice.objects.using(schema_editor.connection.alias).filter(
        version=VERSION, published_at__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("involvement", "0003_privacy_notice_permissions")]

    operations = [migrations.RunPython(create_draft, remove_draft)]
