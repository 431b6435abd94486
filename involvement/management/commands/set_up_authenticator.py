"""Make a set-up link for someone's authenticator app and print it: for the very first
administrator, before anyone can sign in to the admin to send one.

Whoever runs it already has shell access to the portal (and so to everything), so the link is
printed rather than emailed; it works like an emailed one (involvement/two_factor.py). The
person opens it, enters their password, scans the QR code and types the code their app shows.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.template.defaultfilters import pluralize
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications.emails import uk_time
from involvement import security, two_factor


class Command(BaseCommand):
    help = "Print a link that sets up a member of staff's authenticator app (two-factor sign-in)."

    def add_arguments(self, parser):
        parser.add_argument("username", help="The staff member's username.")

    def handle(self, *args, username, **options):
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"There is no user with the username {username}.")
        if not (user.is_active and user.is_staff):
            raise CommandError(
                f"{username} is not an active staff account, so could not use the admin. "
                "Tick “Active” and “Staff status” on their account first (or make the first "
                "administrator with `manage.py createsuperuser`)."
            )
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise CommandError(
                f"{username} already has an authenticator app set up. If they have lost it, "
                "delete it first (Admin › TOTP devices), then run this again."
            )
        with transaction.atomic():
            device = (
                TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
                or TOTPDevice(user=user, name="Authenticator app")
            )
            if device.pk is None:
                device.save()
            # A new secret: any link sent before this one stops working.
            two_factor.start_set_up(device)
        security.log_event(
            "two-factor-set-up-link-made", device_id=device.pk, for_user_id=user.pk,
            by="manage.py-set_up_authenticator",
        )
        hours = settings.STAFF_SET_UP_LINK_HOURS
        self.stdout.write(
            f"Give this link to {username} (only to them). It works for {hours} "
            f"hour{pluralize(hours)}, until {uk_time(two_factor.link_expires())} (UK time), "
            "and only until their authenticator app is set up. They will need their password "
            "and their phone.\n\n"
            f"{two_factor.set_up_url(device)}\n"
        )
