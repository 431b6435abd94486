"""The admin's personal data pages: subject access downloads, erasure on request, the record of
both (and of the retention job), and who has viewed each expression of interest.

An email address is only ever sent by POST, so it never appears in an address, a server log or a
browser's history; the download's file name holds only a date and the record number.
"""

import logging

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.debug import sensitive_post_parameters

from involvement.admin_common import ReadOnlyMixin, render_admin_page

from ..models import ExpressionViewing, PersonalDataRequest
from ..personal_data import Person, erase, subject_access_zip, zip_filename

security_log = logging.getLogger("involvement.security")


class PersonForm(forms.Form):
    email = forms.EmailField(
        label="Their email address",
        help_text="The address they used to tell us they were interested, or the one given for "
        "them as a parent or carer. Capital letters do not matter.",
        error_messages={
            "required": "Enter the email address of the person who asked",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )


class ErasureForm(PersonForm):
    reason = forms.CharField(
        label="Why are you erasing their data?",
        help_text="For example: “They asked by email on 3 March 2027.” Recorded with your name.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why you are erasing this person's data"},
    )
    confirmed = forms.BooleanField(
        label="I understand this removes their details from every record and cannot be undone",
        error_messages={"required": "Confirm that you understand the erasure cannot be undone"},
    )


@admin.register(PersonalDataRequest)
class PersonalDataRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["made_at", "kind", "made_by_username", "what"]
    list_filter = ["kind", "made_at"]
    date_hierarchy = "made_at"
    fields = ["kind", "made_at", "made_by_username", "email", "reason", "what", "references"]
    readonly_fields = fields
    change_list_template = "admin/applications/personaldatarequest/change_list.html"

    @admin.display(description="What was found or changed")
    def what(self, record):
        counts = record.details.get("counts", {})
        if record.kind == PersonalDataRequest.Kind.RETENTION:
            addresses = counts.get("subject_access_addresses", 0)
            anonymised = sum(counts.values()) - addresses
            text = f"{anonymised:,} expressions of interest anonymised"
            if addresses:
                text += f", {addresses:,} addresses removed from subject access records"
            return text
        return (
            f"{counts.get('expressions', 0)} expressions of interest, "
            f"{counts.get('bookings', 0)} bookings, "
            f"{counts.get('status_history', 0)} status changes, "
            f"{counts.get('staff_notes', 0)} staff notes"
        )

    @admin.display(description="References")
    def references(self, record):
        return ", ".join(record.details.get("references", [])) or "None"

    def get_urls(self):
        return [
            path(
                "subject-access/",
                self.admin_site.admin_view(self.subject_access_view),
                name="applications_personaldatarequest_subject_access",
            ),
            path(
                "erase/",
                self.admin_site.admin_view(self.erase_view),
                name="applications_personaldatarequest_erase",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_export": request.user.has_perm("applications.export_personal_data"),
            "can_erase": request.user.has_perm("applications.erase_personal_data"),
        }
        return super().changelist_view(request, extra_context)

    def _render(self, request, template, context, status=200):
        return render_admin_page(
            request, f"admin/applications/personaldatarequest/{template}", context,
            model_admin=self, status=status,
        )

    @method_decorator(sensitive_post_parameters())
    def subject_access_view(self, request):
        """Find a person by email address (POST), see what is held, then download it (POST)."""
        if not request.user.has_perm("applications.export_personal_data"):
            raise PermissionDenied
        form = PersonForm(request.POST or None)
        context = {"title": "Find what we hold about a person", "form": form}
        if request.method == "POST" and form.is_valid():
            person = Person(form.cleaned_data["email"])
            if "download" in request.POST:
                content, record = subject_access_zip(person, by=request.user)
                response = HttpResponse(content, content_type="application/zip")
                response["Content-Disposition"] = (
                    f'attachment; filename="{zip_filename(record)}"'
                )
                return response
            counts, data = person.summary()
            context.update(counts=counts, expressions=data["expressions"], found=True)
        return self._render(
            request, "subject_access.html", context, status=400 if form.errors else 200
        )

    @method_decorator(sensitive_post_parameters())
    def erase_view(self, request):
        """Erase a person's data: find them (POST), check what goes, give a reason, confirm."""
        if not request.user.has_perm("applications.erase_personal_data"):
            raise PermissionDenied
        context = {"title": "Erase a person's data"}
        if request.method != "POST":
            context["form"] = PersonForm()
            return self._render(request, "erase.html", context)
        if "erase" not in request.POST:
            # Step one: the address only. Its errors are the only ones shown.
            form = PersonForm(request.POST)
            context["form"] = form
            if not form.is_valid():
                return self._render(request, "erase.html", context, status=400)
            person = Person(form.cleaned_data["email"])
            counts, data = person.summary()
            context.update(
                form=ErasureForm(initial={"email": person.email}),
                counts=counts, expressions=data["expressions"], confirming=True,
            )
            return self._render(request, "erase.html", context)
        form = ErasureForm(request.POST)
        person = Person(request.POST.get("email", ""))
        if form.is_valid() and person.holds_anything():
            record = erase(person, by=request.user, reason=form.cleaned_data["reason"])
            self.message_user(
                request,
                f"Erased: {len(record.details['references'])} expressions of interest no longer "
                "hold this person's details. This record names their references, not them.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(
                reverse("admin:applications_personaldatarequest_change", args=[record.pk])
            )
        counts, data = person.summary()
        context.update(form=form, counts=counts, expressions=data["expressions"],
                       confirming=True)
        return self._render(request, "erase.html", context, status=400)


@admin.register(ExpressionViewing)
class ExpressionViewingAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["viewed_at", "viewed_by_username", "expression_link"]
    list_filter = ["viewed_at"]
    search_fields = ["expression__reference", "viewed_by_username"]
    search_help_text = "Search by reference (like EOI-…) or staff username."
    date_hierarchy = "viewed_at"
    list_select_related = ["expression"]
    show_full_result_count = False

    @admin.display(description="Expression of interest", ordering="expression__reference")
    def expression_link(self, viewing):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:applications_expressionofinterest_change",
                    args=[viewing.expression_id]),
            viewing.expression.reference,
        )


def record_viewing(request, expression):
    """Called by the expression's change page: who opened it, and when."""
    ExpressionViewing.objects.create(
        expression=expression,
        viewed_by=request.user,
        viewed_by_username=request.user.get_username(),
    )
    security_log.info(
        "event=expression-viewed expression_id=%s user_id=%s", expression.pk, request.user.pk
    )

