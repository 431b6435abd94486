"""Claims, the staff side: the list the team triages, each claim's page with its three
decisions, a receipt shown to staff, and the monthly file for payroll.

Every rule is the claim's own (applications/claims.py): deciding is `Claim.step`, exporting
is `ClaimExport.make`. Here each is called with the person's email queued in the same
transaction (`queue_claim_email`), so an email goes only for a step that was saved, and a step
is never saved without its email.

Who may do what, by permission (the "Involvement team" group has them all, from the
migration that added them):
- applications.view_claim: the list, each claim's page and its receipts;
- applications.decide_claim: approve, query and reject;
- applications.export_claims: make the file for payroll, and download past ones again
  (applications.view_claimexport lists them).
Nobody edits what a person claimed, and nobody deletes a claim here: erasure and retention
remove them with the person's other records (applications/personal_data.py).
"""

import re
from decimal import Decimal
from functools import partial

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Sum, Value, When
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from involvement.admin_common import ReadOnlyInline, ReadOnlyInlineFormSet, render_admin_page
from involvement.formats import date_and_time, pounds_and_pence, short_date, staff_name
from involvement.security import log_export

from ..claims import ClaimError, receipt_response
from ..models import (
    Claim,
    ClaimEvent,
    ClaimExport,
    Expense,
    Receipt,
    submitted_before_for_overdue,
    working_days_between,
)
from ..payroll import export_filename, export_reference, write_export
from ..tasks import queue_claim_email
from .display import person_name
from .filters import RelatedOnlyExistsFilter

Status = Claim.Status

# The status is always written in the tag, so colour is never the only signal.
STATUS_COLOURS = {
    Status.SUBMITTED: "yellow",
    Status.QUERIED: "purple",
    Status.APPROVED: "blue",
    Status.REJECTED: "red",
    Status.EXPORTED: "green",
}

# What the claim page's buttons do, and how the message after each reads.
DECISIONS = {"approve": "approved", "query": "queried", "reject": "rejected"}

# "C000123", "c123" or "000123": a claim's reference as staff type it.
REFERENCE = re.compile(r"^[Cc]?0*(\d{1,9})$")

# How long a claim has waited, for the filter.
WAITING_LONGER_THAN = [5, 10]


def claim_status_tag(claim):
    return format_html(
        '<strong class="eoi-tag eoi-tag--{}">{}</strong>',
        STATUS_COLOURS[claim.status], claim.get_status_display(),
    )


def working_days_waiting(claim, today=None):
    """Working days since the claim was made, while it waits for the team; None otherwise."""
    if claim.status != Status.SUBMITTED:
        return None
    return working_days_between(
        timezone.localdate(claim.submitted_at), today or timezone.localdate()
    )


# Filters --------------------------------------------------------------------------------------


