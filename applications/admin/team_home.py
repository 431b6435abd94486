"""The team's home: the page linked first from the admin's index, and the same figures as CSV.

The figures, and what each counts, are in applications/team_home.py; this module reads the
period from the page's small GET form (dates "from" and "to", this month by default), renders the
page and its charts, and writes the CSV. The page lists the key lay partner roles still short of
lay partners (the others are counted); the CSV lists every one. Both pages are reached through
`ExpressionOfInterestAdmin.get_urls`, so they need the same permission as the expressions of
interest list, and a programme lead sees their own programmes only.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from involvement.admin_common import render_admin_page
from involvement.formats import long_date, numeric_date

from ..models import FIRST_CONTACT_WORKING_DAYS
from ..spreadsheets import BYTE_ORDER_MARK, write_csv
from ..team_home import PERIOD_FIGURES_SECONDS, FunnelRow, Period, TeamHome

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %m %Y"]


class PeriodForm(forms.Form):
    """The period the page shows: from one day to another, both included. Either may be left
    empty: with no first day, the page starts at the first of the last day's month; with no
    last day, it runs to today."""

    def __init__(self, data, *, today):
        super().__init__(data)
        self.today = today
        for name, label, which in (("from", "From", "first"), ("to", "To", "last")):
            self.fields[name] = forms.DateField(
                label=label,
                required=False,
                input_formats=DATE_FORMATS,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                error_messages={
                    "invalid": f"Enter the {which} day as a date, for example "
                    f"{today:%d/%m/%Y}",
                },
            )
        # Kept from the link that chose a programme; nobody types it, so it is never a mistake
        # to report: anything but a number is ignored.
        self.fields["programme"] = forms.CharField(required=False, widget=forms.HiddenInput)
        this_month = Period.month_of(today)
        self.fields["from"].initial, self.fields["to"].initial = this_month

    def full_clean(self):
        super().full_clean()
        # Each box with a mistake points at its message, for screen readers.
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-describedby": f"id_{name}-error", "aria-invalid": "true"}
                )

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("from"), cleaned.get("to")
        if first and last and last < first:
            self.add_error(
                "to", f"The last day must be the same as or after the first day "
                f"({long_date(first)})",
            )
        return cleaned

    def period(self):
        """The period asked for, or this month when none was, or the form has mistakes."""
        if not self.is_bound or not self.is_valid():
            return Period.month_of(self.today)
        first, last = self.cleaned_data.get("from"), self.cleaned_data.get("to")
        if first is None and last is None:
            return Period.month_of(self.today)
        if last is None:
            last = max(first, self.today)
        if first is None:
            first = last.replace(day=1)
        return Period(first, last)

    def programme_id(self):
        value = (self.data.get("programme") or "") if self.is_bound else ""
        return int(value) if value.isdigit() else None


def _home_for(model_admin, request):
    """The figures for the period and programme the request asks for."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    form = PeriodForm(request.GET or None, today=timezone.localdate())
    home = TeamHome(request.user, form.period(), programme_id=form.programme_id())
    return home, form


def _roles(roles):
    """The roles still short of lay partners, shown with their pipeline; the others counted.
    The question the page answers is which key projects lack their lay partners, beside the
    people in the pipeline for them."""
    return {
        "lay_partner_roles": [role for role in roles if role.lay_partners_needed],
        "roles_with_their_lay_partners": sum(1 for role in roles if not role.lay_partners_needed),
        "any_roles": bool(roles),
    }


def _query(period, **extra):
    return urlencode({"from": period.first.isoformat(), "to": period.last.isoformat(), **extra})


