"""Each move in the history records when the expression of interest entered the stage the move
leaves (StatusChange.stage_entered_at), which the team's home measures the time in each stage
from. It is set by everything that moves an expression, worked out from the history for a row
made without it, and filled in for the moves made before it existed by the backfill of the
migration status_change_stage_entered_at (applications/history.py), on PostgreSQL in SQL and
elsewhere in Python.

"Right" is the rule the team's home used to look up for each move, written here as it was
(`old_rule`): the backfill must give the same values, so that no figure changed."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Case, F, OuterRef, Subquery, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from applications import history
from applications.models import Booking, ExpressionOfInterest, StatusChange
from applications.team_home import Period, TeamHome
from opportunities.models import Meeting, Opportunity
from tests.factories import ExpressionOfInterestFactory, MeetingFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

Status = ExpressionOfInterest.Status


def old_rule():
    """When each move's stage was entered, as applications/team_home.py looked it up for each
    move before the field existed (word for word)."""
    entered_stage = (
        StatusChange.objects.filter(
            expression=OuterRef("expression"), to_status=OuterRef("from_status"),
            at__lte=OuterRef("at"),
        )
        .exclude(pk=OuterRef("pk"))
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    return Case(
        When(from_status=Status.NEW, then=F("expression__submitted_at")),
        default=Coalesce(Subquery(entered_stage), F("expression__submitted_at")),
    )


def stored_and_old(expressions=None):
    """{pk: (stored, by the old rule)} for every move (of `expressions`)."""
    changes = StatusChange.objects.all()
    if expressions is not None:
        changes = changes.filter(expression__in=expressions)
    return {
        pk: (stored, old)
        for pk, stored, old in changes.annotate(old=old_rule()).values_list(
            "pk", "stage_entered_at", "old"
        )
    }


def assert_stored_as_the_old_rule(expressions=None):
    rows = stored_and_old(expressions)
    assert rows
    assert {pk: stored for pk, (stored, _) in rows.items()} == {
        pk: old for pk, (_, old) in rows.items()
    }


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def staff(django_user_model):
    user = django_user_model.objects.create_user("sam", is_staff=True)
    user.groups.add(Group.objects.get(name="Involvement team"))
    return user


@pytest.fixture
def expression():
    return ExpressionOfInterestFactory(submitted_at=days_ago(30))


def moves(expression):
    return list(expression.changes.order_by("at", "pk"))


# Set by whatever moves an expression -----------------------------------------------------------


def test_a_move_from_new_records_when_they_expressed_interest(expression, staff):
    expression.move_to(Status.CONTACTED, by=staff)

    (move,) = moves(expression)
    assert move.stage_entered_at == expression.submitted_at


def test_each_later_move_records_the_move_before_it(expression, staff):
    expression.move_to(Status.CONTACTED, by=staff)
    expression.move_to(Status.BRIEFING, by=staff, reason="Briefed by phone")
    expression.move_to(Status.TASTER, by=staff, reason="Came to a group meeting")
    expression.withdraw()

    contacted, briefing, taster, withdrawn = moves(expression)
    assert briefing.stage_entered_at == contacted.at
    assert taster.stage_entered_at == briefing.at
    assert withdrawn.stage_entered_at == taster.at
    assert_stored_as_the_old_rule([expression])


def test_a_move_reads_the_stage_entered_from_the_database_not_a_stale_copy(expression, staff):
    stale = ExpressionOfInterest.objects.get(pk=expression.pk)
    expression.move_to(Status.CONTACTED, by=staff)

    stale.move_to(Status.BRIEFING, by=staff, reason="Briefed by phone")

    contacted, briefing = moves(expression)
    assert briefing.stage_entered_at == contacted.at


def test_an_undo_records_when_the_move_it_undoes_was_made(expression, staff):
    expression.move_to(Status.CONTACTED, by=staff)
    expression.move_to(Status.BRIEFING, by=staff, reason="Briefed by phone")

    expression.undo_last_move(by=staff)
    expression.move_to(Status.BRIEFING, by=staff, reason="Briefed by phone after all")

    contacted, briefing, undo, again = moves(expression)
    assert (undo.from_status, undo.to_status) == (Status.BRIEFING, Status.CONTACTED)
    assert undo.stage_entered_at == briefing.at
    # Back at "Contacted" since the undo.
    assert again.stage_entered_at == undo.at
    assert_stored_as_the_old_rule([expression])


def test_new_again_after_an_undo_still_counts_from_the_form(expression, staff):
    expression.move_to(Status.CONTACTED, by=staff)
    expression.undo_last_move(by=staff)

    expression.move_to(Status.CONTACTED, by=staff)

    first, undo, again = moves(expression)
    assert undo.stage_entered_at == first.at
    assert again.stage_entered_at == expression.submitted_at
    assert_stored_as_the_old_rule([expression])


def test_inviting_someone_new_records_when_they_expressed_interest(expression, staff):
    briefing = MeetingFactory(opportunity=expression.opportunity, kind=Meeting.Kind.BRIEFING)

    expression.invite_to(briefing, by=staff)

    (move,) = moves(expression)
    assert (move.to_status, move.stage_entered_at) == (Status.CONTACTED, expression.submitted_at)


def event_registration(booking_status):
    starts = days_ago(10)
    meeting = MeetingFactory(
        opportunity=OpportunityFactory(kind=Opportunity.Kind.EVENT), kind=Meeting.Kind.EVENT,
        public_registration=True, starts_at=starts, ends_at=starts + datetime.timedelta(hours=2),
    )
    registered = ExpressionOfInterestFactory(
        opportunity=meeting.opportunity, meeting=meeting, submitted_at=days_ago(40)
    )
    booking = Booking.objects.create(meeting=meeting, expression=registered, status=booking_status)
    return registered, booking


def test_closing_a_registration_after_the_event_records_when_they_registered():
    registered, _ = event_registration(Booking.Status.CONFIRMED)

    assert registered.close_after_event() == Status.DID_NOT_ATTEND

    (closed,) = moves(registered)
    assert closed.stage_entered_at == registered.submitted_at


def test_correcting_the_outcome_records_when_it_was_closed(staff):
    registered, booking = event_registration(Booking.Status.CONFIRMED)
    registered.close_after_event()

    booking.mark_attended(by=staff)

    closed, corrected = moves(registered)
    assert (corrected.from_status, corrected.to_status) == (
        Status.DID_NOT_ATTEND, Status.ATTENDED
    )
    assert corrected.stage_entered_at == closed.at
    assert_stored_as_the_old_rule([registered])


def test_a_row_made_without_it_is_given_it_from_the_history(expression):
    first = StatusChange.objects.create(
        expression=expression, from_status=Status.NEW, to_status=Status.CONTACTED,
        at=days_ago(20),
    )
    second = StatusChange.objects.create(
        expression=expression, from_status=Status.CONTACTED, to_status=Status.BRIEFING,
        at=days_ago(10),
    )
    # A status set before the history was kept: the stage began, as far as anyone knows, when
    # they expressed interest.
    unknown = StatusChange.objects.create(
        expression=expression, from_status=Status.TASTER, to_status=Status.JOINED,
        at=days_ago(5),
    )

    assert first.stage_entered_at == expression.submitted_at
    assert second.stage_entered_at == first.at
    assert unknown.stage_entered_at == expression.submitted_at
    assert_stored_as_the_old_rule([expression])


def test_a_value_given_is_kept(expression):
    given = days_ago(25)

    change = StatusChange.objects.create(
        expression=expression, from_status=Status.CONTACTED, to_status=Status.BRIEFING,
        at=days_ago(10), stage_entered_at=given,
    )

    change.refresh_from_db()
    assert change.stage_entered_at == given


# The backfill of the moves made before the field ---------------------------------------------


@pytest.fixture
def histories(staff):
    """Histories with everything the rule has to get right: undos, a stage entered twice, two
    moves at the same moment, a status set with no history row, an event registration's
    corrected outcome, and other people's moves in between."""
    made = []

    def walk(submitted_days_ago, *steps):
        expression = ExpressionOfInterestFactory(submitted_at=days_ago(submitted_days_ago))
        current = Status.NEW
        for status, when in steps:
            StatusChange.objects.create(
                expression=expression, from_status=current, to_status=status, at=when,
            )
            current = status
        made.append(expression)
        return expression

    C, BR, T, J = Status.CONTACTED, Status.BRIEFING, Status.TASTER, Status.JOINED
    walk(40, (C, days_ago(35)), (BR, days_ago(30)), (T, days_ago(20)), (J, days_ago(10)))
    # Contacted, undone back to new, contacted again; briefed, undone, briefed again.
    walk(40, (C, days_ago(38)), (Status.NEW, days_ago(37)), (C, days_ago(36)),
         (BR, days_ago(30)), (C, days_ago(29)), (BR, days_ago(28)),
         (Status.WITHDRAWN, days_ago(1)))
    # Two moves at the same moment; and two more, the later move written first.
    same = days_ago(15)
    walk(20, (C, same), (BR, same), (Status.NOT_PROGRESSED, days_ago(2)))
    reversed_pair = ExpressionOfInterestFactory(submitted_at=days_ago(20))
    for from_status, to_status in ((C, BR), (Status.NEW, C)):
        StatusChange.objects.create(
            expression=reversed_pair, from_status=from_status, to_status=to_status, at=same,
        )
    made.append(reversed_pair)
    # At "Briefing meeting" with no history row saying so (a status set before the history).
    gap = ExpressionOfInterestFactory(submitted_at=days_ago(50))
    StatusChange.objects.create(
        expression=gap, from_status=BR, to_status=T, at=days_ago(12),
    )
    made.append(gap)
    # Through the model's own methods, today.
    moved = ExpressionOfInterestFactory(submitted_at=days_ago(3))
    moved.move_to(C, by=staff)
    moved.move_to(BR, by=staff, reason="Briefed by phone")
    moved.undo_last_move(by=staff)
    made.append(moved)
    registered, booking = event_registration(Booking.Status.CONFIRMED)
    registered.close_after_event()
    booking.mark_attended(by=staff)
    made.append(registered)
    return made


