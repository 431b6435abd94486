"""The admin the involvement team and programme leads work in all day.

Who sees what is decided in one place, `ExpressionOfInterest.objects.for_staff(user)`, and every
way in (changelist, change page, move URL, actions, export) goes through `get_queryset`, so a
programme lead cannot reach another programme's expressions of interest even by typing an id.
"""


from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect, RelatedFieldWidgetWrapper
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.debug import sensitive_post_parameters

from involvement.admin_common import ReadOnlyMixin
from involvement.formats import date_and_time, numeric_date, short_date, staff_name
from opportunities.models import Meeting

from ..admin_export import choice_labels, export_csv
from ..equality import EqualityResponse
from ..models import (
    FIRST_CONTACT_WORKING_DAYS,
    REFERENCE_ALPHABET,
    Booking,
    BookingError,
    ExpressionOfInterest,
    InvalidMove,
    StaffNote,
    StatusChange,
)
from ..paginator import EstimatedCountPaginator
from .personal_data import record_viewing

Status = ExpressionOfInterest.Status

def person_name(expression):
    """The person's name, or what became of it once their details were removed."""
    if expression.anonymised_at:
        return f"Details removed {numeric_date(expression.anonymised_at)}"
    return expression.full_name


def status_tag(expression):
    # The status is always written in the tag, so colour is never the only signal.
    return format_html(
        '<strong class="eoi-tag eoi-tag--{}">{}</strong>',
        expression.status_colour,
        expression.get_status_display(),
    )


def bulleted(items):
    if not items:
        return "None given"
    return format_html("<ul class=\"eoi-list\">{}</ul>", format_html_join("", "<li>{}</li>", (
        (item,) for item in items
    )))


# Filters ---------------------------------------------------------------------------------


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
    see, which reads the whole table: about 1 s a filter at a million rows (bench/)."""

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
    of the changelist's time (bench/profile.py: 867 links, 10 ms of SQL, ~30 ms of template)."""

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


# Forms -------------------------------------------------------------------------------------


class MoveForm(forms.Form):
    status = forms.ChoiceField(
        choices=Status.choices,
        error_messages={
            "required": "Choose where to move this expression of interest.",
            "invalid_choice": "Choose one of the moves offered.",
        },
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Required for “Not progressed”. Kept in the history.",
    )


class NotProgressedForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        error_messages={"required": "Give a reason why these are not progressing."},
        help_text="One sentence is enough. It is kept in each expression's history.",
    )


# Meetings people are invited to from an expression of interest.
INVITE_KINDS = [Meeting.Kind.BRIEFING, Meeting.Kind.TASTER]


def invitable_meetings():
    """Upcoming briefing and taster meetings, with the places each has taken."""
    return (
        Meeting.objects.upcoming()
        .filter(kind__in=INVITE_KINDS)
        .select_related("opportunity")
        .with_places()
    )


def places_in_words(meeting):
    if meeting.capacity is None:
        return f"{meeting.places_taken()} booked, no limit"
    left = meeting.places_left()
    if left == 0:
        waiting = f", {meeting.waiting_count} waiting" if meeting.waiting_count else ""
        return f"full ({meeting.capacity} places{waiting}): they will go on the waiting list"
    return f"{left} of {meeting.capacity} place{'' if meeting.capacity == 1 else 's'} left"


def meeting_label(meeting, *, with_opportunity):
    parts = [meeting.display_title]
    if with_opportunity:
        parts.append(meeting.opportunity.title)
    parts += [meeting.when, meeting.place, places_in_words(meeting)]
    return " – ".join(parts)


def meeting_groups(meetings, opportunity_ids):
    """Meetings grouped by opportunity: the expressions' own opportunities first, then every
    other upcoming briefing or taster meeting. A list of (heading, meetings, is_own)."""
    own, other = {}, []
    for meeting in meetings:
        if meeting.opportunity_id in opportunity_ids:
            own.setdefault(meeting.opportunity.title, []).append(meeting)
        else:
            other.append(meeting)
    groups = [(f"For {title}", its_meetings, True) for title, its_meetings in own.items()]
    if other:
        groups.append(("Other opportunities" if own else "Upcoming meetings", other, False))
    return groups


