"""Remind people of their meeting, and tell staff about meetings nobody is booked on.

Run it once a day (see the README): everyone with a confirmed booking, or an invitation not
yet answered, for a meeting starting within MEETING_REMINDER_DAYS days is emailed a reminder,
exactly once per booking however often the command runs; each opportunity's contact is told
about meetings in that window with nobody booked.
"""

import datetime
import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from applications.emails import empty_meetings_email
from applications.models import Booking
from applications.tasks import describe_error, queue_booking_email
from opportunities.models import Meeting

logger = logging.getLogger(__name__)

class Command(BaseCommand):
    help = (
        "Email a reminder to everyone booked on (or invited to) a meeting that starts within "
        "the next few days, once per booking, and tell staff about meetings with nobody booked."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="How many days ahead to look (default: settings.MEETING_REMINDER_DAYS, or 2).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only count what would be sent; send nothing and change nothing.",
        )

    def handle(self, *args, days=None, dry_run=False, **options):
        if days is None:
            days = getattr(settings, "MEETING_REMINDER_DAYS", 2)
        if days < 1:
            raise CommandError("--days must be 1 or more.")
        now = timezone.now()
        meetings = Meeting.objects.filter(
            starts_at__gte=now,
            starts_at__lt=now + datetime.timedelta(days=days),
            is_example=False,
        )
        due = (
            Booking.objects.filter(
                meeting__in=meetings,
                # Nobody to remind once their details are erased.
                expression__anonymised_at__isnull=True,
            )
            .awaiting_reminder()
            .order_by("meeting__starts_at", "pk")
        )
        empty = list(
            meetings.with_places()
            .filter(taken_count=0)
            .select_related("opportunity__programme")
            .order_by("starts_at")
        )

        if dry_run:
            self.stdout.write(
                f"Dry run, nothing sent: {due.count()} reminder(s) to send for meetings in the "
                f"next {days} day(s); {len(empty)} meeting(s) with nobody booked to tell "
                "staff about."
            )
            return

        reminded = 0
        for booking_id in due.values_list("pk", flat=True):
            with transaction.atomic():
                # Claim the booking: of two runs at once, only one updates the row, so each
                # booking gets one reminder however often, and however concurrently, this runs.
                claimed = (
                    Booking.objects.filter(pk=booking_id)
                    .awaiting_reminder()
                    .update(reminder_sent_at=timezone.now())
                )
                if claimed == 1:
                    queue_booking_email(Booking(pk=booking_id), "reminder")
                    reminded += 1

        told, failed = self._tell_staff(empty)
        self.stdout.write(
            f"Sent {reminded} reminder(s) for meetings in the next {days} day(s). "
            f"Told staff about {told} meeting(s) with nobody booked."
        )
        if failed:
            raise CommandError(f"Could not email staff about {failed} meeting(s): see the log.")

    def _tell_staff(self, meetings):
        """One email per contact address, listing its meetings with nobody booked."""
        by_contact = {}
        for meeting in meetings:
            by_contact.setdefault(meeting.opportunity.contact()["email"], []).append(meeting)
        told = failed = 0
        for address, its_meetings in by_contact.items():
            try:
                empty_meetings_email(address, its_meetings).send()
            except Exception as error:
                logger.warning(
                    "Could not email staff about %s meeting(s) with nobody booked: %s",
                    len(its_meetings), describe_error(error),
                )
                failed += len(its_meetings)
            else:
                told += len(its_meetings)
        return told, failed
