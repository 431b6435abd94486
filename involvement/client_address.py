"""The visitor's internet address: the one place that reads REMOTE_ADDR or forwarded headers.

Behind the trust's proxy every request comes from the proxy, so REMOTE_ADDR names the proxy, not
the visitor; counting forms or failed sign-ins per REMOTE_ADDR then counts the whole public as
one person. Each proxy appends the address it was sent the request from to X-Forwarded-For, so
with N proxies of ours in front of the portal, the last N entries were written by them and the
N-th from the right is the visitor. Entries further left were written by whoever sent the
request, and anyone can write anything there: they are never read.

TRUSTED_PROXY_COUNT says how many proxies are ours:
- 0 (the default): nothing in front, or nothing trusted. REMOTE_ADDR is the visitor, and
  forwarded headers are ignored, so nobody can choose their own address by sending one.
- 1: the trust's nginx (deploy/nginx/involvement.conf) in front of gunicorn.
- 2: a CDN or load balancer in front of nginx, and so on.

The expressions-of-interest rate limit, django-axes (AXES_CLIENT_IP_CALLABLE) and the security
log all call `client_address`, so the lock, the limit and the log always agree.
"""

import ipaddress

from django.conf import settings


def _valid(address):
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_address(request):
    """The visitor's address as a string, or None for a request that has none (a hand-made
    request in a shell)."""
    remote = _valid(request.META.get("REMOTE_ADDR") or "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = [
        part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if not forwarded:
        # Nothing forwarded it: a request straight to gunicorn (a health check on the machine).
        return remote
    # Fewer entries than proxies means the request skipped the outer ones (it reached nginx
    # directly): the leftmost entry is then the one our nearest proxy wrote.
    entry = forwarded[-trusted] if len(forwarded) >= trusted else forwarded[0]
    # A proxy that wrote something other than an address is misconfigured: fall back to the
    # address that connected, which at worst counts everyone behind it together.
    return _valid(entry) or remote
