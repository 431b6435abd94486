"""The team's home: every figure against hand-counted data, for the team and for a programme
lead, each figure's link followed to the list it counts, the CSV, the form's mistakes, and the
number of queries.

The data (`work`) is a March 2026 of the team's work, written down here move by move, with the
counts worked out by hand beside it.
"""

import csv
import datetime
import io
import re
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from applications.equality import EqualityResponse
from applications.models import Booking, ExpressionOfInterest, StatusChange
from opportunities.models import Meeting, Opportunity
from tests.factories import (
    EqualityResponseFactory,
    ExpressionOfInterestFactory,
    MeetingFactory,
    OpportunityFactory,
    ProgrammeFactory,
)

pytestmark = pytest.mark.django_db

Status = ExpressionOfInterest.Status
HOME = "admin:applications_team_home"
CSV = "admin:applications_team_home_csv"
LONDON = ZoneInfo("Europe/London")
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def at(month, day, hour=10):
    return datetime.datetime(2026, month, day, hour, tzinfo=LONDON)


def walk(expression, submitted, *moves):
    """The expression was sent at `submitted` and then moved as `moves` say: (status, when)."""
    expression.submitted_at = submitted
    current = Status.NEW
    for status, when in moves:
        StatusChange.objects.create(
            expression=expression, from_status=current, to_status=status, at=when,
            reason="" if status != Status.NOT_PROGRESSED else "No places left",
        )
        if status == Status.CONTACTED and expression.first_contacted_at is None:
            expression.first_contacted_at = when
        current = status
    expression.status = current
    expression.save()
    return expression


@pytest.fixture
def lead(django_user_model):
    user = django_user_model.objects.create_user("lee", "lee@example.nhs.uk", is_staff=True)
    user.groups.add(Group.objects.get(name="Programme lead"))
    return user


@pytest.fixture
def work(lead):
    """Programme A (key): the lay partner role A1 (one lay partner already in post) and the
    reference group A2. Programme B (key, led by `lead`): the lay partner role B1."""
    a = ProgrammeFactory(name="Children's services", is_key=True, position=1)
    b = ProgrammeFactory(name="Improvement projects", is_key=True, position=2)
    b.leads.add(lead)
    a1 = OpportunityFactory(
        programme=a, title="Lay partner: surgery", kind=Opportunity.Kind.LAY_PARTNER,
        lay_partner_target=2, lay_partners_in_post=1, position=1,
    )
    a2 = OpportunityFactory(programme=a, title="Young people's group", position=2)
    b1 = OpportunityFactory(
        programme=b, title="Lay partner: discharge", kind=Opportunity.Kind.LAY_PARTNER,
        lay_partner_target=2,
    )
    event = MeetingFactory(
        opportunity=OpportunityFactory(programme=a, kind=Opportunity.Kind.EVENT),
        kind=Meeting.Kind.EVENT, starts_at=timezone.now() + datetime.timedelta(days=20),
    )

    def eoi(opportunity, **kwargs):
        return ExpressionOfInterestFactory(opportunity=opportunity, **kwargs)

    C, BR, T, J = Status.CONTACTED, Status.BRIEFING, Status.TASTER, Status.JOINED
    rows = {
        # In March, A1: five people.
        "e1": walk(eoi(a1), at(3, 2)),  # still new
        "e2": walk(eoi(a1), at(3, 3), (C, at(3, 6)), (BR, at(3, 10))),  # new 3d, contacted 4d
        "e3": walk(eoi(a1), at(3, 4), (C, at(3, 5)), (BR, at(3, 9)), (T, at(3, 19)),
                   (J, at(3, 20))),  # new 1d, contacted 4d, briefing 10d, taster 1d
        "e4": walk(eoi(a1), at(3, 5), (C, at(3, 13)),
                   (Status.NOT_PROGRESSED, at(3, 16))),  # new 8d, contacted 3d
        "e5": walk(eoi(a1), at(3, 6), (Status.WITHDRAWN, at(3, 7))),  # new 1d
        # Sent in February, moved in March: in the times, not the funnel.
        "e6": walk(eoi(a1), at(2, 26), (C, at(3, 2))),  # new 4d
        "e11": walk(eoi(a2), at(2, 1), (C, at(2, 10)), (BR, at(3, 2))),  # contacted 20d
        # A2 in March: one person, who withdrew after the briefing.
        "e8": walk(eoi(a2), at(3, 15), (C, at(3, 16)), (BR, at(3, 20)),
                   (Status.WITHDRAWN, at(3, 25))),  # new 1d, contacted 4d, briefing 5d
        # An event registration in March: never counted.
        "e7": walk(eoi(event.opportunity, meeting=event), at(3, 10)),
        # B1: one in March, one in April.
        "e9": walk(eoi(b1), at(3, 20)),
        "e10": walk(eoi(b1), at(4, 1)),
        # Sent today: new this week. And an event registration today, which is not.
        "e12": walk(eoi(b1), timezone.now()),
        "e13": walk(eoi(event.opportunity, meeting=event),
                    timezone.now()),
    }
    # Upcoming meetings: A1's briefing, full, with one waiting; B1's, with no limit.
    briefing = MeetingFactory(
        opportunity=a1, kind=Meeting.Kind.BRIEFING, capacity=2, title="Surgery briefing",
        starts_at=timezone.now() + datetime.timedelta(days=3),
    )
    for name, status in (("e1", "confirmed"), ("e2", "invited"), ("e4", "waitlisted")):
        Booking.objects.create(meeting=briefing, expression=rows[name], status=status)
    MeetingFactory(
        opportunity=b1, kind=Meeting.Kind.BRIEFING, title="Discharge briefing",
        starts_at=timezone.now() + datetime.timedelta(days=5),
    )
    MeetingFactory(
        opportunity=a1, title="Last month's meeting",
        starts_at=timezone.now() - datetime.timedelta(days=30),
    )
    return {"a": a, "b": b, "a1": a1, "a2": a2, "b1": b1, "briefing": briefing, **rows}


