"""The visitor's address, behind none, one or two of the trust's proxies
(involvement/client_address.py), and the rate limit, django-axes and the security log that
use it."""

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory

from applications.models import ExpressionOfInterest
from involvement.client_address import client_address
from tests.factories import OpportunityFactory
from tests.public_forms import send_interest

PROXY = "10.0.0.5"  # the trust's nginx, as gunicorn sees it


def address(settings, count, forwarded=None, remote=PROXY):
    settings.TRUSTED_PROXY_COUNT = count
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **headers))


def test_with_no_trusted_proxy_forwarded_headers_are_ignored(settings):
    # Nobody can choose their own address by sending the header.
    assert address(settings, 0, "203.0.113.7", remote="198.51.100.1") == "198.51.100.1"


def test_behind_one_proxy_it_is_the_address_the_proxy_saw(settings):
    assert address(settings, 1, "203.0.113.7") == "203.0.113.7"


def test_behind_one_proxy_what_the_visitor_wrote_is_not_believed(settings):
    # The visitor sent "X-Forwarded-For: 1.2.3.4"; nginx appended the address it saw.
    assert address(settings, 1, "1.2.3.4, 203.0.113.7") == "203.0.113.7"


def test_behind_two_proxies_it_is_the_address_the_outer_one_saw(settings):
    # A CDN saw the visitor (203.0.113.7) and nginx saw the CDN (192.0.2.10).
    assert address(settings, 2, "1.2.3.4, 203.0.113.7, 192.0.2.10") == "203.0.113.7"


def test_a_request_that_skipped_the_outer_proxy_is_the_address_nginx_saw(settings):
    assert address(settings, 2, "203.0.113.7") == "203.0.113.7"


def test_a_request_straight_to_gunicorn_is_its_own_address(settings):
    assert address(settings, 1, None, remote="127.0.0.1") == "127.0.0.1"


def test_something_that_is_not_an_address_falls_back_to_the_proxy(settings):
    assert address(settings, 1, "1.2.3.4, <script>") == PROXY


def test_ipv6_addresses_are_kept_as_written(settings):
    assert address(settings, 1, "2001:db8::1") == "2001:db8::1"


# Through the whole portal ------------------------------------------------------------------


@pytest.fixture
def behind_the_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.EXPRESSION_RATE_LIMIT = 10


def from_visitor(number):
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"203.0.113.{number}"}


@pytest.mark.django_db
def test_twenty_visitors_behind_the_proxy_are_not_one_visitor(client, behind_the_proxy):
    opportunity = OpportunityFactory()

    statuses = [
        send_interest(client, opportunity, **from_visitor(n)).status_code
        for n in range(1, 21)
    ]

    assert statuses == [302] * 20
    assert ExpressionOfInterest.objects.count() == 20


@pytest.mark.django_db
def test_one_visitor_behind_the_proxy_is_still_limited(client, behind_the_proxy):
    opportunity = OpportunityFactory()

    statuses = [
        send_interest(client, opportunity, **from_visitor(7)).status_code
        for _ in range(11)
    ]

    assert statuses == [302] * 10 + [429]
    # ...however the visitor dresses up the header: nginx appends what it saw.
    spoofed = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "192.0.2.99, 203.0.113.7"}
    assert send_interest(client, opportunity, **spoofed).status_code == 429


@pytest.mark.django_db
def test_failed_sign_ins_behind_the_proxy_lock_out_only_that_visitor(
    client, behind_the_proxy, django_user_model, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STAFF_SIGN_IN_RETRY_WAIT = 0
    settings.REQUIRE_STAFF_TWO_FACTOR = False
    django_user_model.objects.create_user(
        "lead", "lead@example.nhs.uk", "a-long-test-password", is_staff=True
    )

    for _ in range(5):
        client.post(
            "/admin/login/", {"username": "lead", "password": "wrong-password"},
            **from_visitor(66),
        )

    [attempt] = AccessAttempt.objects.filter(username="lead")
    assert attempt.ip_address == "203.0.113.66"
    locked = client.post(
        "/admin/login/", {"username": "lead", "password": "a-long-test-password"},
        **from_visitor(66),
    )
    assert locked.status_code == 429
    # The member of staff at another address signs in.
    signed_in = client.post(
        "/admin/login/",
        {"username": "lead", "password": "a-long-test-password", "next": "/admin/"},
        **from_visitor(8),
    )
    assert signed_in.status_code == 302
