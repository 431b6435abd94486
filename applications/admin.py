"""The admin the involvement team and programme leads work in all day.

Who sees what is decided in one place, `ExpressionOfInterest.objects.for_staff(user)`, and every
way in (changelist, change page, move URL, actions, export) goes through `get_queryset`, so a
programme lead cannot reach another programme's expressions of interest even by typing an id.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect, RelatedFieldWidgetWrapper
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from .admin_export import choice_labels, export_csv, staff_name
from .models import REFERENCE_ALPHABET, ExpressionOfInterest, InvalidMove, StaffNote, StatusChange

Status = ExpressionOfInterest.Status

# Expressions of interest waiting longer than this for a first contact are overdue.
FIRST_CONTACT_WORKING_DAYS = 10


def working_days_between(start, end):
    """Weekdays (Monday to Friday) after the date `start`, up to and including the date `end`.

    Submitted on a Friday and looked at on the Monday is one working day. Bank holidays are
    counted as working days: the portal has no calendar of them.
    """
    if end <= start:
        return 0
    whole_weeks, extra_days = divmod((end - start).days, 7)
    extra = sum(
        1 for offset in range(1, extra_days + 1)
        if (start + datetime.timedelta(days=offset)).weekday() < 5
    )
    return whole_weeks * 5 + extra


def submitted_before_for_overdue(today, working_days=FIRST_CONTACT_WORKING_DAYS):
    """The start of the first day whose submissions have waited no more than `working_days`
    by `today`: anything submitted before it has waited longer."""
    day = today
    while working_days_between(day - datetime.timedelta(days=1), today) <= working_days:
        day -= datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def waiting_for_first_contact(expression):
    """Working days the person has waited to hear from us, or None once they have."""
    if expression.status != Status.NEW or expression.first_contacted_at is not None:
        return None
    return working_days_between(
        timezone.localdate(expression.submitted_at), timezone.localdate()
    )


def status_tag(expression):
    # The status is always written in the tag, so colour is never the only signal.
    return format_html(
        '<strong class="eoi-tag eoi-tag--{}">{}</strong>',
        expression.status_colour,
        expression.get_status_display(),
    )


def short_date(value):
    return date_format(timezone.localtime(value), "j M Y") if value else "–"


def date_and_time(value):
    return date_format(timezone.localtime(value), "j M Y, H:i") if value else "–"


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
            cutoff = submitted_before_for_overdue(timezone.localdate())
            return queryset.filter(
                status=Status.NEW, first_contacted_at__isnull=True, submitted_at__lt=cutoff
            )
        return queryset


class KindFilter(admin.ChoicesFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "kind of opportunity"


class ProgrammeFilter(admin.RelatedOnlyFieldListFilter):
    """Only the programmes the viewer has expressions for: a lead sees their own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "programme"


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


class StatusChangeInline(admin.TabularInline):
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

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
        ("opportunity", admin.RelatedOnlyFieldListFilter),
        ("opportunity__kind", KindFilter),
        "age_band",
        AssignedFilter,
        WaitingFilter,
    ]
    list_select_related = ["opportunity", "opportunity__programme", "assigned_to"]
    list_per_page = 50
    empty_value_display = "–"
    search_fields = ["reference", "full_name", "email"]
    search_help_text = "Search by reference, name or email address."
    actions = ["assign_to_me", "mark_contacted", "not_progressed", "export_as_csv"]
    inlines = [StaffNoteInline, StatusChangeInline]
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
            "privacy_agreed", "privacy_notice_version",
        ]}),
    ]
    readonly_fields = [
        "full_name", "email_link", "phone", "preferred_contact", "age_band",
        "parent_carer_name", "parent_carer_contact", "parent_carer_agrees",
        "connection_list", "other_connection", "why_interested", "experience",
        "access_need_list", "access_needs_other", "availability",
        "privacy_agreed", "privacy_notice_version",
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
        return allowed and (obj is None or self._can_see(request, obj))

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_move_permission(self, request, obj=None):
        allowed = request.user.has_perm("applications.move_expression")
        return allowed and (obj is None or self._can_see(request, obj))

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
            change_url, expression.full_name, expression.reference,
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
        days = waiting_for_first_contact(expression)
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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        expression = self.get_object(request, unquote(object_id))
        others = (
            self.get_queryset(request)
            .filter(email__iexact=expression.email)
            .exclude(pk=expression.pk)
            .select_related("opportunity")
        )
        context = {
            "expression": expression,
            "status_tag": status_tag(expression),
            "waiting_days": waiting_for_first_contact(expression),
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
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

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

    @admin.display(description="Other connection")
    def other_connection(self, expression):
        return expression.connection_other or "–"

    # Extra pages -----------------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/move/",
                self.admin_site.admin_view(self.move_view),
                name=f"{prefix}_move",
            ),
            path(
                "assignees/",
                self.admin_site.admin_view(self.assignees_view),
                name=f"{prefix}_assignees",
            ),
            *super().get_urls(),
        ]

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
