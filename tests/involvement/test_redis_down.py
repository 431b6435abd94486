"""Losing Redis degrades the portal and never breaks it (involvement/cache.py).

Each test runs the cache on a Redis of its own (`own_redis` in tests/conftest.py), really
stopped part way through: the public pages, the forms, the links in emails and staff sign-in
keep working, pages are built without the cache, and it is used again once Redis is back.
"""

import logging

import pytest
from django.core.cache import cache
from django.urls import reverse

from applications.forms import INTEREST_STEPS
from applications.models import ExpressionOfInterest
from tests.factories import ExpressionOfInterestFactory, MeetingFactory, OpportunityFactory
from tests.public_forms import interest_url, send_interest

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"


@pytest.fixture
def opportunity():
    return OpportunityFactory(title="Patient flow", slug="patient-flow")


def public_pages(opportunity):
    return [
        reverse("opportunities:home"),
        reverse("opportunities:list"),
        reverse("opportunities:list") + "?kind=lay_partner",
        opportunity.get_absolute_url(),
        interest_url(opportunity, INTEREST_STEPS[0][0]),  # the form's first question
        reverse("opportunities:events"),
        reverse("opportunities:glossary"),
        reverse("opportunities:lay_partners"),
        reverse("privacy"),
    ]


def test_public_pages_are_built_without_the_cache_while_redis_is_down(
    client, own_redis, opportunity, django_assert_max_num_queries
):
    for url in public_pages(opportunity):
        assert client.get(url).status_code == 200, url

    own_redis.stop()

    for url in public_pages(opportunity):
        assert client.get(url).status_code == 200, url
    # Built each time, from the database, rather than failing.
    list_url = reverse("opportunities:list")
    client.get(list_url)
    with django_assert_max_num_queries(10) as queries:
        client.get(list_url)
    assert len(queries) > 0


def test_the_cache_is_used_again_once_redis_is_back(
    client, own_redis, opportunity, settings, django_assert_num_queries
):
    settings.CACHE_RETRY_SECONDS = 0  # asked again at the next call, not after a wait
    own_redis.stop()
    client.get(reverse("opportunities:list"))
    assert cache.is_down()
    own_redis.start()

    client.get(reverse("opportunities:list"))
    with django_assert_num_queries(0):
        assert client.get(reverse("opportunities:list")).status_code == 200
    assert not cache.is_down()


def test_forms_are_sent_while_redis_is_down_and_it_is_logged(
    client, own_redis, opportunity, caplog
):
    own_redis.stop()

    with caplog.at_level(logging.WARNING):
        response = send_interest(client, opportunity)

    assert response.status_code == 302
    assert response["Location"] == reverse("applications:interest_sent", args=[opportunity.slug])
    assert client.get(response["Location"]).status_code == 200
    assert ExpressionOfInterest.objects.count() == 1
    # The rate limit could not be applied (it fails open), and that is in the security log.
    events = [getattr(record, "security_event", None) for record in caplog.records]
    assert "rate-limit-unavailable" in events
    # Redis going down is logged once, not once per call.
    down = [r for r in caplog.records if "event=cache-down" in r.getMessage()]
    assert len(down) == 1


def test_the_links_in_emails_work_while_redis_is_down(client, own_redis):
    expression = ExpressionOfInterestFactory()
    meeting = MeetingFactory(opportunity=expression.opportunity)
    from applications.models import Booking

    booking = Booking.objects.create(
        meeting=meeting, expression=expression, status=Booking.Status.INVITED
    )
    own_redis.stop()

    assert client.get(expression.manage_path()).status_code == 200
    accept = reverse("applications:booking_respond", args=[booking.token("accept"), "accept"])
    assert client.get(accept).status_code == 200
    assert client.post(accept).status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_staff_can_sign_in_while_redis_is_down(client, own_redis, django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REQUIRE_STAFF_TWO_FACTOR = False
    django_user_model.objects.create_user(
        "lead", "lead@example.nhs.uk", PASSWORD, is_staff=True, is_superuser=True
    )
    own_redis.stop()

    response = client.post(
        "/admin/login/", {"username": "lead", "password": PASSWORD, "next": "/admin/"}
    )

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get(
        reverse("admin:applications_expressionofinterest_changelist")
    ).status_code == 200


def test_a_redis_that_does_not_answer_costs_requests_nothing_once_given_up_on(
    own_redis, settings
):
    """After one failure the cache is not asked again for CACHE_RETRY_SECONDS: every other call
    answers at once, as if the cache were empty, instead of each waiting for a timeout."""
    settings.CACHE_RETRY_SECONDS = 60
    own_redis.stop()

    assert cache.get("anything", "default") == "default"
    assert cache.is_down()
    own_redis.start()
    # Back, but not asked again until the retry time: still doing without.
    assert cache.get("anything", "default") == "default"
    assert cache.ping() is True  # /healthz asks Redis itself
    assert not cache.is_down()
