"""The involvement team's home: the state of the work for a period, each figure with the
filtered list of expressions of interest behind it. The page and its CSV are in
applications/admin/team_home.py; the changelist filters its links use are in
applications/admin/filters.py.

What each figure counts
-----------------------
Only the expressions of interest the team triages (`for_triage()`: not registrations for an
event date) that the member of staff may see (`for_staff(user)`: a programme lead sees their own
programmes).

- New this week, waiting for first contact, overdue: as things stand now, whatever the period.
- The funnel: everyone who expressed interest in the period, and how far each has got so far.
  Moves go one stage at a time (`ExpressionOfInterest.NEXT_STAGE`), so someone at "Taster
  meeting" has been contacted and briefed. Someone who ended (not progressed, withdrawn) got as
  far as the stage they ended from, which their history (StatusChange) records: a person who
  withdrew after a taster meeting counts as reaching it. Conversion is joined ÷ expressed.
- Time in each stage: the moves staff (or the person) made in the period, each measured from
  when the expression entered the stage it left (the history row before it, or its submission
  for "New"), which each move records (`StatusChange.stage_entered_at`, applications/history.py).
  Time to first contact: the moves from "New" to "Contacted" made in the period.
  Medians, by PostgreSQL's percentile_cont; elsewhere (SQLite on a laptop) in Python.
- Lay partner roles: the open lay partner roles of key programmes, against each role's target
  (`Opportunity.lay_partner_target`, two by default), with the people in the pipeline for each.
- Upcoming meetings and the email queue: now.
- Claims waiting: as things stand now, for staff who may see claims (`claims_waiting`).
- Equality monitoring: the answers are kept by calendar year only (applications/equality.py),
  so the figures are those of each whole year the period touches, each year on its own and with
  small numbers hidden exactly as the equality report hides them.

Every figure is read with a fixed number of queries, whatever the number of rows or programmes.
The period's funnel and times cost a fraction of a second for a month at a million
expressions of interest, and seconds for a year, so they are kept in the cache for a few
minutes (`TeamHome.period_figures`); the rest is read on each visit.
"""

import datetime
import functools
import statistics
from typing import NamedTuple

from django.core.cache import cache
from django.db import connections, transaction
from django.db.models import (
    Aggregate,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    Min,
    OuterRef,
    Q,
    Subquery,
    When,
)
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.http import urlencode

from involvement import email_queue
from involvement.formats import long_date
from opportunities.models import Meeting, Opportunity, Programme

from .equality import EqualityResponse
from .models import Claim, ExpressionOfInterest, StatusChange, working_days_between

Status = ExpressionOfInterest.Status

# The pipeline in order, and its two endings.
STAGES = [Status.NEW, Status.CONTACTED, Status.BRIEFING, Status.TASTER, Status.JOINED]
ENDINGS = [Status.NOT_PROGRESSED, Status.WITHDRAWN]
# The stages people wait in, whose time is measured.
TIMED_STAGES = STAGES[:-1]
# The stages still going, whose people are "in the pipeline" for a role.
OPEN_STAGES = STAGES[:-1]

# What the lay partner roles' table and CSV show of each role.
ROLE_FIELDS = [
    "title", "lay_partner_target", "lay_partners_in_post", "programme__name",
]
UPCOMING_MEETINGS_SHOWN = 10
# How long the period's funnel and times are kept before they are worked out again.
PERIOD_FIGURES_SECONDS = 300

# The expressions of interest changelist's query parameters the links use (its filters are in
# applications/admin/filters.py).
CHANGELIST = "admin:applications_expressionofinterest_changelist"
SUBMITTED_SINCE = "submitted_at__gte"
SUBMITTED_BEFORE = "submitted_at__lt"
PROGRAMME = "opportunity__programme__id__exact"
OPPORTUNITY = "opportunity__id__exact"
STATUS = "status__exact"
REACHED = "reached"
WAITING = "waiting"
# The list leaves event registrations out unless asked (its "kind" filter,
# admin/filters.py RegistrationFilter), as every figure here does (for_triage).
TRIAGE_ONLY = {}


