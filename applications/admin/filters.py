"""The filters beside the expressions of interest changelist."""

import datetime

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from involvement.formats import short_date

from .. import team_home
from ..models import FIRST_CONTACT_WORKING_DAYS, ExpressionOfInterest


class AssignedFilter(admin.SimpleListFilter):
    title = "assigned"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "Assigned to me"), ("nobody", "Unassigned")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class RegistrationFilter(admin.SimpleListFilter):
    """Triage by default: registrations for an event (booked by the person themselves, and
    closed after the event) are left out unless asked for."""

    title = "kind"
    parameter_name = "kind"
    EVENT_REGISTRATIONS = "event_registrations"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [
            (None, "Expressions of interest"),
            (self.EVENT_REGISTRATIONS, "Event registrations"),
            (self.ALL, "All"),
        ]

    def choices(self, changelist):
        # Django's own "All" means "no filter", which here is the default of triage only: the
        # three choices are written out instead.
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: value} if value else {}, [self.parameter_name]
                ),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.value() == self.ALL:
            return queryset
        if self.value() == self.EVENT_REGISTRATIONS:
            return queryset.event_registrations()
        return queryset.for_triage()


class WaitingFilter(admin.SimpleListFilter):
    title = "waiting for first contact"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [
            ("not_contacted", "Not contacted yet"),
            ("overdue", f"More than {FIRST_CONTACT_WORKING_DAYS} working days"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "not_contacted":
            return queryset.filter(
                status=ExpressionOfInterest.Status.NEW, first_contacted_at__isnull=True
            )
        if self.value() == "overdue":
            return queryset.overdue(timezone.localdate())
        return queryset


class ParentConsentFilter(admin.SimpleListFilter):
    """Under-16s by their parent's or carer's consent: waiting, confirmed or refused."""

    title = "parent or carer consent"
    parameter_name = "parent_consent"

    def lookups(self, request, model_admin):
        return ExpressionOfInterest.ConsentState.choices

    def queryset(self, request, queryset):
        if self.value() in ExpressionOfInterest.ConsentState.values:
            return queryset.by_parent_consent(self.value())
        return queryset


class KindFilter(admin.ChoicesFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "kind of opportunity"


class RelatedOnlyExistsFilter(admin.RelatedOnlyFieldListFilter):
    """Django's RelatedOnlyFieldListFilter, with its choices found by EXISTS (one index probe
    per choice) instead of SELECT DISTINCT over every expression of interest the viewer can
    see, which reads the whole table, and grows with it (bench/)."""

    def field_choices(self, field, request, model_admin):
        visible = model_admin.get_queryset(request).filter(**{self.field_path: OuterRef("pk")})
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, ordering=ordering, limit_choices_to=Q(Exists(visible))
        )


class ProgrammeFilter(RelatedOnlyExistsFilter):
    """Only the programmes the viewer has expressions for: a lead sees their own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "programme"


def sees_every_programme(user):
    return user.is_superuser or user.has_perm("applications.view_all_expressions")


class OpportunityFilter(RelatedOnlyExistsFilter):
    """The opportunities of the programme chosen in the programme filter. With none chosen, a
    list of every opportunity (hundreds, at a busy trust) would fill the sidebar and was most
    of the changelist's time, in its template more than its SQL (bench/profile.py).

    A programme lead's list is short already: they are offered their own programmes'
    opportunities with no programme chosen (the programme filter hides itself when they lead
    only one, so "choose a programme first" would leave them no way in)."""

    PROGRAMME_PARAM = "opportunity__programme__id__exact"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.programme_ids = [
            value for value in request.GET.getlist(self.PROGRAMME_PARAM) if value.isdigit()
        ]
        self.own_programmes_only = not sees_every_programme(request.user)
        super().__init__(field, request, params, model, model_admin, field_path)
        if not self.programme_ids and not self.own_programmes_only:
            self.title = "opportunity (choose a programme first)"

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        visible = model_admin.get_queryset(request).filter(opportunity=OuterRef("pk"))
        if self.programme_ids:
            shown = Q(programme_id__in=self.programme_ids) & Q(Exists(visible))
        elif self.own_programmes_only:
            # What they can see is their own programmes' only (for_staff).
            shown = Q(Exists(visible))
        else:
            # Only one already chosen (from a link, say), so it can be seen and removed.
            chosen = [value for value in (self.lookup_val or []) if str(value).isdigit()]
            if not chosen:
                return []
            shown = Q(pk__in=chosen)
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to=shown)

    def has_output(self):
        return True  # with no programme chosen, the title says to choose one first



# The filters the team's home links with (applications/team_home.py) -----------------------------


class SubmittedFilter(admin.DateFieldListFilter):
    """Django's date filter on the submission date, which also says which dates are chosen when
    they are none of its own choices (a link from the team's home for a period, say)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "submitted"

    def choices(self, changelist):
        choices = list(super().choices(changelist))
        if self.date_params and not any(choice["selected"] for choice in choices):
            choices.append({
                "selected": True,
                "query_string": changelist.get_query_string(),
                "display": self._chosen_dates(),
            })
        return choices

    def _chosen_dates(self):
        since = self._moment(self.lookup_kwarg_since)
        before = self._moment(self.lookup_kwarg_until)
        if since and before:
            # The filter's end is the first moment after the last day it takes in.
            last_day = timezone.localtime(before) - datetime.timedelta(microseconds=1)
            return f"{short_date(since)} to {short_date(last_day)}"
        if since:
            return f"Since {short_date(since)}"
        if before:
            return f"Before {short_date(before)}"
        return "Chosen dates"

    def _moment(self, name):
        value = parse_datetime(self.date_params.get(name) or "")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value


class ReachedFilter(admin.SimpleListFilter):
    """How far people got: at a stage now, past it, or ended after reaching it (see
    applications/team_home.py, whose funnel links here)."""

    title = "got as far as"
    parameter_name = team_home.REACHED

    def lookups(self, request, model_admin):
        return [(stage.value, stage.label) for stage in team_home.STAGES[1:]]

    def queryset(self, request, queryset):
        if self.value() in team_home.STAGES[1:]:
            return team_home.reached(queryset, self.value())
        return queryset


