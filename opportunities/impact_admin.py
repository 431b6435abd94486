"""The admin for "you said, we did" (opportunities/impact.py): records, their timeline of
updates, and the lay partners named on them. Imported by opportunities/admin.py.

Programme leads see and edit their own programmes' records only; the involvement team all of
them (the `change_all_impact_records` permission)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.html import format_html

from involvement.admin_common import LabelledInputsMixin

from .impact import ImpactRecord, ImpactUpdate, NamedLayPartner
from .models import Meeting, Opportunity, Programme


def short_date(moment):
    return f"{timezone.localtime(moment):%d %b %Y}"


class ImpactUpdateInline(admin.StackedInline):
    model = ImpactUpdate
    extra = 0
    fields = ["on", "text", "status", "shared"]
    readonly_fields = ["shared"]
    verbose_name_plural = "timeline: updates, each dated, saying what changed"

    @admin.display(description="Shown to the public")
    def shared(self, update):
        if update.published_at is None:
            return "Not yet: it is shared when you save, once the record is published."
        return f"Since {short_date(update.published_at)}"


class NamedLayPartnerInline(LabelledInputsMixin, admin.TabularInline):
    model = NamedLayPartner
    extra = 0
    fields = ["name", "agreed", "how_they_agreed"]
    verbose_name_plural = "lay partners named on the public page (only with their agreement)"


class PublishedFilter(admin.SimpleListFilter):
    title = "shown to the public"
    parameter_name = "published"

    def lookups(self, request, model_admin):
        return [("yes", "Published"), ("no", "Draft")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(published_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(published_at__isnull=True)
        return queryset


@admin.register(ImpactRecord)
class ImpactRecordAdmin(admin.ModelAdmin):
    list_display = ["title", "programme", "status_tag", "published", "updated_at"]
    list_filter = ["status", PublishedFilter, "programme"]
    list_select_related = ["programme"]
    search_fields = ["title", "you_said", "we_did"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ImpactUpdateInline, NamedLayPartnerInline]
    actions = ["publish_selected", "unpublish_selected"]
    readonly_fields = ["published"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "programme", "status", "published"]}),
        ("You said, we did", {"fields": ["you_said", "we_did", "not_possible_reason"]}),
        ("Where it came from", {"fields": ["opportunities", "meetings", "who_was_involved"]}),
        ("Dates", {"fields": ["started_on", "finished_on"]}),
    ]

    class Media:
        css = {"all": ["admin/portal.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).for_staff(request.user)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Plain choices, not the autocomplete: Select2's many-choice box puts its clear button
        # inside a list, which screen readers announce wrongly (axe `list`).
        if db_field.name == "opportunities":
            kwargs["widget"] = forms.CheckboxSelectMultiple
            kwargs["queryset"] = Opportunity.objects.exclude(
                status=Opportunity.Status.DRAFT
            ).order_by("title")
        if db_field.name == "meetings":
            kwargs["queryset"] = Meeting.objects.select_related("opportunity").order_by(
                "-starts_at"
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "programme" and not self._sees_all(request):
            kwargs["queryset"] = Programme.objects.filter(leads=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @staticmethod
    def _sees_all(request):
        user = request.user
        return user.is_superuser or user.has_perm("opportunities.change_all_impact_records")

    def save_model(self, request, obj, form, change):
        if not self._sees_all(request) and not obj.programme.leads.filter(
            pk=request.user.pk
        ).exists():
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, NamedLayPartner) and instance.recorded_by_id is None:
                instance.recorded_by = request.user
            instance.save()
        for instance in formset.deleted_objects:
            instance.delete()
        formset.save_m2m()
        if formset.model is ImpactUpdate:
            # A new update joins the public timeline as it is saved, once its record is
            # published; the people involved are told (ImpactUpdate.share).
            record = form.instance
            for update in record.updates.filter(published_at__isnull=True).order_by("on", "pk"):
                if record.is_published:
                    update.share()

    @admin.display(description="Status", ordering="status")
    def status_tag(self, record):
        return format_html(
            '<strong class="eoi-tag eoi-tag--{}">{}</strong>',
            record.status_colour, record.get_status_display(),
        )

    @admin.display(description="Published")
    def published(self, record):
        if record.published_at is None:
            return "Draft: not shown to the public"
        return short_date(record.published_at)

    @admin.action(description="Publish the selected, and tell the people involved")
    def publish_selected(self, request, queryset):
        published = 0
        for record in queryset:
            if record.publish():
                published += 1
                # Updates written while it was a draft join its timeline now, without
                # another email each: publishing the record is the news.
                record.updates.filter(published_at__isnull=True).update(
                    published_at=record.published_at
                )
        self.message_user(
            request, f"{published} impact record(s) published.", messages.SUCCESS
        )

    @admin.action(description="Return the selected to draft (hide them from the public)")
    def unpublish_selected(self, request, queryset):
        count = 0
        for record in queryset:
            record.unpublish()
            count += 1
        self.message_user(request, f"{count} impact record(s) returned to draft.", messages.SUCCESS)