def day_start(date):
    """The first moment of `date` in the trust's time zone."""
    return timezone.make_aware(datetime.datetime.combine(date, datetime.time.min))


def changelist_url(**params):
    """The expressions of interest list, filtered to the triaged ones and by `params`."""
    query = {**TRIAGE_ONLY, **{key: str(value) for key, value in params.items()}}
    return f"{_changelist_path(get_script_prefix(), get_urlconf())}?{urlencode(query)}"


@functools.lru_cache(maxsize=8)
def _changelist_path(script_prefix, urlconf):
    # The page links to the list hundreds of times; reverse() once (bench/profile.py).
    return reverse(CHANGELIST, urlconf=urlconf)


# The period --------------------------------------------------------------------------------------


class Period(NamedTuple):
    """From the day `first` to the day `last`, both included, in the trust's time zone."""

    first: datetime.date
    last: datetime.date

    @classmethod
    def month_of(cls, day):
        first = day.replace(day=1)
        return cls(first, (first + datetime.timedelta(days=32)).replace(day=1)
                   - datetime.timedelta(days=1))

    @classmethod
    def year_of(cls, day):
        return cls(datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31))

    def previous_month(self):
        return self.month_of(self.first.replace(day=1) - datetime.timedelta(days=1))

    @property
    def starts_at(self):
        return day_start(self.first)

    @property
    def ends_before(self):
        return day_start(self.last + datetime.timedelta(days=1))

    @property
    def years(self):
        return list(range(self.first.year, self.last.year + 1))

    @property
    def submitted_params(self):
        """The changelist's "submitted" filter for this period: written as Django's own date
        filter writes "This month", so a month's link shows it chosen."""
        return {SUBMITTED_SINCE: self.starts_at, SUBMITTED_BEFORE: self.ends_before}

    def __str__(self):
        if self.first == self.last:
            return long_date(self.first)
        if self.first.year != self.last.year:
            return f"{long_date(self.first)} to {long_date(self.last)}"
        if self.first.month != self.last.month:
            return f"{self.first.day} {self.first:%B} to {long_date(self.last)}"
        return f"{self.first.day} to {long_date(self.last)}"


# How far an expression of interest got ------------------------------------------------------------


def furthest_stage():
    """An expression for how far an expression of interest got: its status while it is in the
    pipeline (or has joined), and for one that ended, the stage it ended from, read from the
    move to its ending in its history. NULL for an ending with no history row."""
    ended_from = (
        StatusChange.objects.filter(expression=OuterRef("pk"), to_status=OuterRef("status"))
        .order_by("-at", "-pk")
        .values("from_status")[:1]
    )
    return Case(When(status__in=ENDINGS, then=Subquery(ended_from)), default=F("status"))


def stages_from(stage):
    """The stages at or after `stage`: whoever is at one of them has reached `stage`."""
    return STAGES[STAGES.index(stage):]


def reached(queryset, stage):
    """The expressions of interest of `queryset` that got at least as far as `stage`."""
    return queryset.alias(furthest_stage=furthest_stage()).filter(
        furthest_stage__in=stages_from(stage)
    )


# Medians ---------------------------------------------------------------------------------------


class Median(Aggregate):
    """PostgreSQL's median: percentile_cont(0.5), an ordered-set aggregate."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


class EpochSeconds(Func):
    """A length of time (an interval) in seconds."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


def median_days(seconds):
    return None if seconds is None else seconds / 86400


# The figures -------------------------------------------------------------------------------------


class Figure:
    """A number on the home page, and the list of expressions of interest it counts (its
    address is only worked out when the page shows it: hundreds are never shown)."""

    def __init__(self, count, **params):
        self.count = count
        self.params = params

    @property
    def url(self):
        return changelist_url(**self.params)