def home(client, **params):
    return client.get(reverse(HOME), params)


# The figures, for the involvement team ---------------------------------------------------------


def test_the_admin_index_links_to_the_home_first(staff_client):
    response = staff_client.get(reverse("admin:index"))

    html = response.content.decode()
    assert html.index(reverse(HOME)) < html.index("app-applications")


def test_it_counts_new_this_week_waiting_and_overdue(staff_client, work):
    now = home(staff_client, **MARCH).context["now"]

    assert now["new_this_week"].count == 1  # e12; the registration e13 is not counted
    assert now["waiting"].count == 4  # e1, e9, e10, e12
    assert now["overdue"].count == 3  # e1, e9, e10


def test_the_funnel_counts_how_far_each_person_got(staff_client, work):
    funnel = home(staff_client, **MARCH).context["funnel"]

    keys = ["expressed", "contacted", "briefing", "taster", "joined", "not_progressed",
            "withdrawn"]

    def counts(row):
        return [row.counts[key] for key in keys]

    # A1: e1 new; e2 briefing; e3 joined; e4 not progressed after contact; e5 withdrew at new.
    # A2: e8 withdrew after the briefing. B1: e9 new (e10 is April's).
    assert [row.name for row in funnel["programmes"]] == [
        "Children's services", "Improvement projects",
    ]
    a_rows = funnel["opportunities"][work["a"].pk]
    assert [(row.name, counts(row)) for row in a_rows] == [
        ("Lay partner: surgery", [5, 3, 2, 1, 1, 1, 1]),
        ("Young people's group", [1, 1, 1, 0, 0, 0, 1]),
    ]
    assert counts(funnel["programmes"][0]) == [6, 4, 3, 1, 1, 1, 2]
    assert counts(funnel["programmes"][1]) == [1, 0, 0, 0, 0, 0, 0]
    assert counts(funnel["total"]) == [7, 4, 3, 1, 1, 1, 2]
    assert a_rows[0].conversion == pytest.approx(20.0)
    assert funnel["total"].conversion == pytest.approx(100 / 7)


