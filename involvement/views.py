import logging

from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .models import PrivacyNotice

logger = logging.getLogger(__name__)


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


@never_cache
@require_safe
def healthz(request):
    """For the load balancer: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any database failure means "not healthy"
        # The detail goes to the log, never to whoever asked.
        logger.error("Health check: the database did not answer: %s", error)
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