def forget_stored_values():
    """The moves as they were before the field: none has it."""
    return StatusChange.objects.update(stage_entered_at=None)


def test_the_backfill_gives_what_the_old_rule_looked_up(histories):
    expected = {pk: old for pk, (_, old) in stored_and_old().items()}
    total = forget_stored_values()

    filled = history.backfill_stage_entered_at(StatusChange)

    assert filled == total == len(expected) == 22
    assert {pk: stored for pk, (stored, _) in stored_and_old().items()} == expected


def test_the_python_backfill_gives_the_same_on_any_database(histories, monkeypatch):
    # In batches smaller than the data, so that the batching is exercised too.
    monkeypatch.setattr(history, "BATCH", 2)
    expected = {pk: old for pk, (_, old) in stored_and_old().items()}
    forget_stored_values()

    filled = history._backfill_in_python(StatusChange, "default")

    assert filled == len(expected)
    assert {pk: stored for pk, (stored, _) in stored_and_old().items()} == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL backfill is PostgreSQL's")
def test_the_sql_backfill_gives_the_same_as_the_python_one(histories):
    forget_stored_values()
    history._backfill_in_python(StatusChange, "default")
    by_python = dict(StatusChange.objects.values_list("pk", "stage_entered_at"))
    forget_stored_values()

    history._backfill_in_sql(StatusChange, connection)

    assert dict(StatusChange.objects.values_list("pk", "stage_entered_at")) == by_python


