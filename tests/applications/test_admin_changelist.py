"""The list of expressions of interest the involvement team works from."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from applications.models import ExpressionOfInterest, working_days_between
from tests.factories import ExpressionOfInterestFactory, OpportunityFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

Status = ExpressionOfInterest.Status
CHANGELIST = "admin:applications_expressionofinterest_changelist"


@pytest.fixture
def staff_user(staff_client, django_user_model):
    return django_user_model.objects.get(username="staff")


def listed(response):
    return [expression.reference for expression in response.context["cl"].result_list]


def run_action(client, action, expressions, **extra):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [e.pk for e in expressions], **extra},
    )


def days_ago(days):
    # Wall-clock arithmetic in the trust's time zone, so the local date is exactly `days` back.
    return timezone.localtime() - datetime.timedelta(days=days)


# Columns -------------------------------------------------------------------------------------


def test_it_lists_the_columns_staff_work_from(staff_client, django_user_model):
    programme = ProgrammeFactory(name="Patient safety")
    opportunity = OpportunityFactory(title="Falls prevention group", programme=programme)
    colleague = django_user_model.objects.create_user(
        "jo", first_name="Jo", last_name="Bloggs", is_staff=True
    )
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, full_name="Nguyễn Văn An",
        age_band=ExpressionOfInterest.AgeBand.AGE_18_24, assigned_to=colleague,
    )

    response = staff_client.get(reverse(CHANGELIST))

    html = response.content.decode()
    for text in [
        expression.reference, "Nguyễn Văn An", "Falls prevention group", "Patient safety",
        "18 to 24", "Jo Bloggs", "Working days waiting",
    ]:
        assert text in html


def test_it_shows_the_status_as_a_coloured_tag_with_its_name_written(staff_client):
    ExpressionOfInterestFactory(status=Status.BRIEFING)

    response = staff_client.get(reverse(CHANGELIST))

    assert '<strong class="eoi-tag eoi-tag--purple">Briefing meeting</strong>' in (
        response.content.decode()
    )


def test_it_counts_working_days_waiting_across_a_weekend(staff_client):
    # Any seven days in a row hold exactly one weekend: five working days, whatever today is,
    # less any bank holiday among them (test_working_days.py).
    ExpressionOfInterestFactory(status=Status.NEW, submitted_at=days_ago(7))
    expected = working_days_between(days_ago(7).date(), timezone.localdate())
    assert expected in (5, 4, 3)

    response = staff_client.get(reverse(CHANGELIST))

    assert f'<td class="field-working_days_waiting">{expected}</td>' in (
        response.content.decode()
    )


def test_it_flags_waiting_more_than_ten_working_days_as_overdue(staff_client):
    ExpressionOfInterestFactory(status=Status.NEW, submitted_at=days_ago(21))
    # Fifteen, less any bank holidays in the three weeks.
    expected = working_days_between(days_ago(21).date(), timezone.localdate())
    assert 11 <= expected <= 15

    response = staff_client.get(reverse(CHANGELIST))

    assert f"{expected} (overdue)" in response.content.decode()


def test_it_shows_a_dash_for_waiting_once_contacted(staff_client):
    ExpressionOfInterestFactory(
        status=Status.CONTACTED, submitted_at=days_ago(21), first_contacted_at=days_ago(2)
    )

    response = staff_client.get(reverse(CHANGELIST))

    assert '<td class="field-working_days_waiting">–</td>' in response.content.decode()


@pytest.mark.parametrize(
    ("start", "end", "working_days"),
    [
        (datetime.date(2026, 11, 27), datetime.date(2026, 11, 30), 1),  # Friday to Monday
        (datetime.date(2026, 11, 28), datetime.date(2026, 11, 29), 0),  # Saturday to Sunday
        (datetime.date(2026, 11, 27), datetime.date(2026, 12, 4), 5),  # Friday to Friday
        (datetime.date(2026, 11, 23), datetime.date(2026, 11, 23), 0),  # the same day
        (datetime.date(2026, 11, 23), datetime.date(2026, 12, 9), 12),  # across two weekends
    ],
)
def test_working_days_count_monday_to_friday_only(start, end, working_days):
    assert working_days_between(start, end) == working_days


# Filters -------------------------------------------------------------------------------------


def test_it_filters_by_status(staff_client):
    contacted = ExpressionOfInterestFactory(status=Status.CONTACTED)
    ExpressionOfInterestFactory(status=Status.NEW)

    response = staff_client.get(reverse(CHANGELIST), {"status__exact": "contacted"})

    assert listed(response) == [contacted.reference]


def test_it_filters_by_programme(staff_client):
    wanted = ExpressionOfInterestFactory()
    ExpressionOfInterestFactory()

    response = staff_client.get(
        reverse(CHANGELIST),
        {"opportunity__programme__id__exact": wanted.opportunity.programme_id},
    )

    assert listed(response) == [wanted.reference]


def test_it_filters_by_opportunity(staff_client):
    programme = ProgrammeFactory()
    wanted = ExpressionOfInterestFactory(opportunity__programme=programme)
    ExpressionOfInterestFactory(opportunity__programme=programme)

    response = staff_client.get(
        reverse(CHANGELIST), {"opportunity__id__exact": wanted.opportunity_id}
    )

    assert listed(response) == [wanted.reference]


def _opportunity_choices(response):
    spec = next(f for f in response.context["cl"].filter_specs
                if getattr(f, "field_path", None) == "opportunity")
    return spec.title, [title for _pk, title in spec.lookup_choices]


def test_the_opportunity_filter_lists_the_chosen_programmes_opportunities_only(staff_client):
    programme = ProgrammeFactory()
    mine = ExpressionOfInterestFactory(opportunity__programme=programme,
                                       opportunity__title="Patient flow")
    ExpressionOfInterestFactory(opportunity__title="Young people's forum")
    OpportunityFactory(programme=programme, title="Nobody has asked yet")

    everything = staff_client.get(reverse(CHANGELIST))
    chosen = staff_client.get(
        reverse(CHANGELIST), {"opportunity__programme__id__exact": programme.pk}
    )
    from_a_link = staff_client.get(
        reverse(CHANGELIST), {"opportunity__id__exact": mine.opportunity_id}
    )

    # Hundreds of opportunities would fill the sidebar: a programme comes first.
    assert _opportunity_choices(everything) == ("opportunity (choose a programme first)", [])
    assert "choose a programme first" in everything.content.decode()
    assert _opportunity_choices(chosen) == ("opportunity", ["Patient flow"])
    assert _opportunity_choices(from_a_link)[1] == ["Patient flow"]


def test_it_filters_by_kind_of_opportunity(staff_client):
    lay_partner = ExpressionOfInterestFactory(opportunity__kind="lay_partner")
    ExpressionOfInterestFactory(opportunity__kind="reference_group")

    response = staff_client.get(reverse(CHANGELIST), {"opportunity__kind__exact": "lay_partner"})

    assert listed(response) == [lay_partner.reference]


def test_it_filters_by_age_band(staff_client):
    young = ExpressionOfInterestFactory(age_band=ExpressionOfInterest.AgeBand.AGE_16_17)
    ExpressionOfInterestFactory(age_band=ExpressionOfInterest.AgeBand.AGE_25_64)

    response = staff_client.get(reverse(CHANGELIST), {"age_band__exact": "16_17"})

    assert listed(response) == [young.reference]


def test_it_filters_those_assigned_to_me(staff_client, staff_user, django_user_model):
    mine = ExpressionOfInterestFactory(assigned_to=staff_user)
    colleague = django_user_model.objects.create_user("colleague", is_staff=True)
    ExpressionOfInterestFactory(assigned_to=colleague)
    ExpressionOfInterestFactory(assigned_to=None)

    response = staff_client.get(reverse(CHANGELIST), {"assigned": "me"})

    assert listed(response) == [mine.reference]


def test_it_filters_those_assigned_to_nobody(staff_client, staff_user):
    unassigned = ExpressionOfInterestFactory(assigned_to=None)
    ExpressionOfInterestFactory(assigned_to=staff_user)

    response = staff_client.get(reverse(CHANGELIST), {"assigned": "nobody"})

    assert listed(response) == [unassigned.reference]


def test_it_filters_those_waiting_more_than_ten_working_days(staff_client):
    overdue = ExpressionOfInterestFactory(status=Status.NEW, submitted_at=days_ago(21))
    ExpressionOfInterestFactory(status=Status.NEW, submitted_at=days_ago(14))  # exactly 10
    ExpressionOfInterestFactory(status=Status.NEW, submitted_at=days_ago(2))
    ExpressionOfInterestFactory(
        status=Status.CONTACTED, submitted_at=days_ago(30), first_contacted_at=days_ago(20)
    )
    ExpressionOfInterestFactory(status=Status.WITHDRAWN, submitted_at=days_ago(30))

    response = staff_client.get(reverse(CHANGELIST), {"waiting": "overdue"})

    assert listed(response) == [overdue.reference]


def test_it_filters_waiting_over_ten_working_days_the_same_as_the_column(staff_client):
    for days in range(10, 25):
        ExpressionOfInterestFactory(
            status=Status.NEW, submitted_at=days_ago(days), full_name=f"Waiting {days}"
        )

    response = staff_client.get(reverse(CHANGELIST), {"waiting": "overdue"})

    today = timezone.localdate()
    expected = {
        f"Waiting {days}" for days in range(10, 25)
        if working_days_between(days_ago(days).date(), today) > 10
    }
    assert {e.full_name for e in response.context["cl"].result_list} == expected
    assert "Waiting 21" in expected and "Waiting 14" not in expected


# Search --------------------------------------------------------------------------------------


def test_it_finds_by_reference(staff_client):
    wanted = ExpressionOfInterestFactory()
    ExpressionOfInterestFactory()

    response = staff_client.get(reverse(CHANGELIST), {"q": wanted.reference})

    assert listed(response) == [wanted.reference]


def test_it_finds_by_reference_typed_without_dashes_in_lower_case(staff_client):
    wanted = ExpressionOfInterestFactory()
    ExpressionOfInterestFactory()

    response = staff_client.get(
        reverse(CHANGELIST), {"q": wanted.reference.replace("-", "").lower()}
    )

    assert listed(response) == [wanted.reference]


def test_it_finds_by_name(staff_client):
    wanted = ExpressionOfInterestFactory(full_name="Siobhán O'Brien")
    ExpressionOfInterestFactory(full_name="Li Wei")

    response = staff_client.get(reverse(CHANGELIST), {"q": "o'brien"})

    assert listed(response) == [wanted.reference]


def test_it_finds_by_email(staff_client):
    wanted = ExpressionOfInterestFactory(email="li.wei@example.org")
    ExpressionOfInterestFactory(email="someone@example.org")

    response = staff_client.get(reverse(CHANGELIST), {"q": "li.wei@"})

    assert listed(response) == [wanted.reference]


# Actions -------------------------------------------------------------------------------------


def test_it_assigns_the_selected_to_me(staff_client, staff_user):
    expression = ExpressionOfInterestFactory(assigned_to=None)

    run_action(staff_client, "assign_to_me", [expression])

    expression.refresh_from_db()
    assert expression.assigned_to == staff_user


def test_it_marks_the_selected_contacted_as_the_member_of_staff(staff_client, staff_user):
    expression = ExpressionOfInterestFactory(status=Status.NEW)

    run_action(staff_client, "mark_contacted", [expression])

    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED
    assert expression.changes.get().by == staff_user


def test_it_reports_moved_and_refused_when_marking_contacted(staff_client):
    new = ExpressionOfInterestFactory(status=Status.NEW)
    joined = ExpressionOfInterestFactory(status=Status.JOINED)

    response = run_action(staff_client, "mark_contacted", [new, joined])

    messages = [str(m) for m in response.wsgi_request._messages]
    assert (
        "1 expression(s) of interest moved to “Contacted”. Each with an email address has "
        "been emailed to say so." in messages
    )
    assert (
        f"1 could not move to “Contacted”: {joined.reference}: You cannot move an expression of "
        "interest from “Joined” to “Contacted”." in messages
    )
    joined.refresh_from_db()
    assert joined.status == Status.JOINED
    assert not joined.changes.exists()


def test_it_asks_for_a_reason_before_marking_not_progressed(staff_client):
    expression = ExpressionOfInterestFactory(status=Status.CONTACTED, full_name="Ada Lovelace")

    response = run_action(staff_client, "not_progressed", [expression], index=0)

    assert response.status_code == 200
    assert "Mark as not progressed" in response.content.decode()
    assert "Ada Lovelace" in response.content.decode()
    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED


def test_it_refuses_not_progressed_without_a_reason(staff_client):
    expression = ExpressionOfInterestFactory(status=Status.CONTACTED)

    response = run_action(
        staff_client, "not_progressed", [expression], confirm="yes", reason="  "
    )

    assert response.status_code == 200
    assert "Give a reason why these are not progressing." in response.content.decode()
    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED
    assert not expression.changes.exists()


def test_it_marks_the_selected_not_progressed_with_the_reason(staff_client, staff_user):
    first = ExpressionOfInterestFactory(status=Status.NEW)
    second = ExpressionOfInterestFactory(status=Status.TASTER)

    response = run_action(
        staff_client, "not_progressed", [first, second], confirm="yes",
        reason="The group has no places this year.",
    )

    assert response.status_code == 302
    for expression in (first, second):
        expression.refresh_from_db()
        assert expression.status == Status.NOT_PROGRESSED
        assert expression.not_progressed_reason == "The group has no places this year."
        change = expression.changes.get()
        assert (change.by, change.reason) == (staff_user, "The group has no places this year.")


# Export --------------------------------------------------------------------------------------


def export(client, expressions):
    response = run_action(client, "export_as_csv", expressions)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return response


def rows_of(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_export_starts_with_a_byte_order_mark_for_excel(staff_client):
    expression = ExpressionOfInterestFactory()

    response = export(staff_client, [expression])

    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response["Content-Disposition"].startswith(
        'attachment; filename="expressions-of-interest-'
    )


def test_the_export_has_a_readable_header(staff_client):
    expression = ExpressionOfInterestFactory()

    header = rows_of(export(staff_client, [expression]))[0]

    assert header[:3] == ["Reference", "Submitted", "Status"]
    for heading in [
        "Full name", "Email", "Phone", "Preferred way to contact", "Age band",
        "Parent or carer's name", "Connection to the trust", "Why they are interested",
        "Relevant experience", "Access needs and formats", "Other access needs",
        "When they can usually attend", "Assigned to",
    ]:
        assert heading in header


def test_the_export_has_one_row_per_selected_expression(staff_client):
    chosen = ExpressionOfInterestFactory.create_batch(2)
    ExpressionOfInterestFactory()

    rows = rows_of(export(staff_client, chosen))

    assert sorted(row[0] for row in rows[1:]) == sorted(e.reference for e in chosen)


def test_the_export_writes_labels_not_codes(staff_client):
    expression = ExpressionOfInterestFactory(
        full_name="Siobhán O'Brien",
        status=Status.BRIEFING,
        age_band=ExpressionOfInterest.AgeBand.AGE_65_PLUS,
        preferred_contact=ExpressionOfInterest.ContactMethod.PHONE,
        connections=["carer", "patient"],
        access_needs=["bsl", "step_free"],
    )

    header, row = rows_of(export(staff_client, [expression]))
    record = dict(zip(header, row, strict=True))

    assert record["Full name"] == "Siobhán O'Brien"
    assert record["Status"] == "Briefing meeting"
    assert record["Age band"] == "65 or over"
    assert record["Preferred way to contact"] == "Phone"
    assert record["Connection to the trust"] == (
        "I am, or have been, a patient; I am a carer or family member of a patient"
    )
    assert record["Access needs and formats"] == (
        "Step-free access; A British Sign Language (BSL) interpreter"
    )


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_the_export_neutralises_a_name_that_looks_like_a_formula(staff_client, start):
    expression = ExpressionOfInterestFactory(full_name=f"{start}HYPERLINK(\"http://x\")")

    header, row = rows_of(export(staff_client, [expression]))

    assert dict(zip(header, row, strict=True))["Full name"] == (
        f"'{start}HYPERLINK(\"http://x\")"
    )


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_the_export_neutralises_a_why_that_looks_like_a_formula(staff_client, start):
    expression = ExpressionOfInterestFactory(why_interested=f"{start}1+2")

    header, row = rows_of(export(staff_client, [expression]))

    assert dict(zip(header, row, strict=True))["Why they are interested"] == f"'{start}1+2"


def test_the_export_leaves_ordinary_text_alone(staff_client):
    expression = ExpressionOfInterestFactory(why_interested="I care = I help")

    header, row = rows_of(export(staff_client, [expression]))

    assert dict(zip(header, row, strict=True))["Why they are interested"] == "I care = I help"


# Query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 200])
def test_the_changelist_runs_a_fixed_number_of_queries(
    staff_client, staff_user, django_assert_max_num_queries, rows
):
    programmes = ProgrammeFactory.create_batch(3)
    opportunities = [OpportunityFactory(programme=programme) for programme in programmes]
    for n in range(rows):
        ExpressionOfInterestFactory(
            opportunity=opportunities[n % 3], assigned_to=staff_user if n % 2 else None
        )

    with django_assert_max_num_queries(8):
        response = staff_client.get(reverse(CHANGELIST))

    assert response.status_code == 200


@pytest.mark.parametrize("rows", [1, 200])
def test_the_changelist_runs_a_fixed_number_of_queries_for_a_programme_lead(
    client, django_user_model, django_assert_max_num_queries, rows
):
    lead = django_user_model.objects.create_user("lead", is_staff=True)
    lead.groups.add(Group.objects.get(name="Programme lead"))
    programme = ProgrammeFactory()
    programme.leads.add(lead)
    opportunity = OpportunityFactory(programme=programme)
    for n in range(rows):
        ExpressionOfInterestFactory(opportunity=opportunity, assigned_to=lead if n % 2 else None)
    client.force_login(lead)

    with django_assert_max_num_queries(10):
        response = client.get(reverse(CHANGELIST), {"status__exact": "new"})

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == min(rows, 50)

