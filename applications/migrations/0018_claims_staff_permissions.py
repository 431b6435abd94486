"""The involvement team handles claims (applications/admin/claims.py): they see them and their
receipts, decide them (approve, query, reject), and make the monthly file for payroll, and see
past files to download again. Programme leads do not: payments are the team's to handle, and a
claim shows a person's costs (carer and childcare among them), which only those paying them
need to see."""

from django.db import migrations

from involvement import group_permissions

PERMISSIONS = {
    "Involvement team": [
        ("applications", "view_claim"),
        ("applications", "decide_claim"),
        ("applications", "export_claims"),
        ("applications", "view_claimexport"),
    ],
}


def grant(apps, schema_editor):
    group_permissions.grant(apps, schema_editor, PERMISSIONS)


def revoke(apps, schema_editor):
    group_permissions.revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0017_claims'),
    ]

    operations = [migrations.RunPython(grant, revoke)]