class InviteForm(forms.Form):
    meeting = forms.ChoiceField(
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the meeting to invite them to.",
            "invalid_choice": "Choose one of the upcoming meetings offered.",
        },
    )

    def __init__(self, *args, opportunity_ids, booked=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.meetings = {meeting.pk: meeting for meeting in invitable_meetings()}
        self.booked = booked or {}
        self.groups = meeting_groups(self.meetings.values(), set(opportunity_ids))
        self.fields["meeting"].choices = [
            (heading, [
                (str(meeting.pk), meeting_label(meeting, with_opportunity=not own))
                for meeting in its_meetings
            ])
            for heading, its_meetings, own in self.groups
        ]

    def table(self):
        """The choices as the page shows them: a table per group, a radio button per row."""
        radios = {str(radio.data["value"]): radio for radio in self["meeting"]}
        return [
            {
                "heading": heading,
                "own": own,
                "rows": [
                    {
                        "meeting": meeting,
                        "radio": radios[str(meeting.pk)],
                        "places": places_in_words(meeting),
                        "booked": self.booked.get(meeting.pk),
                    }
                    for meeting in its_meetings
                ],
            }
            for heading, its_meetings, own in self.groups
        ]

    def clean_meeting(self):
        return self.meetings[int(self.cleaned_data["meeting"])]


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return staff_name(user)


class StaffAutocomplete(AutocompleteSelect):
    """Django's autocomplete box, searching staff through this admin rather than the user
    admin, so leads and the team can assign without permission to see every user account."""

    def get_url(self):
        return reverse(f"{self.admin_site.name}:applications_expressionofinterest_assignees")


def assignable_staff():
    return get_user_model().objects.filter(is_staff=True, is_active=True)


# Inlines -----------------------------------------------------------------------------------


class StaffNoteInline(admin.TabularInline):
    """Notes are added, never edited or deleted: they are a record of what was done."""

    model = StaffNote
    extra = 1
    fields = ["text", "written_by", "written_at"]
    readonly_fields = ["written_by", "written_at"]
    verbose_name = "staff note"
    verbose_name_plural = "staff notes"
    can_delete = False
    empty_value_display = "–"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "text":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 60})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="Written by")
    def written_by(self, note):
        return staff_name(note.author) if note.pk else "You"

    @admin.display(description="When")
    def written_at(self, note):
        return date_and_time(note.created_at) if note.pk else "On saving"


class StatusChangeInline(ReadOnlyMixin, admin.TabularInline):
    model = StatusChange
    extra = 0
    fields = ["moved_from", "moved_to", "moved_by", "moved_at", "reason"]
    readonly_fields = fields
    verbose_name = "status change"
    verbose_name_plural = "history"
    can_delete = False
    empty_value_display = "–"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    @admin.display(description="From")
    def moved_from(self, change):
        return change.get_from_status_display()

    @admin.display(description="To")
    def moved_to(self, change):
        return change.get_to_status_display()

    @admin.display(description="By")
    def moved_by(self, change):
        return staff_name(change.by) if change.by_id else "The person"

    @admin.display(description="When")
    def moved_at(self, change):
        return date_and_time(change.at)


class ReadOnlyInlineFormSet(BaseInlineFormSet):
    """An inline that only lists rows: it never reads the POST, so saving the page does not
    need (or trust) anything from it, and forms posted without it still save."""

    def __init__(self, data=None, files=None, **kwargs):
        super().__init__(None, None, **kwargs)

    def is_valid(self):
        return True

    def save(self, commit=True):
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        self.save_m2m = lambda: None
        return []


