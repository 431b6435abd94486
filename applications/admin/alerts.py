"""The admin's view of the people who asked for alerts about new opportunities: how many, and
what they chose, never their addresses (subject access and erasure find an address's sign-up,
admin/personal_data.py). Nobody edits a sign-up: people change theirs from their own page."""

from django.conf import settings
from django.contrib import admin

from involvement.admin_common import ReadOnlyMixin

from ..emails import alert_choices
from ..models import AlertSubscription


class ConfirmedFilter(admin.SimpleListFilter):
    title = "confirmed"
    parameter_name = "confirmed"

    def lookups(self, request, model_admin):
        return [("yes", "Confirmed"), ("no", "Waiting for confirmation")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.confirmed()
        if self.value() == "no":
            return queryset.unconfirmed()
        return queryset


@admin.register(AlertSubscription)
class AlertSubscriptionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "requested_at", "confirmed", "kinds_chosen", "programmes_chosen",
                    "last_sent_at"]
    list_filter = [ConfirmedFilter, "programmes"]
    fields = ["requested_at", "confirmed_at", "kinds_chosen", "programmes_chosen",
              "last_sent_at"]
    readonly_fields = fields
    change_list_template = "admin/applications/alertsubscription/change_list.html"
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("programmes")

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "alert_counts": AlertSubscription.objects.counts(),
            "confirmation_days": settings.ALERT_CONFIRMATION_DAYS,
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description="Confirmed", boolean=True, ordering="confirmed_at")
    def confirmed(self, subscription):
        return subscription.is_confirmed

    @admin.display(description="Kinds of opportunity")
    def kinds_chosen(self, subscription):
        return alert_choices(subscription)["kinds"]

    @admin.display(description="Areas of work")
    def programmes_chosen(self, subscription):
        return alert_choices(subscription)["programmes"]
