"""Anonymise what the retention periods say the trust no longer keeps.

Run it once a day (see the README). It is idempotent: what it has anonymised it never touches
again, so running it twice, or after a missed day, is safe. `--dry-run` counts and changes
nothing.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from applications.personal_data import apply_retention

RULES = {
    "ended": (
        "ended as not progressed or withdrawn, or closed after the event they registered for, "
        "more than {months} months ago"
    ),
    "lay_partners_left": "lay partners who left more than {years} years ago",
}


class Command(BaseCommand):
    help = (
        "Anonymise expressions of interest whose retention period has ended (12 months after "
        "ending as not progressed or withdrawn; 6 years after a lay partner leaves), and delete "
        "sign-ups for alerts never confirmed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be anonymised; change nothing."
        )

    def handle(self, *args, dry_run, **options):
        counts = apply_retention(dry_run=dry_run)
        addresses = counts.pop("subject_access_addresses")
        alerts = counts.pop("alerts_unconfirmed")
        next_date_requests = counts.pop("next_date_requests")
        sign_in_links = counts.pop("sign_in_links")
        receipts = counts.pop("receipts_never_sent")
        for rule, count in counts.items():
            description = RULES[rule].format(
                months=settings.RETENTION_ENDED_MONTHS, years=settings.RETENTION_LAY_PARTNER_YEARS
            )
            verb = "Would anonymise" if dry_run else "Anonymised"
            self.stdout.write(f"{verb} {count:,} expressions of interest: {description}.")
        verb = "Would remove" if dry_run else "Removed"
        self.stdout.write(
            f"{verb} {addresses:,} addresses from subject access records over "
            f"{settings.RETENTION_ENDED_MONTHS} months old (the records stay)."
        )
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {alerts:,} sign-ups for alerts about new opportunities not confirmed within "
            f"{settings.ALERT_CONFIRMATION_DAYS} days."
        )
        self.stdout.write(
            f"{verb} {next_date_requests:,} requests to hear about an event's next date, "
            f"{settings.RETENTION_ENDED_MONTHS} months after we told them (or after they asked)."
        )
        self.stdout.write(
            f"{verb} {sign_in_links:,} sign-in links to lay partners' pages, a day after they "
            "were sent."
        )
        self.stdout.write(
            f"{verb} {receipts:,} receipts uploaded with a claim form that was never sent, a day "
            "after they were uploaded."
        )
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
