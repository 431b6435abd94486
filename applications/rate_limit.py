"""How many forms one internet address may send: EXPRESSION_RATE_LIMIT in
EXPRESSION_RATE_LIMIT_WINDOW seconds, generous for a person or a family, tight for a bot.

What counts: only a valid form about to be saved, so a person correcting mistakes is never
blocked. The same form sent again (a double click, a refresh, back and resend: its hidden
submission key is the same) is counted once, however many times it arrives, even all at once.

Counting is atomic: a place is taken with Redis's INCR before the form is saved, and given back
if it was over the limit, so twenty forms sent at the same moment never get more than the limit
through between them (a read, then a later write, would let them all see room).

The address is `client_address`, which knows the proxies in front (TRUSTED_PROXY_COUNT).

While the cache is down the limit is not applied ("fails open"), and each form let through so
is logged as `event=rate-limit-unavailable`: refusing every member of the public because an
internal cache is down would be worse than the few extra forms a bot could send meanwhile, and
the hidden box that bots fill in still stops most of them.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from involvement import security
from involvement.cache import CacheUnavailable
from involvement.client_address import client_address


def _address_key(request):
    return f"expression-rate:{client_address(request) or 'unknown'}"


def _claim_key(submission_key):
    return f"expression-rate-claim:{submission_key}"


def _cache_is_down():
    is_down = getattr(cache, "is_down", None)
    return bool(is_down and is_down())


def _without_limit(request):
    security.log_event("rate-limit-unavailable", request, level=logging.WARNING)
    return Place(allowed=True)


@dataclass(frozen=True)
class Place:
    allowed: bool
    # Whether this send was counted, and so has something to give back if it is not saved.
    counted: bool = False


def take_place(request, submission_key=None):
    """Count this send and say whether it may go ahead (`Place.allowed`)."""
    window = settings.EXPRESSION_RATE_LIMIT_WINDOW
    key = _address_key(request)
    if submission_key is not None:
        claimed = cache.add(_claim_key(submission_key), 1, window)
        if _cache_is_down():
            return _without_limit(request)
        if not claimed:
            # Counted already: this is the same form again, and it finds the saved one.
            return Place(allowed=True)
    try:
        cache.add(key, 0, window)
        count = cache.incr(key)
    except CacheUnavailable:
        return _without_limit(request)
    except ValueError:
        # The count expired between add and incr: this send starts a new window.
        cache.set(key, 1, window)
        count = 1
    if count <= settings.EXPRESSION_RATE_LIMIT:
        return Place(allowed=True, counted=True)
    give_back(request, submission_key)
    return Place(allowed=False)


def give_back(request, submission_key=None):
    """Undo a counted `take_place`, for a send that was refused or not saved after all."""
    try:
        cache.decr(_address_key(request))
    except (CacheUnavailable, ValueError):
        pass  # gone or unreachable: nothing to give back
    if submission_key is not None:
        cache.delete(_claim_key(submission_key))
