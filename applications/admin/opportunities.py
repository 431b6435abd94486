"""The opportunities admin's pages, with this app's rows on them.

opportunities never imports applications, so its admin cannot show bookings or expressions of
interest itself. Here its Opportunity and Meeting admins are extended and registered again, in
their place: a meeting lists who is booked on it, and an opportunity counts its expressions of
interest by status, for the staff allowed to see them. The meeting's register (register.py)
hangs off its page.
"""

from functools import partial

from django.contrib import admin, messages
from django.db.models import Count
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from opportunities.admin import MeetingAdmin, OpportunityAdmin
from opportunities.models import Meeting, Opportunity

from .. import updates
from ..models import ExpressionOfInterest, NextDateRequest
from . import register
from .inlines import MeetingBookingInline


class MeetingWithBookingsAdmin(MeetingAdmin):
    inlines = [*MeetingAdmin.inlines, MeetingBookingInline]
    change_form_template = "admin/opportunities/meeting/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The register's link, for those who may see who is booked.
        if object_id and register.may_see_bookings(request.user):
            extra_context = {
                **(extra_context or {}),
                "register_url": reverse(
                    f"{self.admin_site.name}:opportunities_meeting_register", args=[object_id]
                ),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        def page(view):
            return self.admin_site.admin_view(partial(view, self))

        prefix = "opportunities_meeting"
        return [
            path("<path:object_id>/register/", page(register.register),
                 name=f"{prefix}_register"),
            path("<path:object_id>/register/email/", page(register.register_email),
                 name=f"{prefix}_register_email"),
            path("<path:object_id>/register/print/", page(register.register_print),
                 name=f"{prefix}_register_print"),
            path("<path:object_id>/register/attendees.csv", page(register.register_csv),
                 name=f"{prefix}_register_csv"),
            *super().get_urls(),
        ]

    def save_model(self, request, obj, form, change):
        before = (
            updates.meeting_details(Meeting.objects.get(pk=obj.pk)) if change else None
        )
        super().save_model(request, obj, form, change)
        if before is None or before == updates.meeting_details(obj):
            return
        # The people booked were emailed as it saved (updates.after_meeting_change): say so,
        # and who must be phoned instead.
        told = updates.told_of_meeting_change(obj)
        if told["emailed"]:
            self.message_user(
                request,
                f"{told['emailed']} person(s) booked or waiting have been emailed the new time "
                "or place, with a new calendar file.",
                messages.SUCCESS,
            )
        if told["to_phone"]:
            self.message_user(
                request,
                "No email address: call them on the number given to tell them of the change: "
                + "; ".join(told["to_phone"]) + ".",
                messages.WARNING,
            )


class OpportunityWithExpressionsAdmin(OpportunityAdmin):
    readonly_fields = [*OpportunityAdmin.readonly_fields, "expressions_by_status"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and ExpressionOfInterest.objects.for_staff_includes(
            request.user, obj.programme
        ):
            fieldsets = [
                fieldsets[0],
                ("Expressions of interest", {"fields": ["expressions_by_status"]}),
                *fieldsets[1:],
            ]
        return fieldsets

    @admin.display(description="By status")
    def expressions_by_status(self, opportunity):
        counts = dict(
            opportunity.expressions.order_by()
            .values("status")
            .annotate(count=Count("pk"))
            .values_list("status", "count")
        )
        changelist = reverse("admin:applications_expressionofinterest_changelist")
        rows = []
        for status in ExpressionOfInterest.Status:
            # "kind=all": the counts take in registrations for its events too.
            query = urlencode({
                "opportunity__id__exact": opportunity.pk, "status__exact": status, "kind": "all"
            })
            colour = ExpressionOfInterest.STATUS_COLOURS[status]
            rows.append((f"{changelist}?{query}", colour, status.label, counts.get(status, 0)))
        total_query = urlencode({"opportunity__id__exact": opportunity.pk, "kind": "all"})
        return format_html(
            '<ul class="eoi-status-counts">{}</ul><p><a href="{}?{}">All {} expressions of '
            "interest for this opportunity</a></p>",
            format_html_join(
                "",
                '<li><a href="{}"><strong class="eoi-tag eoi-tag--{}">{}</strong> {}</a></li>',
                rows,
            ),
            changelist, total_query, sum(counts.values()),
        )


admin.site.unregister(Meeting)
admin.site.register(Meeting, MeetingWithBookingsAdmin)
admin.site.unregister(Opportunity)
admin.site.register(Opportunity, OpportunityWithExpressionsAdmin)


@admin.register(NextDateRequest)
class NextDateRequestAdmin(admin.ModelAdmin):
    """People who asked to hear when an event with no date has its next one. Programme leads
    see only their programmes' events, as with expressions of interest."""

    list_display = ["full_name", "opportunity", "email", "phone", "created_at", "told_at"]
    list_filter = [("told_at", admin.EmptyFieldListFilter), "opportunity"]
    list_select_related = ["opportunity"]
    search_fields = ["full_name", "email", "phone"]
    fields = [
        "opportunity", "full_name", "email", "phone", "created_at", "told_at",
        "privacy_notice_version",
    ]
    readonly_fields = ["opportunity", "created_at", "privacy_notice_version"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        user = request.user
        if user.is_superuser or user.has_perm("applications.view_all_expressions"):
            return queryset
        return queryset.filter(opportunity__programme__leads=user)

    def has_add_permission(self, request):
        # People ask on the event's page; staff record a phone request there too.
        return False
