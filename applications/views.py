import datetime
import logging
import re
import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe
from formtools.wizard.storage.base import BaseStorage
from formtools.wizard.storage.session import SessionStorage
from formtools.wizard.views import NamedUrlSessionWizardView

from involvement.formats import long_date
from involvement.page_cache import keep_out
from opportunities.calendar import meeting_ics
from opportunities.models import Meeting, Opportunity

from . import claim_forms, rate_limit, updates
from .claims import (
    ClaimError,
    check_can_claim,
    hours_text,
    make_claim,
    receipt_response,
    tax_year,
)
from .emails import alert_choices, ics_filename
from .forms import (
    CHECK_ANSWERS,
    INTEREST_STEPS,
    AlertChoicesForm,
    AlertSignUpForm,
    EqualityMonitoringForm,
    EventRegistrationForm,
    MyInvolvementSignInForm,
    NextDateRequestForm,
    ParentConsentForm,
)
from .models import (
    AlertSubscription,
    Booking,
    BookingError,
    Claim,
    ClaimEvent,
    ExpressionOfInterest,
    InvalidMove,
    NextDateRequest,
    Receipt,
    SignInLink,
)
from .my_involvement import SESSION_KEY as MY_INVOLVEMENT_SESSION_KEY
from .spreadsheets import BYTE_ORDER_MARK, write_csv
from .tasks import (
    queue_booking_email,
    queue_claim_email,
    queue_expression_emails,
    queue_my_involvement_link,
)

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


# Expressing interest: question pages, then "Check your answers" --------------------------


def _under_16_where_welcome(wizard):
    if not wizard.opportunity.welcomes_under_16s:
        return False
    answers = wizard.get_cleaned_data_for_step("age") or {}
    return answers.get("age_band") == ExpressionOfInterest.AgeBand.UNDER_16


def _chose(step, question, choice):
    def condition(wizard):
        answers = wizard.get_cleaned_data_for_step(step) or {}
        return choice in answers.get(question, [])

    return condition


class AnswersInTheSession(SessionStorage):
    """formtools' session storage, writing the session only when something in it changes.

    formtools' own marks the session changed whenever it is read, so every visitor to the
    first question page (and every crawler) would be given a session and a row in the session
    table. Here a person has a session once they have answered something.
    """

    def __init__(self, prefix, request=None, file_storage=None):
        BaseStorage.__init__(self, prefix, request, file_storage)  # nothing written yet
        self._not_kept = None

    def _get_data(self):
        if self.prefix in self.request.session:
            return self.request.session[self.prefix]
        if self._not_kept is None:
            self._not_kept = {
                self.step_key: None, self.step_data_key: {}, self.step_files_key: {},
                self.extra_data_key: {},
            }
        return self._not_kept

    def _set_data(self, value):
        self.request.session[self.prefix] = value

    data = property(_get_data, _set_data)

    def _kept(self):
        self.data = self.data

    def _set_current_step(self, step):
        if step != self.current_step:
            super()._set_current_step(step)
            self._kept()

    def _set_extra_data(self, extra_data):
        super()._set_extra_data(extra_data)
        self._kept()

    def set_step_data(self, step, cleaned_data):
        super().set_step_data(step, cleaned_data)
        self._kept()


ANSWERS_NOT_KEPT = (
    "Sorry, we could not keep your answers. This happens when the form is left for a long "
    "time or the browser is closed. Please start again: it takes about 5 minutes."
)


