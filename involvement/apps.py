from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class InvolvementConfig(AppConfig):
    name = "involvement"
    verbose_name = "Involvement portal"

    def ready(self):
        # Connect the sign-in signal that starts a staff session's idle timer, and the security
        # log's receivers for sign-in, failed sign-in and lock-out.
        from . import middleware, security  # noqa: F401


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin (settings.INSTALLED_APPS names this in its place), whose default site,
    `django.contrib.admin.site`, is the portal's: the staff sign-in (involvement/admin_site.py)."""

    default_site = "involvement.admin_site.StaffAdminSite"
    # Not this module's own app: InvolvementConfig stays the one Django picks for "involvement".
    default = False