class BookingInline(ReadOnlyMixin, admin.TabularInline):
    """The person's places at meetings: read-only, with buttons to record what happened.

    The buttons belong to small forms outside the admin's change form (see the change form
    template), joined to them by the `form` attribute, so pressing one never saves the page
    and the change form's own submit stays its default button.
    """

    model = Booking
    fk_name = "expression"
    formset = ReadOnlyInlineFormSet
    extra = 0
    fields = ["meeting_link", "booking_status", "booked", "reminder", "record"]
    readonly_fields = fields
    verbose_name = "meeting booking"
    verbose_name_plural = "meetings"
    can_delete = False
    empty_value_display = "–"

    def get_queryset(self, request):
        self.request = request
        return super().get_queryset(request).select_related("meeting__opportunity")

    # Bookings are seen and acted on with the expression's own permissions: the staff groups
    # hold none on bookings themselves.
    def _parent_admin(self):
        return self.admin_site._registry[ExpressionOfInterest]

    def has_view_permission(self, request, obj=None):
        return self._parent_admin().has_view_permission(request, obj)

    @admin.display(description="Meeting")
    def meeting_link(self, booking):
        meeting = booking.meeting
        label = f"{meeting.display_title}, {date_and_time(meeting.starts_at)}"
        if self.request.user.has_perm("opportunities.view_meeting"):
            url = reverse(
                f"{self.admin_site.name}:opportunities_meeting_change", args=[meeting.pk]
            )
            label = format_html('<a href="{}">{}</a>', url, label)
        return format_html(
            '{}<span class="eoi-quiet"> – {}</span>', label, meeting.opportunity.title
        )

    @admin.display(description="Status")
    def booking_status(self, booking):
        return booking.get_status_display()

    @admin.display(description="Booked")
    def booked(self, booking):
        by = f" by {staff_name(booking.invited_by)}" if booking.invited_by_id else ""
        return f"{date_and_time(booking.created_at)}{by}"

    @admin.display(description="Reminder sent")
    def reminder(self, booking):
        return date_and_time(booking.reminder_sent_at)

    @admin.display(description="Record")
    def record(self, booking):
        parent = self._parent_admin()
        if not parent.has_move_permission(self.request, booking.expression):
            return "–"
        outcomes = booking.staff_outcomes()
        if not outcomes:
            return "–"
        return format_html(
            '<span class="eoi-move-buttons">{}</span>',
            format_html_join(
                "",
                '<button type="submit" form="booking-{}" name="outcome" value="{}" '
                'class="button">{}</button>',
                ((booking.pk, outcome, label) for outcome, label in outcomes),
            ),
        )


# The expression of interest admin ------------------------------------------------------------


