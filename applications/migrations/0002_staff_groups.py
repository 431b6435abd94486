"""The two staff groups, with the permissions each needs.

"Involvement team": everything on expressions of interest (except deleting them), every
programme, plus editing opportunities' content. "Programme lead": their own programmes'
expressions of interest (ExpressionOfInterest.objects.for_staff narrows it to Programme.leads),
and read-only opportunities' content.
"""

from django.db import migrations

from involvement import group_permissions

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
    group_permissions.grant(apps, schema_editor, GROUPS, create_groups=True)


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
