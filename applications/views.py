import logging
import uuid

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from opportunities.calendar import meeting_ics
from opportunities.models import Meeting, Opportunity

from . import rate_limit
from .emails import ics_filename
from .forms import (
    EqualityMonitoringForm,
    EventRegistrationForm,
    ExpressionOfInterestForm,
    NextDateRequestForm,
)
from .models import Booking, BookingError, ExpressionOfInterest, InvalidMove, NextDateRequest
from .tasks import queue_booking_email, queue_expression_emails

logger = logging.getLogger(__name__)

SENT_SESSION_KEY = "sent_expression"
REGISTERED_SESSION_KEY = "sent_registration"
NEXT_DATE_SESSION_KEY = "sent_next_date"
# Only whether this browser has answered the equality questions, so a double click or a resend
# does not count the same person twice. Never the answers, and never a reference.
EQUALITY_ANSWERED_SESSION_KEY = "equality_answered"


def _opportunity_for_form(request, slug):
    return get_object_or_404(
        Opportunity.objects.visible_to(request.user).select_related("programme"), slug=slug
    )


def _already_saved(submission_key):
    return (
        submission_key is not None
        and ExpressionOfInterest.objects.filter(submission_key=submission_key).exists()
    )


def _protected_form(request, form, on_valid, template, context):
    """Show or handle a public form, with the protections every public form has.

    A POST is refused, with every answer kept, when the box people are asked to leave empty
    is filled in (400) or this address has sent a lot of forms lately (429, applications/
    rate_limit.py). A valid form takes a place under the rate limit and calls `on_valid()`,
    which saves it and returns the redirect to the confirmation page (post/redirect/get). The
    same form sent again finds the saved one and its confirmation, never a refusal. A form with
    mistakes is shown again with its errors (400) and is not counted.
    """
    blocked = None
    status = 200
    if request.method == "POST":
        if request.POST.get("website"):
            blocked = "honeypot"
            status = 400
        elif form.is_valid():
            submission_key = form.cleaned_data.get("submission_key")
            place = rate_limit.take_place(request, submission_key)
            if place.allowed or _already_saved(submission_key):
                try:
                    return on_valid()
                except BaseException:
                    if place.counted:  # not saved after all, so the place is not used up
                        rate_limit.give_back(request, submission_key)
                    raise
            blocked = "rate_limit"
            status = 429
        else:
            status = 400
    return render(request, template, {**context, "form": form, "blocked": blocked}, status=status)


@never_cache
# Whatever goes wrong, an error report never carries what the person typed.
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def express_interest(request, slug):
    opportunity = _opportunity_for_form(request, slug)
    if not opportunity.is_open:
        # A closed (or draft) opportunity has no form: its page says so.
        if request.method == "POST":
            messages.warning(request, "This opportunity has closed, so your form was not sent.")
        return redirect(opportunity)
    if opportunity.takes_registrations:
        # One route in for events: register for a date, or ask to hear about the next one,
        # both from the event's page. An expression of interest would be a third.
        return redirect(opportunity)

    form = ExpressionOfInterestForm(
        request.POST if request.method == "POST" else None,
        opportunity=opportunity,
        initial={"submission_key": uuid.uuid4()},
    )

    def on_valid():
        expression = _save_once(form)
        request.session[SENT_SESSION_KEY] = expression.reference
        return redirect("applications:interest_sent", slug=opportunity.slug)

    return _protected_form(
        request, form, on_valid, "applications/interest_form.html", {"opportunity": opportunity}
    )


def _save_once(form):
    """Save the expression and queue its emails, all or nothing, once per form.

    The same form sent twice (a double click, a refresh, back and resend) carries the same
    submission key, so the second send finds the first instead of making another.
    """
    key = form.cleaned_data["submission_key"]
    existing = ExpressionOfInterest.objects.filter(submission_key=key).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            expression = form.save()
            queue_expression_emails(expression)
    except IntegrityError:
        # Two sends raced: the other one saved it.
        existing = ExpressionOfInterest.objects.filter(submission_key=key).first()
        if existing is None:
            raise
        return existing
    logger.info("Expression of interest %s received", expression.reference)
    return expression


