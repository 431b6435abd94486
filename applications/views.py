import logging
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from opportunities.models import Opportunity

from .forms import ExpressionOfInterestForm
from .models import ExpressionOfInterest, InvalidMove
from .tasks import queue_expression_emails

logger = logging.getLogger(__name__)

SENT_SESSION_KEY = "sent_expression"


def _opportunity_for_form(request, slug):
    return get_object_or_404(
        Opportunity.objects.visible_to(request.user).select_related("programme"), slug=slug
    )


def _rate_limited(request):
    """True once this address has sent EXPRESSION_RATE_LIMIT expressions in the window.

    Only expressions that were saved count, so a person correcting mistakes is never blocked.
    """
    key = f"expression-rate:{request.META.get('REMOTE_ADDR', 'unknown')}"
    return cache.get(key, 0) >= settings.EXPRESSION_RATE_LIMIT


def _count_for_rate_limit(request):
    key = f"expression-rate:{request.META.get('REMOTE_ADDR', 'unknown')}"
    window = settings.EXPRESSION_RATE_LIMIT_WINDOW
    if cache.add(key, 1, window):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)


@never_cache
@require_http_methods(["GET", "POST"])
def express_interest(request, slug):
    opportunity = _opportunity_for_form(request, slug)
    if not opportunity.is_open:
        # A closed (or draft) opportunity has no form: its page says so.
        if request.method == "POST":
            messages.warning(request, "This opportunity has closed, so your form was not sent.")
        return redirect(opportunity)

    form = ExpressionOfInterestForm(
        request.POST if request.method == "POST" else None,
        opportunity=opportunity,
        initial={"submission_key": uuid.uuid4()},
    )
    blocked = None
    status = 200
    if request.method == "POST":
        if request.POST.get("website"):
            blocked = "honeypot"
            status = 400
        elif _rate_limited(request):
            blocked = "rate_limit"
            status = 429
        elif form.is_valid():
            expression = _save_once(form)
            _count_for_rate_limit(request)
            request.session[SENT_SESSION_KEY] = expression.reference
            return redirect("applications:interest_sent", slug=opportunity.slug)
        else:
            status = 400
    return render(
        request,
        "applications/interest_form.html",
        {"opportunity": opportunity, "form": form, "blocked": blocked},
        status=status,
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
def interest_sent(request, slug):
    reference = request.session.get(SENT_SESSION_KEY)
    expression = (
        ExpressionOfInterest.objects.select_related("opportunity")
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


@never_cache
@require_http_methods(["GET", "POST"])
def manage(request, token):
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
    return render(request, "applications/manage.html", {"expression": expression})