@pytest.mark.parametrize("backfill", ["sql", "python"])
def test_the_backfill_fills_only_the_rows_without_one(histories, backfill):
    if backfill == "sql" and connection.vendor != "postgresql":
        pytest.skip("the SQL backfill is PostgreSQL's")
    kept = StatusChange.objects.order_by("pk").first()
    marked = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    StatusChange.objects.exclude(pk=kept.pk).update(stage_entered_at=None)
    StatusChange.objects.filter(pk=kept.pk).update(stage_entered_at=marked)

    if backfill == "sql":
        filled = history._backfill_in_sql(StatusChange, connection)
    else:
        filled = history._backfill_in_python(StatusChange, "default")

    assert filled == StatusChange.objects.count() - 1
    kept.refresh_from_db()
    assert kept.stage_entered_at == marked
    assert not StatusChange.objects.filter(stage_entered_at__isnull=True).exists()


# The team's home reads it ---------------------------------------------------------------------


def test_the_team_home_leaves_out_a_move_with_no_record_of_its_stage(staff):
    this_month = Period.month_of(timezone.localdate())
    expression = ExpressionOfInterestFactory(submitted_at=this_month.starts_at)
    expression.move_to(Status.CONTACTED, by=staff)
    expression.move_to(Status.BRIEFING, by=staff, reason="Briefed by phone")
    # Written around Django (a COPY, raw SQL): no record of when "Contacted" began.
    expression.changes.filter(to_status=Status.BRIEFING).update(stage_entered_at=None)

    times = dict(
        (label, moves) for label, _, moves in TeamHome(staff, this_month).stage_times()
    )

    assert times[Status.NEW.label] == 1
    assert times[Status.CONTACTED.label] == 0