class InterestWizard(NamedUrlSessionWizardView):
    """The expression of interest, one question a page (the NHS service manual's question
    pages), then "Check your answers" with links to change each answer, then "Send".

    A class, where the rest of the project has function views, because django-formtools'
    wizard is one, and it is the well-kept library for what a function would rewrite: each
    page's answers kept in the session (never in an address), an address per page
    (/opportunities/<slug>/interest/<step>/; /interest/ starts or carries on), and pages
    asked only when an earlier answer needs them (condition_dict: the parent or carer's page
    for under-16s, "If other", "If something else").

    Where it is made to work this service's way:
    - a page is shown and sent at its own address (GET and POST): formtools' hidden "current
      step" field is not used, so a browser's Back button, a refresh or two tabs never send
      answers to the wrong page. A page whose earlier questions are unanswered sends the
      person to the first of them; with nothing in the session at all (it expired) they start
      again, told kindly why.
    - ?change (from a "Change" link) comes back to "Check your answers" after the page, unless
      the new answer needs another page first (a newly "Other", say).
    - "Send" saves at once, as a POST, with every public form's protections
      (`_protected_form`: the honeypot, the rate limit, one record per submission key, all in
      one transaction); formtools' "done" step, a GET, is never reached.
    """

    storage_name = "applications.views.AnswersInTheSession"
    form_list = INTEREST_STEPS
    condition_dict = {
        "parent-carer": _under_16_where_welcome,
        "connection-other": _chose("connection", "connections", "other"),
        "access-needs-other": _chose("access-needs", "access_needs", "other"),
    }

    def dispatch(self, request, *args, slug, **kwargs):
        self.opportunity = _opportunity_for_form(request, slug)
        if not self.opportunity.is_open:
            # A closed (or draft) opportunity has no form: its page says so.
            if request.method == "POST":
                messages.warning(
                    request, "This opportunity has closed, so your form was not sent."
                )
            return redirect(self.opportunity)
        if self.opportunity.takes_registrations:
            # One route in for events: register for a date, or ask to hear about the next one,
            # both from the event's page. An expression of interest would be a third.
            return redirect(self.opportunity)
        # Pages with a person's answers: never kept in the public page cache.
        return keep_out(super().dispatch(request, *args, slug=slug, **kwargs))

    def get_prefix(self, request, *args, **kwargs):
        # Each opportunity's answers apart: two tabs, two opportunities, no mix-up.
        return f"interest_{self.opportunity.pk}"

    def get_form_prefix(self, step=None, form=None):
        # Fields keep their own names (id_full_name), as the error summary's links expect.
        return None

    def get_form_kwargs(self, step=None):
        kwargs = {"opportunity": self.opportunity}
        if step == CHECK_ANSWERS:
            kwargs["answers"] = self._all_answers()
        return kwargs

    def get_form_initial(self, step):
        if step == CHECK_ANSWERS:
            return {"submission_key": self._submission_key()}
        return {}

    def get_form_step_data(self, form):
        # Only the page's own answers are kept: not the CSRF token, not anything else sent.
        return {name: form.data.getlist(name) for name in form.fields if name in form.data}

    def get_template_names(self):
        if self.shown == CHECK_ANSWERS:
            return ["applications/interest_check_answers.html"]
        return ["applications/interest_form.html"]

    def get_step_url(self, step, change=False):
        url = reverse(
            "applications:interest_step", kwargs={"slug": self.opportunity.slug, "step": step}
        )
        return f"{url}?change" if change and step != CHECK_ANSWERS else url

    # What has been answered ------------------------------------------------------------

    def _has_started(self):
        return bool(self.storage.data[self.storage.step_data_key])

    def _answered(self, step):
        return (
            self.storage.get_step_data(step) is not None
            and self.get_cleaned_data_for_step(step) is not None
        )

    def _first_unanswered(self, before=None):
        """The first question page not (validly) answered, of those before `before` if
        given, or None."""
        for step in self.get_form_list():
            if step in (before, CHECK_ANSWERS):
                return None
            if not self._answered(step):
                return step
        return None

    def _forget_conditions(self):
        # Answers changed: which pages are asked, and their cleaned answers, are worked out
        # again (as formtools' own post() does).
        for name in list(self.__dict__):
            if name.startswith("_cleaned_data_cache_") or name in (
                "_resolved_form_list", "_cache_signature"
            ):
                delattr(self, name)

    def _all_answers(self):
        """Every page's answers as the pages sent them, for the pages asked."""
        answers = MultiValueDict()
        for step in self.get_form_list():
            for name, values in (self.storage.get_step_data(step) or MultiValueDict()).lists():
                answers.setlist(name, values)
        return answers

    def _submission_key(self):
        # One key for this expression however often "Send" arrives: it is saved once.
        extra = self.storage.extra_data
        if "submission_key" not in extra:
            self.storage.extra_data = {**extra, "submission_key": str(uuid.uuid4())}
        return self.storage.extra_data["submission_key"]

    def _way_in(self, step):
        """Where to send someone who asks for `step`, or None to show it."""
        steps = list(self.get_form_list())
        if step not in steps:
            # Not a page, or one their answers do not need (an "If other" without "Other").
            return redirect(self.get_step_url(self._first_unanswered() or CHECK_ANSWERS))
        if step == steps[0]:
            return None
        if not self._has_started():
            if SENT_SESSION_KEY in self.request.session:
                # Back to a page of a form already sent: it was sent, and that is what it says
                # (or, for another opportunity's, the confirmation sends them to this one).
                return redirect("applications:interest_sent", slug=self.opportunity.slug)
            messages.info(self.request, ANSWERS_NOT_KEPT)
            return redirect(self.get_step_url(steps[0]))
        missing = self._first_unanswered(before=step)
        if missing:
            return redirect(self.get_step_url(missing))
        return None

    def _next_url(self, step):
        """Where a page goes once answered."""
        if "change" in self.request.GET:
            missing = self._first_unanswered()
            return self.get_step_url(missing or CHECK_ANSWERS, change=True)
        missing = self._first_unanswered(before=step)
        return self.get_step_url(missing or self.get_next_step(step))

    # Pages -----------------------------------------------------------------------------

    def get(self, request, *args, step=None, **kwargs):
        if step is None:
            # /interest/: the first question, or where they were.
            current = self.storage.current_step
            if current not in self.get_form_list():
                current = self.steps.first
            return redirect(self.get_step_url(current))
        refused = self._way_in(step)
        if refused:
            return refused
        self.shown = step
        if self._has_started():
            # Where /interest/ carries on from.
            self.storage.current_step = step
        return self.render(self.get_form(step, data=self.storage.get_step_data(step)))

    def post(self, request, *args, step=None, **kwargs):
        if step is None:
            return redirect(self.get_step_url(self.steps.first))
        if step == CHECK_ANSWERS:
            return self._send()
        refused = self._way_in(step)
        if refused and self._has_started():
            return refused
        self.shown = step
        form = self.get_form(step, data=request.POST)
        if not form.is_valid():
            response = self.render(form)
            response.status_code = 400
            return response
        self.storage.set_step_data(step, self.process_step(form))
        self.storage.current_step = step
        self._forget_conditions()
        if refused:
            # The session had expired: this page's answer is kept, and they start again.
            return refused
        return redirect(self._next_url(step))

    def _send(self):
        request = self.request
        sent = self._already_sent(request.POST.get("submission_key"))
        if sent:
            # Sent before (a double click, or Back and "Send" again): say so, never refuse.
            return self._confirmation(sent)
        refused = self._way_in(CHECK_ANSWERS)
        if refused:
            return refused
        if request.POST.get("submission_key") != self._submission_key():
            # A page from before the answers changed (in another tab): show them as they are.
            return redirect(self.get_step_url(CHECK_ANSWERS))
        self.shown = CHECK_ANSWERS
        form = self.get_form(CHECK_ANSWERS, data=request.POST)

        def on_valid():
            return self._confirmation(_save_once(form))

        return _protected_form(
            request, form, on_valid, "applications/interest_check_answers.html",
            self.get_context_data(form=form),
        )

    def _already_sent(self, submission_key):
        try:
            key = uuid.UUID(submission_key or "")
        except ValueError:
            return None
        return ExpressionOfInterest.objects.filter(
            submission_key=key, opportunity=self.opportunity
        ).only("reference").first()

    def _confirmation(self, expression):
        # Nothing of theirs stays in the session but the reference the confirmation shows
        # (which the equality questions drop in turn, so their answers link to nothing).
        self.storage.reset()
        del self.request.session[self.storage.prefix]
        self.request.session[SENT_SESSION_KEY] = expression.reference
        return redirect("applications:interest_sent", slug=self.opportunity.slug)

    # What the pages show ---------------------------------------------------------------

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        step = self.shown
        changing = "change" in self.request.GET
        context.update({
            "opportunity": self.opportunity,
            "step": step,
            "first_step": step == self.steps.first,
            "action": self.get_step_url(step, change=changing),
            "back_url": self._back_url(step, changing),
        })
        if step == CHECK_ANSWERS:
            context["sections"] = self._answers_in_words()
        return context

    def _back_url(self, step, changing):
        if changing:
            return self.get_step_url(CHECK_ANSWERS)
        previous = self.get_prev_step(step)
        return self.get_step_url(previous) if previous else self.opportunity.get_absolute_url()

    def _answers_in_words(self):
        """"Check your answers": each page's answers under its section, with its page's
        address to change them."""
        sections = {}
        for step, form_class in self.get_form_list().items():
            if step == CHECK_ANSWERS:
                continue
            form = self.get_form(step, data=self.storage.get_step_data(step))
            if not form.is_valid():
                continue
            rows = sections.setdefault(form_class.section, [])
            change_url = self.get_step_url(step, change=True)
            for question, answer in form.rows():
                rows.append({"key": question, "value": answer, "change_url": change_url})
        return sections