class FunnelRow:
    """One line of the funnel: a programme, an opportunity or everything shown, with how many
    expressed interest, reached each stage and ended, each a link to those people."""

    COLUMNS = [
        ("expressed", "Expressed interest"),
        *[(stage.value, stage.label) for stage in STAGES[1:]],
        *[(ending.value, ending.label) for ending in ENDINGS],
    ]

    def __init__(self, name, params, period, pk=None):
        self.name = name
        self.pk = pk
        self.params = params
        self.period = period
        self.counts = dict.fromkeys((key for key, _ in self.COLUMNS), 0)

    def add(self, counts):
        for key in self.counts:
            self.counts[key] += counts[key]

    def count_status(self, status, count):
        """Count `count` people now at `status`: they reached every stage up to it."""
        self.counts["expressed"] += count
        if status in ENDINGS:
            self.counts[status] += count
        elif status in STAGES:
            for stage in STAGES[1:STAGES.index(status) + 1]:
                self.counts[stage] += count

    def _params(self, key, submitted):
        params = {**self.params, **submitted}
        if key in ENDINGS:
            params[STATUS] = key
        elif key != "expressed":
            params[REACHED] = key
        return params

    @property
    def figures(self):
        submitted = self.period.submitted_params
        return [
            (label, Figure(self.counts[key], **self._params(key, submitted)))
            for key, label in self.COLUMNS
        ]

    @property
    def conversion(self):
        """Joined as a share of those who expressed interest, in per cent (None: nobody)."""
        expressed = self.counts["expressed"]
        return None if not expressed else 100 * self.counts[Status.JOINED] / expressed


