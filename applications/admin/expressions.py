"""The expressions of interest admin: the changelist, the change page and who may do what.

Who sees what is decided in one place, `ExpressionOfInterest.objects.for_staff(user)`, and every
way in (changelist, change page, its own pages, actions, export) goes through `get_queryset`, so
a programme lead cannot reach another programme's expressions of interest even by typing an id.
Its actions are in actions.py, its own pages in views.py.
"""

from functools import partial

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.http import Http404
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.debug import sensitive_post_parameters

from involvement.formats import short_date, staff_name

from ..models import FIRST_CONTACT_WORKING_DAYS, REFERENCE_ALPHABET, ExpressionOfInterest, StaffNote
from ..paginator import EstimatedCountPaginator
from . import team_home, views
from .actions import (
    assign_to_me,
    export_as_csv,
    invite_to_meeting,
    mark_contacted,
    not_progressed,
    resend_parent_consent_email,
)
from .display import bulleted, consent_tag, person_name, status_tag
from .filters import (
    AssignedFilter,
    KindFilter,
    OpportunityFilter,
    ParentConsentFilter,
    ProgrammeFilter,
    ReachedFilter,
    RegistrationFilter,
    SubmittedFilter,
    WaitingFilter,
)
from .forms import StaffAutocomplete, StaffChoiceField, assignable_staff
from .inlines import BookingInline, StaffNoteInline, StatusChangeInline
from .personal_data import record_viewing


@admin.register(ExpressionOfInterest)
class ExpressionOfInterestAdmin(admin.ModelAdmin):
    # Ten facts in six columns, so the table fits beside the admin's navigation and filters
    # on a 1280-pixel laptop: reference and age band sit under the name, the programme under
    # the opportunity, an under-16's parent or carer consent under the status (which it holds
    # back).
    list_display = [
        "person", "opportunity_and_programme", "status_tag", "submitted",
        "working_days_waiting", "assigned",
    ]
    list_display_links = None  # the person's name is the link (see `person`)
    list_filter = [
        RegistrationFilter,
        "status",
        ("opportunity__programme", ProgrammeFilter),
        ("opportunity", OpportunityFilter),
        ("opportunity__kind", KindFilter),
        "age_band",
        ParentConsentFilter,
        AssignedFilter,
        WaitingFilter,
        # The team's home links with these (applications/team_home.py).
        ("submitted_at", SubmittedFilter),
        ReachedFilter,
    ]
    list_select_related = ["opportunity", "opportunity__programme", "assigned_to"]
    list_per_page = 50
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    empty_value_display = "–"
    search_fields = ["reference", "full_name", "email", "phone"]
    search_help_text = "Search by reference, name, email address or phone number."
    actions = [
        assign_to_me, mark_contacted, invite_to_meeting, not_progressed,
        resend_parent_consent_email, export_as_csv,
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
        {"fields": [
            "parent_carer_name", "parent_carer_contact", "parent_carer_agrees",
            "parent_consent_given",
        ]},
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
        "parent_consent_given", "connection_list", "other_connection", "why_interested",
        "experience",
        "access_need_list", "access_needs_other", "availability",
        "privacy_agreed", "privacy_notice_link",
    ]

    class Media:
        css = {"all": ["admin/portal.css"]}

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
            "opportunity__programme", "meeting", "assigned_to", "parent_consent_recorded_by"
        )
        model = queryset.model
        field = model._meta.pk if from_field is None else model._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (model.DoesNotExist, forms.ValidationError, ValueError) as error:
            raise Http404("No expression of interest you can see has that id.") from error

    # Every expression the checks below are asked about came through get_queryset (get_object,
    # the changelist, the actions), which has already kept out what this member of staff may
    # not see: they need not ask the database again.

    def has_add_permission(self, request):
        # Expressions of interest come from the public form only.
        return False

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        # An anonymised expression is a record of what happened, with nobody left to contact.
        return allowed and (obj is None or not obj.anonymised_at)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_move_permission(self, request, obj=None):
        allowed = request.user.has_perm("applications.move_expression")
        return allowed and (obj is None or not obj.anonymised_at)

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
        consent = consent_tag(expression)
        if not consent:
            return status_tag(expression)
        return format_html(
            '{}<span class="eoi-sub">Parent or carer consent: {}</span>',
            status_tag(expression), consent,
        )

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
            "undo": views.undo_offer(self, request, expression),
            "consent_tag": consent_tag(expression),
            # Why the next stage is not offered, when it is consent that holds it back.
            "consent_hint": expression.parent_consent_refusal(
                ExpressionOfInterest.NEXT_STAGE.get(expression.status)
            ),
            "parent_consent_url": reverse(
                f"{self.admin_site.name}:applications_expressionofinterest_parent_consent",
                args=[expression.pk],
            ),
            "resend_consent_url": reverse(
                f"{self.admin_site.name}:applications_expressionofinterest_resend_consent",
                args=[expression.pk],
            ),
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

    @admin.display(description="Connection to the trust")
    def connection_list(self, expression):
        return bulleted(expression.connection_labels())

    @admin.display(description="Access needs and formats")
    def access_need_list(self, expression):
        return bulleted(expression.access_need_labels())

    @admin.display(description="Email")
    def email_link(self, expression):
        if not expression.email:
            return "None given: they want a phone call"
        return format_html('<a href="mailto:{}">{}</a>', expression.email, expression.email)

    @admin.display(description="They told us their parent or carer agrees")
    def parent_carer_agrees(self, expression):
        return "Yes" if expression.parent_carer_confirmed else "No"

    @admin.display(description="Parent or carer consent")
    def parent_consent_given(self, expression):
        return consent_tag(expression) or "Not needed: they are not under 16"

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

    # Pages of its own (views.py) -------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"

        def page(view):
            return self.admin_site.admin_view(partial(view, self))

        return [
            # Before the change page's "<path:object_id>/", which would take it for an id.
            path(
                "equality-report/",
                page(views.equality_report),
                name="applications_equality_report",
            ),
            path("team-home/", page(team_home.home), name="applications_team_home"),
            path(
                "team-home/figures.csv", page(team_home.figures_csv),
                name="applications_team_home_csv",
            ),
            path("<path:object_id>/move/", page(views.move), name=f"{prefix}_move"),
            path("<path:object_id>/undo/", page(views.undo), name=f"{prefix}_undo"),
            path("<path:object_id>/invite/", page(views.invite), name=f"{prefix}_invite"),
            path(
                "<path:object_id>/parent-consent/",
                page(views.parent_consent),
                name=f"{prefix}_parent_consent",
            ),
            path(
                "<path:object_id>/parent-consent/resend/",
                page(views.resend_parent_consent),
                name=f"{prefix}_resend_consent",
            ),
            path(
                "<path:object_id>/bookings/<int:booking_id>/",
                page(views.record_booking),
                name=f"{prefix}_booking",
            ),
            path("assignees/", page(views.assignees), name=f"{prefix}_assignees"),
            *super().get_urls(),
        ]