def test_it_shows_the_funnel_as_a_table_and_a_chart_a_screen_reader_can_read(staff_client, work):
    response = home(staff_client, **MARCH)

    html = response.content.decode()
    assert '<caption>By programme</caption>' in html
    assert 'role="img" aria-labelledby="funnel-chart-title"' in html
    title = re.search(r'<title id="funnel-chart-title">([^<]*)</title>', html).group(1)
    assert title == (
        "How far the people who expressed interest from 1 to 31 March 2026 have got. "
        "Expressed interest: 7; Contacted: 4; Briefing meeting: 3; Taster meeting: 1; "
        "Joined: 1."
    )
    assert "style=" not in html.split('id="content-main"')[1]
    assert "14.3%" in html  # all programmes: 1 joined of 7


def test_choosing_a_programme_shows_its_opportunities(staff_client, work):
    response = home(staff_client, programme=work["a"].pk, **MARCH)

    assert response.context["chosen_programme"].name == "Children's services"
    assert [row.name for row in response.context["chosen_opportunities"]] == [
        "Lay partner: surgery", "Young people's group",
    ]
    assert "Opportunities in Children&#x27;s services" in response.content.decode()


def test_it_works_out_the_median_days_in_each_stage(staff_client, work):
    times = home(staff_client, **MARCH).context["stage_times"]

    assert times == [
        # Out of New in March: e2 3, e3 1, e4 8, e5 1, e6 4, e8 1 days: 1 1 1 3 4 8.
        ("New", pytest.approx(2.0), 6),
        # Out of Contacted: e2 4, e3 4, e4 3, e8 4, and e11 20 (contacted in February).
        ("Contacted", pytest.approx(4.0), 5),
        # Out of Briefing: e3 10, e8 5.
        ("Briefing meeting", pytest.approx(7.5), 2),
        ("Taster meeting", pytest.approx(1.0), 1),  # e3
        # First contacts in March: e2 3, e3 1, e4 8, e6 4, e8 1.
        ("From expressing interest to first contact", pytest.approx(3.0), 5),
    ]


def test_it_shows_key_lay_partner_roles_still_to_fill_with_their_pipeline(staff_client, work):
    response = home(staff_client, **MARCH)

    def summary(role):
        return (role.title, role.lay_partners_filled, role.lay_partners_needed,
                [(label, figure.count) for label, figure in role.pipeline])

    # B1: nobody yet, two wanted; e9, e10 and e12 new. A1 has its two (one in post, e3
    # joined), so it is counted, not listed.
    assert [summary(role) for role in response.context["lay_partner_roles"]] == [
        ("Lay partner: discharge", 0, 2, [("New", 3), ("Contacted", 0),
                                          ("Briefing meeting", 0), ("Taster meeting", 0)]),
    ]
    assert response.context["roles_with_their_lay_partners"] == 1
    assert "1 other open role of key programmes has all the lay partners it wants" in (
        response.content.decode()
    )


def test_every_key_role_and_its_pipeline_is_counted(staff_client, work):
    from django.contrib.auth import get_user_model

    from applications.team_home import Period, TeamHome

    user = get_user_model().objects.get(username="staff")
    roles = TeamHome(user, Period.month_of(datetime.date(2026, 3, 1))).lay_partner_roles()

    assert [(role.title, role.lay_partners_filled, role.joined.count,
             [figure.count for _, figure in role.pipeline]) for role in roles] == [
        # A1: one in post and e3 joined; e1 new, e6 contacted, e2 at briefing.
        ("Lay partner: surgery", 2, 1, [1, 1, 1, 0]),
        ("Lay partner: discharge", 0, 0, [3, 0, 0, 0]),
    ]


