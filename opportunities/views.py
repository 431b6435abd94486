from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from involvement.page_cache import cache_public_page, keep_out

from . import calendar as ics
from .forms import OpportunityFilterForm
from .glossary import Glossary
from .models import GlossaryTerm, Meeting, Opportunity

PAGE_SIZE = 20


@require_safe
@cache_public_page
def home(request):
    counts = dict.fromkeys(Opportunity.Kind.values, 0)
    counts.update(
        Opportunity.objects.open().order_by().values_list("kind").annotate(Count("pk"))
    )
    events = Meeting.objects.public_events().upcoming().select_related("opportunity", "site")[:3]
    return render(
        request,
        "opportunities/home.html",
        {"counts": counts, "events": events, "glossary": Glossary.load()},
    )


@require_safe
@cache_public_page
def events(request):
    """Upcoming events anyone can register for, soonest first."""
    meetings = (
        Meeting.objects.public_events().upcoming().with_places()
        .select_related("opportunity", "site")
    )
    return render(
        request, "opportunities/events.html", {"events": meetings, "glossary": Glossary.load()}
    )


def _calendar_response(content, filename):
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@cache_public_page
def event_calendar(request, pk):
    """One public event's calendar file. Briefing and taster invitations carry theirs by
    email, with the joining details; a public file never has them."""
    meeting = get_object_or_404(
        Meeting.objects.public_events().select_related("opportunity", "site"), pk=pk
    )
    day = timezone.localtime(meeting.starts_at)
    return _calendar_response(
        ics.meeting_ics(meeting), f"{meeting.opportunity.slug}-{day:%Y-%m-%d}.ics"
    )


@require_safe
@cache_public_page
def events_feed(request):
    """A calendar people can subscribe to: every upcoming public event."""
    meetings = Meeting.objects.public_events().upcoming().select_related("opportunity", "site")
    return _calendar_response(
        ics.events_feed(meetings, f"{settings.TRUST_NAME}: events"), "events.ics"
    )


@require_safe
@cache_public_page(query=lambda request: OpportunityFilterForm.page_cache_query(request.GET))
def opportunity_list(request):
    # One query for every filter's choices, grouping the open opportunities by programme and
    # reading only the programme's slug, name and position (an earlier join with DISTINCT
    # sorted whole programme rows, descriptions and all: half the page's SQL time, bench/).
    options = Opportunity.objects.open().filter_options()
    filters = OpportunityFilterForm(request.GET, options=options)
    if filters.search_error:
        # A search the box cannot take is not run, and nothing is listed under it: a list of
        # everything under an error would read as the search's results.
        opportunities = Opportunity.objects.none()
    else:
        opportunities = filters.filter(Opportunity.objects.open()).select_related(
            "programme", "site"
        )
    page = Paginator(opportunities, PAGE_SIZE).get_page(request.GET.get("page"))
    response = render(
        request,
        "opportunities/list.html",
        {
            "filters": filters,
            "page": page,
            "removal_links": _removal_links(request.GET, filters),
            "query_without_page": _without(request.GET, "page"),
            "glossary": Glossary.load(),
        },
    )
    if filters.errors or request.GET.get("page", str(page.number)) != str(page.number):
        # Asked for a programme that does not exist or a page past the last: shown the
        # nearest real page, which is not kept under this address.
        keep_out(response)
    return response


def _without(query, name, value=None):
    """The query string without one parameter (or one value of it)."""
    query = query.copy()
    if value is None:
        query.pop(name, None)
    else:
        query.setlist(name, [v for v in query.getlist(name) if v != value])
    query.pop("page", None)
    return query.urlencode()


def _removal_links(query, filters):
    return [
        {"label": label, "query": _without(query, name, value)}
        for name, value, label in filters.active_filters()
    ]


@require_safe
@cache_public_page
def opportunity_detail(request, slug):
    opportunity = get_object_or_404(
        Opportunity.objects.visible_to(request.user)
        .with_lay_partner_counts()
        .select_related("programme", "site")
        .prefetch_related(
            Prefetch(
                "meetings",
                queryset=Meeting.objects.upcoming().with_places().select_related("site"),
                to_attr="upcoming_meetings",
            )
        ),
        slug=slug,
    )
    glossary = Glossary.load()
    # Rendered here, in reading order, so each term is explained at its first use on the page.
    text = {
        "summary": glossary.explain_inline(opportunity.summary),
        "description": glossary.render(opportunity.description),
        "what_you_would_do": glossary.render(opportunity.what_you_would_do),
        "when": glossary.explain_inline(opportunity.when),
        "preparation": glossary.render(opportunity.preparation),
    }
    return render(
        request,
        "opportunities/detail.html",
        {
            "opportunity": opportunity,
            "text": text,
            "terms_used": glossary.used_terms(),
            "contact": opportunity.contact(),
            "registration_dates": [
                meeting for meeting in opportunity.upcoming_meetings
                if meeting.public_registration
            ],
        },
    )


@require_safe
@cache_public_page
def lay_partners(request):
    lay_partner_roles = (
        Opportunity.objects.open()
        .filter(kind=Opportunity.Kind.LAY_PARTNER)
        .with_lay_partner_counts()
        .select_related("programme")
    )
    return render(
        request,
        "opportunities/lay_partners.html",
        {"roles": lay_partner_roles, "glossary": Glossary.load()},
    )


@require_safe
@cache_public_page
def glossary(request):
    return render(request, "opportunities/glossary.html", {"terms": GlossaryTerm.objects.all()})