def home(model_admin, request):
    """The team's home page."""
    home, form = _home_for(model_admin, request)
    period = home.period
    figures = home.period_figures()
    funnel = figures["funnel"]
    page_url = reverse("admin:applications_team_home")
    for row in funnel["programmes"]:
        row.home_url = f"{page_url}?{_query(period, programme=row.pk)}#opportunities"
    chosen = next(
        (row for row in funnel["programmes"] if row.pk == home.programme_id), None
    )
    if chosen is None and len(funnel["programmes"]) == 1:
        # A programme lead with one programme sees its opportunities straight away.
        chosen = funnel["programmes"][0]
    stage_times = figures["stage_times"]
    this_month = Period.month_of(home.today)
    return render_admin_page(
        request,
        "admin/applications/team_home.html",
        {
            "title": "The team's home",
            "period": period,
            "worked_out_at": figures["worked_out_at"],
            "kept_minutes": PERIOD_FIGURES_SECONDS // 60,
            "kept_seconds": PERIOD_FIGURES_SECONDS,
            # The tables and charts of the period's figures are rendered once for each time
            # the figures are worked out (and each programme chosen), and kept with them.
            "period_figures_version": (home.period_figures_key, figures["worked_out_at"]),
            "form": form,
            "now": home.now_figures(),
            "content": home.content_figures(),
            "overdue_after": FIRST_CONTACT_WORKING_DAYS,
            "funnel": funnel,
            "funnel_columns": [label for _, label in FunnelRow.COLUMNS],
            "funnel_chart": funnel_chart(funnel["total"], period),
            "chosen_programme": chosen,
            "chosen_opportunities": funnel["opportunities"].get(chosen.pk, []) if chosen else [],
            "stage_times": stage_times,
            "stage_times_chart": stage_times_chart(stage_times, period),
            **_roles(home.lay_partner_roles()),
            "can_view_opportunities": request.user.has_perm("opportunities.view_opportunity"),
            "can_view_meetings": request.user.has_perm("opportunities.view_meeting"),
            "sees_every_programme": home.sees_every_programme,
            "meetings": home.upcoming_meetings(),
            "email_queue": home.email_queue(),
            "claims_waiting": home.claims_waiting(),
            "can_see_tasks": request.user.has_perm("django_tasks_database.view_dbtaskresult"),
            "equality_reports": figures["equality_reports"],
            "period_query": _query(period),
            "quick_periods": [
                ("This month", f"{page_url}?{_query(this_month)}"),
                ("Last month", f"{page_url}?{_query(this_month.previous_month())}"),
                ("This year", f"{page_url}?{_query(Period.year_of(home.today))}"),
            ],
        },
        model_admin=model_admin,
    )


# Charts: inline SVG, no script and no style attribute (the CSP allows neither) ------------------

CHART_WIDTH = 640
LABEL_WIDTH = 190
BAR_SPACE = CHART_WIDTH - LABEL_WIDTH - 70
BAR_HEIGHT = 22
ROW_HEIGHT = 32


def bar_chart(chart_id, title, bars):
    """A horizontal bar chart as inline SVG's numbers: `bars` is [(label, value, value as
    written)]. Screen readers read its title (role="img", aria-labelledby), which says every
    figure; the same figures are in the table beside it."""
    largest = max((value for _, value, _ in bars if value), default=0)
    shown = []
    for index, (label, value, written) in enumerate(bars):
        width = 0 if not largest or not value else max(BAR_SPACE * value / largest, 2)
        top = index * ROW_HEIGHT
        shown.append({
            "label": label, "written": written, "y": top, "width": f"{width:.1f}",
            "text_y": top + BAR_HEIGHT - 6, "value_x": f"{LABEL_WIDTH + width + 8:.1f}",
        })
    summary = "; ".join(f"{label}: {written}" for label, _, written in bars)
    return {
        "id": chart_id,
        "title": f"{title}. {summary}.",
        "bars": shown,
        "width": CHART_WIDTH,
        "height": len(bars) * ROW_HEIGHT,
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
    }


def funnel_chart(total, period):
    counts = total.counts
    bars = [(label, counts[key], f"{counts[key]:,}") for key, label in FunnelRow.COLUMNS[:5]]
    return bar_chart(
        "funnel-chart", f"How far the people who expressed interest from {period} have got",
        bars,
    )


def days(value):
    """'4.5 days', '1 day', or 'no moves' for a median of nothing."""
    if value is None:
        return "no moves"
    rounded = round(value, 1)
    return "1 day" if rounded == 1 else f"{rounded:g} days"


def stage_times_chart(stage_times, period):
    bars = [(label, median or 0, days(median)) for label, median, _ in stage_times]
    # The last measure's name is too long for the chart's labels; the table says it in full.
    bars[-1] = ("To first contact", *bars[-1][1:])
    return bar_chart("stage-times-chart", f"Median days in each stage, moves made {period}", bars)


# The CSV ---------------------------------------------------------------------------------------

