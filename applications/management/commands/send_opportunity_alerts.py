"""Email each person who asked for alerts about the opportunities that opened since their last.

Run it once a day (deploy/systemd/involvement-alerts.timer; see the README). For each confirmed
sign-up, the open opportunities matching its choices that opened after its `sent_up_to` are
put in ONE email, queued for the email worker. `sent_up_to` is moved on by a compare-and-set
in the same transaction as the queueing, so an opportunity is never sent to the same person
twice, however often (or however concurrently) this runs; `--dry-run` counts and changes
nothing.
"""

import datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from applications.models import AlertSubscription
from applications.tasks import queue_opportunity_alert
from opportunities.models import Opportunity

# Opportunities opened in the last minute wait for the next run: one being opened in a
# transaction that has not committed yet has an `opened_at` a moment before it can be read, and
# would otherwise fall behind a `sent_up_to` moved past it.
SETTLE = datetime.timedelta(minutes=1)


def due_alerts(now):
    """[(sign-up, [opportunity ids])] for every confirmed sign-up with something new, in three
    queries whatever the number of people: the sign-ups, their programmes and the
    opportunities opened since the earliest of them."""
    subscriptions = list(
        AlertSubscription.objects.confirmed()
        .filter(sent_up_to__lt=now)
        .prefetch_related("programmes")
        .order_by("pk")
    )
    if not subscriptions:
        return []
    since = min(subscription.sent_up_to for subscription in subscriptions)
    opened = list(
        Opportunity.objects.open()
        .filter(opened_at__gt=since, opened_at__lte=now)
        .order_by("opened_at", "pk")
        .only("pk", "kind", "programme_id", "opened_at")
    )
    due = []
    for subscription in subscriptions:
        programme_ids = {programme.pk for programme in subscription.programmes.all()}
        new = [
            opportunity.pk for opportunity in opened
            if opportunity.opened_at > subscription.sent_up_to
            and subscription.wants(opportunity, programme_ids)
        ]
        if new:
            due.append((subscription, new))
    return due


def claim(subscription, now):
    """Move the sign-up's `sent_up_to` on to `now`, if nobody else has moved it since it was
    read: True when this run is the one to send its alert."""
    return AlertSubscription.objects.filter(
        pk=subscription.pk, sent_up_to=subscription.sent_up_to, confirmed_at__isnull=False
    ).update(sent_up_to=now, last_sent_at=now) == 1


class Command(BaseCommand):
    help = (
        "Email each person who asked for alerts one email listing the opportunities matching "
        "their choices that opened since their last alert. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true",
            help="Only count the alerts that would be sent; send nothing and change nothing.",
        )

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now() - SETTLE
        due = due_alerts(now)
        if dry_run:
            self.stdout.write(f"Dry run, nothing sent: {len(due)} alert(s) to send.")
            return
        queued = 0
        for subscription, opportunity_ids in due:
            with transaction.atomic():
                if claim(subscription, now):
                    queue_opportunity_alert(subscription, opportunity_ids)
                    queued += 1
        # Everyone else has been considered up to now as well, so the next run looks back no
        # further than this one. Never moved backwards: a run that started later may have
        # moved someone further on already.
        AlertSubscription.objects.confirmed().filter(sent_up_to__lt=now).update(sent_up_to=now)
        waiting = AlertSubscription.objects.unconfirmed().count()
        self.stdout.write(
            f"Queued {queued} alert(s) about new opportunities. "
            f"{waiting} sign-up(s) are waiting to be confirmed."
        )
