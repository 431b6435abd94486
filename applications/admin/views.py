"""The expression of interest admin's own pages, beyond Django's changelist and change page.

Each is a function of (the model admin, the request, ...), given its URL by
`ExpressionOfInterestAdmin.get_urls`, so every one goes through the model admin's
`get_object` and permissions: a programme lead cannot reach another programme's expressions
of interest here either.

- move: a button on the change page moves the expression through the pipeline;
- undo: a button on the change page undoes the last move, for a few minutes after it;
- invite: choose a briefing or taster meeting, then invite the person to it;
- record_booking: a booking's buttons (attended, did not attend, cancel);
- parent_consent: record an under-16's parent's or carer's consent taken by phone (or in
  person, or in writing);
- resend_parent_consent: email the parent or carer the consent link again;
- assignees: the "assigned to" autocomplete's answers;
- equality_report: the equality monitoring report, which sits here only because staff work here.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from involvement.admin_common import render_admin_page
from involvement.formats import staff_name

from .. import updates
from ..bookings import BookingError
from ..emails import not_progressed_text
from ..equality import EqualityResponse
from ..models import Booking, ExpressionOfInterest, InvalidMove
from ..tasks import queue_parent_consent_email
from .actions import invite as invite_and_log
from .display import consent_tag, status_tag
from .forms import (
    InviteForm,
    MoveForm,
    NotProgressedEmailForm,
    ParentConsentForm,
    assignable_staff,
)
from .register import access_needs

Status = ExpressionOfInterest.Status


def change_url(model_admin, expression):
    return reverse(
        f"{model_admin.admin_site.name}:applications_expressionofinterest_change",
        args=[expression.pk],
    )


def _expression_to_act_on(model_admin, request, object_id):
    expression = model_admin.get_object(request, unquote(object_id))
    if not model_admin.has_move_permission(request, expression):
        raise PermissionDenied
    return expression


def move(model_admin, request, object_id):
    """Move one expression of interest through the pipeline, from its change page.

    "Not progressed" first shows the email to the person, prefilled from the reason, for staff
    to check, edit or choose not to send (`not_progressed_review`)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    expression = _expression_to_act_on(model_admin, request, object_id)
    back = HttpResponseRedirect(change_url(model_admin, expression))
    form = MoveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            model_admin.message_user(request, " ".join(errors), messages.ERROR)
        return back
    status = Status(form.cleaned_data["status"])
    email_text = None
    if status == Status.NOT_PROGRESSED:
        review = not_progressed_review(model_admin, request, expression)
        if not isinstance(review, NotProgressedEmailForm):
            return review
        email_text = review.email_to_send()
        reason = review.cleaned_data["reason"]
    else:
        reason = form.cleaned_data["reason"]
    try:
        expression.move_to(status, by=request.user, reason=reason)
    except InvalidMove as error:
        model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
    else:
        emailed = updates.after_move(expression, status, email_text=email_text)
        model_admin.log_change(request, expression, f"Moved to {status.label}.")
        model_admin.message_user(
            request,
            f"{expression.reference} moved to “{status.label}”."
            + told_them(expression, status, emailed),
            messages.SUCCESS,
        )
    return back


