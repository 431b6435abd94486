"""Who may keep "you said, we did" records: the involvement team, every programme's (with the
`change_all_impact_records` permission); programme leads, their own programmes' (the admin
limits them, opportunities/impact_admin.py). Neither group deletes anything, as everywhere in
the admin: a record returned to draft is hidden and keeps its history, and a lay partner who
no longer wants to be named is unticked ("they agreed to be named"), which hides the name."""

from django.db import migrations

from involvement import group_permissions

MODELS = ["impactrecord", "impactupdate", "namedlaypartner"]
GROUPS = {
    "Involvement team": [
        ("opportunities", "change_all_impact_records"),
        *[("opportunities", f"{action}_{model}") for model in MODELS
          for action in ("view", "add", "change")],
    ],
    "Programme lead": [
        *[("opportunities", f"{action}_{model}") for model in MODELS
          for action in ("view", "add", "change")],
    ],
}


def grant(apps, schema_editor):
    group_permissions.grant(apps, schema_editor, GROUPS)


def revoke(apps, schema_editor):
    group_permissions.revoke(apps, schema_editor, GROUPS)


class Migration(migrations.Migration):
    dependencies = [
        ("opportunities", "0005_impact_records"),
        ("applications", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
