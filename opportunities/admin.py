"""The admin for programmes, opportunities, meetings and glossary terms.

What applications adds to these pages (who is booked on a meeting, an opportunity's expressions
of interest) is added by applications/admin/opportunities.py, which registers subclasses of the
Opportunity and Meeting admins here: this app never imports applications.
"""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from involvement.admin_common import LabelledInputsMixin
from involvement.formats import time_range
from involvement.page_cache import forget_public_pages

from .content_health import GOAL_GRADE, content_health
from .models import (
    GlossaryTerm,
    Meeting,
    Opportunity,
    PaymentLevel,
    Programme,
    SearchSynonym,
    Site,
)


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    """The trust's hospitals and other places: opportunities and meetings name one."""

    list_display = ["name", "address", "position"]
    list_editable = ["position"]
    search_fields = ["name", "address"]
    prepopulated_fields = {"slug": ["name"]}


def content_health_table(report):
    """Each public text's reading grade against the goal, and the glossary terms it uses."""
    rows = format_html_join(
        "",
        "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
        (
            (
                item.label,
                "Nothing written" if item.grade is None else format_html(
                    "{}{}", item.grade,
                    mark_safe(
                        ' <strong class="eoi-warning">above the goal: try shorter '
                        "sentences and everyday words</strong>"
                    ) if item.above_goal else "",
                ),
                ", ".join(term.term for term in item.terms) or "None",
            )
            for item in report
        ),
    )
    return format_html(
        '<table class="content-health"><caption>Reading grade: the goal is {} or below '
        "(Flesch-Kincaid: roughly the years of school a reader needs). Glossary terms are "
        "explained on the public page where they first appear.</caption><thead><tr>"
        '<th scope="col">Text</th><th scope="col">Reading grade</th>'
        '<th scope="col">Glossary terms found</th></tr></thead><tbody>{}</tbody></table>',
        GOAL_GRADE, rows,
    )


@admin.register(PaymentLevel)
class PaymentLevelAdmin(admin.ModelAdmin):
    """The trust's payment levels: an opportunity naming one states its terms on its page."""

    list_display = [
        "name", "rate_per_hour", "rate_per_meeting", "preparation_paid",
        "preparation_hours_limit", "position",
    ]
    list_editable = ["position"]
    search_fields = ["name"]


@admin.register(Programme)
class ProgrammeAdmin(LabelledInputsMixin, admin.ModelAdmin):
    list_display = ["name", "is_key", "open_opportunities", "contact_email", "position"]
    list_editable = ["position"]
    list_filter = ["is_key"]
    # Annotated querysets lose the model's default ordering; keep it for stable pages.
    ordering = ["position", "name"]
    search_fields = ["name", "summary"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_count=Count(
                    "opportunities", filter=Q(opportunities__status=Opportunity.Status.OPEN)
                )
            )
        )

    @admin.display(description="Open opportunities", ordering="open_count")
    def open_opportunities(self, programme):
        return programme.open_count


class MeetingInline(LabelledInputsMixin, admin.TabularInline):
    model = Meeting
    extra = 0
    fields = [
        "kind", "title", "starts_at", "ends_at", "is_online", "site", "location", "capacity",
        "public_registration",
    ]
    show_change_link = True


class NeedsLayPartnersFilter(admin.SimpleListFilter):
    title = "lay partner places"
    parameter_name = "lay_partners"

    def lookups(self, request, model_admin):
        return [("needed", "Still needs lay partners"), ("filled", "Target met")]

    def queryset(self, request, queryset):
        if self.value() == "needed":
            return queryset.needing_lay_partners()
        if self.value() == "filled":
            return queryset.filter(kind=Opportunity.Kind.LAY_PARTNER).exclude(
                pk__in=Opportunity.objects.needing_lay_partners().values("pk")
            )
        return queryset