class TeamHome:
    """Every figure on the team's home, for a member of staff and a period."""

    def __init__(self, user, period, *, programme_id=None, now=None):
        self.user = user
        self.period = period
        self.programme_id = programme_id
        self.now = now or timezone.now()
        self.today = timezone.localdate(self.now)
        self.expressions = ExpressionOfInterest.objects.for_staff(user).for_triage()

    # Whose work is shown ---------------------------------------------------------------------

    @property
    def sees_every_programme(self):
        # The rule of ExpressionOfInterestQuerySet.for_staff, asked of programmes: a role or a
        # meeting with no expressions of interest yet is still shown to whoever would see them.
        user = self.user
        return user.is_superuser or user.has_perm("applications.view_all_expressions")

    @property
    def may_see_equality(self):
        return self.user.has_perm("applications.view_equality_report")

    def programmes(self):
        if self.sees_every_programme:
            return Programme.objects.all()
        if self.user.has_perm("applications.view_expressionofinterest"):
            return Programme.objects.filter(leads=self.user)
        return Programme.objects.none()

    def _shown(self, path):
        """A condition on the expression of interest at `path` (a StatusChange's "expression",
        say): one of those shown. The same rule as `self.expressions`, written as joins and a
        list, which PostgreSQL follows row by row from the few rows of a period; a subquery of
        `self.expressions` was planned as a hash of every expression (bench/)."""
        condition = Q(**{f"{path}__meeting__isnull": True})
        if not self.sees_every_programme:
            condition &= Q(**{f"{path}__opportunity__in": self._opportunity_ids})
        return condition

    def _moves_shown(self):
        """A condition on a StatusChange: a move of an expression of interest shown. For
        whoever sees every programme, "not an event registration", asked of the few
        registrations (an index of their ids alone), so that a period's moves are read from
        their own index without the expressions: joined to a million expressions instead,
        PostgreSQL read them all (bench/). A programme lead's, by `_shown`."""
        if not self.sees_every_programme:
            return self._shown("expression")
        return ~Exists(
            ExpressionOfInterest.objects.filter(pk=OuterRef("expression"), meeting__isnull=False)
        )

    @functools.cached_property
    def _opportunity_ids(self):
        # A programme lead's opportunities as a list of ids, read once: with the programmes
        # joined in instead, PostgreSQL started from every expression of the lead's programmes
        # (all years) rather than from the period's moves, five times slower (bench/).
        return list(
            Opportunity.objects.filter(programme__in=self.programmes()).values_list(
                "pk", flat=True
            )
        )

    # Content: what changed, and pages to check ---------------------------------------------

    def content_figures(self):
        """"You said, we did" records by status (drafts as well as published), and opportunity
        pages overdue for review, each linking to the admin's list behind it, for the
        programmes this member of staff sees. One query each."""
        from opportunities.impact import ImpactRecord

        records = ImpactRecord.objects.for_staff(self.user)
        if not self.sees_every_programme:
            records = records.filter(programme__in=self.programmes())
        counts = dict(
            records.order_by().values_list("status").annotate(Count("pk"))
        )
        drafts = records.filter(published_at__isnull=True).count()
        records_url = reverse("admin:opportunities_impactrecord_changelist")
        opportunities = Opportunity.objects.filter(programme__in=self.programmes())
        return {
            "impact": [
                {"label": label, "count": counts.get(value, 0),
                 "url": f"{records_url}?{urlencode({'status__exact': value})}"}
                for value, label in ImpactRecord.Status.choices
            ],
            "impact_drafts": {
                "count": drafts, "url": f"{records_url}?{urlencode({'published': 'no'})}",
            },
            "overdue_for_review": {
                "count": opportunities.overdue_for_review().count(),
                "url": reverse("admin:opportunities_opportunity_changelist") + "?review=overdue",
            },
        }

    # Now -----------------------------------------------------------------------------------------

    def now_figures(self):
        """New this week (since Monday), waiting for first contact, and overdue."""
        monday = self.today - datetime.timedelta(days=self.today.weekday())
        waiting = self.expressions.filter(status=Status.NEW, first_contacted_at__isnull=True)
        return {
            "new_this_week": Figure(
                self.expressions.filter(submitted_at__gte=day_start(monday)).count(),
                **{SUBMITTED_SINCE: day_start(monday)},
            ),
            "waiting": Figure(waiting.count(), **{WAITING: "not_contacted"}),
            "overdue": Figure(self.expressions.overdue(self.today).count(), **{WAITING: "overdue"}),
            "week_starts": monday,
        }

    # The funnel --------------------------------------------------------------------------------

    def period_figures(self):
        """The funnel, the time in each stage and the equality figures for the period, as
        {"funnel", "stage_times", "equality_reports", "worked_out_at"}.

        At a million expressions of interest a month holds tens of thousands of people and
        moves: a few tenths of a second of work, and a year several seconds (bench/). So they
        are worked out at most once every PERIOD_FIGURES_SECONDS for each period and each
        whole view (the team's, or one programme lead's, with or without the equality report),
        and kept in the cache; the page says when they were worked out."""
        key = self.period_figures_key
        figures = cache.get(key)
        if figures is None:
            figures = self._work_out_period_figures()
            cache.set(key, figures, PERIOD_FIGURES_SECONDS)
        return figures

    @property
    def period_figures_key(self):
        """The cache key of `period_figures`: one for each period and each whole view. The page
        keeps its rendered tables of those figures under it too (team_home.html)."""
        scope = "all" if self.sees_every_programme else f"user-{self.user.pk}"
        equality = "equality" if self.may_see_equality else "no-equality"
        return f"team-home:v1:{scope}:{equality}:{self.period.first}:{self.period.last}"

    def _work_out_period_figures(self):
        db = ExpressionOfInterest.objects.db
        with transaction.atomic(using=db):
            if connections[db].vendor == "postgresql":
                # PostgreSQL's JIT compiler takes these queries' many short index lookups for
                # one long scan and spends seconds compiling them (EXPLAIN ANALYZE on the
                # bench's data): off, for this transaction only.
                with connections[db].cursor() as cursor:
                    cursor.execute("SET LOCAL jit = off")
            return {
                "funnel": self.funnel(),
                "stage_times": self.stage_times(),
                "equality_reports": self.equality_reports(),
                "worked_out_at": timezone.now(),
            }

    def funnel(self):
        """The funnel for the period: the total, each programme, and each opportunity, as
        {"total": FunnelRow, "programmes": [FunnelRow], "opportunities": {programme id:
        [FunnelRow]}}, in the programmes' and opportunities' own order. Three queries: how many
        are at each status (from an index alone), the opportunities' names, and the stage each
        ending came from."""
        period = self.period
        at_status = {}
        for row in (
            self.expressions.filter(
                submitted_at__gte=period.starts_at, submitted_at__lt=period.ends_before
            )
            .values("opportunity", "status")
            # COUNT(*), not of the ids: the partial index holds the rest, so the table itself
            # is not read.
            .annotate(count=Count("*"))
            .order_by()
        ):
            at_status.setdefault(row["opportunity"], []).append((row["status"], row["count"]))
        ended_from = {
            (row["expression__opportunity"], row["from_status"]): row["count"]
            for row in self._endings_in(period).values("expression__opportunity", "from_status")
            .annotate(count=Count("pk"))
            .order_by()
        } if at_status else {}
        names = sorted(
            Opportunity.objects.filter(pk__in=list(at_status)).values(
                "pk", "title", "position", "programme", "programme__name",
                "programme__position",
            ),
            key=lambda o: (o["programme__position"], o["programme__name"], o["position"],
                           o["title"], o["pk"]),
        ) if at_status else []
        total = FunnelRow("All programmes", {}, period)
        programmes, opportunities = {}, {}
        for names_row in names:
            programme_id = names_row["programme"]
            if programme_id not in programmes:
                programmes[programme_id] = FunnelRow(
                    names_row["programme__name"], {PROGRAMME: programme_id}, period,
                    pk=programme_id,
                )
                opportunities[programme_id] = []
            opportunity = FunnelRow(
                names_row["title"], {OPPORTUNITY: names_row["pk"]}, period, pk=names_row["pk"]
            )
            for status, count in at_status[names_row["pk"]]:
                opportunity.count_status(status, count)
            for stage in STAGES[1:]:
                opportunity.counts[stage] += sum(
                    ended_from.get((opportunity.pk, later), 0) for later in stages_from(stage)
                )
            opportunities[programme_id].append(opportunity)
            programmes[programme_id].add(opportunity.counts)
            total.add(opportunity.counts)
        return {
            "total": total,
            "programmes": list(programmes.values()),
            "opportunities": opportunities,
        }

    def _endings_in(self, period):
        """For those who expressed interest in the period and have ended, the move to their
        ending (the latest, should there be more than one): its from_status is the stage they
        got to, as `furthest_stage()` reads it."""
        later = StatusChange.objects.filter(
            expression=OuterRef("expression"), to_status=OuterRef("to_status")
        ).filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk")))
        return (
            StatusChange.objects.filter(
                self._shown("expression"),
                expression__submitted_at__gte=period.starts_at,
                expression__submitted_at__lt=period.ends_before,
                expression__status__in=ENDINGS,
                to_status=F("expression__status"),
            )
            .exclude(Exists(later))
        )

    # Time in each stage ------------------------------------------------------------------------

    def stage_times(self):
        """The median days spent in each stage before leaving it in the period, and from
        expressing interest to first contact, with how many moves each is measured over:
        [(label, median days or None, moves)]. One query."""
        # When each move's stage began is stored on the move (StatusChange.stage_entered_at):
        # a month's tens of thousands of moves are read, not looked up in their history.
        moves = StatusChange.objects.filter(
            self._moves_shown(),
            at__gte=self.period.starts_at, at__lt=self.period.ends_before,
            from_status__in=TIMED_STAGES,
            # Only a row written around Django has none: left out rather than guessed.
            stage_entered_at__isnull=False,
        )
        # (label, the stage left, where to: None for anywhere)
        measures = [(stage.label, stage, None) for stage in TIMED_STAGES] + [
            ("From expressing interest to first contact", Status.NEW, Status.CONTACTED)
        ]
        if connections[moves.db].vendor == "postgresql":
            seconds = EpochSeconds(F("at") - F("stage_entered_at"))
            aggregates = {}
            for index, (_, left, to) in enumerate(measures):
                condition = Q(from_status=left) & (Q(to_status=to) if to else Q())
                aggregates[f"median_{index}"] = Median(seconds, filter=condition)
                # Counting `at`, which is never empty, not the ids: the moves' index holds
                # every column this query reads, so the table itself is not read.
                aggregates[f"moves_{index}"] = Count("at", filter=condition)
            figures = moves.aggregate(**aggregates)
            return [
                (label, median_days(figures[f"median_{index}"]), figures[f"moves_{index}"])
                for index, (label, _, _) in enumerate(measures)
            ]
        return self._stage_times_in_python(moves, measures)

    @staticmethod
    def _stage_times_in_python(moves, measures):
        # Without percentile_cont (SQLite), the moves' times are read and the medians found here.
        rows = list(moves.values_list("from_status", "to_status", "at", "stage_entered_at"))
        figures = []
        for label, left, to in measures:
            seconds = [
                (at - entered).total_seconds()
                for from_status, to_status, at, entered in rows
                if from_status == left and to in (None, to_status)
            ]
            median = statistics.median(seconds) if seconds else None
            figures.append((label, median_days(median), len(seconds)))
        return figures

    # Lay partner roles ------------------------------------------------------------------------

    def lay_partner_roles(self):
        """The open lay partner roles of key programmes, each with its places filled (in post
        and joined through the portal) against its target, and the people in its pipeline by
        stage, each a link. Two queries."""
        roles = list(
            Opportunity.objects.filter(
                kind=Opportunity.Kind.LAY_PARTNER, status=Opportunity.Status.OPEN,
                programme__is_key=True,
            ).filter(
                Q() if self.sees_every_programme else Q(programme__in=self.programmes())
            )
            .select_related("programme")
            # What the page and the CSV show: a role's whole page (its texts) made building a
            # hundred roles a fifth of the page's time at a million expressions (bench/).
            .only(*ROLE_FIELDS)
            .order_by("programme__position", "programme__name", "position", "title")
        )
        counts = {
            (row["opportunity"], row["status"]): row["count"]
            for row in self.expressions.filter(
                opportunity__in=[role.pk for role in roles], status__in=STAGES
            )
            .values("opportunity", "status")
            .annotate(count=Count("*"))
            .order_by()
        } if roles else {}
        for role in roles:
            # What Opportunity.lay_partners_filled reads, counted here for every role at once.
            role.joined_count = counts.get((role.pk, Status.JOINED), 0)
            role.joined = Figure(role.joined_count, **{OPPORTUNITY: role.pk, STATUS: Status.JOINED})
            role.pipeline = [
                (stage.label, Figure(
                    counts.get((role.pk, stage), 0), **{OPPORTUNITY: role.pk, STATUS: stage}
                ))
                for stage in OPEN_STAGES
            ]
        return roles

    # Meetings, emails --------------------------------------------------------------------------

    def upcoming_meetings(self):
        """The next meetings of the programmes shown, with places taken and people waiting.
        The next few are found first, and only their bookings counted: counting every
        upcoming meeting's bookings to keep ten was most of this query's time (bench/)."""
        upcoming = Meeting.objects.filter(starts_at__gte=self.now)
        if not self.sees_every_programme:
            upcoming = upcoming.filter(opportunity__programme__in=self.programmes())
        next_few = upcoming.order_by("starts_at", "pk").values("pk")[:UPCOMING_MEETINGS_SHOWN]
        return list(
            Meeting.objects.filter(pk__in=Subquery(next_few))
            .with_places()
            .select_related("opportunity")
            .order_by("starts_at", "pk")
        )

    @staticmethod
    def email_queue():
        state = email_queue.queue_state()
        return {**state, "oldest_minutes": email_queue.oldest_waiting_minutes(state)}

    # Equality monitoring ---------------------------------------------------------------------

    def equality_reports(self):
        """[(year, EqualityReport)] for each calendar year the period touches, or None for
        staff who may not see the equality report. One query."""
        if not self.may_see_equality:
            return None
        return EqualityResponse.objects.reports_by_year(self.period.years)

    # Claims ------------------------------------------------------------------------------------

    def claims_waiting(self):
        """Claims waiting for the team to approve, query or reject them: how many, and the
        working days the oldest has waited since it was made, with the list behind them; None
        for staff who may not see claims. One query."""
        if not self.user.has_perm("applications.view_claim"):
            return None
        figures = Claim.objects.waiting().aggregate(count=Count("pk"), oldest=Min("submitted_at"))
        oldest = figures["oldest"]
        return {
            "count": figures["count"],
            "oldest_days": (
                working_days_between(timezone.localdate(oldest), self.today) if oldest else None
            ),
            "url": reverse("admin:applications_claim_changelist") + "?waiting=all",
        }