def test_it_shows_upcoming_meetings_with_places_and_waiting_lists(staff_client, work):
    response = home(staff_client, **MARCH)

    meetings = response.context["meetings"]
    assert [(m.display_title, m.taken_count, m.places_left(), m.waiting_count)
            for m in meetings][:2] == [
        ("Surgery briefing", 2, 0, 1), ("Discharge briefing", 0, None, 0),
    ]
    assert "Last month's meeting" not in [m.display_title for m in meetings]
    assert "0 of 2" in response.content.decode()


def test_it_shows_the_emails_waiting(staff_client, work):
    DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}}, task_path="applications.tasks.send_email",
        backend_name="default", run_after=timezone.now(), exception_class_path="",
        traceback="",
    )

    response = home(staff_client, **MARCH)

    assert "1 email waiting to be sent" in response.content.decode()


def test_it_shows_the_equality_figures_of_the_periods_year_with_small_numbers_hidden(
    staff_client, work
):
    EqualityResponseFactory.create_batch(5, sex=EqualityResponse.Sex.FEMALE, year=2026)
    EqualityResponseFactory(sex=EqualityResponse.Sex.MALE, year=2026)
    EqualityResponseFactory.create_batch(7, sex=EqualityResponse.Sex.MALE, year=2025)

    response = home(staff_client, **MARCH)

    [(year, report)] = response.context["equality_reports"]
    assert year == 2026 and report.responses == 6
    sex = report.questions[0]
    # 1 male: "Fewer than 5"; the 5 female then "Not shown", or 6 - 5 would give the 1 away.
    assert sex["groups"][0][1][:2] == [("Female", "Not shown"), ("Male", "Fewer than 5")]
    html = response.content.decode()
    assert "6 people answered in 2026." in html
    assert "Sex, 2026" in html


def test_a_period_over_two_years_shows_each_year_on_its_own(staff_client, work):
    EqualityResponseFactory.create_batch(7, sex=EqualityResponse.Sex.MALE, year=2025)

    response = home(staff_client, **{"from": "2025-12-01", "to": "2026-01-31"})

    reports = response.context["equality_reports"]
    assert [(year, report.responses) for year, report in reports] == [(2025, 7), (2026, 0)]


# A period with nothing in it --------------------------------------------------------------------


def test_an_empty_period_shows_nothing_counted(staff_client, work):
    response = home(staff_client, **{"from": "2025-06-01", "to": "2025-06-30"})

    html = response.content.decode()
    assert "Nobody expressed interest from 1 to 30 June 2025." in html
    assert response.context["funnel"]["total"].counts["expressed"] == 0
    assert [(label, median, moves) for label, median, moves in
            response.context["stage_times"]] == [
        ("New", None, 0), ("Contacted", None, 0), ("Briefing meeting", None, 0),
        ("Taster meeting", None, 0), ("From expressing interest to first contact", None, 0),
    ]
    # What stands now is the same whatever the period.
    assert response.context["now"]["waiting"].count == 4


def test_with_no_data_at_all_the_page_still_renders(staff_client):
    response = home(staff_client)

    assert response.status_code == 200
    html = response.content.decode()
    assert "No key programme has an open lay partner role." in html
    assert "No meetings are coming up." in html
    assert "No emails are waiting to be sent." in html


# A programme lead ------------------------------------------------------------------------------


def test_a_programme_lead_sees_only_their_programmes(client, lead, work):
    client.force_login(lead)

    response = home(client, **MARCH)

    context = response.context
    assert context["now"]["new_this_week"].count == 1  # e12
    assert context["now"]["waiting"].count == 3  # e9, e10, e12
    assert context["now"]["overdue"].count == 2  # e9, e10
    assert [row.name for row in context["funnel"]["programmes"]] == ["Improvement projects"]
    assert context["funnel"]["total"].counts["expressed"] == 1
    # With one programme, its opportunities are shown straight away.
    assert [row.name for row in context["chosen_opportunities"]] == ["Lay partner: discharge"]
    assert [moves for _, _, moves in context["stage_times"]] == [0, 0, 0, 0, 0]
    assert [role.title for role in context["lay_partner_roles"]] == ["Lay partner: discharge"]
    assert [m.display_title for m in context["meetings"]] == ["Discharge briefing"]
    # Leads are not given the equality report.
    assert context["equality_reports"] is None
    html = response.content.decode()
    assert "Children&#x27;s services" not in html
    assert "Surgery briefing" not in html
    assert "Equality monitoring" not in html