class ReviewFilter(admin.SimpleListFilter):
    """Which pages are due a check against what the trust says."""

    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("overdue", "Overdue for review"),
            ("soon", "Due in the next 30 days"),
            ("none", "No review date"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue_for_review()
        if self.value() == "soon":
            return queryset.review_due_soon()
        if self.value() == "none":
            return queryset.filter(next_review_due__isnull=True)
        return queryset


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    # Few columns, so the table fits beside the admin's navigation and filters on a laptop;
    # how often and who can take part are filters instead.
    list_display = [
        "title", "kind", "status", "lay_partner_places", "programme", "review_due",
    ]
    list_filter = [
        "status", ReviewFilter, "kind", NeedsLayPartnersFilter, "programme", "frequency",
        "audience", "on_site", "online", "from_home", "next_steps",
    ]
    list_select_related = ["programme"]
    search_fields = ["title", "summary", "description", "programme__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["programme", "site", "payment_level"]
    inlines = [MeetingInline]
    actions = ["open_selected", "close_selected"]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["title", "slug", "programme", "kind", "status", "opened_at",
                           "closing_date"]}),
        ("What it is", {"fields": ["summary", "description", "what_you_would_do"]}),
        ("What happens next", {"fields": ["next_steps"]}),
        (
            "How easy it is to read",
            {"fields": ["content_health"],
             "description": "As last saved. Shown to help, never enforced."},
        ),
        (
            "Commitment",
            {"fields": ["frequency", "when", "on_site", "online", "from_home", "site",
                        "location", "meeting_day", "meeting_time", "meeting_length",
                        "preparation"],
             "description": "Only what the trust has said: leave a box blank and the page "
             "says 'to be confirmed'."},
        ),
        ("Who can take part", {"fields": ["audience", "minimum_age"]}),
        (
            "Lay partner places",
            {"fields": ["lay_partner_target", "lay_partners_in_post", "lay_partners_joined"],
             "description": "For lay partner roles only."},
        ),
        ("Payment and expenses", {"fields": [
            "payment_level", "involvement_payment", "expenses", "expenses_paid", "budget_code",
        ]}),
        ("Contact", {"fields": ["contact_name", "contact_email", "contact_phone"]}),
        ("Listing", {"fields": ["position"]}),
        ("Review", {"fields": ["last_reviewed", "next_review_due"],
                    "description": "Shown at the foot of the page, as on NHS.UK."}),
    ]

    readonly_fields = ["lay_partners_joined", "opened_at", "content_health"]

    class Media:
        css = {"all": ["admin/portal.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).with_lay_partner_counts()

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            # Nothing has joined or been expressed yet on a new opportunity.
            fieldsets = [
                (name, {**options, "fields": [
                    field for field in options["fields"] if field not in self.readonly_fields
                ]})
                for name, options in fieldsets
            ]
            return [(name, options) for name, options in fieldsets if options["fields"]]
        return fieldsets

    @admin.display(description="Reading grade and glossary terms")
    def content_health(self, opportunity):
        return content_health_table(content_health(opportunity, GlossaryTerm.objects.all()))

    @admin.display(description="Lay partners joined")
    def lay_partners_joined(self, opportunity):
        if not opportunity.is_lay_partner_role:
            return "Not a lay partner role."
        if not opportunity.lay_partners_counted:
            return (
                f"{opportunity.joined_through_portal} joined through the portal; the number "
                f"already in post is not known (target {opportunity.lay_partner_target})"
            )
        return (
            f"{opportunity.lay_partners_filled} of {opportunity.lay_partner_target} "
            f"({opportunity.lay_partners_in_post} already in post, "
            f"{opportunity.joined_through_portal} joined through the portal)"
        )

    @admin.display(description="Lay partners")
    def lay_partner_places(self, opportunity):
        if not opportunity.is_lay_partner_role:
            return "–"
        if not opportunity.lay_partners_counted:
            return f"{opportunity.joined_through_portal} joined, others not known"
        return f"{opportunity.lay_partners_filled} of {opportunity.lay_partner_target}"

    @admin.display(description="Next review due", ordering="next_review_due")
    def review_due(self, opportunity):
        if opportunity.next_review_due is None:
            return "No date"
        due = date_format(opportunity.next_review_due, "j M Y")
        if opportunity.is_overdue_for_review:
            return format_html('<strong>Overdue</strong><span class="eoi-sub">{}</span>', due)
        return due

    @admin.action(description="Open the selected opportunities to the public")
    def open_selected(self, request, queryset):
        # Those not open already are recorded as opened now, for the alerts about new ones.
        queryset.open_to_public()
        count = queryset.count()
        # update() sends no signals: the stored public pages must be told.
        forget_public_pages()
        self.message_user(request, f"{count} opportunities are now open.", messages.SUCCESS)

    @admin.action(description="Close the selected opportunities")
    def close_selected(self, request, queryset):
        count = queryset.update(status=Opportunity.Status.CLOSED)
        forget_public_pages()
        self.message_user(request, f"{count} opportunities are now closed.", messages.SUCCESS)


class WhenFilter(admin.SimpleListFilter):
    """Upcoming or past meetings. Upcoming ones are listed soonest first, past ones most
    recent first (unless a column is sorted)."""

    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", "Upcoming"), ("past", "Past")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "upcoming":
            return queryset.filter(ends_at__gte=now)
        if self.value() == "past":
            return queryset.filter(ends_at__lt=now)
        return queryset


@admin.register(Meeting)
class MeetingAdmin(LabelledInputsMixin, admin.ModelAdmin):
    # Six columns, so the table fits beside the navigation and the filters at 1280 pixels:
    # the opportunity and the kind sit under the meeting's title.
    list_display = [
        "meeting", "when", "place", "places", "public_registration", "is_example",
    ]
    list_filter = [WhenFilter, "kind", "public_registration", "is_online", "is_example"]
    list_select_related = ["opportunity", "site"]
    search_fields = ["title", "opportunity__title", "location", "site__name"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["opportunity", "site"]

    class Media:
        css = {"all": ["admin/portal.css"]}

    def get_ordering(self, request):
        # See WhenFilter: the most recent past meeting first.
        if request.GET.get(WhenFilter.parameter_name) == "past":
            return ["-starts_at"]
        return super().get_ordering(request)

    def get_queryset(self, request):
        return super().get_queryset(request).with_places()

    @admin.display(description="Meeting", ordering="title")
    def meeting(self, meeting):
        kind = meeting.get_kind_display()
        return format_html(
            '{}<span class="eoi-sub">{}</span>{}',
            meeting.display_title,
            meeting.opportunity.title,
            format_html('<span class="eoi-sub">{}</span>', kind)
            if meeting.title and meeting.title != kind else "",
        )

    @admin.display(description="When (UK time)", ordering="starts_at")
    def when(self, meeting):
        return time_range(meeting.starts_at, meeting.ends_at)

    @admin.display(description="Places taken", ordering="taken_count")
    def places(self, meeting):
        capacity = ", no limit" if meeting.capacity is None else f" of {meeting.capacity}"
        return format_html(
            "{}{}{}",
            meeting.taken_count,
            capacity,
            format_html('<span class="eoi-sub">{} waiting</span>', meeting.waiting_count)
            if meeting.waiting_count else "",
        )


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    list_display = ["term", "meaning", "other_forms"]
    search_fields = ["term", "meaning", "other_forms"]
    prepopulated_fields = {"slug": ["term"]}


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    """What people type and the words the trust uses for it: searching the list of
    opportunities for one also finds the others (on PostgreSQL)."""

    list_display = ["term", "words", "updated_at"]
    search_fields = ["term", "words"]
    fields = ["term", "words"]


# "You said, we did": its admin is in a module of its own, registered on import.
from . import impact_admin  # noqa: E402, F401
