"""Make a few clearly-marked example meetings, so a laptop running `make run` has dates to show.

    python manage.py create_example_meetings [--force]

It makes, relative to today and at 10am UK time on a working day:

* a briefing meeting (in 14 days) and a taster meeting (in 21 days) for the patient flow lay
  partner role, which staff invite people to, and
* an iQI Sprint (in 28 days) that anyone can register for, with 30 places.

They are marked `is_example` and their titles start "Example:", and the public pages say they
are examples. Run it again and nothing is duplicated (an example is matched on its opportunity,
kind and `is_example`); an example whose date has passed moves forward to a new date. It needs
the trust's content (`load_trust_content`) and refuses to run with DEBUG off unless --force.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from opportunities.models import Meeting, Opportunity

LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Example:
    opportunity: str  # slug
    kind: str
    title: str
    days_ahead: int
    hours: int
    location: str = ""
    is_online: bool = False
    joining_details: str = ""
    capacity: int | None = None
    public_registration: bool = False


EXAMPLES = [
    Example(
        opportunity="patient-flow",
        kind=Meeting.Kind.BRIEFING,
        title="Example: Patient flow briefing meeting",
        days_ahead=14,
        hours=1,
        is_online=True,
        joining_details="Example only: the video call link would go here. "
        "It is emailed to people with a place and never shown on the website.",
        capacity=6,
    ),
    Example(
        opportunity="patient-flow",
        kind=Meeting.Kind.TASTER,
        title="Example: Patient flow taster meeting",
        days_ahead=21,
        hours=2,
        location="Example: Meeting room 1, St Mary's Hospital",
        capacity=2,
    ),
    Example(
        opportunity="iqi-sprint-events",
        kind=Meeting.Kind.EVENT,
        title="Example: iQI Sprint",
        days_ahead=28,
        hours=3,
        location="Example: Education centre, St Mary's Hospital",
        capacity=30,
        public_registration=True,
    ),
]


def _is_holiday(day):
    """Christmas Eve to New Year's Day, when no one would hold a meeting."""
    return (day.month == 12 and day.day >= 24) or (day.month, day.day) == (1, 1)


def at_ten_london(days_ahead, today=None):
    """10am UK time (GMT or BST, whichever applies that day), `days_ahead` days from today,
    or the next working day after it if that is a weekend or the Christmas holidays."""
    today = today or timezone.localdate()
    day = today + datetime.timedelta(days=days_ahead)
    while day.weekday() >= 5 or _is_holiday(day):
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(10), tzinfo=LONDON)


class Command(BaseCommand):
    help = (
        "Create example meetings (a briefing, a taster and an iQI Sprint) dated from today, "
        "for demonstrations. Safe to run again. Laptop only unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (the examples are shown on the public pages).",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "create_example_meetings only runs with DEBUG on, because the examples show on "
                "the public pages. Use --force if you really mean it."
            )
        slugs = {example.opportunity for example in EXAMPLES}
        opportunities = Opportunity.objects.in_bulk(slugs, field_name="slug")
        missing = sorted(slugs - set(opportunities))
        if missing:
            raise CommandError(
                f"Missing opportunities: {', '.join(missing)}. Run load_trust_content first."
            )

        created = moved = 0
        now = timezone.now()
        with transaction.atomic():
            for example in EXAMPLES:
                opportunity = opportunities[example.opportunity]
                starts_at = at_ten_london(example.days_ahead)
                ends_at = starts_at + datetime.timedelta(hours=example.hours)
                meeting = (
                    Meeting.objects.select_for_update()
                    .filter(opportunity=opportunity, kind=example.kind, is_example=True)
                    .order_by("pk")
                    .first()
                )
                if meeting is None:
                    meeting = Meeting(
                        opportunity=opportunity,
                        kind=example.kind,
                        is_example=True,
                        title=example.title,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        location=example.location,
                        is_online=example.is_online,
                        joining_details=example.joining_details,
                        capacity=example.capacity,
                        public_registration=example.public_registration,
                    )
                    meeting.full_clean()
                    meeting.save()
                    created += 1
                elif meeting.starts_at < now:
                    # Keep its length; give it the new date.
                    length = meeting.ends_at - meeting.starts_at
                    meeting.starts_at = starts_at
                    meeting.ends_at = starts_at + length
                    meeting.save(update_fields=["starts_at", "ends_at", "updated_at"])
                    moved += 1

        unchanged = len(EXAMPLES) - created - moved
        self.stdout.write(
            f"Example meetings: {created} created, {moved} moved to new dates, "
            f"{unchanged} already in the future. They are marked as examples on the public pages."
        )