@never_cache
@require_safe
def interest_sent(request, slug):
    reference = request.session.get(SENT_SESSION_KEY)
    expression = (
        # Once erased, nothing of theirs is shown, even to the browser that sent it.
        ExpressionOfInterest.objects.with_personal_details()
        .select_related("opportunity")
        .filter(reference=reference, opportunity__slug=slug)
        .first()
        if reference
        else None
    )
    if expression is None:
        # No personal data or reference in the URL: without the session there is nothing to
        # show, so go back to the opportunity.
        return redirect("opportunities:detail", slug=slug)
    return render(request, "applications/interest_sent.html", {"expression": expression})


# "Tell me when the next one is" -----------------------------------------------------------


@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def ask_for_next_date(request, slug):
    """For an event with no date yet: leave a name and an email address or phone number to
    hear when the next one is. An event with a date to register for sends people to it."""
    opportunity = _opportunity_for_form(request, slug)
    if not (opportunity.is_open and opportunity.takes_registrations):
        return redirect(opportunity)
    if Meeting.objects.public_events().upcoming().filter(opportunity=opportunity).exists():
        messages.info(request, "There is a date for this event now: you can register for it.")
        return redirect(opportunity)

    form = NextDateRequestForm(
        request.POST if request.method == "POST" else None,
        opportunity=opportunity,
        initial={"submission_key": uuid.uuid4()},
    )

    def on_valid():
        key = form.cleaned_data["submission_key"]
        saved = NextDateRequest.objects.filter(submission_key=key).first()
        if saved is None:
            try:
                with transaction.atomic():
                    saved = form.save()
            except IntegrityError:
                # Two sends raced: the other one saved it.
                saved = NextDateRequest.objects.get(submission_key=key)
        request.session[NEXT_DATE_SESSION_KEY] = str(saved.submission_key)
        return redirect("applications:next_date_sent", slug=opportunity.slug)

    return _protected_form(
        request, form, on_valid, "applications/next_date_form.html",
        {"opportunity": opportunity, "contact": opportunity.contact()},
    )


@never_cache
@require_safe
def next_date_sent(request, slug):
    key = request.session.get(NEXT_DATE_SESSION_KEY)
    saved = (
        NextDateRequest.objects.select_related("opportunity")
        .filter(submission_key=key, opportunity__slug=slug)
        .first()
        if key else None
    )
    if saved is None:
        return redirect("opportunities:detail", slug=slug)
    return render(
        request, "applications/next_date_sent.html",
        {"next_date_request": saved, "opportunity": saved.opportunity},
    )


# Equality monitoring -----------------------------------------------------------------------


@never_cache
# Whatever goes wrong, an error report never carries what the person typed.
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def equality_monitoring(request):
    """The trust's equality questions, offered after an expression of interest: all optional.

    The answers are saved with nothing that could link them to the person or their expression
    of interest: this view never reads the expression's reference from the session (or
    anything else about the person), stores only that this browser has answered, and logs
    nothing, since a log line's time could be matched with the expression's. Once answers are
    saved, the references the confirmation pages kept in the session are dropped unread, so
    the session that now says "answered" no longer says who answered (the reference is in
    their confirmation email).
    """
    if request.session.get(EQUALITY_ANSWERED_SESSION_KEY):
        return redirect("applications:equality_thanks")
    form = EqualityMonitoringForm(request.POST if request.method == "POST" else None)

    def on_valid():
        answers = form.save(commit=False)
        # No answers at all is a fine choice: there is nothing to keep.
        if answers.has_answers:
            answers.save()
            for key in (SENT_SESSION_KEY, REGISTERED_SESSION_KEY):
                request.session.pop(key, None)
            request.session[EQUALITY_ANSWERED_SESSION_KEY] = True
        return redirect("applications:equality_thanks")

    return _protected_form(request, form, on_valid, "applications/equality_form.html", {})


@never_cache
@require_safe
def equality_thanks(request):
    return render(
        request,
        "applications/equality_thanks.html",
        {"answered": request.session.get(EQUALITY_ANSWERED_SESSION_KEY, False)},
    )


# Registering for a public event ------------------------------------------------------------