CSV_HEADINGS = [
    "Section", "Programme or question", "Opportunity, meeting or answer", "Figure", "Number",
]


def figures_csv(model_admin, request):
    """The home's figures as a CSV file, for the period asked for: the board's monthly numbers
    without retyping. Formula-safe (applications/spreadsheets.py)."""
    home, _ = _home_for(model_admin, request)
    period = home.period
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="team-home-{period.first}-to-{period.last}.csv"'
    )
    response.write(BYTE_ORDER_MARK)
    write_csv(response, CSV_HEADINGS, csv_rows(home))
    return response


def csv_rows(home):
    period = home.period
    yield ["Period", "", "", "From", numeric_date_of(period.first)]
    yield ["Period", "", "", "To", numeric_date_of(period.last)]
    now = home.now_figures()
    yield ["Now", "", "", f"New this week (since {long_date(now['week_starts'])})",
           now["new_this_week"].count]
    yield ["Now", "", "", "Waiting for first contact", now["waiting"].count]
    yield ["Now", "", "", f"Overdue (more than {FIRST_CONTACT_WORKING_DAYS} working days)",
           now["overdue"].count]
    claims = home.claims_waiting()
    if claims is not None:
        yield ["Now", "", "", "Claims waiting for approval", claims["count"]]
        yield ["Now", "", "", "Working days the oldest claim has waited",
               "" if claims["oldest_days"] is None else claims["oldest_days"]]

    figures = home.period_figures()
    for programme, opportunity, row in _funnel_rows(figures["funnel"]):
        for label, figure in row.figures:
            yield ["Funnel", programme, opportunity, label, figure.count]
        conversion = row.conversion
        yield ["Funnel", programme, opportunity, "Conversion (joined, per cent of expressed)",
               "" if conversion is None else f"{conversion:.1f}"]

    for label, median, moves in figures["stage_times"]:
        yield ["Time in each stage", "", "", f"{label}: median days",
               "" if median is None else f"{median:.1f}"]
        yield ["Time in each stage", "", "", f"{label}: moves measured", moves]

    for role in home.lay_partner_roles():
        programme = role.programme.name
        yield ["Lay partner roles", programme, role.title, "Lay partners wanted",
               role.lay_partner_target]
        yield ["Lay partner roles", programme, role.title, "Already in post",
               role.lay_partners_in_post]
        yield ["Lay partner roles", programme, role.title, "Joined through the portal",
               role.joined_count]
        yield ["Lay partner roles", programme, role.title, "Still needed",
               role.lay_partners_needed]
        for label, figure in role.pipeline:
            yield ["Lay partner roles", programme, role.title, f"In the pipeline: {label}",
                   figure.count]

    for meeting in home.upcoming_meetings():
        name = f"{meeting.display_title}, {numeric_date(meeting.starts_at)}"
        opportunity = meeting.opportunity.title
        yield ["Upcoming meetings", opportunity, name, "Places taken", meeting.taken_count]
        yield ["Upcoming meetings", opportunity, name, "Places",
               "No limit" if meeting.capacity is None else meeting.capacity]
        yield ["Upcoming meetings", opportunity, name, "Waiting list", meeting.waiting_count]

    queue = home.email_queue()
    yield ["Emails", "", "", "Waiting to be sent", queue["waiting"]]
    yield ["Emails", "", "", "Oldest waiting (minutes)",
           "" if queue["oldest_minutes"] is None else queue["oldest_minutes"]]

    for year, report in figures["equality_reports"] or []:
        section = f"Equality monitoring, {year}"
        if report.too_few:
            yield [section, "", "", "People who answered", "Fewer than 5"]
            continue
        yield [section, "", "", "People who answered", report.responses]
        for question in report.questions:
            for heading, answers in question["groups"]:
                for label, shown in answers:
                    answer = f"{heading}: {label}" if heading else label
                    yield [section, question["title"], answer, "Number of people", shown]


def _funnel_rows(funnel):
    yield "All programmes", "", funnel["total"]
    for programme in funnel["programmes"]:
        yield programme.name, "", programme
        for opportunity in funnel["opportunities"][programme.pk]:
            yield programme.name, opportunity.name, opportunity


def numeric_date_of(day):
    return f"{day:%d/%m/%Y}"
