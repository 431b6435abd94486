from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from involvement.page_cache import cache_public_page, keep_out

from . import calendar as ics
from .feeds import ImpactFeed
from .forms import ImpactFilterForm, OpportunityFilterForm
from .glossary import Glossary
from .models import GlossaryTerm, ImpactRecord, ImpactUpdate, Meeting, Opportunity, Programme

PAGE_SIZE = 20
# How many "you said, we did" records the home page and an opportunity's page show.
LATEST_CHANGES = 3


@require_safe
@cache_public_page
def home(request):
    counts = dict.fromkeys(Opportunity.Kind.values, 0)
    counts.update(
        Opportunity.objects.open().order_by().values_list("kind").annotate(Count("pk"))
    )
    events = Meeting.objects.public_events().upcoming().select_related("opportunity", "site")[:3]
    changes = ImpactRecord.objects.published().newest_first()[:LATEST_CHANGES]
    return render(
        request,
        "opportunities/home.html",
        {"counts": counts, "events": events, "changes": changes, "glossary": Glossary.load()},
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
        .select_related("programme", "site", "payment_level")
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
            "changes": ImpactRecord.objects.published().about(opportunity)
            .newest_first()[:LATEST_CHANGES],
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


# "You said, we did" (opportunities/impact.py) ------------------------------------------------


def _impact_filter_form(request):
    # Built once a request: the page cache's key (below) and the view both need it.
    if hasattr(request, "impact_filter_form"):
        return request.impact_filter_form
    published = ImpactRecord.objects.published()
    programmes = list(
        Programme.objects.filter(impact_records__in=published)
        .distinct()
        .order_by("position", "name")
        .values_list("slug", "name")
    )
    years = sorted(
        {moment.year for moment in published.values_list("published_at", flat=True)},
        reverse=True,
    )
    request.impact_filter_form = ImpactFilterForm(
        request.GET, programmes=programmes, years=years
    )
    return request.impact_filter_form


def _impact_page_query(request):
    """The parameters the list understands, checked (see cache_public_page); a search too long
    to run is not kept, since its page is an error message."""
    form = _impact_filter_form(request)
    if not form.is_valid():
        return None
    kept = {name: value for name, value in form.cleaned_data.items() if value}
    page = request.GET.get("page", "")
    if page.isdigit() and page != "1":
        kept["page"] = page
    return sorted((name, str(value)) for name, value in kept.items())


@require_safe
@cache_public_page(query=_impact_page_query)
def impact_list(request):
    """What people's involvement has changed: published records, newest first, with filters."""
    form = _impact_filter_form(request)
    records = ImpactRecord.objects.published().select_related("programme")
    if form.is_valid():
        chosen = form.cleaned_data
        if chosen["q"]:
            records = records.search(chosen["q"])
        if chosen["programme"]:
            records = records.filter(programme__slug=chosen["programme"])
        if chosen["status"]:
            records = records.filter(status=chosen["status"])
        if chosen["year"]:
            records = records.filter(published_at__year=chosen["year"])
    page = Paginator(records.newest_first(), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "opportunities/impact_list.html",
        {"form": form, "page": page, "records": page.object_list, "glossary": Glossary.load(),
         "query_without_page": query.urlencode(), "fragment": "#results",
         "filtered": any(form.cleaned_data.get(name) for name in form.fields)
         if form.is_valid() else True},
    )


@require_safe
@cache_public_page
def impact_detail(request, slug):
    record = get_object_or_404(
        ImpactRecord.objects.published()
        .select_related("programme")
        .prefetch_related("opportunities", "lay_partners",
                          Prefetch("updates", queryset=ImpactUpdate.objects.filter(
                              published_at__isnull=False).order_by("on", "pk"),
                              to_attr="timeline")),
        slug=slug,
    )
    glossary = Glossary.load()
    # Rendered here, in reading order, so each term is explained at its first use on the page.
    return render(
        request,
        "opportunities/impact_detail.html",
        {
            "record": record,
            "text": {
                "programme": glossary.explain_inline(record.programme.name),
                "you_said": glossary.render(record.you_said),
                "we_did": glossary.render(record.we_did),
                "not_possible_reason": glossary.render(record.not_possible_reason),
            },
            "glossary": glossary,
            "named": [partner for partner in record.lay_partners.all() if partner.agreed],
        },
    )


@require_safe
@cache_public_page
def impact_year(request, year):
    """A year's "what changed", gathered by programme: printable, for the trust's annual
    reporting and for anyone who wants the whole picture."""
    records = list(
        ImpactRecord.objects.published()
        .filter(published_at__year=year)
        .select_related("programme")
        .order_by("programme__position", "programme__name", "published_at")
    )
    by_programme = {}
    for record in records:
        by_programme.setdefault(record.programme, []).append(record)
    counts = {status: 0 for status in ImpactRecord.Status}
    for record in records:
        counts[ImpactRecord.Status(record.status)] += 1
    return render(
        request,
        "opportunities/impact_year.html",
        {"year": year, "by_programme": by_programme, "count": len(records),
         "counts": [(status.label, count) for status, count in counts.items()],
         "glossary": Glossary.load()},
    )


impact_feed = require_safe(cache_public_page(ImpactFeed()))
