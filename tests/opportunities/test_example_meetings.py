"""`manage.py create_example_meetings`: dated examples for `make run`, clearly marked."""

import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from opportunities.models import Meeting, Opportunity
from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def trust_content():
    call_command("load_trust_content", verbosity=0)


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def create(*args):
    out = StringIO()
    call_command("create_example_meetings", *args, stdout=out)
    return out.getvalue()


def test_it_makes_a_briefing_a_taster_and_an_iqi_sprint(trust_content, debug):
    output = create()

    assert "3 created" in output
    meetings = {meeting.kind: meeting for meeting in Meeting.objects.all()}
    assert set(meetings) == {"briefing", "taster", "event"}
    assert meetings["briefing"].opportunity.slug == "patient-flow"
    assert meetings["taster"].opportunity.slug == "patient-flow"
    assert meetings["briefing"].opportunity.kind == Opportunity.Kind.LAY_PARTNER
    sprint = meetings["event"]
    assert sprint.opportunity.slug == "iqi-sprint-events"
    assert sprint.public_registration is True
    assert sprint.capacity == 30
    assert not meetings["briefing"].public_registration
    assert not meetings["taster"].public_registration

    today = timezone.localdate()
    days = {kind: (timezone.localtime(m.starts_at).date() - today).days
            for kind, m in meetings.items()}
    # 14, 21 and 28 days ahead, or the next working day after (after Christmas, perhaps).
    assert 14 <= days["briefing"] <= 14 + 12
    assert 21 <= days["taster"] <= 21 + 12
    assert 28 <= days["event"] <= 28 + 12
    assert days["briefing"] <= days["taster"] <= days["event"]
    for meeting in meetings.values():
        assert meeting.is_example
        assert meeting.title.startswith("Example:")
        local = meeting.starts_at.astimezone(LONDON)
        assert (local.hour, local.minute) == (10, 0)
        assert local.weekday() < 5
        assert meeting.ends_at > meeting.starts_at
        meeting.full_clean()


@pytest.mark.parametrize(
    ("today", "days_ahead", "expected"),
    [
        # Friday 1 January 2027 + 14 days is a Friday: kept.
        (datetime.date(2027, 1, 1), 14, datetime.date(2027, 1, 15)),
        # + 28 days is Christmas Day 2027: after the holidays, Monday 3 January 2028.
        (datetime.date(2027, 11, 27), 28, datetime.date(2028, 1, 3)),
        # + 14 days is Tuesday 28 December 2027: after the holidays too.
        (datetime.date(2027, 12, 14), 14, datetime.date(2028, 1, 3)),
        # + 14 days is New Year's Day 2029, a Monday: the Tuesday.
        (datetime.date(2028, 12, 18), 14, datetime.date(2029, 1, 2)),
    ],
)
def test_example_dates_are_working_days_at_10am_uk_time(today, days_ahead, expected):
    from opportunities.management.commands.create_example_meetings import at_ten_london

    moment = at_ten_london(days_ahead, today=today)

    assert moment.date() == expected
    assert moment.hour == 10
    assert moment.utcoffset() == datetime.timedelta(0)  # GMT in winter


def test_summer_examples_are_10am_bst():
    from opportunities.management.commands.create_example_meetings import at_ten_london

    moment = at_ten_london(14, today=datetime.date(2027, 6, 1))  # Tuesday 15 June 2027

    assert moment.astimezone(datetime.UTC).hour == 9


def test_running_it_again_makes_no_duplicates(trust_content, debug):
    create()
    output = create()

    assert Meeting.objects.count() == 3
    assert "0 created" in output
    assert "3 already in the future" in output


def test_examples_that_have_passed_move_forward(trust_content, debug):
    create()
    sprint = Meeting.objects.get(kind="event")
    sprint.starts_at = timezone.now() - datetime.timedelta(days=40)
    sprint.ends_at = sprint.starts_at + datetime.timedelta(hours=3)
    sprint.save()
    briefing_before = Meeting.objects.get(kind="briefing").starts_at

    output = create()

    assert "1 moved" in output
    assert Meeting.objects.count() == 3
    sprint.refresh_from_db()
    assert sprint.starts_at > timezone.now()
    assert sprint.ends_at - sprint.starts_at == datetime.timedelta(hours=3)
    assert sprint.starts_at.astimezone(LONDON).hour == 10
    assert Meeting.objects.get(kind="briefing").starts_at == briefing_before


def test_real_meetings_are_left_alone(trust_content, debug):
    real = MeetingFactory(
        opportunity=Opportunity.objects.get(slug="iqi-sprint-events"),
        kind=Meeting.Kind.EVENT, title="The real sprint", public_registration=True,
    )

    create()
    create()

    assert Meeting.objects.count() == 4
    assert Meeting.objects.get(pk=real.pk).title == "The real sprint"
    assert Meeting.objects.filter(is_example=True).count() == 3


def test_it_refuses_to_run_with_debug_off_unless_forced(trust_content, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="only runs with DEBUG on"):
        create()
    assert Meeting.objects.count() == 0

    create("--force")
    assert Meeting.objects.count() == 3


def test_it_needs_the_trust_content(debug):
    with pytest.raises(CommandError, match="load_trust_content"):
        create()


def test_the_public_pages_say_they_are_examples(client, trust_content, debug):
    create()

    events = client.get(reverse("opportunities:events")).content.decode()
    sprint = client.get(
        reverse("opportunities:detail", args=["iqi-sprint-events"])
    ).content.decode()
    patient_flow = client.get(
        reverse("opportunities:detail", args=["patient-flow"])
    ).content.decode()
    event = Meeting.objects.get(kind="event")
    form = client.get(
        reverse("applications:register_for_event", args=[event.pk])
    ).content.decode()

    assert "Example: iQI Sprint" in events
    # The briefing and taster are by invitation, so not on /events/.
    assert "Example: Patient flow" not in events
    for html in (events, sprint, patient_flow, form):
        assert "Example date for demonstration" in html
    assert "Example: Patient flow briefing meeting" in patient_flow
    # The example briefing is online: its joining details are never shown.
    assert Meeting.objects.get(kind="briefing").joining_details not in patient_flow
