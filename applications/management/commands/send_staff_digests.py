"""Send each member of staff who chose a daily digest one email gathering what happened since
the last (applications/updates.py).

Run it once a day (deploy/systemd/involvement-staff-digest.timer, README). Each update is
gathered into one digest only, so running it twice, or after a missed day, sends nothing twice.
The digests go through the email queue, so the worker must be running.
"""

from django.core.management.base import BaseCommand

from applications.updates import UpdateEmail, gather_digests


class Command(BaseCommand):
    help = "Gather each member of staff's waiting updates into one daily digest email, once."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be sent; send nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            waiting = UpdateEmail.objects.awaiting_digest()
            people = waiting.values("recipient").distinct().count()
            self.stdout.write(
                f"Dry run, nothing sent: {waiting.count():,} update(s) waiting for "
                f"{people:,} member(s) of staff."
            )
            return
        queued = gather_digests()
        self.stdout.write(f"Queued {queued:,} daily digest(s).")