class WaitingFilter(admin.SimpleListFilter):
    title = "waiting for approval"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("all", "All waiting")] + [
            (str(days), f"More than {days} working days") for days in WAITING_LONGER_THAN
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "all":
            return queryset.waiting()
        if value in {str(days) for days in WAITING_LONGER_THAN}:
            return queryset.waiting().filter(
                submitted_at__lt=submitted_before_for_overdue(
                    timezone.localdate(), working_days=int(value)
                )
            )
        return queryset


class ExportedFilter(admin.SimpleListFilter):
    title = "sent to payroll"
    parameter_name = "exported"

    def lookups(self, request, model_admin):
        return [("yes", "Sent to payroll"), ("no", "Not yet")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(export__isnull=False)
        if self.value() == "no":
            return queryset.filter(export__isnull=True)
        return queryset


class BudgetCodeFilter(admin.SimpleListFilter):
    """The codes claims were made under (copied from the opportunity when each was made, so
    a code since changed is still here). One query."""

    title = "budget code"
    parameter_name = "budget_code"
    NONE = "-"

    def lookups(self, request, model_admin):
        codes = (
            Claim.objects.order_by("budget_code").values_list("budget_code", flat=True)
            .distinct()
        )
        return [(code or self.NONE, code or "No budget code") for code in codes]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(budget_code="" if self.value() == self.NONE else self.value())


class ProgrammeFilter(RelatedOnlyExistsFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "programme"


class OpportunityFilter(RelatedOnlyExistsFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "opportunity"


# The claim's page: what the person entered ---------------------------------------------------


def receipt_url(claim_id, receipt):
    return reverse("admin:applications_claim_receipt", args=[claim_id, receipt.pk])


class ExpenseInline(ReadOnlyInline):
    """Each expense as the person claimed it, with links to its receipts."""

    model = Expense
    formset = ReadOnlyInlineFormSet
    fields = ["kind", "description", "miles", "reason", "amount", "receipt_links"]
    readonly_fields = fields
    verbose_name_plural = "expenses"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("receipts")

    # Seen with the claim, by whoever may see the claim: no permission of their own to keep.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("applications.view_claim")

    @admin.display(description="Receipts")
    def receipt_links(self, expense):
        receipts = list(expense.receipts.all())
        if not receipts:
            return "None" if expense.kind not in Expense.NEEDS_RECEIPT else "None: it needs one"
        return format_html(
            '<ul class="eoi-list">{}</ul>',
            format_html_join(
                "", '<li><a href="{}" target="_blank" rel="noopener">Receipt {} ({}, {})</a>'
                "</li>",
                (
                    (receipt_url(expense.claim_id, receipt), number, receipt.kind_text,
                     receipt.size_text)
                    for number, receipt in enumerate(receipts, start=1)
                ),
            ),
        )


class ClaimEventInline(ReadOnlyInline):
    model = ClaimEvent
    formset = ReadOnlyInlineFormSet
    fields = ["what", "who", "when", "message"]
    readonly_fields = fields
    verbose_name = "step"
    verbose_name_plural = "history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("applications.view_claim")

    @admin.display(description="What")
    def what(self, event):
        return event.get_action_display()

    @admin.display(description="Who")
    def who(self, event):
        return staff_name(event.by) or "The person"

    @admin.display(description="When")
    def when(self, event):
        return date_and_time(event.at)


@admin.action(description="Approve selected claims…", permissions=["decide"])
def approve_selected(model_admin, request, queryset):
    """Each claim approved through its own `step`, in its own transaction with its email: a
    claim that cannot be approved (queried meanwhile, already approved) is named, and the
    others are still approved. A page listing them, with their total, asks first: approving
    is what makes them payable."""
    if "confirm" not in request.POST:
        claims = list(
            queryset.select_related("booking__expression", "booking__meeting").order_by("pk")
        )
        rows = [
            {"claim": claim, "tag": claim_status_tag(claim),
             "left_out": claim.refusal("approve") is not None}
            for claim in claims
        ]
        return render_admin_page(
            request,
            "admin/applications/claim/approve_selected.html",
            {
                "title": "Approve claims",
                "rows": rows,
                "count": sum(1 for row in rows if not row.get("left_out")),
                "total": pounds_and_pence(sum(
                    (row["claim"].total for row in rows if not row["left_out"]), Decimal(0)
                )),
                "action_name": "approve_selected",
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
            model_admin=model_admin,
        )
    approved, refused = [], []
    for claim in queryset.order_by("pk"):
        try:
            with transaction.atomic():
                queue_claim_email(claim.step("approve", by=request.user))
        except ClaimError as error:
            refused.append(f"{claim.reference}: {' '.join(error.messages)}")
        else:
            approved.append(claim)
            model_admin.log_change(request, claim, "Approved (with others, from the list).")
    if approved:
        model_admin.message_user(
            request,
            f"{len(approved)} claim{'' if len(approved) == 1 else 's'} approved: "
            f"{', '.join(c.reference for c in approved)}. Each person has been emailed.",
            messages.SUCCESS,
        )
    if refused:
        model_admin.message_user(
            request, "Not approved: " + " ".join(refused), messages.ERROR
        )


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = [
        "person", "meeting_and_date", "payment_column", "expenses_column", "total_column",
        "status_tag", "waiting",
    ]
    list_display_links = None  # the person's name is the link (see `person`)
    list_filter = [
        "status",
        WaitingFilter,
        ("booking__meeting__opportunity__programme", ProgrammeFilter),
        ("booking__meeting__opportunity", OpportunityFilter),
        BudgetCodeFilter,
        ExportedFilter,
    ]
    list_select_related = ["booking__expression", "booking__meeting__opportunity"]
    list_per_page = 50
    search_fields = ["booking__expression__full_name", "booking__expression__email"]
    search_help_text = "Search by claim reference (for example C000123), name or email address."
    actions = [approve_selected]
    inlines = [ExpenseInline, ClaimEventInline]
    change_form_template = "admin/applications/claim/change_form.html"
    change_list_template = "admin/applications/claim/change_list.html"
    empty_value_display = "–"
    fieldsets = [
        ("Involvement payment", {"fields": [
            "payment_text", "declined", "hours", "preparation_hours",
        ]}),
        ("Declaration", {"fields": ["declaration_name", "declared_at_text"]}),
    ]
    readonly_fields = [
        "payment_text", "declined", "hours", "preparation_hours",
        "declaration_name", "declared_at_text",
    ]

    class Media:
        css = {"all": ["admin/portal.css"]}

    # Who may do what ---------------------------------------------------------------------------

    def has_add_permission(self, request):
        return False  # claims come from the person's own page only

    def has_change_permission(self, request, obj=None):
        return False  # what the person claimed is theirs: staff decide, they do not edit

    def has_delete_permission(self, request, obj=None):
        return False  # erasure and retention remove claims, with their receipts' files

    def has_decide_permission(self, request, obj=None):
        return request.user.has_perm("applications.decide_claim")

    def has_export_permission(self, request):
        return request.user.has_perm("applications.export_claims")

    # The changelist ------------------------------------------------------------------------------

    def get_queryset(self, request):
        # Triage order by default: waiting first (oldest first), then queried, approved, and
        # the finished ones.
        return Claim.objects.annotate(
            triage=Case(
                When(status=Status.SUBMITTED, then=Value(0)),
                When(status=Status.QUERIED, then=Value(1)),
                When(status=Status.APPROVED, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        ).order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        return ["triage", "submitted_at", "pk"]

    def get_search_results(self, request, queryset, search_term):
        match = REFERENCE.match(search_term.strip())
        if match:
            return queryset.filter(pk=int(match.group(1))), False
        return super().get_search_results(request, queryset, search_term)

    def changelist_view(self, request, extra_context=None):
        context = {
            "can_export": self.has_export_permission(request),
            **(extra_context or {}),
        }
        if context["can_export"]:
            context["to_export"] = Claim.objects.to_export().count()
            context["export_url"] = reverse("admin:applications_claim_export")
        return super().changelist_view(request, context)

    @admin.display(description="Person", ordering="booking__expression__full_name")
    def person(self, claim):
        expression = claim.booking.expression
        # Their email address is on the claim's page (and found by the search): here it
        # widened the table past a 1280-pixel laptop's screen.
        return format_html(
            '<a href="{}">{}</a><span class="eoi-sub eoi-reference">{}</span>',
            reverse("admin:applications_claim_change", args=[claim.pk]),
            person_name(expression), claim.reference,
        )

    @admin.display(description="Meeting and date", ordering="booking__meeting__starts_at")
    def meeting_and_date(self, claim):
        meeting = claim.booking.meeting
        # The date first: it is what the person claims for. The opportunity is on the
        # claim's page and in the filters; here it made every row twice as tall.
        return format_html(
            '{}<span class="eoi-sub">{}</span>',
            short_date(meeting.starts_at), meeting.display_title,
        )

    @admin.display(description="Payment", ordering="payment")
    def payment_column(self, claim):
        return "Declined" if claim.payment_declined else pounds_and_pence(claim.payment)

    @admin.display(description="Expenses", ordering="expenses_total")
    def expenses_column(self, claim):
        return pounds_and_pence(claim.expenses_total)

    @admin.display(description="Total")
    def total_column(self, claim):
        return pounds_and_pence(claim.total)

    @admin.display(description="Status", ordering="status")
    def status_tag(self, claim):
        return claim_status_tag(claim)

    @admin.display(description="Working days waiting", ordering="submitted_at")
    def waiting(self, claim):
        days = working_days_waiting(claim)
        return "–" if days is None else days

    # The claim's page ----------------------------------------------------------------------------

    @admin.display(description="Involvement payment")
    def payment_text(self, claim):
        if claim.payment_declined:
            return "Declined: they asked not to be paid"
        return pounds_and_pence(claim.payment)

    @admin.display(description="They declined the involvement payment")
    def declined(self, claim):
        # Words, not Django's tick or cross icon: the answer matters for payroll.
        return "Yes" if claim.payment_declined else "No"

    @admin.display(description="Declared")
    def declared_at_text(self, claim):
        return date_and_time(claim.declared_at)

    def get_object(self, request, object_id, from_field=None):
        try:
            return (
                Claim.objects.select_related(
                    "booking__expression", "booking__meeting__opportunity__programme",
                    "export",
                ).get(pk=int(object_id))
            )
        except (Claim.DoesNotExist, ValueError):
            return None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = self.get_object(request, unquote(object_id))
        if claim is None:
            return super().change_view(request, object_id, form_url, extra_context)
        can_decide = self.has_decide_permission(request)
        context = {
            "claim": claim,
            "status_tag": claim_status_tag(claim),
            "waiting_days": working_days_waiting(claim),
            "can_decide": can_decide,
            "decisions": [
                (act, act.title()) for act in DECISIONS if claim.refusal(act) is None
            ] if can_decide else [],
            "decide_url": reverse("admin:applications_claim_decide", args=[claim.pk]),
            "expression_url": reverse(
                "admin:applications_expressionofinterest_change",
                args=[claim.booking.expression_id],
            ),
            "export_name": export_reference(claim.export) if claim.export_id else "",
            # What the person was asked, while the team waits for their answer.
            "open_query": (
                claim.events.filter(action=ClaimEvent.Action.QUERY).select_related("by").last()
                if claim.status == Status.QUERIED else None
            ),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    # Pages of its own --------------------------------------------------------------------------

    def get_urls(self):
        def page(view):
            return self.admin_site.admin_view(partial(view, self))

        return [
            path("export/", page(export), name="applications_claim_export"),
            path("<path:object_id>/decide/", page(decide), name="applications_claim_decide"),
            path(
                "<path:object_id>/receipts/<int:receipt_id>/", page(receipt),
                name="applications_claim_receipt",
            ),
            *super().get_urls(),
        ]


def decide(model_admin, request, object_id):
    """Approve, query or reject one claim, from its page's buttons. A step that cannot be
    taken shows the page again with why, and the message as it was typed."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not model_admin.has_decide_permission(request):
        raise PermissionDenied
    claim = model_admin.get_object(request, unquote(object_id))
    if claim is None:
        raise Http404("There is no claim with that id.")
    act = request.POST.get("act", "")
    message = request.POST.get("message", "")
    if act not in DECISIONS:
        return _decision_refused(
            model_admin, request, object_id, "Choose Approve, Query or Reject.", message, act
        )
    try:
        with transaction.atomic():
            event = claim.step(act, by=request.user, message=message)
            queue_claim_email(event)
    except ClaimError as error:
        return _decision_refused(
            model_admin, request, object_id, " ".join(error.messages), message, act,
            about_message=claim.refusal(act) is None,
        )
    model_admin.log_change(request, claim, f"{DECISIONS[act].capitalize()}.")
    expression = claim.booking.expression
    told = (
        f"{person_name(expression)} has been emailed."
        if expression.email
        else f"They gave no email address: phone them on {expression.phone} to tell them."
    )
    model_admin.message_user(
        request, f"Claim {claim.reference} {DECISIONS[act]}. {told}", messages.SUCCESS
    )
    return HttpResponseRedirect(reverse("admin:applications_claim_change", args=[claim.pk]))


def _decision_refused(model_admin, request, object_id, error, message, act, about_message=False):
    # The claim's page again, as a GET shows it (nothing was saved), with the error and the
    # message kept: a 400, at the address the form posted to, as any form with mistakes.
    request.method = "GET"
    response = model_admin.change_view(request, object_id, extra_context={
        "decision_error": error,
        "decision_error_about_message": about_message,
        "decision_message": message,
        "decision_act": act,
    })
    response.status_code = 400
    return response


def receipt(model_admin, request, object_id, receipt_id):
    """One receipt, to staff who may see claims: only one of this claim's receipts (another
    claim's is "not found", as is everything here to staff without the permission, which
    says nothing about what exists)."""
    if not model_admin.has_view_permission(request):
        raise Http404("No receipt you can see has that id.")
    claim = model_admin.get_object(request, unquote(object_id))
    if claim is None:
        raise Http404("There is no claim with that id.")
    receipt = get_object_or_404(Receipt, pk=receipt_id, expense__claim=claim)
    # The same safe response the person gets: served as what it was found to be, never
    # sniffed as anything else, in a sandbox (a file made to look like a receipt cannot run
    # script on the admin's origin), kept by no cache.
    return receipt_response(receipt)


# The file for payroll -------------------------------------------------------------------------


def csv_response(export):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(export)}"'
    response["Cache-Control"] = "private, no-store"
    count = write_export(response, export)
    return response, count


def export(model_admin, request):
    """Mark every approved claim not yet sent as in a new export, email each person, and
    download the file. With nothing approved, no export and no empty file: a message says so."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not model_admin.has_export_permission(request):
        raise PermissionDenied
    with transaction.atomic():
        made = ClaimExport.make(by=request.user)
        if made is not None:
            for event in ClaimEvent.objects.filter(
                claim__export=made, action=ClaimEvent.Action.EXPORTED
            ):
                queue_claim_email(event)
    changelist = reverse("admin:applications_claim_changelist")
    if made is None:
        model_admin.message_user(
            request,
            "There are no approved claims waiting to go to payroll, so no file was made.",
            messages.WARNING,
        )
        return HttpResponseRedirect(changelist)
    response, count = csv_response(made)
    log_export(request, "claims-for-payroll", count)
    model_admin.message_user(
        request,
        f"{count} claim{'' if count == 1 else 's'} sent to payroll in {export_reference(made)}. "
        "Download the file again from “Payroll exports” at any time.",
        messages.SUCCESS,
    )
    return response


@admin.register(ClaimExport)
class ClaimExportAdmin(admin.ModelAdmin):
    """Past files for payroll, each downloadable again: the same file, from its claims."""

    list_display = ["reference", "month_text", "made", "made_by_name", "claims", "total",
                    "download"]
    list_display_links = ["reference"]
    fields = ["reference", "month_text", "made", "made_by_name", "claims", "total", "download"]
    readonly_fields = fields
    empty_value_display = "–"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("made_by").annotate(
            claim_count=Count("claims"),
            claims_total=Sum(F("claims__payment") + F("claims__expenses_total")),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_list_display(self, request):
        return [c for c in self.list_display if c != "download" or self._may_download(request)]

    def get_fields(self, request, obj=None):
        return [f for f in self.fields if f != "download" or self._may_download(request)]

    @staticmethod
    def _may_download(request):
        return request.user.has_perm("applications.export_claims")

    @admin.display(description="Reference")
    def reference(self, export):
        return export_reference(export)

    @admin.display(description="Month", ordering="month")
    def month_text(self, export):
        return f"{export.month:%B %Y}"

    @admin.display(description="Made", ordering="made_at")
    def made(self, export):
        return date_and_time(export.made_at)

    @admin.display(description="Made by")
    def made_by_name(self, export):
        return staff_name(export.made_by) or "–"

    @admin.display(description="Claims", ordering="claim_count")
    def claims(self, export):
        return export.claim_count

    @admin.display(description="Total")
    def total(self, export):
        return pounds_and_pence(export.claims_total or 0)

    @admin.display(description="File")
    def download(self, export):
        return format_html(
            '<a href="{}" download="{}">Download (CSV)</a>',
            reverse("admin:applications_claimexport_download", args=[export.pk]),
            export_filename(export),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(partial(download, self)),
                name="applications_claimexport_download",
            ),
            *super().get_urls(),
        ]


def download(model_admin, request, object_id):
    """A past export's file again: written from its claims, marking nothing."""
    if not request.user.has_perm("applications.export_claims"):
        raise PermissionDenied
    object_id = unquote(object_id)
    if not object_id.isdigit():
        raise Http404("There is no export with that id.")
    made = get_object_or_404(ClaimExport, pk=int(object_id))
    response, count = csv_response(made)
    log_export(request, "claims-for-payroll-again", count)
    return response