express_interest = never_cache(
    # Whatever goes wrong, an error report never carries what the person typed.
    sensitive_post_parameters()(
        require_http_methods(["GET", "POST"])(
            InterestWizard.as_view(url_name="applications:interest_step")
        )
    )
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
            updates.after_new_interest(expression)
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
            updates.after_withdrawal(expression)
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


# A parent's or carer's consent, from the link in our email -----------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def parent_consent(request, token):
    """An under-16's parent or carer says whether they agree to their child taking part.

    The page says what their child signed up for and what we will do, then asks the one
    question. The link answers once: afterwards (or once staff have recorded an answer taken
    by phone) it says what the answer was and how to change it. A tampered or expired link
    gets the "link does not work" page.
    """
    expression = ExpressionOfInterest.from_parent_consent_token(token)
    if expression is None:
        return render(request, "applications/parent_consent_link_invalid.html", status=404)
    context = {
        "expression": expression,
        "opportunity": expression.opportunity,
        "contact": expression.opportunity.contact(),
    }
    if expression.parent_consent:
        # Answered already: a POST now (another tab, the link used again) changes nothing.
        status = 409 if request.method == "POST" else 200
        return render(
            request, "applications/parent_consent_answered.html", context, status=status
        )
    form = ParentConsentForm(
        request.POST if request.method == "POST" else None, child=expression.full_name
    )
    if form.is_valid():
        if expression.answer_parent_consent(form.cleaned_data["answer"]):
            logger.info(
                "Parent or carer consent for %s: %s by the link",
                expression.reference, expression.parent_consent,
            )
        return redirect("applications:parent_consent", token=token)
    return render(
        request,
        "applications/parent_consent.html",
        {**context, "form": form},
        status=400 if form.is_bound else 200,
    )


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
                if action == "decline":
                    updates.after_decline(booking)
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


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def impact_emails_stop(request, token):
    """Stop the emails about what involvement changed. GET asks first (a link followed by a
    scanner must change nothing); the button, or a mail program's one-click unsubscribe
    (RFC 8058, a POST with no CSRF token, which is why the check is off here: the signed link
    is what says who it is), stops them for every expression with the same email address."""
    expression = ExpressionOfInterest.from_impact_emails_token(token)
    if expression is None:
        return render(request, "applications/impact_emails_link_invalid.html", status=404)
    if request.method == "POST":
        ExpressionOfInterest.objects.with_personal_details().filter(
            email__iexact=expression.email
        ).update(hears_about_impact=False)
        return render(request, "applications/impact_emails_stopped.html")
    return render(request, "applications/impact_emails_stop.html", {"expression": expression})


# Alerts about new opportunities (applications/alerts.py) --------------------------------------

ALERT_SIGNED_UP_SESSION_KEY = "alert_sign_up"


@never_cache
# Whatever goes wrong, an error report never carries what the person typed.
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def alerts(request):
    """Sign up for an email when new opportunities open. The page after it says the same
    whether or not the address was signed up already, so it tells nobody whose it is."""
    form = AlertSignUpForm(
        request.POST if request.method == "POST" else None,
        initial={"submission_key": uuid.uuid4()},
    )

    def on_valid():
        data = form.cleaned_data
        subscription, _ = AlertSubscription.objects.sign_up(
            data["email"], kinds=data["kinds"], programmes=data["programmes"],
            submission_key=data["submission_key"],
        )
        request.session[ALERT_SIGNED_UP_SESSION_KEY] = subscription.pk
        return redirect("applications:alerts_sent")

    return _protected_form(request, form, on_valid, "applications/alerts/sign_up.html", {})


@never_cache
@require_safe
def alerts_sent(request):
    subscription = AlertSubscription.objects.filter(
        pk=request.session.get(ALERT_SIGNED_UP_SESSION_KEY)
    ).first()
    if subscription is None:
        # Nothing in this browser's session (or the sign-up has gone): start again.
        return redirect("applications:alerts")
    return render(
        request,
        "applications/alerts/sent.html",
        {"email": subscription.email, "link_days": settings.ALERT_CONFIRMATION_DAYS},
    )


def _alert_link_invalid(request, *, expired=False):
    return render(
        request,
        "applications/alerts/link_invalid.html",
        {"expired": expired, "link_days": settings.ALERT_CONFIRMATION_DAYS},
        status=404,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def alerts_confirm(request, token):
    """The link in the confirmation email. Opening it (GET) only asks: email scanners follow
    links, and must not sign anyone up. The button (POST) confirms, and goes to the person's
    own page."""
    try:
        key = AlertSubscription.key_from_confirm_token(token)
    except signing.SignatureExpired:
        return _alert_link_invalid(request, expired=True)
    except signing.BadSignature:
        return _alert_link_invalid(request)
    subscription = AlertSubscription.objects.filter(key=key).first()
    if subscription is None:
        # Deleted: unsubscribed, erased, or removed unconfirmed by the retention job.
        return _alert_link_invalid(request, expired=True)
    manage_path = reverse("applications:alerts_manage", args=[subscription.manage_token()])
    if subscription.is_confirmed:
        messages.info(request, "You have already confirmed. These are your email alerts.")
        return redirect(manage_path)
    if request.method == "POST":
        subscription.confirm()
        logger.info("Alert sign-up id=%s confirmed", subscription.pk)
        messages.success(
            request, "You are signed up. We will email you when new opportunities open."
        )
        return redirect(manage_path)
    return render(
        request,
        "applications/alerts/confirm.html",
        {"choices": alert_choices(subscription), "email": subscription.email},
    )


def _subscription_for_manage_token(token, *, with_programmes=False):
    """(whether the link is genuine, the confirmed sign-up it is for or None)."""
    key = AlertSubscription.key_from_manage_token(token)
    if key is None:
        return False, None
    subscriptions = AlertSubscription.objects.confirmed()
    if with_programmes:
        subscriptions = subscriptions.prefetch_related("programmes")
    return True, subscriptions.filter(key=key).first()


@never_cache
@require_http_methods(["GET", "POST"])
def alerts_manage(request, token):
    """The person's own page: what they get, a form to change it, and a button to stop."""
    genuine, subscription = _subscription_for_manage_token(token, with_programmes=True)
    if not genuine:
        return _alert_link_invalid(request)
    if subscription is None:
        return render(request, "applications/alerts/unsubscribed.html", {"already": True})
    form = AlertChoicesForm(
        request.POST if request.method == "POST" else None,
        initial={
            "kinds": subscription.kinds,
            "programmes": [programme.pk for programme in subscription.programmes.all()],
        },
    )
    if request.method == "POST":
        if form.is_valid():
            subscription.change_choices(
                kinds=form.cleaned_data["kinds"], programmes=form.cleaned_data["programmes"]
            )
            messages.success(request, "Your choices are saved.")
            return redirect("applications:alerts_manage", token=token)
    return render(
        request,
        "applications/alerts/manage.html",
        {
            "subscription": subscription,
            "choices": alert_choices(subscription),
            "form": form,
            "token": token,
        },
        status=400 if form.errors else 200,
    )


# RFC 8058 one-click unsubscribe: a mail program POSTs "List-Unsubscribe=One-Click" to this
# address, with no cookies and no CSRF token, and it must unsubscribe without asking. The
# token in the address is the only credential, as in the email's link.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def alerts_unsubscribe(request, token):
    """Opening the link (GET) asks "are you sure?" (scanners follow links); a POST, from its
    button, the manage page or a mail program, unsubscribes at once and says so. Doing it
    again says the same: there is nothing left to remove."""
    genuine, subscription = _subscription_for_manage_token(token)
    if not genuine:
        return _alert_link_invalid(request)
    if request.method == "POST":
        if subscription is not None:
            subscription_id = subscription.pk
            subscription.delete()
            logger.info("Alert sign-up id=%s unsubscribed", subscription_id)
        return render(request, "applications/alerts/unsubscribed.html", {"already": False})
    if subscription is None:
        return render(request, "applications/alerts/unsubscribed.html", {"already": True})
    return render(
        request,
        "applications/alerts/unsubscribe.html",
        {"token": token, "email": subscription.email},
    )


# A lay partner's own page (applications/my_involvement.py) ------------------------------------

MY_INVOLVEMENT_ASKED_SESSION_KEY = "my_involvement_asked"


def _signed_in_email(request):
    """The lay partner signed in in this browser, or None. Someone erased (or who has left)
    since signing in is signed out: they have no page any more."""
    email = request.session.get(MY_INVOLVEMENT_SESSION_KEY)
    if email and not ExpressionOfInterest.objects.joined_by(email).exists():
        request.session.pop(MY_INVOLVEMENT_SESSION_KEY, None)
        return None
    return email


@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def my_involvement_sign_in(request):
    """Ask for a sign-in link. Whatever the address, the next page says the same, and only a
    lay partner is sent a link, so the form tells nobody who is one."""
    form = MyInvolvementSignInForm(
        request.POST if request.method == "POST" else None,
        initial={"submission_key": uuid.uuid4()},
    )

    def on_valid():
        email = form.cleaned_data["email"]
        if ExpressionOfInterest.objects.joined_by(email).exists():
            with transaction.atomic():
                link = SignInLink.issue(email, form.cleaned_data["submission_key"])
                if link is not None:
                    queue_my_involvement_link(link)
        request.session[MY_INVOLVEMENT_ASKED_SESSION_KEY] = email
        return redirect("applications:my_involvement_sent")

    return _protected_form(request, form, on_valid, "applications/my_involvement/sign_in.html", {})


@never_cache
@require_safe
def my_involvement_sent(request):
    email = request.session.get(MY_INVOLVEMENT_ASKED_SESSION_KEY)
    if not email:
        return redirect("applications:my_involvement_sign_in")
    return render(
        request,
        "applications/my_involvement/sent.html",
        {"email": email, "minutes": settings.MY_INVOLVEMENT_LINK_MINUTES},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def my_involvement_link(request, token):
    """The link in the email. Opening it (GET) only asks: email scanners follow links, and
    must not use it up. The button (POST) signs in, once."""
    state, link = SignInLink.find(token)
    if state == "ok" and not ExpressionOfInterest.objects.joined_by(link.email).exists():
        state = "unknown"  # erased, or left, since the link was sent
    if state != "ok":
        return render(
            request, "applications/my_involvement/link_invalid.html",
            {"state": state, "minutes": settings.MY_INVOLVEMENT_LINK_MINUTES}, status=404,
        )
    if request.method == "POST":
        if not link.use():
            return render(
                request, "applications/my_involvement/link_invalid.html",
                {"state": "used"}, status=404,
            )
        # A new session key, so a session fixed on them beforehand is not signed in.
        request.session.cycle_key()
        request.session[MY_INVOLVEMENT_SESSION_KEY] = link.email
        request.session.set_expiry(settings.MY_INVOLVEMENT_SESSION_HOURS * 60 * 60)
        logger.info("Sign-in link id=%s used", link.pk)
        return redirect("applications:my_involvement")
    return render(
        request, "applications/my_involvement/link.html",
        {"hours": settings.MY_INVOLVEMENT_SESSION_HOURS},
    )


@never_cache
@require_safe
def my_involvement(request):
    email = _signed_in_email(request)
    if email is None:
        return redirect("applications:my_involvement_sign_in")
    now = timezone.now()
    expressions = list(
        ExpressionOfInterest.objects.joined_by(email)
        .select_related("opportunity__programme").order_by("opportunity__title")
    )
    bookings = list(
        Booking.objects.filter(expression__in=[e.pk for e in expressions])
        .select_related("meeting__opportunity", "meeting__site")
        .order_by("meeting__starts_at", "pk")
    )
    # A place held, or a wait for one: cancelled ones are not coming.
    waiting_or_held = [*Booking.HOLDS_A_PLACE, Booking.Status.WAITLISTED]
    coming = [b for b in bookings if b.meeting.ends_at > now and b.status in waiting_or_held]
    attended = [b for b in bookings if b.status == Booking.Status.ATTENDED]
    claims = list(
        Claim.objects.for_person(email)
        .select_related("booking__meeting__opportunity", "export")
    )
    claimed = {claim.booking_id for claim in claims}
    for claim in claims:
        claim.status_text = CLAIM_STATUS_FOR_PERSON[claim.status]
    for booking in attended:
        booking.claimed = booking.pk in claimed
    # A statement for each tax year in which a claim of theirs went to payroll.
    statement_years = sorted(
        {tax_year(timezone.localdate(c.export.made_at))[0].year for c in claims if c.export},
        reverse=True,
    )
    return render(
        request,
        "applications/my_involvement/page.html",
        {
            "email": email, "expressions": expressions, "coming": coming,
            "attended": attended, "hours": settings.MY_INVOLVEMENT_SESSION_HOURS,
            "claims": claims, "statement_years": statement_years,
        },
    )


@never_cache
@require_safe
def my_involvement_calendar(request, pk):
    """The calendar file for a place they hold at a meeting to come, joining details included."""
    email = _signed_in_or_404(request)
    booking = get_object_or_404(
        Booking.objects.filter(
            expression__in=ExpressionOfInterest.objects.joined_by(email),
            status__in=Booking.HOLDS_A_PLACE, meeting__ends_at__gt=timezone.now(),
        ).select_related("meeting__opportunity", "meeting__site"),
        pk=pk,
    )
    response = HttpResponse(
        meeting_ics(booking.meeting, joining_details=True),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{ics_filename(booking.meeting)}"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def my_involvement_sign_out(request):
    """The page's "Sign out" button (POST) signs out. Opening the address (GET) only shows
    the button: a link followed by accident must not sign anyone out, nor a forged one."""
    if request.method == "POST":
        request.session.flush()
        messages.success(request, "You have signed out.")
        return redirect("applications:my_involvement_sign_in")
    return render(request, "applications/my_involvement/sign_out.html")


# A lay partner's claims (applications/claims.py) -----------------------------------------------

CLAIM_DRAFT_SESSION_KEY = "claim_draft_key"
CLAIM_MADE_SESSION_KEY = "claim_made"
# A claim's status as the person reads it: the staff's words ("Queried: waiting for the
# person") are about them, not to them.
CLAIM_STATUS_FOR_PERSON = {
    Claim.Status.SUBMITTED: "Waiting for approval",
    Claim.Status.QUERIED: "The team has a question for you",
    Claim.Status.APPROVED: "Approved",
    Claim.Status.REJECTED: "Rejected",
    Claim.Status.EXPORTED: "Sent to payroll",
}


def _signed_in_or_404(request):
    """The signed-in lay partner's address; anyone else is shown "Page not found", so these
    addresses say nothing about whose claims or receipts exist."""
    email = _signed_in_email(request)
    if email is None:
        raise Http404
    return email


def _claim_draft_key(request):
    """This browser's key for receipts kept while a claim form is being filled in."""
    key = request.session.get(CLAIM_DRAFT_SESSION_KEY)
    if not key:
        key = request.session[CLAIM_DRAFT_SESSION_KEY] = secrets.token_urlsafe(32)
    return key


def _posted_rows(post):
    try:
        rows = int(post.get("expense_rows", 1))
    except ValueError:
        rows = 1
    return max(1, min(rows, claim_forms.MOST_EXPENSE_ROWS))


def _expense_forms(request, rows, draft_key):
    """The expense rows as sent, each with the receipts it kept before (one query for all)."""
    posted = {
        n: [int(i) for i in re.findall(r"\d+", request.POST.get(f"expense-{n}-kept", ""))][:20]
        for n in range(rows)
    }
    wanted = [pk for ids in posted.values() for pk in ids]
    kept = {r.pk: r for r in Receipt.objects.kept_for(draft_key).filter(pk__in=wanted)} \
        if wanted else {}
    return [
        claim_forms.ExpenseForm(
            request.POST, request.FILES, prefix=f"expense-{n}",
            kept=[kept[pk] for pk in posted[n] if pk in kept],
        )
        for n in range(rows)
    ]


def _only_upload_errors(forms_):
    """After "Add another expense" or "Remove": the person has not finished, so only what
    went wrong with a file they just chose is said (it was not kept)."""
    for form in forms_:
        for name in list(form.errors):
            if name != "receipt":
                del form.errors[name]


@never_cache
@require_http_methods(["GET", "POST"])
def claim_new(request, pk):
    """Claim the involvement payment and expenses for a meeting they attended: one page, which
    works without JavaScript. "Add another expense" and "Remove" send the form and show it
    again; a receipt that was good is kept whatever else was wrong."""
    email = _signed_in_or_404(request)
    booking = get_object_or_404(
        Booking.objects.filter(
            expression__email__iexact=email, expression__anonymised_at__isnull=True
        ).select_related("meeting__opportunity__payment_level", "meeting__site", "expression"),
        pk=pk,
    )
    meeting = booking.meeting
    opportunity = meeting.opportunity
    if request.method == "POST":
        earlier = Claim.objects.filter(
            booking=booking, submission_key=_uuid_or_none(request.POST.get("submission_key"))
        ).first()
        if earlier is not None:  # sent twice: the first made it
            return redirect("applications:claim_detail", earlier.pk)
    try:
        check_can_claim(booking)
    except ClaimError as error:
        return _claim_not_possible(request, booking, error)

    if request.method == "GET":
        form = claim_forms.ClaimForm(
            meeting=meeting, initial={"submission_key": uuid.uuid4(), "expense_rows": 1}
        )
        expense_forms = (
            [claim_forms.ExpenseForm(prefix="expense-0")] if opportunity.expenses_paid else []
        )
        return _claim_form_page(request, booking, form, expense_forms)

    draft_key = _claim_draft_key(request)
    form = claim_forms.ClaimForm(request.POST, meeting=meeting)
    rows = _posted_rows(request.POST) if opportunity.expenses_paid else 0
    expense_forms = _expense_forms(request, rows, draft_key)
    valid = form.is_valid()
    valid = all([f.is_valid() for f in expense_forms]) and valid
    # Every good new receipt is kept now, so nothing below can lose it.
    for f in expense_forms:
        checked = f.cleaned_data.get("receipt")
        if checked:
            f.kept.append(Receipt.keep(checked, draft_key=draft_key))

    if "remove_receipt" in request.POST:
        gone = request.POST.get("remove_receipt", "")
        for f in expense_forms:
            for receipt in [r for r in f.kept if str(r.pk) == gone]:
                f.kept.remove(receipt)
                Receipt.objects.filter(pk=receipt.pk).delete_with_files()
        _only_upload_errors([form, *expense_forms])
        return _claim_form_page(request, booking, form, expense_forms, rows=rows)
    if "add_expense" in request.POST:
        _only_upload_errors([form, *expense_forms])
        if rows < claim_forms.MOST_EXPENSE_ROWS:
            expense_forms.append(claim_forms.ExpenseForm(prefix=f"expense-{rows}"))
            rows += 1
        return _claim_form_page(request, booking, form, expense_forms, rows=rows, added=True)

    used = [f for f in expense_forms if not f.is_empty()]
    if valid and not used and form.cleaned_data["payment"] == 0:
        form.add_error(None, (
            "There is nothing to claim: you have not added any expenses"
            + (", and you do not want the involvement payment." if form.pays else ".")
        ))
        valid = False
    if not valid:
        return _claim_form_page(request, booking, form, expense_forms, rows=rows, status=400)

    data = form.cleaned_data
    try:
        claim, _made = make_claim(
            booking, submission_key=data["submission_key"], draft_key=draft_key,
            payment=data["payment"], payment_declined=data.get("decline_payment", False),
            hours=data.get("hours"), preparation_hours=data.get("preparation_hours"),
            declaration_name=data["declaration_name"],
            expenses=[
                ({name: f.cleaned_data[name] for name in
                  ("kind", "description", "amount", "miles", "reason")}, f.kept)
                for f in used
            ],
        )
    except ClaimError as error:  # claimed in another tab meanwhile, or attendance changed
        return _claim_not_possible(request, booking, error)
    request.session[CLAIM_MADE_SESSION_KEY] = claim.pk
    return redirect("applications:claim_detail", claim.pk)


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _claim_not_possible(request, booking, error):
    claim = Claim.objects.filter(booking=booking).first()
    return render(
        request, "applications/my_involvement/claim_not_possible.html",
        {"booking": booking, "reason": error.messages[0], "claim": claim},
    )


def _claim_form_page(request, booking, form, expense_forms, *, rows=None, added=False,
                     status=200):
    opportunity = booking.meeting.opportunity
    rows = len(expense_forms) if rows is None else rows
    form.data = form.data.copy() if form.is_bound else form.data
    if form.is_bound:
        form.data["expense_rows"] = str(rows)
    return render(
        request, "applications/my_involvement/claim_form.html",
        {
            "booking": booking, "meeting": booking.meeting, "opportunity": opportunity,
            "level": opportunity.payment_level, "form": form,
            "expense_forms": expense_forms, "expense_rows": rows,
            "more_rows": rows < claim_forms.MOST_EXPENSE_ROWS,
            "any_errors": bool(form.errors) or any(f.errors for f in expense_forms),
            "added": added,
            "preparation_limit": (
                hours_text(form.level.preparation_hours_limit)
                if form.asks_preparation and form.level.preparation_hours_limit is not None
                else None
            ),
        },
        status=status,
    )


def _my_claim(email, pk):
    return get_object_or_404(
        Claim.objects.for_person(email).select_related("booking__meeting__opportunity"), pk=pk
    )


@never_cache
@require_http_methods(["GET", "POST"])
def claim_detail(request, pk):
    """One of their claims: what it is for, its receipts, its history, and, when the team has
    a question about it, the question and a box to answer it."""
    email = _signed_in_or_404(request)
    claim = _my_claim(email, pk)
    expenses = list(claim.expenses.prefetch_related("receipts"))
    form = claim_forms.AnswerForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        expenses=expenses,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():
                    event = claim.step("answer", message=form.cleaned_data["message"])
                    # After the step, which is what may be refused: a refused answer writes
                    # no file.
                    expense = form.receipt_expense()
                    if expense is not None:
                        Receipt.keep(form.cleaned_data["receipt"], expense=expense)
                    queue_claim_email(event)
            except ClaimError as error:
                form.add_error("message", error.messages[0])
            else:
                messages.success(request, "Your answer has been sent to the involvement team.")
                return redirect("applications:claim_detail", claim.pk)
        status = 400
    events = list(claim.events.all())
    question = None
    if claim.status == Claim.Status.QUERIED:
        question = next((e for e in reversed(events) if e.action == ClaimEvent.Action.QUERY),
                        None)
    just_made = request.session.pop(CLAIM_MADE_SESSION_KEY, None) == claim.pk
    claim.status_text = CLAIM_STATUS_FOR_PERSON[claim.status]
    return render(
        request, "applications/my_involvement/claim_detail.html",
        {
            "claim": claim, "meeting": claim.booking.meeting,
            "expenses": expenses,
            "events": events, "question": question, "form": form, "just_made": just_made,
        },
        status=status,
    )


@never_cache
@require_safe
def claim_receipt(request, pk):
    """A receipt, to the person whose claim it is on (or who kept it, in this browser, on a
    claim form not yet sent). Anyone else, signed in or not, is told there is no such page."""
    email = _signed_in_or_404(request)
    mine = Receipt.objects.filter(expense__claim__in=Claim.objects.for_person(email))
    receipt = get_object_or_404(
        mine | Receipt.objects.kept_for(request.session.get(CLAIM_DRAFT_SESSION_KEY)), pk=pk
    )
    return receipt_response(receipt)


def _statement(email, year):
    """The claims sent to payroll in the UK tax year starting in April `year`: "paid" is put in
    a payroll export, on the day it was made (claims.ClaimExport)."""
    first, last = tax_year(datetime.date(year, 4, 6))
    zone = timezone.get_current_timezone()
    claims = list(
        Claim.objects.for_person(email).filter(
            export__made_at__gte=datetime.datetime.combine(first, datetime.time(), zone),
            export__made_at__lt=datetime.datetime.combine(
                last + datetime.timedelta(days=1), datetime.time(), zone),
        ).select_related("booking__meeting__opportunity", "export")
        .order_by("export__made_at", "pk")
    )
    return {
        "year": year, "first": first, "last": last, "claims": claims,
        "payments": sum((c.payment for c in claims), Decimal(0)),
        "expenses": sum((c.expenses_total for c in claims), Decimal(0)),
        "total": sum((c.total for c in claims), Decimal(0)),
    }


def _tax_year_or_404(year):
    if not 2000 <= year <= timezone.localdate().year + 1:
        raise Http404
    return year


@never_cache
@require_safe
def claims_statement(request, year):
    """What they were paid in one tax year, for their tax return or their benefits: involvement
    payments and expenses apart, each claim and the totals. Printable."""
    email = _signed_in_or_404(request)
    statement = _statement(email, _tax_year_or_404(year))
    name = (
        ExpressionOfInterest.objects.joined_by(email).order_by("-submitted_at")
        .values_list("full_name", flat=True).first()
    )
    return render(
        request, "applications/my_involvement/statement.html",
        {**statement, "email": email, "name": name},
    )


@never_cache
@require_safe
def claims_statement_csv(request, year):
    email = _signed_in_or_404(request)
    statement = _statement(email, _tax_year_or_404(year))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="involvement-payments-{year}-{year + 1}.csv"'
    )
    response.write(BYTE_ORDER_MARK)
    rows = [
        [c.reference, c.booking.meeting.display_title, c.booking.meeting.opportunity.title,
         long_date(c.booking.meeting.starts_at), long_date(c.export.made_at),
         c.payment, c.expenses_total, c.total]
        for c in statement["claims"]
    ]
    rows.append(["Total", "", "", "", "", statement["payments"], statement["expenses"],
                 statement["total"]])
    write_csv(
        response,
        ["Claim reference", "Meeting", "Group or role", "Meeting date", "Sent to payroll",
         "Involvement payment (£)", "Expenses (£)", "Total (£)"],
        rows,
    )
    return response
