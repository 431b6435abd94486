"""The working-days rule behind "overdue": Monday to Friday, except bank holidays in England and
Wales (from the `holidays` package), checked around Christmas 2026 and Easter 2027."""

import datetime

import holidays
import pytest
from django.utils import timezone

from applications.models import ExpressionOfInterest, working_days_between
from tests.factories import ExpressionOfInterestFactory

date = datetime.date


@pytest.mark.parametrize(
    ("start", "end", "working_days"),
    [
        # Christmas Day is a Friday and Boxing Day a Saturday, so Monday 28th is its
        # substitute: from Christmas Eve to Tuesday 29th, only the Tuesday is worked.
        (date(2026, 12, 24), date(2026, 12, 29), 1),
        (date(2026, 12, 24), date(2026, 12, 28), 0),
        # New Year's Day, a Friday, too.
        (date(2026, 12, 23), date(2027, 1, 4), 5),
        # Good Friday 26 March and Easter Monday 29 March 2027.
        (date(2027, 3, 25), date(2027, 3, 30), 1),
        (date(2027, 3, 25), date(2027, 3, 29), 0),
        (date(2027, 3, 22), date(2027, 4, 2), 7),
        # An ordinary week is still five.
        (date(2027, 3, 5), date(2027, 3, 12), 5),
    ],
)
def test_bank_holidays_are_not_working_days(start, end, working_days):
    assert working_days_between(start, end) == working_days


def test_england_and_wales_share_their_bank_holidays():
    """The rule uses England's calendar for both (the comment on BANK_HOLIDAYS says why)."""
    years = range(2026, 2031)
    assert sorted(holidays.UK(subdiv="ENG", years=years)) == sorted(
        holidays.UK(subdiv="WLS", years=years)
    )


def at_noon(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@pytest.mark.django_db
def test_christmas_does_not_make_anyone_overdue_early():
    # By Monday 4 January 2027: from Thursday 17 December, 9 working days (12 if the four
    # bank holidays counted); from Tuesday 15 December, 11.
    waiting_9 = ExpressionOfInterestFactory(submitted_at=at_noon(date(2026, 12, 17)))
    waiting_11 = ExpressionOfInterestFactory(submitted_at=at_noon(date(2026, 12, 15)))
    today = date(2027, 1, 4)

    overdue = ExpressionOfInterest.objects.overdue(today)

    assert list(overdue) == [waiting_11]
    assert waiting_9.working_days_waiting(today) == 9
    assert waiting_11.working_days_waiting(today) == 11


@pytest.mark.django_db
def test_easter_does_not_make_anyone_overdue_early():
    # By Thursday 1 April 2027: from Thursday 18 March, 8 working days (10 with Easter).
    waiting = ExpressionOfInterestFactory(submitted_at=at_noon(date(2027, 3, 18)))

    assert waiting.working_days_waiting(date(2027, 4, 1)) == 8
    assert not ExpressionOfInterest.objects.overdue(date(2027, 4, 1)).exists()
    # Two working days later it is 10, and on the third it is overdue.
    assert not ExpressionOfInterest.objects.overdue(date(2027, 4, 5)).exists()
    assert list(ExpressionOfInterest.objects.overdue(date(2027, 4, 6))) == [waiting]