def test_staff_without_access_to_expressions_cannot_open_the_home(client, django_user_model):
    user = django_user_model.objects.create_user("visitor", is_staff=True)
    client.force_login(user)

    assert home(client).status_code == 403


# Each figure's link -----------------------------------------------------------------------------


class FigureLinks(HTMLParser):
    """The links to the expressions of interest list, with the number each one says."""

    def __init__(self):
        super().__init__()
        self.links = []
        self._href = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.startswith(reverse(
            "admin:applications_expressionofinterest_changelist"
        ) + "?"):
            self._href, self._text = href, []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            text = " ".join("".join(self._text).split())
            self.links.append((self._href, int(re.match(r"\d+", text).group(0)), text))
            self._href = None


def figure_links(response):
    parser = FigureLinks()
    parser.feed(response.content.decode())
    return parser.links


def listed_count(client, url):
    response = client.get(url.replace("&amp;", "&"))
    assert response.status_code == 200, url
    return response.context["cl"].result_count


@pytest.mark.parametrize("params", [MARCH, {"programme": "PROGRAMME_A", **MARCH}])
def test_every_figure_links_to_a_list_of_as_many_expressions(staff_client, work, params):
    params = {k: (work["a"].pk if v == "PROGRAMME_A" else v) for k, v in params.items()}
    links = figure_links(home(staff_client, **params))

    # Now 3; funnel 7 figures for each of 2 programmes and the total, and for A's
    # 2 opportunities when chosen (and their total, the programme's row again); the role still
    # to fill 5 (joined and 4 stages).
    expected = 3 + 7 * 3 + 5 + (7 * 3 if "programme" in params else 0)
    assert len(links) == expected
    for url, count, text in links:
        assert listed_count(staff_client, url) == count, f"{text}: {url}"


def test_a_programme_leads_figures_link_to_lists_of_as_many(client, lead, work):
    client.force_login(lead)
    links = figure_links(home(client, **MARCH))

    assert links
    for url, count, text in links:
        assert listed_count(client, url) == count, f"{text}: {url}"


def test_the_funnels_links_name_the_period_in_the_lists_filter(staff_client, work):
    links = figure_links(home(staff_client, **MARCH))
    url = next(url for url, _, text in links if "submitted_at__lt" in url)

    response = staff_client.get(url.replace("&amp;", "&"))

    assert "1 Mar 2026 to 31 Mar 2026" in response.content.decode()


def test_this_months_links_show_this_month_chosen_in_the_lists_filter(staff_client, work):
    links = figure_links(home(staff_client))
    url = next(url for url, _, text in links if "submitted_at__lt" in url)

    response = staff_client.get(url.replace("&amp;", "&"))

    filters = response.context["cl"].filter_specs
    submitted = next(spec for spec in filters if spec.title == "submitted")
    chosen = [c["display"] for c in submitted.choices(response.context["cl"]) if c["selected"]]
    assert chosen == ["This month"]


# The CSV ---------------------------------------------------------------------------------------


