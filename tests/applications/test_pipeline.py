"""The pipeline: new → contacted → briefing → taster → joined, and the ways out of it."""

import pytest

from applications.models import ExpressionOfInterest, InvalidMove, StatusChange
from tests.factories import ExpressionOfInterestFactory

pytestmark = pytest.mark.django_db

Status = ExpressionOfInterest.Status
OPEN_STAGES = [Status.NEW, Status.CONTACTED, Status.BRIEFING, Status.TASTER]


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("amina", "amina@example.nhs.uk", is_staff=True)


def test_it_moves_new_to_contacted_and_records_the_first_contact(staff):
    expression = ExpressionOfInterestFactory(status=Status.NEW)

    expression.move_to(Status.CONTACTED, by=staff)

    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED
    assert expression.first_contacted_at is not None


def test_it_keeps_the_first_contact_time_on_later_moves(staff):
    expression = ExpressionOfInterestFactory(status=Status.NEW)
    expression.move_to(Status.CONTACTED, by=staff)
    expression.refresh_from_db()
    first_contacted_at = expression.first_contacted_at

    expression.move_to(Status.BRIEFING, by=staff, reason="Briefed by phone.")

    expression.refresh_from_db()
    assert expression.first_contacted_at == first_contacted_at


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (Status.CONTACTED, Status.BRIEFING),
        (Status.BRIEFING, Status.TASTER),
        (Status.TASTER, Status.JOINED),
    ],
)
def test_it_moves_on_to_the_next_stage(staff, start, end):
    expression = ExpressionOfInterestFactory(status=start)

    # A briefing or taster with no booking behind it needs a reason (test_meeting_stages.py).
    expression.move_to(end, by=staff, reason="Met them at the group.")

    expression.refresh_from_db()
    assert expression.status == end


@pytest.mark.parametrize("start", OPEN_STAGES)
def test_it_marks_an_open_stage_not_progressed_with_the_reason(staff, start):
    expression = ExpressionOfInterestFactory(status=start)

    expression.move_to(Status.NOT_PROGRESSED, by=staff, reason="  The group is full.  ")

    expression.refresh_from_db()
    assert expression.status == Status.NOT_PROGRESSED
    assert expression.not_progressed_reason == "The group is full."


@pytest.mark.parametrize("start", [*OPEN_STAGES, Status.JOINED])
def test_it_withdraws_from_an_open_stage_or_from_joined(staff, start):
    expression = ExpressionOfInterestFactory(status=start)

    expression.move_to(Status.WITHDRAWN, by=staff, reason="Told us by phone.")

    expression.refresh_from_db()
    assert expression.status == Status.WITHDRAWN


def test_it_records_who_moved_it_from_what_to_what_and_why(staff):
    expression = ExpressionOfInterestFactory(status=Status.BRIEFING)

    expression.move_to(Status.NOT_PROGRESSED, by=staff, reason="Moved away from the area.")

    change = StatusChange.objects.get(expression=expression)
    assert change.by == staff
    assert change.from_status == Status.BRIEFING
    assert change.to_status == Status.NOT_PROGRESSED
    assert change.reason == "Moved away from the area."
    assert change.at is not None


def test_it_records_the_person_as_nobody_when_they_withdraw_themselves():
    expression = ExpressionOfInterestFactory(status=Status.NEW)

    expression.withdraw()

    change = StatusChange.objects.get(expression=expression)
    assert change.by is None
    assert (change.from_status, change.to_status) == (Status.NEW, Status.WITHDRAWN)


def test_it_writes_one_history_row_per_move(staff):
    expression = ExpressionOfInterestFactory(status=Status.NEW)

    for status in [Status.CONTACTED, Status.BRIEFING, Status.TASTER, Status.JOINED]:
        expression.move_to(status, by=staff, reason="Went well.")

    moves = list(expression.changes.values_list("from_status", "to_status"))
    assert moves == [
        (Status.NEW, Status.CONTACTED),
        (Status.CONTACTED, Status.BRIEFING),
        (Status.BRIEFING, Status.TASTER),
        (Status.TASTER, Status.JOINED),
    ]


@pytest.mark.parametrize(
    ("start", "wanted", "message"),
    [
        (Status.NEW, Status.BRIEFING, "You cannot move an expression of interest from “New” "
         "to “Briefing meeting”. The next step is “Contacted”."),
        (Status.CONTACTED, Status.JOINED, "from “Contacted” to “Joined”"),
        (Status.TASTER, Status.BRIEFING, "from “Taster meeting” to “Briefing meeting”"),
        (Status.CONTACTED, Status.NEW, "from “Contacted” to “New”"),
        (Status.JOINED, Status.TASTER, "from “Joined” to “Taster meeting”"),
        (Status.NOT_PROGRESSED, Status.CONTACTED, "has ended (“Not progressed”)"),
        (Status.WITHDRAWN, Status.NEW, "has ended (“Withdrawn”)"),
        (Status.WITHDRAWN, Status.NOT_PROGRESSED, "has ended (“Withdrawn”)"),
        (Status.CONTACTED, Status.CONTACTED, "is already at “Contacted”"),
        (Status.JOINED, Status.NOT_PROGRESSED, "from “Joined” to “Not progressed”"),
    ],
    ids=[
        "skip-a-stage", "skip-to-joined", "backwards", "back-to-new", "back-from-joined",
        "from-not-progressed", "from-withdrawn", "ended-to-ended", "same-status",
        "joined-not-progressed",
    ],
)
def test_it_refuses_a_move_the_pipeline_does_not_allow(staff, start, wanted, message):
    expression = ExpressionOfInterestFactory(status=start)

    with pytest.raises(InvalidMove) as refusal:
        expression.move_to(wanted, by=staff, reason="A reason.")

    assert message in refusal.value.message
    expression.refresh_from_db()
    assert expression.status == start
    assert not expression.changes.exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_it_refuses_not_progressed_without_a_reason(staff, reason):
    expression = ExpressionOfInterestFactory(status=Status.CONTACTED)

    with pytest.raises(InvalidMove) as refusal:
        expression.move_to(Status.NOT_PROGRESSED, by=staff, reason=reason)

    assert refusal.value.message == (
        "Give a reason why this expression of interest is not progressing."
    )
    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED
    assert expression.not_progressed_reason == ""
    assert not expression.changes.exists()


def test_it_refuses_a_move_from_a_stale_copy_using_the_saved_status(staff):
    expression = ExpressionOfInterestFactory(status=Status.NEW)
    stale_copy = ExpressionOfInterest.objects.get(pk=expression.pk)
    expression.move_to(Status.CONTACTED, by=staff)

    with pytest.raises(InvalidMove) as refusal:
        stale_copy.move_to(Status.CONTACTED, by=staff)

    assert "already at “Contacted”" in refusal.value.message
    assert expression.changes.count() == 1
