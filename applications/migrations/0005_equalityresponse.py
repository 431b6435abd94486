"""Equality monitoring answers, kept apart from everything else (see the model's comment), and
the permission to see their report, for the "Involvement team" group only.

Programme leads do not get it: the report is for the trust's equality duty, which the
involvement team looks after, and the fewer people who see even hidden-small-number counts the
better. Superusers have it as they have every permission.
"""

import uuid

from django.db import migrations, models

import applications.models
from involvement import group_permissions

REPORT_PERMISSION = "view_equality_report"
GROUP = "Involvement team"


def grant_report_permission(apps, schema_editor):
    group_permissions.grant(apps, schema_editor, {GROUP: [("applications", REPORT_PERMISSION)]})


def revoke_report_permission(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.using(schema_editor.connection.alias).filter(
        content_type__app_label="applications", codename=REPORT_PERMISSION
    ).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0004_bench_indexes'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.CreateModel(
            name='EqualityResponse',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('year', models.PositiveSmallIntegerField(default=applications.models.current_year, editable=False)),
                ('sex', models.CharField(blank=True, choices=[('female', 'Female'), ('male', 'Male'), ('prefer_not_to_say', 'Prefer not to say')], max_length=20)),
                ('gender_same_as_birth', models.CharField(blank=True, choices=[('yes', 'Yes'), ('no', 'No'), ('prefer_not_to_say', 'Prefer not to say')], max_length=20, verbose_name='gender the same as sex registered at birth')),
                ('sexual_orientation', models.CharField(blank=True, choices=[('straight', 'Straight or heterosexual'), ('gay_or_lesbian', 'Gay or lesbian'), ('bisexual', 'Bisexual'), ('other', 'Another sexual orientation'), ('prefer_not_to_say', 'Prefer not to say')], max_length=20)),
                ('ethnic_group', models.CharField(blank=True, choices=[('Asian or Asian British', [('asian_indian', 'Indian'), ('asian_pakistani', 'Pakistani'), ('asian_bangladeshi', 'Bangladeshi'), ('asian_chinese', 'Chinese'), ('asian_other', 'Any other Asian background')]), ('Black, Black British, Caribbean or African', [('black_caribbean', 'Caribbean'), ('black_african', 'African'), ('black_other', 'Any other Black, Black British or Caribbean background')]), ('Mixed or multiple ethnic groups', [('mixed_white_black_caribbean', 'White and Black Caribbean'), ('mixed_white_black_african', 'White and Black African'), ('mixed_white_asian', 'White and Asian'), ('mixed_other', 'Any other Mixed or multiple ethnic background')]), ('White', [('white_british', 'English, Welsh, Scottish, Northern Irish or British'), ('white_irish', 'Irish'), ('white_gypsy_traveller', 'Gypsy or Irish Traveller'), ('white_roma', 'Roma'), ('white_other', 'Any other White background')]), ('Other ethnic group', [('other_arab', 'Arab'), ('other_any', 'Any other ethnic group')]), ('prefer_not_to_say', 'Prefer not to say')], max_length=40)),
                ('religion', models.CharField(blank=True, choices=[('none', 'No religion'), ('christian', 'Christian (all denominations)'), ('buddhist', 'Buddhist'), ('hindu', 'Hindu'), ('jewish', 'Jewish'), ('muslim', 'Muslim'), ('sikh', 'Sikh'), ('other', 'Any other religion or belief'), ('prefer_not_to_say', 'Prefer not to say')], max_length=20, verbose_name='religion or belief')),
                ('disability', models.CharField(blank=True, choices=[('yes', 'Yes'), ('no', 'No'), ('prefer_not_to_say', 'Prefer not to say')], max_length=20, verbose_name='disability or long-term health condition')),
                ('caring', models.CharField(blank=True, choices=[('yes', 'Yes'), ('no', 'No'), ('prefer_not_to_say', 'Prefer not to say')], max_length=20, verbose_name='looks after or supports someone')),
            ],
            options={
                'verbose_name': 'equality monitoring response',
                'permissions': [('view_equality_report', 'Can view the equality monitoring report')],
                'default_permissions': (),
            },
        ),
        migrations.RunPython(grant_report_permission, revoke_report_permission),
    ]
