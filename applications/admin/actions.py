"""What staff can do to the expressions of interest ticked in the changelist.

Plain functions, as Django's admin actions may be: (model admin, request, queryset). The two
that need more than a click ("not progressed", with a reason, and the invitation, with a
meeting) show a confirmation page first.
"""

from django.contrib import admin, messages
from django.utils import timezone

from involvement.admin_common import render_admin_page

from .. import updates
from ..bookings import BookingError
from ..models import Booking, ExpressionOfInterest, InvalidMove
from ..spreadsheets import export_csv
from ..tasks import queue_parent_consent_email
from .display import status_tag
from .forms import InviteForm, NotProgressedForm
from .register import access_needs

Status = ExpressionOfInterest.Status


@admin.action(description="Assign the selected to me", permissions=["change"])
def assign_to_me(model_admin, request, queryset):
    count = queryset.update(assigned_to=request.user, updated_at=timezone.now())
    model_admin.message_user(
        request, f"{count} expression(s) of interest assigned to you.", messages.SUCCESS
    )


@admin.action(description="Mark the selected as contacted", permissions=["move"])
def mark_contacted(model_admin, request, queryset):
    move_each(model_admin, request, queryset, Status.CONTACTED, reason="")


@admin.action(description="Mark the selected as not progressed…", permissions=["move"])
def not_progressed(model_admin, request, queryset):
    form = NotProgressedForm(request.POST if "confirm" in request.POST else None)
    if form.is_valid():
        move_each(
            model_admin, request, queryset, Status.NOT_PROGRESSED,
            reason=form.cleaned_data["reason"],
        )
        return None
    return render_admin_page(
        request,
        "admin/applications/expressionofinterest/not_progressed.html",
        {
            "title": "Mark as not progressed",
            "rows": [
                {
                    "expression": expression,
                    "tag": status_tag(expression),
                    "left_out": Status.NOT_PROGRESSED not in expression.allowed_moves(),
                }
                for expression in queryset.select_related("opportunity").order_by("pk")
            ],
            "form": form,
            "action_name": "not_progressed",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        },
        model_admin=model_admin,
    )


@admin.action(
    description="Invite the selected to a briefing or taster meeting…", permissions=["move"]
)
def invite_to_meeting(model_admin, request, queryset):
    expressions = list(queryset.select_related("opportunity").order_by("pk"))
    form = InviteForm(
        request.POST if "confirm" in request.POST else None,
        opportunity_ids={expression.opportunity_id for expression in expressions},
    )
    if form.is_valid():
        invite_each(model_admin, request, expressions, form.cleaned_data["meeting"])
        return None
    return render_admin_page(
        request,
        "admin/applications/expressionofinterest/invite.html",
        {
            "title": "Invite to a briefing or taster meeting",
            "bulk": True,
            "rows": [
                {
                    "expression": expression,
                    "tag": status_tag(expression),
                    "left_out": not expression.can_be_invited,
                    "needs": access_needs(expression),
                }
                for expression in expressions
            ],
            "form": form,
            "show_access": True,
            "action_name": "invite_to_meeting",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "can_add_meeting": request.user.has_perm("opportunities.add_meeting"),
        },
        model_admin=model_admin,
    )


@admin.action(
    description="Resend the parent or carer consent email to the selected", permissions=["move"]
)
def resend_parent_consent_email(model_admin, request, queryset):
    sent, refused = 0, []
    for expression in queryset.order_by("pk"):
        refusal = expression.parent_consent_email_refusal()
        if refusal:
            refused.append(refusal)
            continue
        queue_parent_consent_email(expression)
        model_admin.log_change(request, expression, "Parent or carer consent email resent.")
        sent += 1
    if sent:
        model_admin.message_user(
            request, f"Consent email resent to {sent} parent(s) or carer(s).", messages.SUCCESS
        )
    if refused:
        model_admin.message_user(
            request, f"{len(refused)} not sent: " + " ".join(refused), messages.ERROR
        )


@admin.action(description="Export the selected as a spreadsheet (CSV)", permissions=["export"])
def export_as_csv(model_admin, request, queryset):
    return export_csv(queryset, request)


def invite(model_admin, request, expression, meeting):
    """Invite one person (`ExpressionOfInterest.invite_to`), and say so in the admin's log."""
    booking = expression.invite_to(meeting, by=request.user)
    waiting = booking.status == Booking.Status.WAITLISTED
    model_admin.log_change(
        request, expression,
        f"{'Put on the waiting list for' if waiting else 'Invited to'} {meeting}.",
    )
    return booking


def invite_each(model_admin, request, expressions, meeting):
    invited, waiting, refused, to_phone = 0, 0, [], []
    for expression in expressions:
        try:
            booking = invite(model_admin, request, expression, meeting)
        except (BookingError, InvalidMove) as error:
            refused.append(" ".join(error.messages))
            continue
        if not expression.email:
            to_phone.append(expression.reference)
        if booking.status == Booking.Status.WAITLISTED:
            waiting += 1
        else:
            invited += 1
    if invited:
        model_admin.message_user(
            request,
            f"{invited} person(s) invited to {meeting}. Each has been emailed an invitation "
            "with links to accept or decline.",
            messages.SUCCESS,
        )
    if waiting:
        model_admin.message_user(
            request,
            f"{meeting} is full: {waiting} person(s) put on its waiting list and emailed to "
            "say so. They get the place automatically if someone declines.",
            messages.WARNING,
        )
    if to_phone:
        # The booking email task sends nothing to someone without an address.
        model_admin.message_user(
            request,
            f"{len(to_phone)} of them gave no email address, so nothing was sent to them: "
            f"phone them to tell them ({', '.join(to_phone)}).",
            messages.WARNING,
        )
    if refused:
        model_admin.message_user(
            request, f"{len(refused)} not invited: " + " ".join(refused), messages.ERROR
        )


def move_each(model_admin, request, queryset, status, reason):
    moved, refused, to_phone = 0, [], []
    label = Status(status).label
    for expression in queryset.order_by("pk"):
        try:
            expression.move_to(status, by=request.user, reason=reason)
        except InvalidMove as error:
            refused.append(f"{expression.reference}: {' '.join(error.messages)}")
        else:
            moved += 1
            model_admin.log_change(request, expression, f"Moved to {label}.")
            # "Not progressed" in bulk emails no one: each email is checked by staff first,
            # from the person's own page.
            updates.after_move(expression, status)
            if not expression.email and not expression.anonymised_at:
                to_phone.append(f"{expression.reference} on {expression.phone}")
    if moved:
        told = (
            " They have not been emailed: to email each their reason, checked first, mark "
            "them not progressed one at a time from their own page."
            if status == Status.NOT_PROGRESSED else
            " Each with an email address has been emailed to say so."
            if status in updates.MOVE_EMAILS else ""
        )
        model_admin.message_user(
            request, f"{moved} expression(s) of interest moved to “{label}”.{told}",
            messages.SUCCESS,
        )
    if to_phone and status in (*updates.MOVE_EMAILS, Status.NOT_PROGRESSED):
        model_admin.message_user(
            request,
            "No email address: call them to tell them: " + "; ".join(to_phone) + ".",
            messages.WARNING,
        )
    if refused:
        model_admin.message_user(
            request,
            f"{len(refused)} could not move to “{label}”: " + " ".join(refused),
            messages.ERROR,
        )