@never_cache
# Whatever goes wrong, an error report never carries what the person typed.
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def register_for_event(request, pk):
    """Register for a public event: an expression of interest and a booking, saved together.

    When the event is full the person goes on its waiting list, and the confirmation page
    says so. Only events listed on /events/ take registrations; one that has started or passed
    says registration has closed.
    """
    meeting = get_object_or_404(
        Meeting.objects.public_events().select_related("opportunity__programme", "site"), pk=pk
    )
    context = {
        "meeting": meeting,
        "opportunity": meeting.opportunity,
        "contact": meeting.opportunity.contact(),
    }
    if meeting.starts_at <= timezone.now():
        return render(
            request,
            "applications/event_registration_form.html",
            {**context, "closed": True},
            status=404,
        )

    form = EventRegistrationForm(
        request.POST if request.method == "POST" else None,
        meeting=meeting,
        initial={"submission_key": uuid.uuid4()},
    )

    def on_valid():
        booking = _register_once(form, meeting)
        request.session[REGISTERED_SESSION_KEY] = booking.expression.reference
        return redirect("applications:registration_sent", pk=booking.meeting_id)

    return _protected_form(
        request,
        form,
        on_valid,
        "applications/event_registration_form.html",
        {**context, "places_left": meeting.places_left()},
    )


def _registration_for(key):
    return (
        Booking.objects.select_related("expression")
        .filter(expression__submission_key=key)
        .first()
    )


def _register_once(form, meeting):
    """Save the expression, book the place (or a waiting-list place) and queue the email:
    all or nothing, once per form.

    `Booking.book` locks the meeting's row while it counts places, so people registering at
    the same moment never overbook it.
    """
    key = form.cleaned_data["submission_key"]
    existing = _registration_for(key)
    if existing:
        return existing
    try:
        with transaction.atomic():
            expression = form.save()
            booking = Booking.book(meeting, expression)
            waitlisted = booking.status == Booking.Status.WAITLISTED
            queue_booking_email(booking, "waitlisted" if waitlisted else "registered")
    except IntegrityError:
        # Two sends raced: the other one saved it.
        existing = _registration_for(key)
        if existing is None:
            raise
        return existing
    logger.info(
        "Registration %s for meeting id=%s: %s", expression.reference, meeting.pk, booking.status
    )
    return booking


def waiting_list_position(booking):
    """1 for the first person waiting, and so on; None when the booking is not waiting."""
    if booking.status != Booking.Status.WAITLISTED:
        return None
    ahead = (
        Booking.objects.waiting()
        .filter(meeting_id=booking.meeting_id)
        .filter(
            Q(created_at__lt=booking.created_at)
            | Q(created_at=booking.created_at, pk__lt=booking.pk)
        )
        .count()
    )
    return ahead + 1


@never_cache
def registration_sent(request, pk):
    reference = request.session.get(REGISTERED_SESSION_KEY)
    booking = (
        Booking.objects.select_related(
            "meeting__opportunity__programme", "meeting__site", "expression"
        )
        .filter(expression__reference=reference, meeting_id=pk,
                expression__anonymised_at__isnull=True)
        .first()
        if reference
        else None
    )
    if booking is None:
        # No personal data or reference in the URL: without the session there is nothing to
        # show, so go back to the events.
        return redirect("opportunities:events")
    meeting = booking.meeting
    return render(
        request,
        "applications/registration_sent.html",
        {
            "booking": booking,
            "expression": booking.expression,
            "meeting": meeting,
            "opportunity": meeting.opportunity,
                "contact": meeting.opportunity.contact(),
            "waiting_position": waiting_list_position(booking),
        },
    )


# What a booking's decline link is called on the manage page, by the booking's status.
DECLINE_WORDS = {
    Booking.Status.INVITED: "I cannot come",
    Booking.Status.CONFIRMED: "Cancel my place",
    Booking.Status.WAITLISTED: "Take me off the waiting list",
}


def _manage_bookings(expression, token, now):
    """The person's bookings, soonest first, each with the links that work for it now: accept
    and decline go to the signed booking-link pages (which ask before acting), and a calendar
    file for a place at a meeting still to come."""
    rows = []
    bookings = expression.bookings.select_related("meeting__opportunity", "meeting__site")
    for booking in bookings.order_by("meeting__starts_at", "pk"):
        coming = booking.meeting.ends_at > now
        row = {"booking": booking, "meeting": booking.meeting, "coming": coming}
        if coming and booking.can("accept"):
            row["accept_url"] = reverse(
                "applications:booking_respond", args=[booking.token("accept"), "accept"]
            )
        if coming and booking.can("cancel"):
            row["decline_url"] = reverse(
                "applications:booking_respond", args=[booking.token("decline"), "decline"]
            )
            row["decline_words"] = DECLINE_WORDS[booking.status]
        if coming and booking.holds_a_place:
            row["calendar_url"] = reverse(
                "applications:booking_calendar", args=[token, booking.pk]
            )
        rows.append(row)
    return rows


