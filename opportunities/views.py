from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, render

from .forms import OpportunityFilterForm
from .glossary import Glossary
from .models import GlossaryTerm, Meeting, Opportunity, Programme

PAGE_SIZE = 20


def home(request):
    counts = dict.fromkeys(Opportunity.Kind.values, 0)
    counts.update(
        Opportunity.objects.open().order_by().values_list("kind").annotate(Count("pk"))
    )
    events = (
        Meeting.objects.public_events()
        .upcoming()
        .select_related("opportunity")[:3]
    )
    return render(request, "opportunities/home.html", {"counts": counts, "events": events})


def opportunity_list(request):
    programmes = list(Programme.objects.filter(opportunities__status="open").distinct())
    filters = OpportunityFilterForm(request.GET, programmes=programmes)
    opportunities = filters.filter(Opportunity.objects.open()).select_related("programme")
    page = Paginator(opportunities, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "opportunities/list.html",
        {
            "filters": filters,
            "page": page,
            "removal_links": _removal_links(request.GET, filters),
            "query_without_page": _without(request.GET, "page"),
        },
    )


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


def opportunity_detail(request, slug):
    opportunity = get_object_or_404(
        Opportunity.objects.visible_to(request.user)
        .with_lay_partner_counts()
        .select_related("programme")
        .prefetch_related(
            Prefetch("meetings", queryset=Meeting.objects.upcoming(), to_attr="upcoming_meetings")
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
        },
    )


def lay_partners(request):
    lay_partner_roles = (
        Opportunity.objects.open()
        .filter(kind=Opportunity.Kind.LAY_PARTNER)
        .with_lay_partner_counts()
        .select_related("programme")
    )
    return render(request, "opportunities/lay_partners.html", {"roles": lay_partner_roles})


def glossary(request):
    return render(request, "opportunities/glossary.html", {"terms": GlossaryTerm.objects.all()})
