"""Security headers and cookies on every response.

In-process tests cover what does not depend on DEBUG; the production-only protections (HSTS,
Secure cookies, the HTTPS redirect) are switched on by `if not DEBUG:` when the settings module
is imported, and SecurityMiddleware reads its settings (HSTS, SSL redirect, nosniff,
Referrer-Policy) once, when it is created, not per request. So they are checked in a subprocess
started with production's environment, talking to the portal the way the trust's HTTPS proxy
does (X-Forwarded-Proto: https).
"""

import json
import os
import subprocess
import sys
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from tests.factories import ExpressionOfInterestFactory, OpportunityFactory
from tests.public_forms import answer_questions, interest_answers, send_interest

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]


def policy_of(response):
    """The Content-Security-Policy as {directive: [sources]}."""
    policy = {}
    for directive in response["Content-Security-Policy"].split(";"):
        name, *sources = directive.split()
        policy[name] = sources
    return policy


def assert_secure_headers(response):
    policy = policy_of(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    # Nothing inline or evaluated, anywhere: styles included.
    for sources in policy.values():
        assert not {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*"} & set(sources)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions


@pytest.fixture
def opportunity():
    return OpportunityFactory(title="Patient flow", slug="patient-flow")


@pytest.fixture
def expression(opportunity):
    return ExpressionOfInterestFactory(opportunity=opportunity)


def every_kind_of_response(client, opportunity, expression):
    """(what, response) for pages, errors, redirects, text and XML, and the admin."""
    yield "home", client.get(reverse("opportunities:home"))
    yield "list", client.get(reverse("opportunities:list"), {"q": "flow"})
    yield "detail", client.get(opportunity.get_absolute_url())
    form = reverse("applications:interest_step", args=[opportunity.slug, "name"])
    yield "form", client.get(form)
    yield "form with errors", client.post(form, {})
    yield "manage", client.get(expression.manage_path())
    yield "withdrawn (redirect)", client.post(expression.withdraw_path())
    yield "privacy", client.get(reverse("privacy"))
    yield "not found", client.get("/no-such-page/")
    yield "method not allowed", client.put(form)
    yield "healthz", client.get(reverse("healthz"))
    yield "robots", client.get(reverse("robots"))
    yield "sitemap", client.get(reverse("sitemap"))
    yield "csrf failure", Client(enforce_csrf_checks=True).post(form, {})
    yield "admin login", client.get(reverse("admin:login"))
    yield "admin (redirect to sign in)", client.get(reverse("admin:index"))


def test_every_response_carries_the_security_headers(client, opportunity, expression):
    seen = set()
    for what, response in every_kind_of_response(client, opportunity, expression):
        seen.add(response.status_code)
        try:
            assert_secure_headers(response)
        except (AssertionError, KeyError) as error:
            raise AssertionError(f"{what} ({response.status_code}): {error!r}") from error
    assert {200, 302, 400, 403, 404, 405} <= seen


def test_the_admin_has_the_same_policy_with_nothing_relaxed(staff_client, expression):
    for url in [
        reverse("admin:index"),
        reverse("admin:applications_expressionofinterest_changelist"),
        reverse("admin:applications_expressionofinterest_change", args=[expression.pk]),
        reverse("admin:opportunities_opportunity_change", args=[expression.opportunity.pk]),
        reverse("admin:opportunities_opportunity_add"),
    ]:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert_secure_headers(response)


def test_never_cache_means_no_store():
    response = HttpResponse()
    add_never_cache_headers(response)

    assert "no-store" in response["Cache-Control"].split(", ")


def no_store(response):
    return "no-store" in [part.strip() for part in response["Cache-Control"].split(",")]


def test_personal_pages_are_never_stored(client, opportunity, expression):
    form = reverse("applications:interest_step", args=[opportunity.slug, "name"])
    responses = {
        "form": client.get(form),
        "form with errors": client.post(form, {"full_name": ""}),
        "a question answered (redirect)": client.post(form, {"full_name": "Siobhán"}),
        "manage": client.get(expression.manage_path()),
        "withdraw": client.post(expression.withdraw_path()),
        "manage, broken link": client.get(
            reverse("applications:manage", args=["not-a-token"])
        ),
    }
    responses["check your answers"] = answer_questions(
        client, opportunity, interest_answers(why_interested="To help.")
    )
    assert responses["check your answers"].status_code == 200
    sent = send_interest(client, opportunity, interest_answers(why_interested="To help."))
    assert sent.status_code == 302
    responses["form sent (redirect)"] = sent
    responses["confirmation"] = client.get(sent["Location"])
    assert responses["confirmation"].status_code == 200

    for what, response in responses.items():
        assert no_store(response), (what, response.get("Cache-Control"))


def test_the_whole_admin_is_never_stored(client, staff_client, expression):
    anonymous = {
        "login": client.get(reverse("admin:login")),
        "login with errors": client.post(
            reverse("admin:login"), {"username": "nobody", "password": "wrong"}
        ),
        "index, signed out (redirect)": client.get(reverse("admin:index")),
        "admin 404": client.get("/admin/no-such-page/"),
    }
    signed_in = {
        url: staff_client.get(url)
        for url in [
            reverse("admin:index"),
            reverse("admin:applications_expressionofinterest_changelist"),
            reverse("admin:applications_expressionofinterest_change", args=[expression.pk]),
            reverse("admin:opportunities_opportunity_change", args=[expression.opportunity.pk]),
            reverse("admin:jsi18n"),
        ]
    }
    for what, response in {**anonymous, **signed_in}.items():
        assert response["Cache-Control"] == "no-store", (what, response.get("Cache-Control"))


def test_public_pages_without_personal_data_may_be_cached(client, opportunity):
    # no-store only where it is needed: the list and detail pages stay cacheable.
    for url in [reverse("opportunities:list"), opportunity.get_absolute_url()]:
        response = client.get(url)
        assert not response.has_header("Cache-Control") or not no_store(response), url


def test_cookies_are_httponly_and_samesite(client, opportunity):
    # What does not depend on DEBUG; Secure is checked with production settings below.
    form = reverse("applications:interest_step", args=[opportunity.slug, "name"])
    csrf = client.get(form).cookies["csrftoken"]
    sent = send_interest(client, opportunity, interest_answers(why_interested="To help."))
    session = sent.cookies["sessionid"]

    for cookie in (csrf, session):
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"


# --- Production settings, in a subprocess ----------------------------------------------------

PRODUCTION_REQUESTS = r"""
import json, sys

import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)

from django.test import Client
from tests.factories import OpportunityFactory
from tests.public_forms import interest_answers, send_interest

opportunity = OpportunityFactory(slug="patient-flow")
host = "involvement.example.nhs.uk"
https = Client(HTTP_HOST=host, headers={"X-Forwarded-Proto": "https"})
http = Client(HTTP_HOST=host)

def seen(response):
    return {
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": {name: morsel.OutputString() for name, morsel in response.cookies.items()},
    }

out = {
    "home": seen(https.get("/")),
    "form": seen(https.get("/opportunities/patient-flow/interest/name/")),
    "sent": seen(send_interest(https, opportunity, interest_answers(why_interested="To help."))),
    "admin login": seen(https.get("/admin/login/")),
    "plain http": seen(http.get("/opportunities/?q=flow")),
    "healthz over plain http": seen(http.get("/healthz")),
}
json.dump(out, sys.stdout)
"""


def production_environment(tmp_path, **overrides):
    """The environment the README gives for production, with nothing from this process."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(BASE_DIR),
        "DJANGO_SETTINGS_MODULE": "involvement.settings",
        "DEBUG": "false",
        "SECRET_KEY": "k" * 20 + "-production-like-secret-key-for-the-deploy-check-0123456789",
        "ALLOWED_HOSTS": "involvement.example.nhs.uk",
        "CSRF_TRUSTED_ORIGINS": "https://involvement.example.nhs.uk",
        "DATABASE_URL": "postgres://involvement:secret@db.example.nhs.uk:5432/involvement",
        "CACHE_URL": "redis://cache.example.nhs.uk:6379/1",
        "EMAIL_URL": "smtp+tls://portal:secret@smtp.example.nhs.uk:587",
        "SITE_URL": "https://involvement.example.nhs.uk",
        "TASKS_BACKEND": "django_tasks_db.backend.DatabaseBackend",
        # The manifest of hashed static file names only exists after `collectstatic`, which
        # these tests do not run; everything else is production's.
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}  # None: unset


def run_production(tmp_path, args, **overrides):
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=production_environment(tmp_path, **overrides),
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("production")
    result = run_production(
        tmp_path,
        ["-c", PRODUCTION_REQUESTS],
        # A database of its own, and the cache in memory: this run must not touch the
        # database or cache the test suite uses.
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
        CACHE_URL="locmemcache://production",
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def cookie_flags(set_cookie):
    cookie = SimpleCookie()
    cookie.load(set_cookie)
    [morsel] = cookie.values()
    return morsel


def test_production_sends_hsts_for_a_year_with_subdomains(production):
    for what in ("home", "form", "sent", "admin login"):
        headers = production[what]["headers"]
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains", what
        assert "Content-Security-Policy" in headers, what
        assert headers["X-Content-Type-Options"] == "nosniff", what


def test_production_cookies_are_secure_httponly_and_samesite(production):
    csrf = cookie_flags(production["form"]["cookies"]["csrftoken"])
    session = cookie_flags(production["sent"]["cookies"]["sessionid"])
    assert production["sent"]["status"] == 302

    for cookie in (csrf, session):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"


def test_production_redirects_plain_http_to_https(production):
    plain = production["plain http"]
    assert plain["status"] == 301
    assert plain["headers"]["Location"] == "https://involvement.example.nhs.uk/opportunities/?q=flow"
    assert "Strict-Transport-Security" not in plain["headers"]  # only ever sent over HTTPS


def test_production_answers_the_health_check_over_plain_http(production):
    # The load balancer may check over plain HTTP: a redirect would read as "down".
    health = production["healthz over plain http"]
    assert health["status"] == 200
    assert "no-store" in health["headers"]["Cache-Control"]
