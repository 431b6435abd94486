"""Whole public pages, kept in the cache for people who are not signed in.

Why: the profiler (bench/profile.py) showed the opportunity list and an opportunity page spend
almost all their time rendering templates (NHS.UK markup, glossary links), not in the database.
The same few pages are asked for again and again and change only when staff edit something, so
a page built once is served from Redis until then.

What is safe to keep, and for whom:
- Only GET and HEAD, and only for a request with no session cookie and no messages cookie: staff
  (who see drafts) and anyone with a one-off message or something of their own in the session
  always get a page built for them. Nothing is ever stored for them either.
- Only a 200 response that sets no cookie and did not use a CSRF token. A page with a form (its
  token is the visitor's own) is therefore never stored, even if a view here is given one.
- Public pages hold no personal data: names and contact details never appear on them.

Keeping it right: every page is kept with a "generation" that is replaced whenever something a
public page shows is saved or deleted (programmes, opportunities, meetings, glossary terms,
bookings, and a lay partner joining or leaving), at once and again when the transaction
commits, so a page rebuilt by a request that ran in between is thrown away too. A page kept
under another generation than the current one is never served; the generation and the page
come back from Redis in one round trip.
Admin actions that use `QuerySet.update()`, which sends no signals, call `forget_public_pages()`.
PUBLIC_PAGE_CACHE_SECONDS bounds what changes with the clock alone: a meeting that has started
leaves "upcoming" at most that long after.

Keys nobody can multiply: a page is kept under its path and the query parameters its view
understands, checked and in a fixed order (`cache_public_page(query=...)`), never the raw query
string, so `?utm_source=...` or a scanner's random parameters get the one kept page instead of
each storing another. Redis runs with a `maxmemory` and LRU eviction besides (deploy/). If
Redis does not answer, every page is simply built (involvement/cache.py).
"""

import hashlib
import uuid
from functools import partial, wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, QueryDict

GENERATION_KEY = "public-pages:generation"
# Kept with the page, so a stored page is rebuilt if this file's idea of a page changes.
FORMAT = 2


def _generation():
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        # add(), not set(): two workers starting together agree on one generation.
        if not cache.add(GENERATION_KEY, generation, timeout=None):
            generation = cache.get(GENERATION_KEY) or generation
    return generation


def _lookup(key):
    """The generation now, and what is kept under `key` if it was built in this generation:
    one round trip to the cache, as the generation is kept with the page, not in its key."""
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY) or _generation()
    kept = found.get(key)
    if kept is not None and kept[0] == generation:
        return generation, kept[1]
    return generation, None


def _replace_generation():
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def forget_public_pages(**kwargs):
    """Throw away every stored public page. Also a signal receiver, hence **kwargs."""
    _replace_generation()
    # A request that read the old rows after this point but stored its page before the
    # transaction committed would have put a stale page under the new generation.
    transaction.on_commit(_replace_generation)


def _cacheable(request):
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def _key(request):
    address = f"{request.scheme}://{request.get_host()}{request.path}?{request.GET.urlencode()}"
    digest = hashlib.sha256(address.encode()).hexdigest()
    return f"public-page:{FORMAT}:{digest}"


def keep_out(response):
    """Mark a response as not to be kept: the view found its query string asked for something
    that does not exist (an unknown programme, a page past the last), so it is not a real page
    and must not take a place in the cache."""
    response.keep_out_of_public_cache = True
    return response


def _storable(request, response):
    return (
        request.method == "GET"
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not getattr(response, "keep_out_of_public_cache", False)
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not getattr(getattr(request, "session", None), "modified", False)
    )


def _canonical_query(pairs):
    query = QueryDict(mutable=True)
    for name, value in pairs:
        query.appendlist(name, value)
    query._mutable = False
    return query


def cache_public_page(view=None, *, query=None):
    """Serve a public view from the cache to visitors who are not signed in (see above).

    A page's key is its path and the query parameters its view understands, and nothing else,
    so parameters nobody's page depends on (`?utm_source=...`, or random ones from a scanner)
    cannot multiply what is kept. A view that reads no parameters needs nothing more: any
    query string gets the page without one. A view that reads some gives `query`, a function
    of the request returning the parameters it understands, checked and in a fixed order, as
    (name, value) pairs, or None when the page should not be kept at all (a free-text search).
    The page is then built from exactly those parameters, so what is kept under a key is what
    that key says, whatever else the address carried.
    """
    if view is None:
        return partial(cache_public_page, query=query)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.PUBLIC_PAGE_CACHE_SECONDS or not _cacheable(request):
            return view(request, *args, **kwargs)
        pairs = query(request) if query is not None else []
        if pairs is None:
            return view(request, *args, **kwargs)
        request.GET = _canonical_query(pairs)
        key = _key(request)
        generation, kept = _lookup(key)
        if kept is not None:
            content, headers = kept
            return HttpResponse(content, headers=headers)
        # Built from what the database holds now, so kept under the generation read before:
        # if staff change something meanwhile, the generation moves on and this is not used.
        response = view(request, *args, **kwargs)
        if _storable(request, response):
            cache.set(
                key,
                (generation, (response.content, dict(response.headers))),
                timeout=settings.PUBLIC_PAGE_CACHE_SECONDS,
            )
        return response

    return wrapper


def _forget_if_lay_partner_counts_change(sender, instance, **kwargs):
    """Opportunity pages count the lay partners who joined through the portal. A new expression
    of interest, or a note or assignment on one, changes no public page; joining and leaving
    do. Every move is recorded as a StatusChange, so a move to or from "joined" is seen there,
    and an expression saved as "joined" (created so, or edited) is seen here."""
    joined = "joined"
    statuses = {getattr(instance, name, None) for name in ("status", "from_status", "to_status")}
    if joined in statuses:
        forget_public_pages()


def cached_fragment(name, build):
    """A part of a page kept with the public pages: `build()` once per generation, under `name`.
    For things the same for every visitor (see applications/templatetags/public_forms.py)."""
    if not settings.PUBLIC_PAGE_CACHE_SECONDS:
        return build()
    key = f"public-fragment:{FORMAT}:{name}"
    generation, fragment = _lookup(key)
    if fragment is None:
        fragment = build()
        cache.set(key, (generation, fragment), timeout=settings.PUBLIC_PAGE_CACHE_SECONDS)
    return fragment


def connect_signals():
    """Forget the stored pages when anything they show changes. Called from AppConfig.ready()."""
    from django.apps import apps
    from django.db.models.signals import m2m_changed, post_delete, post_save

    for label in (
        "opportunities.Programme",
        "opportunities.Opportunity",
        "opportunities.Meeting",
        "opportunities.GlossaryTerm",
        # Free places on events.
        "applications.Booking",
    ):
        model = apps.get_model(label)
        dispatch = f"forget_public_pages:{label}"
        post_save.connect(forget_public_pages, sender=model, dispatch_uid=dispatch + ":save")
        post_delete.connect(forget_public_pages, sender=model, dispatch_uid=dispatch + ":delete")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                forget_public_pages,
                sender=field.remote_field.through,
                dispatch_uid=f"{dispatch}:{field.name}",
            )
    for label in ("applications.ExpressionOfInterest", "applications.StatusChange"):
        for signal in (post_save, post_delete):
            signal.connect(
                _forget_if_lay_partner_counts_change,
                sender=apps.get_model(label),
                dispatch_uid=f"forget_public_pages:{label}:{signal is post_save}",
            )
