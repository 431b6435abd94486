"""Giving the staff groups ("Involvement team", "Programme lead") their permissions, from
migrations.

Django makes permissions after all migrations have run (post_migrate), which is too late for a
migration granting them on a fresh database, so `grant` first makes them from the migration's
own model states. Used by applications' and involvement's migrations; keep its behaviour as it
is, since migrations that have run must mean the same when run again on a new database.
"""

from django.contrib.auth.management import create_permissions


def _make_permissions(apps, using, app_labels):
    for label in sorted(app_labels):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
        app_config.models_module = None


def grant(apps, schema_editor, groups, *, create_groups=False):
    """`groups`: {group name: [(app_label, codename), ...]}. A group staff have deleted is left
    alone (nothing to grant to) unless `create_groups`."""
    using = schema_editor.connection.alias
    _make_permissions(apps, using, {app for pairs in groups.values() for app, _ in pairs})
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, pairs in groups.items():
        if create_groups:
            group, _ = Group.objects.using(using).get_or_create(name=name)
        else:
            group = Group.objects.using(using).filter(name=name).first()
            if group is None:
                continue
        for app_label, codename in pairs:
            group.permissions.add(
                Permission.objects.using(using).get(
                    content_type__app_label=app_label, codename=codename
                )
            )


def revoke(apps, schema_editor, groups):
    """Undo `grant` for groups that still exist; the permissions themselves stay."""
    using = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, pairs in groups.items():
        group = Group.objects.using(using).filter(name=name).first()
        if group is None:
            continue
        for app_label, codename in pairs:
            group.permissions.remove(
                *Permission.objects.using(using).filter(
                    content_type__app_label=app_label, codename=codename
                )
            )
