"""Who may work on the privacy notice.

The involvement team write new versions and publish them (adding and changing a draft; a
published version can be changed by nobody). Programme leads may read every version in the
admin, drafts included, but not change them. Neither group may delete: only a superuser may
throw away a draft, and a published version is kept for good.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

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
    using = schema_editor.connection.alias
    # As in applications' 0002_staff_groups: permissions are made after all migrations have run,
    # too late for a fresh database, so they are made here from this migration's model states.
    app_config = apps.get_app_config("involvement")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, using=using, apps=apps)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        for app_label, codename in codenames:
            group.permissions.add(
                Permission.objects.using(using).get(
                    content_type__app_label=app_label, codename=codename
                )
            )


def revoke(apps, schema_editor):
    using = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group = Group.objects.using(using).filter(name=name).first()
        if group is None:
            continue
        group.permissions.remove(
            *Permission.objects.using(using).filter(
                content_type__app_label="involvement",
                codename__in=[codename for _, codename in codenames],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("involvement", "0002_first_privacy_notice"),
        ("applications", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