@never_cache
@require_safe
def manage(request, token):
    expression = ExpressionOfInterest.from_manage_token(token)
    if expression is None:
        return render(request, "applications/manage_link_invalid.html", status=404)
    now = timezone.now()
    rows = _manage_bookings(expression, token, now)
    return render(
        request,
        "applications/manage.html",
        {
            "expression": expression,
            "token": token,
            "bookings": rows,
            "next_step": expression.next_step([row["booking"] for row in rows], now),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def withdraw(request, token):
    """Withdraw from the manage page. GET only asks "are you sure?" and says what will happen
    (a link followed by a scanner or a stray click must change nothing); the button (POST)
    withdraws and goes back to the manage page, which says it is done."""
    expression = ExpressionOfInterest.from_manage_token(token)
    if expression is None:
        return render(request, "applications/manage_link_invalid.html", status=404)
    if request.method == "POST":
        try:
            expression.withdraw()
        except InvalidMove:
            messages.info(request, "Your expression of interest has already ended.")
        else:
            messages.success(request, "You have withdrawn your expression of interest.")
        return redirect("applications:manage", token=token)
    if not expression.can_withdraw:
        messages.info(request, "Your expression of interest has already ended.")
        return redirect("applications:manage", token=token)
    return render(
        request,
        "applications/withdraw.html",
        {
            "expression": expression,
            "token": token,
            "places": expression.places_to_cancel_on_withdrawing(),
            "retention_months": settings.RETENTION_ENDED_MONTHS,
        },
    )


@never_cache
@require_safe
def booking_calendar(request, token, pk):
    """The calendar file for one of the person's places, from their manage page: the same
    file their invitation email carried, joining details included, so only for a place they
    hold at a meeting still to come, found through their own manage link."""
    expression = ExpressionOfInterest.from_manage_token(token)
    if expression is None:
        raise Http404
    booking = get_object_or_404(
        expression.bookings.select_related("meeting__opportunity", "meeting__site").filter(
            status__in=Booking.HOLDS_A_PLACE, meeting__ends_at__gt=timezone.now()
        ),
        pk=pk,
    )
    response = HttpResponse(
        meeting_ics(booking.meeting, joining_details=True),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{ics_filename(booking.meeting)}"'
    return response


# Booking links: accept or decline a place at a meeting, from an email -----------------------


@never_cache
@require_http_methods(["GET", "POST"])
def booking_respond(request, token, action):
    """Accept or decline a place from the link in an email.

    Opening the link (GET) only shows what it would do, with a button: email scanners and link
    previews follow links, and must not accept or cancel anyone's place. The button (POST)
    acts, then comes back here, where the page says what has happened. A link used again says
    so, kindly; a tampered or expired one gets the "link does not work" page.
    """
    booking = Booking.from_token(token, action)
    if booking is None:
        return render(request, "applications/booking_link_invalid.html", status=404)

    state = booking.link_state(action)
    status = 200
    if request.method == "POST":
        if state in ("confirm_accept", "confirm_decline"):
            try:
                booking.respond(action)
            except BookingError:
                # Someone (or another tab) changed it first: say where it is now.
                booking.refresh_from_db()
            else:
                logger.info("Booking id=%s %sed by the person", booking.pk, action)
                return redirect("applications:booking_respond", token=token, action=action)
        state = booking.link_state(action)
        status = 409

    context = {
        "booking": booking,
        "meeting": booking.meeting,
        "opportunity": booking.meeting.opportunity,
        "state": state,
        "action": action,
        "contact": booking.meeting.opportunity.contact(),
        "decline_url": reverse(
            "applications:booking_respond", args=[booking.token("decline"), "decline"]
        ),
        "manage_url": booking.expression.manage_path()
        if booking.expression.can_withdraw else "",
    }
    return render(request, "applications/booking_respond.html", context, status=status)