def csv_rows(response):
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_has_the_same_figures(staff_client, work):
    EqualityResponseFactory.create_batch(6, sex=EqualityResponse.Sex.FEMALE, year=2026)

    response = staff_client.get(reverse(CSV), MARCH)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "team-home-2026-03-01-to-2026-03-31.csv" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == [
        "Section", "Programme or question", "Opportunity, meeting or answer", "Figure",
        "Number",
    ]
    figures = {tuple(row[:4]): row[4] for row in rows[1:]}
    assert figures[("Period", "", "", "From")] == "01/03/2026"
    assert figures[("Now", "", "", "Waiting for first contact")] == "4"
    assert figures[("Now", "", "", "Overdue (more than 10 working days)")] == "3"
    a1 = ("Funnel", "Children's services", "Lay partner: surgery")
    assert [figures[(*a1, label)] for label in (
        "Expressed interest", "Contacted", "Briefing meeting", "Taster meeting", "Joined",
        "Not progressed", "Withdrawn", "Conversion (joined, per cent of expressed)",
    )] == ["5", "3", "2", "1", "1", "1", "1", "20.0"]
    assert figures[("Funnel", "All programmes", "", "Expressed interest")] == "7"
    assert figures[("Time in each stage", "", "", "Briefing meeting: median days")] == "7.5"
    assert figures[("Time in each stage", "", "", "Contacted: moves measured")] == "5"
    role = ("Lay partner roles", "Improvement projects", "Lay partner: discharge")
    assert figures[(*role, "Still needed")] == "2"
    assert figures[(*role, "In the pipeline: New")] == "3"
    briefing = next(key for key in figures if key[0] == "Upcoming meetings"
                    and key[2].startswith("Surgery briefing") and key[3] == "Waiting list")
    assert figures[briefing] == "1"
    assert figures[("Equality monitoring, 2026", "Sex", "Female", "Number of people")] == "6"


def test_the_csv_makes_a_name_starting_with_a_formula_safe(staff_client):
    programme = ProgrammeFactory(name="=HYPERLINK(\"http://x\")")
    ExpressionOfInterestFactory(opportunity=OpportunityFactory(programme=programme))

    rows = csv_rows(staff_client.get(reverse(CSV)))

    assert ["Funnel", "'=HYPERLINK(\"http://x\")", "", "Expressed interest", "1"] in rows


def test_a_programme_leads_csv_has_only_their_programmes(client, lead, work):
    client.force_login(lead)

    rows = csv_rows(client.get(reverse(CSV), MARCH))

    text = "\n".join(",".join(row) for row in rows)
    assert "Improvement projects" in text
    assert "Children's services" not in text
    assert "Equality monitoring" not in text


# The period form -------------------------------------------------------------------------------


def test_it_shows_this_month_by_default(staff_client):
    response = home(staff_client)

    today = timezone.localdate()
    period = response.context["period"]
    assert (period.first, period.last.month) == (today.replace(day=1), today.month)
    assert f'value="{today.replace(day=1):%Y-%m-%d}"' in response.content.decode()


def test_a_date_that_is_not_a_date_is_explained_and_kept(staff_client):
    response = home(staff_client, **{"from": "31/02/2026", "to": "2026-03-31"})

    html = response.content.decode()
    assert "<title>Error: " in html
    assert "Enter the first day as a date, for example" in html
    assert 'href="#id_from"' in html
    assert 'value="31/02/2026"' in html
    assert 'aria-describedby="id_from-error"' in html
    assert response.context["period"].first == timezone.localdate().replace(day=1)


def test_a_last_day_before_the_first_is_explained(staff_client):
    response = home(staff_client, **{"from": "2026-03-10", "to": "2026-03-01"})

    assert (
        "The last day must be the same as or after the first day (10 March 2026)"
        in response.content.decode()
    )


def test_a_programme_that_is_not_a_number_is_ignored(staff_client, work):
    response = home(staff_client, programme="abc", **MARCH)

    assert not response.context["form"].errors
    assert response.context["chosen_programme"] is None


def test_a_first_day_alone_runs_to_today(staff_client):
    period = home(staff_client, **{"from": "2026-01-01"}).context["period"]

    assert (period.first, period.last) == (datetime.date(2026, 1, 1), timezone.localdate())


# Queries ---------------------------------------------------------------------------------------