@admin.register(ExpressionOfInterest)
class ExpressionOfInterestAdmin(admin.ModelAdmin):
    # Nine facts in six columns, so the table fits beside the admin's navigation and filters
    # on a 1280-pixel laptop: reference and age band sit under the name, the programme under
    # the opportunity.
    list_display = [
        "person", "opportunity_and_programme", "status_tag", "submitted",
        "working_days_waiting", "assigned",
    ]
    list_display_links = None  # the person's name is the link (see `person`)
    list_filter = [
        "status",
        ("opportunity__programme", ProgrammeFilter),
        ("opportunity", OpportunityFilter),
        ("opportunity__kind", KindFilter),
        "age_band",
        AssignedFilter,
        WaitingFilter,
    ]
    list_select_related = ["opportunity", "opportunity__programme", "assigned_to"]
    list_per_page = 50
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    empty_value_display = "–"
    search_fields = ["reference", "full_name", "email"]
    search_help_text = "Search by reference, name or email address."
    actions = [
        "assign_to_me", "mark_contacted", "invite_to_meeting", "not_progressed", "export_as_csv",
    ]
    inlines = [BookingInline, StaffNoteInline, StatusChangeInline]
    change_form_template = "admin/applications/expressionofinterest/change_form.html"

    # Everything the person wrote is theirs: staff read it, and may only choose who handles it.
    fieldsets_before_parent = [
        ("Handled by", {"fields": ["assigned_to"]}),
        ("About them", {"fields": [
            "full_name", "email_link", "phone", "preferred_contact", "age_band",
        ]}),
    ]
    parent_fieldset = (
        "Parent or carer",
        {"fields": ["parent_carer_name", "parent_carer_contact", "parent_carer_agrees"]},
    )
    fieldsets_after_parent = [
        ("Why they are interested", {"fields": [
            "connection_list", "other_connection", "why_interested", "experience",
        ]}),
        ("Access needs and availability", {"fields": [
            "access_need_list", "access_needs_other", "availability",
        ]}),
        ("What they agreed to", {"fields": [
            "privacy_agreed", "privacy_notice_link",
        ]}),
    ]
    readonly_fields = [
        "full_name", "email_link", "phone", "preferred_contact", "age_band",
        "parent_carer_name", "parent_carer_contact", "parent_carer_agrees",
        "connection_list", "other_connection", "why_interested", "experience",
        "access_need_list", "access_needs_other", "availability",
        "privacy_agreed", "privacy_notice_link",
    ]

    class Media:
        css = {"all": ["admin/applications.css"]}

    # Who sees what ---------------------------------------------------------------------------

    def get_queryset(self, request):
        queryset = ExpressionOfInterest.objects.for_staff(request.user)
        ordering = self.get_ordering(request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return queryset

    def get_object(self, request, object_id, from_field=None):
        # Another programme's expression is "not found", the same as one that does not exist,
        # rather than Django's redirect to the admin home page.
        queryset = self.get_queryset(request).select_related(
            "opportunity__programme", "meeting", "assigned_to"
        )
        model = queryset.model
        field = model._meta.pk if from_field is None else model._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (model.DoesNotExist, forms.ValidationError, ValueError) as error:
            raise Http404("No expression of interest you can see has that id.") from error

    def _can_see(self, request, expression):
        # Asked several times while one page renders; the answer is kept for the request.
        seen = request.__dict__.setdefault("_expressions_visible", {})
        if expression.pk not in seen:
            seen[expression.pk] = self.get_queryset(request).filter(pk=expression.pk).exists()
        return seen[expression.pk]

    def has_add_permission(self, request):
        # Expressions of interest come from the public form only.
        return False

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or self._can_see(request, obj))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        # An anonymised expression is a record of what happened, with nobody left to contact.
        return allowed and (obj is None or self._can_see(request, obj) and not obj.anonymised_at)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_move_permission(self, request, obj=None):
        allowed = request.user.has_perm("applications.move_expression")
        return allowed and (obj is None or self._can_see(request, obj) and not obj.anonymised_at)

    def has_export_permission(self, request):
        return request.user.has_perm("applications.export_expressions")

    # The changelist --------------------------------------------------------------------------

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        # A reference read out on the phone is often typed without its dashes.
        compact = search_term.strip().upper().replace("-", "").replace(" ", "")
        if len(compact) == 12 and all(character in REFERENCE_ALPHABET for character in compact):
            reference = f"{compact[:4]}-{compact[4:8]}-{compact[8:]}"
            results = results | queryset.filter(reference=reference)
        return results, may_have_duplicates

    @admin.display(description="Person", ordering="full_name")
    def person(self, expression):
        change_url = reverse(
            f"{self.admin_site.name}:applications_expressionofinterest_change",
            args=[expression.pk],
        )
        return format_html(
            '<a href="{}">{}</a><span class="eoi-sub eoi-reference">{}</span>'
            '<span class="eoi-sub">{}</span>',
            change_url, person_name(expression), expression.reference,
            expression.get_age_band_display(),
        )

    @admin.display(description="Opportunity / programme", ordering="opportunity__title")
    def opportunity_and_programme(self, expression):
        return format_html(
            '{}<span class="eoi-sub">{}</span>',
            expression.opportunity.title, expression.opportunity.programme.name,
        )

    @admin.display(description="Status", ordering="status")
    def status_tag(self, expression):
        return status_tag(expression)

    @admin.display(description="Submitted", ordering="submitted_at")
    def submitted(self, expression):
        return short_date(expression.submitted_at)

    @admin.display(description="Working days waiting", ordering="submitted_at")
    def working_days_waiting(self, expression):
        days = expression.working_days_waiting()
        if days is None:
            return "–"
        if days > FIRST_CONTACT_WORKING_DAYS:
            return format_html('<strong class="eoi-overdue">{} (overdue)</strong>', days)
        return days

    @admin.display(description="Assigned to", ordering="assigned_to__username")
    def assigned(self, expression):
        return staff_name(expression.assigned_to) or "–"

    # Actions ---------------------------------------------------------------------------------

    @admin.action(description="Assign the selected to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        count = queryset.update(assigned_to=request.user, updated_at=timezone.now())
        self.message_user(
            request, f"{count} expression(s) of interest assigned to you.", messages.SUCCESS
        )

    @admin.action(description="Mark the selected as contacted", permissions=["move"])
    def mark_contacted(self, request, queryset):
        self._move_each(request, queryset, Status.CONTACTED, reason="")

    @admin.action(description="Mark the selected as not progressed…", permissions=["move"])
    def not_progressed(self, request, queryset):
        form = NotProgressedForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            self._move_each(
                request, queryset, Status.NOT_PROGRESSED, reason=form.cleaned_data["reason"]
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Mark as not progressed",
            "subtitle": None,
            "opts": self.opts,
            "rows": [
                {
                    "expression": expression,
                    "tag": status_tag(expression),
                    "can_move": Status.NOT_PROGRESSED in expression.allowed_moves(),
                }
                for expression in queryset.select_related("opportunity").order_by("pk")
            ],
            "form": form,
            "action_name": "not_progressed",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/applications/expressionofinterest/not_progressed.html", context
        )

    @admin.action(
        description="Invite the selected to a briefing or taster meeting…", permissions=["move"]
    )
    def invite_to_meeting(self, request, queryset):
        expressions = list(queryset.select_related("opportunity").order_by("pk"))
        form = InviteForm(
            request.POST if "confirm" in request.POST else None,
            opportunity_ids={expression.opportunity_id for expression in expressions},
        )
        if form.is_valid():
            self._invite_each(request, expressions, form.cleaned_data["meeting"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Invite to a briefing or taster meeting",
            "subtitle": None,
            "opts": self.opts,
            "bulk": True,
            "rows": [
                {
                    "expression": expression,
                    "tag": status_tag(expression),
                    "can_invite": expression.can_be_invited,
                }
                for expression in expressions
            ],
            "form": form,
            "action_name": "invite_to_meeting",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "can_add_meeting": request.user.has_perm("opportunities.add_meeting"),
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/applications/expressionofinterest/invite.html", context
        )

    def _invite(self, request, expression, meeting):
        booking = expression.invite_to(meeting, by=request.user)
        waiting = booking.status == Booking.Status.WAITLISTED
        self.log_change(
            request, expression,
            f"{'Put on the waiting list for' if waiting else 'Invited to'} {meeting}.",
        )
        return booking

    def _invite_each(self, request, expressions, meeting):
        invited, waiting, refused = 0, 0, []
        for expression in expressions:
            try:
                booking = self._invite(request, expression, meeting)
            except (BookingError, InvalidMove) as error:
                refused.append(" ".join(error.messages))
                continue
            if booking.status == Booking.Status.WAITLISTED:
                waiting += 1
            else:
                invited += 1
        if invited:
            self.message_user(
                request,
                f"{invited} person(s) invited to {meeting}. Each has been emailed an invitation "
                "with links to accept or decline.",
                messages.SUCCESS,
            )
        if waiting:
            self.message_user(
                request,
                f"{meeting} is full: {waiting} person(s) put on its waiting list and emailed to "
                "say so. They get the place automatically if someone declines.",
                messages.WARNING,
            )
        if refused:
            self.message_user(
                request, f"{len(refused)} not invited: " + " ".join(refused), messages.ERROR
            )

    @admin.action(description="Export the selected as a spreadsheet (CSV)",
                  permissions=["export"])
    def export_as_csv(self, request, queryset):
        return export_csv(queryset)

    def _move_each(self, request, queryset, status, reason):
        moved, refused = 0, []
        for expression in queryset.order_by("pk"):
            try:
                expression.move_to(status, by=request.user, reason=reason)
            except InvalidMove as error:
                refused.append(f"{expression.reference}: {' '.join(error.messages)}")
            else:
                moved += 1
                self.log_change(request, expression, f"Moved to {Status(status).label}.")
        label = Status(status).label
        if moved:
            self.message_user(
                request, f"{moved} expression(s) of interest moved to “{label}”.",
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                f"{len(refused)} could not move to “{label}”: " + " ".join(refused),
                messages.ERROR,
            )

    # The change page -------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(self.fieldsets_before_parent)
        if obj is not None and (
            obj.is_under_16 or obj.parent_carer_name or obj.parent_carer_contact
        ):
            fieldsets.append(self.parent_fieldset)
        return fieldsets + list(self.fieldsets_after_parent)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":
            kwargs["queryset"] = assignable_staff()
            kwargs["form_class"] = StaffChoiceField
            kwargs["widget"] = StaffAutocomplete(db_field, self.admin_site)
            kwargs["help_text"] = "Who in the team is looking after this person."
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        wrapper = formfield.widget if formfield else None
        if db_field.name == "assigned_to" and isinstance(wrapper, RelatedFieldWidgetWrapper):
            # No pencil, plus or cross beside "assigned to": this page is no place to edit,
            # add or delete a member of staff's account.
            wrapper.can_add_related = wrapper.can_change_related = False
            wrapper.can_delete_related = wrapper.can_view_related = False
        return formfield

    def save_formset(self, request, form, formset, change):
        notes = formset.save(commit=False)
        for note in notes:
            if isinstance(note, StaffNote) and note.pk is None:
                note.author = request.user
            note.save()
        formset.save_m2m()

    @method_decorator(sensitive_post_parameters())
    def change_view(self, request, object_id, form_url="", extra_context=None):
        expression = self.get_object(request, unquote(object_id))
        if expression is None:
            # The admin's own answer: back to the index, saying it does not exist.
            return super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and self.has_view_permission(request, expression):
            record_viewing(request, expression)
        others = (
            self.get_queryset(request)
            .filter(email__iexact=expression.email)
            .exclude(pk=expression.pk)
            .select_related("opportunity")
            if expression.email
            else ExpressionOfInterest.objects.none()
        )
        context = {
            "expression": expression,
            "status_tag": status_tag(expression),
            "waiting_days": expression.working_days_waiting(),
            "overdue_after": FIRST_CONTACT_WORKING_DAYS,
            "other_expressions": others,
            "move_choices": [
                (status.value, status.label) for status in expression.allowed_moves()
            ],
            "can_move": self.has_move_permission(request, expression),
            "move_url": reverse(
                f"{self.admin_site.name}:applications_expressionofinterest_move",
                args=[expression.pk],
            ),
            "invite_url": reverse(
                f"{self.admin_site.name}:applications_expressionofinterest_invite",
                args=[expression.pk],
            ),
            "can_invite": expression.can_be_invited,
            "booking_forms": self._booking_forms(request, expression),
            "summary_bookings": expression.bookings.select_related("meeting"),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def _booking_forms(self, request, expression):
        """The small forms the bookings' buttons submit, one per booking with buttons."""
        if not self.has_move_permission(request, expression):
            return []
        return [
            {
                "id": f"booking-{booking.pk}",
                "url": reverse(
                    f"{self.admin_site.name}:applications_expressionofinterest_booking",
                    args=[expression.pk, booking.pk],
                ),
            }
            for booking in expression.bookings.select_related("meeting")
            if booking.staff_outcomes()
        ]

    # Connections and access needs are stored as codes; staff read them as the form said them.
    @admin.display(description="Connection to the trust")
    def connection_list(self, expression):
        return bulleted(choice_labels(expression.connections, ExpressionOfInterest.Connection))

    @admin.display(description="Access needs and formats")
    def access_need_list(self, expression):
        return bulleted(
            choice_labels(expression.access_needs, ExpressionOfInterest.AccessNeed)
        )

    @admin.display(description="Email")
    def email_link(self, expression):
        return format_html('<a href="mailto:{}">{}</a>', expression.email, expression.email)

    @admin.display(description="Parent or carer agrees")
    def parent_carer_agrees(self, expression):
        return "Yes" if expression.parent_carer_confirmed else "No"

    @admin.display(description="Agreed to the privacy notice")
    def privacy_agreed(self, expression):
        return "Yes" if expression.privacy_consent else "No"

    @admin.display(description="Privacy notice version")
    def privacy_notice_link(self, expression):
        # The public page of the version they agreed to, earlier versions included.
        version = expression.privacy_notice_version
        if not version:
            return "–"
        return format_html(
            '<a href="{}">{}</a>', reverse("privacy_version", args=[version]), version
        )

    @admin.display(description="Other connection")
    def other_connection(self, expression):
        return expression.connection_other or "–"

    # Extra pages -----------------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            # Before the change page's "<path:object_id>/", which would take it for an id.
            path(
                "equality-report/",
                self.admin_site.admin_view(self.equality_report_view),
                name="applications_equality_report",
            ),
            path(
                "<path:object_id>/move/",
                self.admin_site.admin_view(self.move_view),
                name=f"{prefix}_move",
            ),
            path(
                "<path:object_id>/invite/",
                self.admin_site.admin_view(self.invite_view),
                name=f"{prefix}_invite",
            ),
            path(
                "<path:object_id>/bookings/<int:booking_id>/",
                self.admin_site.admin_view(self.booking_view),
                name=f"{prefix}_booking",
            ),
            path(
                "assignees/",
                self.admin_site.admin_view(self.assignees_view),
                name=f"{prefix}_assignees",
            ),
            *super().get_urls(),
        ]

    def equality_report_view(self, request):
        """The equality monitoring report: how many people gave each answer, a year at a time.

        It reads only counts of EqualityResponse rows, never a row, and nothing about
        expressions of interest: it sits beside them only because staff work here. There is
        no "all years" table: set beside the yearly ones, it would let a hidden number be
        worked out by subtraction (all years, minus the other years).
        """
        if not request.user.has_perm("applications.view_equality_report"):
            raise PermissionDenied
        years = EqualityResponse.objects.years()
        this_year = timezone.localdate().year
        choices = sorted({this_year, *years}, reverse=True)
        try:
            year = int(request.GET.get("year", ""))
        except ValueError:
            year = None
        if year not in choices:
            year = years[0] if years else this_year
        context = {
            **self.admin_site.each_context(request),
            "title": "Equality monitoring report",
            "subtitle": None,
            "opts": self.opts,
            "year": year,
            "years": choices,
            "report": EqualityResponse.objects.filter(year=year).report(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/applications/equality_report.html", context
        )

    def move_view(self, request, object_id):
        """Move one expression of interest through the pipeline, from its change page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        expression = self.get_object(request, unquote(object_id))
        if not self.has_move_permission(request, expression):
            raise PermissionDenied
        change_url = reverse(
            f"{self.admin_site.name}:applications_expressionofinterest_change",
            args=[expression.pk],
        )
        form = MoveForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                self.message_user(request, " ".join(errors), messages.ERROR)
            return HttpResponseRedirect(change_url)
        status = Status(form.cleaned_data["status"])
        try:
            expression.move_to(status, by=request.user, reason=form.cleaned_data["reason"])
        except InvalidMove as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.log_change(request, expression, f"Moved to {status.label}.")
            self.message_user(
                request, f"{expression.reference} moved to “{status.label}”.", messages.SUCCESS
            )
        return HttpResponseRedirect(change_url)

    def _change_url(self, expression):
        return reverse(
            f"{self.admin_site.name}:applications_expressionofinterest_change",
            args=[expression.pk],
        )

    def invite_view(self, request, object_id):
        """Invite one person to a briefing or taster meeting: choose the meeting, then invite."""
        expression = self.get_object(request, unquote(object_id))
        if not self.has_move_permission(request, expression):
            raise PermissionDenied
        change_url = self._change_url(expression)
        if not expression.is_open:
            self.message_user(
                request,
                f"{expression.reference} has ended (“{expression.get_status_display()}”), "
                "so cannot be invited to a meeting.",
                messages.ERROR,
            )
            return HttpResponseRedirect(change_url)
        booked = {
            booking.meeting_id: booking.get_status_display().lower()
            for booking in expression.bookings.exclude(status=Booking.Status.CANCELLED)
        }
        form = InviteForm(
            request.POST if request.method == "POST" else None,
            opportunity_ids={expression.opportunity_id},
            booked=booked,
        )
        if form.is_valid():
            meeting = form.cleaned_data["meeting"]
            try:
                booking = self._invite(request, expression, meeting)
            except (BookingError, InvalidMove) as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                if booking.status == Booking.Status.WAITLISTED:
                    self.message_user(
                        request,
                        f"{meeting} is full, so {expression.reference} is on its waiting list. "
                        "They have been emailed, and get the place automatically if someone "
                        "declines.",
                        messages.WARNING,
                    )
                else:
                    self.message_user(
                        request,
                        f"{expression.reference} invited to {meeting}. They have been emailed an "
                        "invitation with links to accept or decline.",
                        messages.SUCCESS,
                    )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": "Invite to a briefing or taster meeting",
            "subtitle": None,
            "opts": self.opts,
            "bulk": False,
            "expression": expression,
            "original": expression,
            "status_tag": status_tag(expression),
            "form": form,
            "change_url": change_url,
            "can_add_meeting": request.user.has_perm("opportunities.add_meeting"),
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/applications/expressionofinterest/invite.html", context,
            status=400 if form.is_bound else 200,
        )

    def booking_view(self, request, object_id, booking_id):
        """Record what happened to one booking: attended, did not attend, or cancelled."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        expression = self.get_object(request, unquote(object_id))
        if not self.has_move_permission(request, expression):
            raise PermissionDenied
        booking = get_object_or_404(
            expression.bookings.select_related("meeting__opportunity"), pk=booking_id
        )
        booking.expression = expression
        change_url = self._change_url(expression)
        outcome = request.POST.get("outcome")
        meeting = booking.meeting
        before = expression.status
        try:
            promoted = booking.record(outcome, by=request.user)
        except (BookingError, InvalidMove) as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(change_url)

        done = Booking.STAFF_OUTCOMES[outcome].lower()
        self.log_change(request, expression, f"{meeting}: {done}.")
        message = f"{meeting}: recorded “{done}”."
        if outcome == "cancel":
            message = (
                f"Booking for {meeting} cancelled. The person has not been emailed: "
                "let them know."
            )
            if promoted is not None:
                reference = promoted.expression.reference
                message += (
                    f" The place went to the first person waiting ({reference}), "
                    "who has been emailed."
                )
        if expression.status != before:
            message += f" {expression.reference} moved to “{expression.get_status_display()}”."
        if expression.status == Status.TASTER:
            message += (
                " Next: move them to “Joined” or “Not progressed” below, or to “Withdrawn” "
                "if they decide it is not for them."
            )
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    def assignees_view(self, request):
        """The autocomplete's answers for "assigned to": active staff matching what is typed."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        staff = assignable_staff().order_by("first_name", "last_name", "username")
        for word in request.GET.get("term", "").split():
            staff = staff.filter(
                Q(username__icontains=word) | Q(first_name__icontains=word)
                | Q(last_name__icontains=word) | Q(email__icontains=word)
            )
        page = Paginator(staff, 20).get_page(request.GET.get("page"))
        return JsonResponse({
            "results": [{"id": str(user.pk), "text": staff_name(user)} for user in page],
            "pagination": {"more": page.has_next()},
        })

