"""The limit on forms from one address (applications/rate_limit.py): atomic, counting each saved
form once, and never refusing the same form sent again."""

import threading

import pytest
from django.db import connection
from django.test import Client

from applications.forms import CHECK_ANSWERS
from applications.models import ExpressionOfInterest
from tests.factories import OpportunityFactory
from tests.public_forms import answer_questions, interest_answers, interest_url, send_data

ADDRESS = "203.0.113.9"


@pytest.fixture
def opportunity(db):
    return OpportunityFactory(title="Patient flow", slug="patient-flow")


def ready_to_send(opportunity, client=None):
    """A person's browser on "Check your answers", every page answered: (the client, what
    its "Send" posts)."""
    client = client or Client(REMOTE_ADDR=ADDRESS)
    check = answer_questions(client, opportunity, interest_answers())
    return client, send_data(check, interest_answers())


def send(opportunity, client, sent):
    return client.post(interest_url(opportunity, CHECK_ANSWERS), sent)


@pytest.mark.django_db
def test_the_same_form_sent_again_past_the_limit_shows_its_confirmation(opportunity, settings):
    settings.EXPRESSION_RATE_LIMIT = 2
    first = ready_to_send(opportunity)
    send(opportunity, *first)
    send(opportunity, *ready_to_send(opportunity))

    again = send(opportunity, *first)

    # Saved the first time: the person is shown that, not "not sent, wait an hour".
    assert again.status_code == 302
    assert again["Location"].endswith("/patient-flow/interest/sent/")
    assert ExpressionOfInterest.objects.count() == 2
    # ...and it was not counted again: a new form is still the one over the limit.
    assert send(opportunity, *ready_to_send(opportunity)).status_code == 429


@pytest.mark.django_db
def test_the_same_form_sent_again_is_counted_once(opportunity, settings):
    settings.EXPRESSION_RATE_LIMIT = 2
    same = ready_to_send(opportunity)
    for _ in range(5):
        assert send(opportunity, *same).status_code == 302

    assert send(opportunity, *ready_to_send(opportunity)).status_code == 302
    assert send(opportunity, *ready_to_send(opportunity)).status_code == 429
    assert ExpressionOfInterest.objects.count() == 2


@pytest.mark.django_db
def test_answering_the_question_pages_is_never_counted(opportunity, settings):
    settings.EXPRESSION_RATE_LIMIT = 1
    for _ in range(5):
        ready_to_send(opportunity)

    assert send(opportunity, *ready_to_send(opportunity)).status_code == 302


def send_at_once(opportunity, browsers):
    """Press "Send" in every (client, what it posts), each from its own thread (and database
    connection), all released together, from one address. Returns the status codes."""
    start = threading.Barrier(len(browsers))
    statuses = []
    lock = threading.Lock()

    def press_send(client, sent):
        start.wait()
        try:
            status = send(opportunity, client, sent).status_code
        finally:
            connection.close()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=press_send, args=browser) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(statuses)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrency")
@pytest.mark.django_db(transaction=True)
def test_twenty_forms_at_once_never_get_more_than_the_limit_through(opportunity, settings):
    settings.EXPRESSION_RATE_LIMIT = 10
    browsers = [ready_to_send(opportunity) for _ in range(20)]

    statuses = send_at_once(opportunity, browsers)

    assert statuses == [302] * 10 + [429] * 10
    assert ExpressionOfInterest.objects.count() == 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrency")
@pytest.mark.django_db(transaction=True)
def test_twenty_copies_of_one_form_at_once_make_one_record_and_no_refusal(
    opportunity, settings
):
    settings.EXPRESSION_RATE_LIMIT = 10
    client, sent = ready_to_send(opportunity)
    # Twenty presses of "Send" in the same browser (its session), all at the same moment.
    copies = []
    for _ in range(20):
        copy = Client(REMOTE_ADDR=ADDRESS)
        copy.cookies = client.cookies
        copies.append((copy, sent))

    statuses = send_at_once(opportunity, copies)

    assert statuses == [302] * 20
    assert ExpressionOfInterest.objects.count() == 1
