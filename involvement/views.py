import logging
import sys
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import email_queue
from .models import PrivacyNotice

logger = logging.getLogger(__name__)

DATABASE_TASKS_BACKEND = "django_tasks_db.backend.DatabaseBackend"


def privacy_notice_context(notice, *, current, **extra):
    """What involvement/privacy.html needs to show one version of the privacy notice."""
    months, years = notice.retention(current=current)
    return {
        "notice": notice,
        "is_current": current,
        "retention_ended_months": months,
        "retention_lay_partner_years": years,
        **extra,
    }


@require_safe
def privacy(request):
    """The privacy notice in force now, with the earlier versions listed below it."""
    notice = PrivacyNotice.objects.current()
    if notice is None:
        raise Http404("No privacy notice has been published.")
    return render(
        request,
        "involvement/privacy.html",
        privacy_notice_context(notice, current=True, earlier_versions=notice.earlier_versions()),
    )


@require_safe
def privacy_version(request, version):
    """One published version, kept readable because people agreed to it. Drafts are not
    found here: staff preview them in the admin."""
    notice = get_object_or_404(PrivacyNotice.objects.published(), version=version)
    replaced_at = notice.when_replaced()
    if replaced_at is None:
        # The current version lives at /privacy/; this address will show it as an earlier
        # version once the next one is published, so the redirect is not permanent.
        return redirect("privacy")
    return render(
        request,
        "involvement/privacy.html",
        privacy_notice_context(notice, current=False, replaced_at=replaced_at),
    )


@require_safe
def accessibility(request):
    return render(request, "involvement/accessibility.html")


@require_safe
def robots(request):
    sitemap = request.build_absolute_uri("/sitemap.xml")
    lines = ["User-agent: *", "Disallow: /admin/", f"Sitemap: {sitemap}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@require_safe
def nhsuk_asset(request, path):
    """NHS.UK frontend's stylesheet asks for its icons at /assets/...; they are static files
    under nhsuk/assets/. Looked up when asked for, not when the URLs load, so `check` and
    `migrate` work before `collectstatic` has written the static files' manifest."""
    try:
        return redirect(static(f"nhsuk/assets/{path}"))
    except ValueError:  # not in the manifest: there is no such file
        raise Http404("No such asset.") from None


@require_safe
def favicon(request):
    return nhsuk_asset(request, "images/favicon.ico")


def server_error(request):
    """handler500. A database that does not answer (restarting, failing over) is a service
    that is briefly unavailable, not a fault in the page: the same "Sorry, there is a problem
    with the service" page, with 503 and a Retry-After, so browsers, the proxy and monitoring
    can tell the two apart. Rendered without a request context, so it needs no database."""
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        response = HttpResponse(loader.render_to_string("500.html"), status=503)
        response["Retry-After"] = "30"
        return response
    return defaults.server_error(request)


def _database_state():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any database failure means "not healthy"
        # The detail goes to the log, never to whoever asked.
        logger.error("Health check: the database did not answer: %s", error)
        return {"status": "down"}
    return {"status": "ok"}


def _cache_state():
    ping = getattr(cache, "ping", None)
    if ping is not None:
        answered = ping()
    else:  # the laptop's local-memory cache
        token = uuid.uuid4().hex
        cache.set("healthz", token, 10)
        answered = cache.get("healthz") == token
    if not answered:
        logger.warning("Health check: the cache did not answer.")
    return {"status": "ok" if answered else "down"}


def _email_queue_state():
    if settings.TASKS["default"]["BACKEND"] != DATABASE_TASKS_BACKEND:
        # On a laptop emails are sent at once, in the request: there is no queue to watch.
        return {"status": "not used"}
    # The worker and `check_email_queue` log a stalled queue; the load balancer asks every
    # few seconds, so this only reports it.
    state = email_queue.queue_state()
    return {
        "status": "stalled" if state["stalled"] else "ok",
        "waiting": state["waiting"],
        "oldest_unsent_seconds": state["oldest_waiting_seconds"],
    }


@never_cache
@require_safe
def healthz(request):
    """For the load balancer and for people: 503 when the database does not answer (nothing
    works without it), 200 otherwise. The JSON body names each part's state; "degraded" means
    the portal is serving everyone but something needs looking at (the cache is down, so pages
    are built without it, or the oldest unsent email has waited too long)."""
    database = _database_state()
    parts = {"database": database, "cache": _cache_state()}
    if database["status"] == "ok":
        parts["email_queue"] = _email_queue_state()
    else:
        parts["email_queue"] = {"status": "unknown"}
    if database["status"] != "ok":
        status = "down"
    elif parts["cache"]["status"] != "ok" or parts["email_queue"]["status"] == "stalled":
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse({"status": status, **parts}, status=503 if status == "down" else 200)
