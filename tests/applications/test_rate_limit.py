"""The limit on forms from one address (applications/rate_limit.py): atomic, counting each saved
form once, and never refusing the same form sent again."""

import threading

import pytest
from django.db import connection
from django.test import Client

from applications.models import ExpressionOfInterest
from tests.applications.test_interest_form import answers, form_url
from tests.factories import OpportunityFactory


@pytest.fixture
def opportunity(db):
    return OpportunityFactory(title="Patient flow", slug="patient-flow")


@pytest.mark.django_db
def test_the_same_form_sent_again_past_the_limit_shows_its_confirmation(
    client, opportunity, settings
):
    settings.EXPRESSION_RATE_LIMIT = 2
    sent = answers()
    client.post(form_url(opportunity), sent)
    client.post(form_url(opportunity), answers())

    again = client.post(form_url(opportunity), sent)

    # Saved the first time: the person is shown that, not "not sent, wait an hour".
    assert again.status_code == 302
    assert again["Location"].endswith("/patient-flow/interest/sent/")
    assert ExpressionOfInterest.objects.count() == 2
    # ...and it was not counted again: a new form is still the one over the limit.
    assert client.post(form_url(opportunity), answers()).status_code == 429


@pytest.mark.django_db
def test_the_same_form_sent_again_is_counted_once(client, opportunity, settings):
    settings.EXPRESSION_RATE_LIMIT = 2
    sent = answers()
    for _ in range(5):
        assert client.post(form_url(opportunity), sent).status_code == 302

    assert client.post(form_url(opportunity), answers()).status_code == 302
    assert client.post(form_url(opportunity), answers()).status_code == 429
    assert ExpressionOfInterest.objects.count() == 2


def send_at_once(opportunity, payloads):
    """POST every payload from its own thread (and database connection), all released
    together, from one address. Returns the status codes."""
    start = threading.Barrier(len(payloads))
    statuses = []
    lock = threading.Lock()

    def send(payload):
        client = Client(REMOTE_ADDR="203.0.113.9")
        start.wait()
        try:
            status = client.post(form_url(opportunity), payload).status_code
        finally:
            connection.close()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=send, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(statuses)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrency")
@pytest.mark.django_db(transaction=True)
def test_twenty_forms_at_once_never_get_more_than_the_limit_through(opportunity, settings):
    settings.EXPRESSION_RATE_LIMIT = 10

    statuses = send_at_once(opportunity, [answers() for _ in range(20)])

    assert statuses == [302] * 10 + [429] * 10
    assert ExpressionOfInterest.objects.count() == 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrency")
@pytest.mark.django_db(transaction=True)
def test_twenty_copies_of_one_form_at_once_make_one_record_and_no_refusal(
    opportunity, settings
):
    settings.EXPRESSION_RATE_LIMIT = 10
    same = answers()

    statuses = send_at_once(opportunity, [same] * 20)

    assert statuses == [302] * 20
    assert ExpressionOfInterest.objects.count() == 1
