from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "admin"
PASSWORD = "involvement-laptop-only"


class Command(BaseCommand):
    help = "On a laptop (DEBUG on), make a staff account for /admin/ and say how to sign in."

    def handle(self, *args, **options):
        # A known password is only tolerable on a developer's own machine: refuse anywhere else.
        if not settings.DEBUG:
            raise CommandError("create_dev_staff only runs with DEBUG on. Use createsuperuser.")
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=USERNAME, defaults={"email": "admin@example.nhs.uk"}
        )
        if created:
            user.is_staff = user.is_superuser = True
            user.set_password(PASSWORD)
            user.save()
        self.stdout.write(
            f"Staff sign-in at /admin/ as '{USERNAME}', "
            f"password '{PASSWORD}'" + ("" if created else " (unless you have changed it)")
        )
