"""No personal data where it should not be: in the logs, in addresses, in error reports."""

import logging
import uuid

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.debug import ExceptionReporter

from applications.views import express_interest, register_for_event
from opportunities.models import Opportunity
from tests.factories import MeetingFactory, OpportunityFactory
from tests.public_forms import send_interest

pytestmark = pytest.mark.django_db

# Answers nobody would write by chance, so finding one anywhere means it leaked.
ANSWERS = {
    "full_name": "Zebedee Quillfeather",
    "email": "zebedee.quillfeather@example.com",
    "phone": "07700 900 417",
    "preferred_contact": "either",
    "age_band": "25_64",
    "connections": ["other"],
    "connection_other": "Quillfeather family carer",
    "why_interested": "Ward 7 looked after my aunt Philippa Quillfeather",
    "access_needs": ["other"],
    "access_needs_other": "Quillfeather hearing aid",
    "privacy_consent": "on",
}
PERSONAL = ["Quillfeather", "quillfeather", "07700 900 417", "Philippa"]


def leaked(text):
    return [value for value in PERSONAL if value in text]


def test_sending_interest_logs_nothing_personal_and_puts_nothing_in_the_address(
    client, caplog, django_capture_on_commit_callbacks
):
    opportunity = OpportunityFactory()

    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        mistake = send_interest(client, opportunity, {**ANSWERS, "email": "not an address"})
        sent = send_interest(client, opportunity, ANSWERS, follow=True)

    assert mistake.status_code == 400
    assert sent.redirect_chain and sent.status_code == 200
    # The logs had something to say (the expression was received and its emails sent)...
    assert "Expression of interest" in caplog.text
    # ...and none of it was the person's.
    assert leaked(caplog.text) == []
    for address, _status in sent.redirect_chain:
        assert leaked(address) == []


def test_registering_for_an_event_logs_nothing_personal(client, caplog,
                                                       django_capture_on_commit_callbacks):
    meeting = MeetingFactory(public_registration=True, capacity=5,
                             opportunity__kind=Opportunity.Kind.EVENT)
    url = reverse("applications:register_for_event", args=[meeting.pk])
    answers = {k: v for k, v in ANSWERS.items() if k not in ("preferred_contact",)}

    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**answers, "submission_key": str(uuid.uuid4())},
                               follow=True)

    assert response.redirect_chain, response.content.decode()[:2000]
    assert leaked(caplog.text) == []


@pytest.mark.parametrize("view", ["interest", "event"])
def test_an_error_report_never_carries_what_the_person_typed(view):
    """Error emails to ADMINS include the request's POST data unless the view marks it."""
    if view == "interest":
        opportunity = OpportunityFactory()
        request = RequestFactory().post("/", ANSWERS)
        run = lambda: express_interest(request, slug=opportunity.slug, step="name")  # noqa: E731
    else:
        meeting = MeetingFactory(public_registration=True,
                                 opportunity__kind=Opportunity.Kind.EVENT)
        request = RequestFactory().post("/", ANSWERS)
        run = lambda: register_for_event(request, pk=meeting.pk)  # noqa: E731
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request._dont_enforce_csrf_checks = True
    run()

    report = ExceptionReporter(request, RuntimeError, RuntimeError("boom"), None)
    text = report.get_traceback_text()

    assert "full_name" in text  # the POST section is there...
    assert leaked(text) == []  # ...with its values hidden


def _html_report_of_an_error_while_handling(email, exception_filter=None):
    """An error report (the HTML one, which shows each frame's local variables) for an
    exception raised where the person's answers are local variables, as they are in any
    traceback from the form views, on a request marked as the form views mark theirs."""
    import sys

    request = RequestFactory().post("/", {"email": email})
    request.sensitive_post_parameters = "__ALL__"  # what @sensitive_post_parameters() sets

    def save_expression(cleaned_data):
        address = cleaned_data["email"]  # noqa: F841  (a local, as in real code)
        raise RuntimeError("the database went away")

    try:
        save_expression({"email": email})
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
    if exception_filter is not None:
        reporter.filter = exception_filter
    return reporter.get_traceback_html()


def test_an_error_report_hides_every_local_variable_of_a_marked_request(settings):
    from django.views.debug import SafeExceptionReporterFilter

    settings.DEBUG = False  # error reports are sent with DEBUG off

    ours = _html_report_of_an_error_while_handling("zebedee@example.com")
    djangos = _html_report_of_an_error_while_handling(
        "zebedee@example.com", SafeExceptionReporterFilter()
    )

    assert "save_expression" in ours and "the database went away" in ours
    assert "zebedee" not in ours
    # Django's filter hides the POST values but shows the local variables: the test would
    # catch losing ours.
    assert "zebedee" in djangos
