"""The filters beside the expressions of interest changelist."""

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..models import FIRST_CONTACT_WORKING_DAYS


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
        return [("overdue", f"More than {FIRST_CONTACT_WORKING_DAYS} working days")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue(timezone.localdate())
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


class OpportunityFilter(RelatedOnlyExistsFilter):
    """The opportunities of the programme chosen in the programme filter. With none chosen, a
    list of every opportunity (hundreds, at a busy trust) would fill the sidebar and was most
    of the changelist's time, in its template more than its SQL (bench/profile.py)."""

    PROGRAMME_PARAM = "opportunity__programme__id__exact"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.programme_ids = [
            value for value in request.GET.getlist(self.PROGRAMME_PARAM) if value.isdigit()
        ]
        super().__init__(field, request, params, model, model_admin, field_path)
        if not self.programme_ids:
            self.title = "opportunity (choose a programme first)"

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        if self.programme_ids:
            visible = model_admin.get_queryset(request).filter(opportunity=OuterRef("pk"))
            shown = Q(programme_id__in=self.programme_ids) & Q(Exists(visible))
        else:
            # Only one already chosen (from a link, say), so it can be seen and removed.
            chosen = [value for value in (self.lookup_val or []) if str(value).isdigit()]
            if not chosen:
                return []
            shown = Q(pk__in=chosen)
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to=shown)

    def has_output(self):
        return True  # with no programme chosen, the title says to choose one first

