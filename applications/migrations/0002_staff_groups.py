"""The two staff groups, with the permissions each needs.

"Involvement team": everything on expressions of interest (except deleting them), every
programme, plus editing opportunities' content. "Programme lead": their own programmes'
expressions of interest (ExpressionOfInterest.objects.for_staff narrows it to Programme.leads),
and read-only opportunities' content.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OPPORTUNITY_MODELS = ["programme", "opportunity", "meeting", "glossaryterm"]

GROUPS = {
    "Involvement team": [
        ("applications", "view_expressionofinterest"),
        ("applications", "change_expressionofinterest"),
        ("applications", "view_statuschange"),
        ("applications", "change_statuschange"),
        ("applications", "add_staffnote"),
        ("applications", "view_staffnote"),
        ("applications", "change_staffnote"),
        ("applications", "view_all_expressions"),
        ("applications", "move_expression"),
        ("applications", "export_expressions"),
        *[
            ("opportunities", f"{action}_{model}")
            for model in OPPORTUNITY_MODELS
            for action in ("view", "change", "add")
        ],
    ],
    "Programme lead": [
        ("applications", "view_expressionofinterest"),
        ("applications", "change_expressionofinterest"),
        ("applications", "add_staffnote"),
        ("applications", "view_staffnote"),
        ("applications", "view_statuschange"),
        ("applications", "move_expression"),
        ("applications", "export_expressions"),
        *[("opportunities", f"view_{model}") for model in OPPORTUNITY_MODELS],
    ],
}


def create_groups(apps, schema_editor):
    using = schema_editor.connection.alias
    # Permissions are normally made after all migrations have run (post_migrate), which is too
    # late for a fresh database: make them now, from these migrations' own model states.
    for label in ("applications", "opportunities"):
        app_config = apps.get_app_config(label)
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


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0001_initial"),
        ("opportunities", "0002_programme_leads"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