def undo(model_admin, request, object_id):
    """Undo the expression's last move (a mis-click), recorded in its history as an undo."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    expression = _expression_to_act_on(model_admin, request, object_id)
    moved_to = expression.get_status_display()
    try:
        expression.undo_last_move(by=request.user)
    except InvalidMove as error:
        model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
    else:
        back_to = expression.get_status_display()
        model_admin.log_change(request, expression, f"Undid the move to {moved_to}.")
        model_admin.message_user(
            request,
            f"Undone: {expression.reference} is back at “{back_to}”. The history keeps both.",
            messages.SUCCESS,
        )
    return HttpResponseRedirect(change_url(model_admin, expression))


def undo_offer(model_admin, request, expression):
    """The last move, if this member of staff may undo it now (for the change page's button)."""
    if not model_admin.has_move_permission(request, expression):
        return None
    change = expression.last_change()
    if change is None or expression.undo_refusal(change, request.user):
        return None
    return {
        "label": change.get_to_status_display(),
        "previous": change.get_from_status_display(),
        "url": reverse(
            f"{model_admin.admin_site.name}:applications_expressionofinterest_undo",
            args=[expression.pk],
        ),
    }


def not_progressed_review(model_admin, request, expression):
    """The review page before "not progressed", or its valid form once staff confirm it.

    From the change page's button it shows the reason and the email prefilled from it; its
    own button (with "confirm") comes back with what staff chose."""
    can_email = updates.can_email(expression)
    if "confirm" in request.POST:
        form = NotProgressedEmailForm(request.POST, can_email=can_email)
        if form.is_valid():
            return form
    else:
        reason = request.POST.get("reason", "").strip()
        if not reason:
            model_admin.message_user(
                request,
                "Give a reason why this expression of interest is not progressing.",
                messages.ERROR,
            )
            return HttpResponseRedirect(change_url(model_admin, expression))
        form = NotProgressedEmailForm(
            initial={
                "reason": reason,
                "send_email": NotProgressedEmailForm.SEND,
                "email_text": not_progressed_text(expression, reason),
            },
            can_email=can_email,
        )
    return render_admin_page(
        request,
        "admin/applications/expressionofinterest/not_progressed_email.html",
        {
            "title": f"Mark {expression.reference} as not progressed",
            "expression": expression,
            "form": form,
            "can_email": can_email,
            "change_url": change_url(model_admin, expression),
            "move_url": reverse(
                f"{model_admin.admin_site.name}:applications_expressionofinterest_move",
                args=[expression.pk],
            ),
        },
        model_admin=model_admin,
        status=400 if form.is_bound else 200,
    )


def told_them(expression, status, emailed):
    """What the message after a move says about telling the person."""
    if status not in (Status.CONTACTED, Status.JOINED, Status.NOT_PROGRESSED):
        return ""
    if expression.anonymised_at:
        return ""
    if not expression.email:
        return f" No email address: call them on {expression.phone} to tell them."
    if emailed:
        return " They have been emailed."
    if status == Status.NOT_PROGRESSED:
        return " They have not been emailed, as you chose."
    return " They had been emailed about this before, so nothing more was sent."


def invite(model_admin, request, object_id):
    """Invite one person to a briefing or taster meeting: choose the meeting, then invite."""
    expression = _expression_to_act_on(model_admin, request, object_id)
    back = change_url(model_admin, expression)
    if not expression.is_open:
        model_admin.message_user(
            request,
            f"{expression.reference} has ended (“{expression.get_status_display()}”), "
            "so cannot be invited to a meeting.",
            messages.ERROR,
        )
        return HttpResponseRedirect(back)
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
            booking = invite_and_log(model_admin, request, expression, meeting)
        except (BookingError, InvalidMove) as error:
            model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            if not expression.email:
                # Nothing can be emailed: staff tell them by phone.
                done = (
                    "put on the waiting list for"
                    if booking.status == Booking.Status.WAITLISTED else "invited to"
                )
                model_admin.message_user(
                    request,
                    f"{expression.reference} {done} "
                    f"{meeting}. They gave no email address, so nothing has been sent: "
                    f"phone them on {expression.phone} to tell them.",
                    messages.WARNING,
                )
            elif booking.status == Booking.Status.WAITLISTED:
                model_admin.message_user(
                    request,
                    f"{meeting} is full, so {expression.reference} is on its waiting list. "
                    "They have been emailed, and get the place automatically if someone "
                    "declines.",
                    messages.WARNING,
                )
            else:
                model_admin.message_user(
                    request,
                    f"{expression.reference} invited to {meeting}. They have been emailed an "
                    "invitation with links to accept or decline.",
                    messages.SUCCESS,
                )
        return HttpResponseRedirect(back)
    return render_admin_page(
        request,
        "admin/applications/expressionofinterest/invite.html",
        {
            "title": "Invite to a briefing or taster meeting",
            "bulk": False,
            "expression": expression,
            "original": expression,
            "status_tag": status_tag(expression),
            "needs": access_needs(expression),
            "form": form,
            "change_url": back,
            "can_add_meeting": request.user.has_perm("opportunities.add_meeting"),
        },
        model_admin=model_admin,
        status=400 if form.is_bound else 200,
    )


def record_booking(model_admin, request, object_id, booking_id):
    """Record what happened to one booking: attended, did not attend, or cancelled."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    expression = _expression_to_act_on(model_admin, request, object_id)
    booking = get_object_or_404(
        expression.bookings.select_related("meeting__opportunity"), pk=booking_id
    )
    booking.expression = expression
    back = HttpResponseRedirect(change_url(model_admin, expression))
    outcome = request.POST.get("outcome")
    meeting = booking.meeting
    before = expression.status
    try:
        promoted = booking.record(outcome, by=request.user)
    except (BookingError, InvalidMove) as error:
        model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
        return back

    done = Booking.STAFF_OUTCOMES[outcome].lower()
    model_admin.log_change(request, expression, f"{meeting}: {done}.")
    message = f"{meeting}: recorded “{done}”."
    if outcome == "cancel":
        emailed = updates.after_staff_cancel(booking)
        message = f"Booking for {meeting} cancelled." + (
            " They have been emailed to tell them." if emailed
            else f" No email address: call them on {expression.phone} to tell them."
            if not expression.email else " They have not been emailed: let them know."
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
    model_admin.message_user(request, message, messages.SUCCESS)
    return back


def parent_consent(model_admin, request, object_id):
    """Record the answer an under-16's parent or carer gave the team: who, when and how."""
    expression = _expression_to_act_on(model_admin, request, object_id)
    back = change_url(model_admin, expression)
    if not expression.is_under_16:
        model_admin.message_user(
            request, f"{expression.reference} is not under 16: no consent is needed.",
            messages.ERROR,
        )
        return HttpResponseRedirect(back)
    form = ParentConsentForm(
        request.POST if request.method == "POST" else None,
        initial={
            "given_by": expression.parent_carer_name,
            "at": timezone.localtime().replace(second=0, microsecond=0),
        },
    )
    if form.is_valid():
        data = form.cleaned_data
        expression.record_parent_consent(
            data["answer"], method=data["method"], at=data["at"], given_by=data["given_by"],
            by=request.user, note=data["note"],
        )
        state = expression.parent_consent_state
        model_admin.log_change(
            request, expression,
            f"Parent or carer consent recorded: {state.label.lower()} "
            f"({expression.get_parent_consent_method_display().lower()}).",
        )
        model_admin.message_user(
            request,
            f"Parent or carer consent for {expression.reference}: {state.label.lower()}.",
            messages.SUCCESS if state == ExpressionOfInterest.ConsentState.CONFIRMED
            else messages.WARNING,
        )
        return HttpResponseRedirect(back)
    return render_admin_page(
        request,
        "admin/applications/expressionofinterest/parent_consent.html",
        {
            "title": "Record parent or carer consent",
            "expression": expression,
            "original": expression,
            "consent_tag": consent_tag(expression),
            "form": form,
            "change_url": back,
        },
        model_admin=model_admin,
        status=400 if form.is_bound else 200,
    )


def resend_parent_consent(model_admin, request, object_id):
    """Email the parent or carer the consent link again (a new link, which works for the full
    time again), from the change page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    expression = _expression_to_act_on(model_admin, request, object_id)
    refusal = expression.parent_consent_email_refusal()
    if refusal:
        model_admin.message_user(request, refusal, messages.ERROR)
    else:
        queue_parent_consent_email(expression)
        model_admin.log_change(request, expression, "Parent or carer consent email resent.")
        model_admin.message_user(
            request,
            f"The consent email for {expression.reference} is on its way to "
            f"{expression.parent_consent_email}.",
            messages.SUCCESS,
        )
    return HttpResponseRedirect(change_url(model_admin, expression))


def assignees(model_admin, request):
    """The autocomplete's answers for "assigned to": active staff matching what is typed."""
    if not model_admin.has_change_permission(request):
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


def equality_report(model_admin, request):
    """The equality monitoring report: how many people gave each answer, a year at a time.

    It reads only counts of EqualityResponse rows, never a row, and nothing about expressions
    of interest. There is no "all years" table: set beside the yearly ones, it would let a
    hidden number be worked out by subtraction (all years, minus the other years).
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
    return render_admin_page(
        request,
        "admin/applications/equality_report.html",
        {
            "title": "Equality monitoring report",
            "year": year,
            "years": choices,
            "report": EqualityResponse.objects.filter(year=year).report(),
        },
        model_admin=model_admin,
    )