def build(size):
    """`size` programmes (key), each with a lay partner role and a group, each with people at
    every stage, sent this month, and an upcoming meeting."""
    now = timezone.now()
    for _ in range(size):
        programme = ProgrammeFactory(is_key=True)
        for kind in (Opportunity.Kind.LAY_PARTNER, Opportunity.Kind.REFERENCE_GROUP):
            opportunity = OpportunityFactory(programme=programme, kind=kind)
            MeetingFactory(opportunity=opportunity, capacity=5)
            path = []
            for status in (Status.CONTACTED, Status.BRIEFING, Status.NOT_PROGRESSED):
                expression = ExpressionOfInterestFactory(opportunity=opportunity)
                path.append((status, now))
                walk(expression, now - datetime.timedelta(minutes=30), *path)
                if status == Status.NOT_PROGRESSED:
                    break
        EqualityResponseFactory()
    return programme


def queries(client, **params):
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = home(client, **params)
    assert response.status_code == 200
    return len(captured)


def test_the_home_makes_as_many_queries_for_one_row_as_for_many(
    staff_client, django_assert_max_num_queries
):
    build(1)
    one = queries(staff_client)
    build(8)
    many = queries(staff_client)

    assert one == many
    with django_assert_max_num_queries(20):
        home(staff_client)


def test_a_leads_home_makes_as_many_queries_for_one_row_as_for_many(
    client, lead, django_assert_max_num_queries
):
    build(1).leads.add(lead)
    client.force_login(lead)
    one = queries(client)
    for programme in [build(1) for _ in range(6)]:
        programme.leads.add(lead)
    many = queries(client)

    assert one == many
    with django_assert_max_num_queries(20):
        home(client)


def test_the_period_figures_are_kept_so_a_second_visit_makes_fewer_queries(staff_client):
    build(2)
    first = queries(staff_client)

    with CaptureQueriesContext(connection) as captured:
        home(staff_client)

    assert len(captured) < first


# What the page keeps rendered (team_home.html): never out of date, never another person's -------


def role_link(response, role, status):
    """The number the roles table's link to `role`'s people at `status` says."""
    wanted = f"opportunity__id__exact={role.pk}&status__exact={status}"
    links = figure_links(response)
    counts = [count for url, count, _ in links if url.endswith(wanted)]
    assert len(counts) == 1, (wanted, links)
    return counts[0]


def test_the_roles_table_shows_each_visit_the_pipeline_as_it_is_now(staff_client, work):
    assert role_link(home(staff_client, **MARCH), work["b1"], Status.NEW) == 3
    assert role_link(home(staff_client, **MARCH), work["b1"], Status.NEW) == 3

    ExpressionOfInterestFactory(opportunity=work["b1"])
    walk(work["e9"], work["e9"].submitted_at, (Status.CONTACTED, timezone.now()))
    response = home(staff_client, **MARCH)

    # e9 moved on, and someone new: the figures of the roles are read on every visit, and the
    # table is rendered again when one of them changes.
    assert role_link(response, work["b1"], Status.NEW) == 3
    assert role_link(response, work["b1"], Status.CONTACTED) == 1


def test_a_role_filled_leaves_the_roles_table_on_the_next_visit(staff_client, work):
    assert "Lay partner: discharge" in roles_section(home(staff_client, **MARCH))

    Opportunity.objects.filter(pk=work["b1"].pk).update(lay_partners_in_post=2)
    section = roles_section(home(staff_client, **MARCH))

    assert "Lay partner: discharge" not in section
    assert "Every open lay partner role of a key programme has all the lay partners" in section


def roles_section(response):
    html = response.content.decode()
    return html.split('id="roles-heading"')[1].split("</section>")[0]


