"""The involvement team keeps the table of payment levels (the trust's rates are theirs to
enter, and an opportunity's page states them); programme leads do not set rates. Neither
group deletes anything, as everywhere in the admin."""

from django.db import migrations

from involvement import group_permissions

GROUPS = {
    "Involvement team": [
        ("opportunities", f"{action}_paymentlevel") for action in ("view", "add", "change")
    ],
}


def grant(apps, schema_editor):
    group_permissions.grant(apps, schema_editor, GROUPS)


def revoke(apps, schema_editor):
    group_permissions.revoke(apps, schema_editor, GROUPS)


class Migration(migrations.Migration):
    dependencies = [
        ("opportunities", "0009_payment_levels"),
        ("applications", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
