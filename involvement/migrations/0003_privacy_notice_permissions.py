"""Who may work on the privacy notice.

The involvement team write new versions and publish them (adding and changing a draft; a
published version can be changed by nobody). Programme leads may read every version in the
admin, drafts included, but not change them. Neither group may delete: only a superuser may
throw away a draft, and a published version is kept for good.
"""

from django.db import migrations

from involvement import group_permissions

GROUPS = {
    "Involvement team": [
        ("involvement", "add_privacynotice"),
        ("involvement", "change_privacynotice"),
        ("involvement", "view_privacynotice"),
    ],
    "Programme lead": [
        ("involvement", "view_privacynotice"),
    ],
}


def grant(apps, schema_editor):
    group_permissions.grant(apps, schema_editor, GROUPS, create_groups=True)


def revoke(apps, schema_editor):
    group_permissions.revoke(apps, schema_editor, GROUPS)


class Migration(migrations.Migration):
    dependencies = [
        ("involvement", "0002_first_privacy_notice"),
        ("applications", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