def test_the_period_tables_are_kept_with_the_figures_and_change_when_they_are_worked_out(
    staff_client, work
):
    from django.core.cache import cache

    def expressed(response):
        return response.context["funnel"]["total"].counts["expressed"], funnel_total(response)

    first = home(staff_client, **MARCH)
    walk(ExpressionOfInterestFactory(opportunity=work["a2"]), at(3, 21))

    # Within the five minutes the figures are kept, the page shows them as they were worked
    # out (and says when), tables and all.
    assert expressed(home(staff_client, **MARCH)) == expressed(first) == (7, 7)
    from django.contrib.auth import get_user_model

    from applications.team_home import Period, TeamHome

    team = TeamHome(get_user_model().objects.get(username="staff"), Period(*march_days()))
    cache.delete(team.period_figures_key)
    assert expressed(home(staff_client, **MARCH)) == (8, 8)


def march_days():
    return datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)


def funnel_total(response):
    """The "Expressed interest" figure of the funnel table's total row, as the page shows it."""
    html = response.content.decode()
    footer = html.split('id="funnel-heading"')[1].split("<tfoot>")[1]
    return int(re.search(r"<a href=[^>]*>(\d+)</a>", footer).group(1))


def test_each_programme_chosen_shows_its_own_opportunities(staff_client, work):
    def opportunities_heading(response):
        match = re.search(r'<h3 id="opportunities">([^<]*)</h3>', response.content.decode())
        return match and match.group(1)

    assert opportunities_heading(home(staff_client, **MARCH)) is None
    assert opportunities_heading(home(staff_client, programme=work["a"].pk, **MARCH)) == (
        "Opportunities in Children&#x27;s services"
    )
    assert opportunities_heading(home(staff_client, programme=work["b"].pk, **MARCH)) == (
        "Opportunities in Improvement projects"
    )


def test_a_programme_lead_after_the_team_sees_only_their_programmes(staff_client, lead, work):
    from django.test import Client

    team = home(staff_client, **MARCH).content.decode()
    client = Client()  # staff_client is pytest-django's `client`, signed in as the team
    client.force_login(lead)
    html = home(client, **MARCH).content.decode()

    assert "Children&#x27;s services" in team and "Lay partner: surgery" in team
    assert "Children&#x27;s services" not in html
    assert "Lay partner: surgery" not in html
    assert "Equality monitoring" in team and "Equality monitoring" not in html
    # A lead's own roles table says "of yours" where the team's would not.
    Opportunity.objects.filter(pk=work["b1"].pk).update(lay_partners_in_post=2)
    assert "of a key programme of yours has all" in roles_section(home(client, **MARCH))
    assert "of a key programme has all" in roles_section(home(staff_client, **MARCH))


def test_the_csv_makes_as_many_queries_for_one_row_as_for_many(staff_client):
    from django.core.cache import cache

    counts = []
    for size in (1, 8):
        build(size)
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            staff_client.get(reverse(CSV))
        counts.append(len(captured))

    assert counts[0] == counts[1]


def test_it_counts_what_changed_and_pages_overdue_for_review(staff_client):
    from tests.factories import ImpactRecordFactory

    programme = ProgrammeFactory()
    ImpactRecordFactory(programme=programme, status="done", we_did="Rewritten.").publish()
    ImpactRecordFactory(programme=programme, status="in_progress").publish()
    ImpactRecordFactory(programme=programme, status="planned")  # a draft
    today = timezone.localdate()
    OpportunityFactory(programme=programme, next_review_due=today - datetime.timedelta(days=1))
    OpportunityFactory(programme=programme, next_review_due=today + datetime.timedelta(days=9))

    response = home(staff_client)
    content = response.context["content"]
    assert [(row["label"], row["count"]) for row in content["impact"]] == [
        ("Planned", 1), ("In progress", 1), ("Done", 1), ("Not possible", 0),
    ]
    assert content["impact_drafts"]["count"] == 1
    assert content["overdue_for_review"]["count"] == 1
    # Each figure is the list behind it.
    done = next(row for row in content["impact"] if row["label"] == "Done")
    listed = staff_client.get(done["url"])
    assert listed.context["cl"].result_count == 1
    overdue = staff_client.get(content["overdue_for_review"]["url"])
    assert overdue.context["cl"].result_count == 1
