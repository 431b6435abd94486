"""Close registrations for events that are over, so retention reaches them.

Run it once a day (deploy/systemd/involvement-event-registrations.timer, README). Each
registration still open EVENT_REGISTRATION_CLOSE_DAYS days after its event ended becomes
"attended the event" if its booking says they came, "did not attend the event" otherwise
(`ExpressionOfInterest.close_after_event`). Idempotent: a closed registration is never touched
again, so running it twice, or after a missed day, is safe. No one is emailed.
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from applications.models import ExpressionOfInterest

Status = ExpressionOfInterest.Status


class Command(BaseCommand):
    help = (
        "Close registrations for events that ended more than EVENT_REGISTRATION_CLOSE_DAYS "
        "days ago: attended or did not attend, from their booking."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be closed; change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now()
        grace = datetime.timedelta(days=settings.EVENT_REGISTRATION_CLOSE_DAYS)
        due = ExpressionOfInterest.objects.registrations_to_close(now, grace).order_by("pk")
        if dry_run:
            self.stdout.write(
                f"Dry run, nothing changed: {due.count():,} registration(s) for events that "
                "are over would be closed."
            )
            return
        closed = {Status.ATTENDED: 0, Status.DID_NOT_ATTEND: 0}
        for expression in due.only("pk").iterator():
            status = expression.close_after_event(now=now)
            if status is not None:
                closed[status] += 1
        self.stdout.write(
            f"Closed {sum(closed.values()):,} registration(s) for events that are over: "
            f"{closed[Status.ATTENDED]:,} attended, {closed[Status.DID_NOT_ATTEND]:,} did not "
            "attend."
        )
