"""The production path, for real: the database task queue, the worker commands (django-tasks-db's
`db_worker` and the portal's `email_worker`, which production runs), and delivery through an
SMTP server listening on loopback. tests/involvement/test_email_worker.py puts `email_worker`
through database outages, kill -9 and SIGTERM."""

import email
import email.policy
import json
import signal

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from applications.tasks import queue_expression_emails
from tests.factories import ExpressionOfInterestFactory, OpportunityFactory
from tests.network import free_port

DATABASE_BACKEND = "django_tasks_db.backend.DatabaseBackend"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def database_tasks(settings):
    # Changing TASKS sends setting_changed, on which django_tasks drops the backends it has
    # built; the settings fixture puts TASKS back (and so drops them again) afterwards.
    settings.TASKS = {"default": {"BACKEND": DATABASE_BACKEND}}


@pytest.fixture
def opportunity():
    return OpportunityFactory(
        title="Renal patient panel", contact_email="renal.panel@example.nhs.uk"
    )


@pytest.fixture(params=["db_worker", "email_worker"])
def run_worker(request):
    """`manage.py db_worker --batch` (or `email_worker`): run everything queued, then exit."""
    # The worker installs its own SIGINT/SIGTERM handlers for a graceful shutdown; give
    # pytest its own back afterwards.
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def run():
        call_command(
            request.param, batch=True, reload=False, startup_delay=False, interval=0, verbosity=1
        )

    yield run
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def queue_for(opportunity, **fields):
    with transaction.atomic():
        expression = ExpressionOfInterestFactory(opportunity=opportunity, **fields)
        queue_expression_emails(expression)
    return expression


def test_the_worker_sends_what_was_queued(opportunity, mailoutbox, run_worker):
    expression = queue_for(
        opportunity, full_name="Kwame Mensah", email="kwame@example.com", phone="07700 900789"
    )

    # Queued, in the database, one task for each email, and nothing sent until a worker runs
    # them.
    confirmation, notification = rows = list(DBTaskResult.objects.order_by("enqueued_at"))
    for row in rows:
        assert row.status == TaskResultStatus.READY
        assert row.task_path == "applications.tasks.send_expression_emails"
    assert confirmation.args_kwargs == {"args": [expression.pk, ["confirmation"]], "kwargs": {}}
    assert notification.args_kwargs == {"args": [expression.pk, ["notification"]], "kwargs": {}}
    stored = json.dumps([row.args_kwargs for row in rows])
    for personal in ("Kwame", "kwame@example.com", "07700", expression.reference):
        assert personal not in stored
    assert mailoutbox == []

    run_worker()

    assert [message.to[0] for message in mailoutbox] == [
        "kwame@example.com", "renal.panel@example.nhs.uk",
    ]
    for row in rows:
        row.refresh_from_db()
        assert row.status == TaskResultStatus.SUCCESSFUL
        assert row.return_value == 1
        assert row.finished_at is not None


def test_a_rolled_back_transaction_queues_nothing(opportunity, mailoutbox, run_worker):
    with pytest.raises(RuntimeError), transaction.atomic():
        expression = ExpressionOfInterestFactory(opportunity=opportunity)
        queue_expression_emails(expression)
        raise RuntimeError("the form view failed after saving")

    assert not DBTaskResult.objects.exists()
    run_worker()
    assert mailoutbox == []


def test_an_expression_erased_while_queued_is_not_emailed(opportunity, mailoutbox, run_worker):
    expression = queue_for(opportunity)
    expression.delete()

    run_worker()

    assert mailoutbox == []
    rows = DBTaskResult.objects.all()
    assert len(rows) == 2  # the confirmation's task and the notification's
    for row in rows:
        assert row.status == TaskResultStatus.SUCCESSFUL
        assert row.return_value == 0


# A real SMTP server on loopback.


class Recorder:
    """An aiosmtpd handler that keeps what it receives, and can refuse one address."""

    def __init__(self, refuse=None):
        self.refuse = refuse
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(send_by_smtp):
    servers = []

    def start(**handler_options):
        handler = Recorder(**handler_options)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        servers.append(controller)
        send_by_smtp(controller.port)
        return handler

    yield start
    for controller in servers:
        controller.stop()


def plain_text(envelope):
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    return message, message.get_body(("plain",)).get_content()


def test_emails_are_delivered_through_a_real_smtp_server(opportunity, smtp_server, run_worker):
    server = smtp_server()
    expression = queue_for(opportunity, email="amina@example.com")

    run_worker()

    assert len(server.envelopes) == 2
    by_recipient = {tuple(envelope.rcpt_tos): envelope for envelope in server.envelopes}
    assert set(by_recipient) == {("amina@example.com",), ("renal.panel@example.nhs.uk",)}
    for envelope in server.envelopes:
        assert envelope.mail_from == settings.DEFAULT_FROM_EMAIL
        message, text = plain_text(envelope)
        assert expression.reference in text
        assert message.get_body(("html",)) is not None
    confirmation, text = plain_text(by_recipient[("amina@example.com",)])
    assert confirmation["Subject"] == "We have your expression of interest: Renal patient panel"
    assert confirmation["Reply-To"] == "renal.panel@example.nhs.uk"
    assert settings.SITE_URL + "/interest/manage/" in text
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == [
        TaskResultStatus.SUCCESSFUL, TaskResultStatus.SUCCESSFUL,
    ]


def test_a_refused_address_fails_its_task_without_recording_the_address(
    opportunity, smtp_server, caplog, run_worker
):
    server = smtp_server(refuse="no.such.person@example.com")
    expression = queue_for(opportunity, email="no.such.person@example.com")

    with caplog.at_level("INFO"):
        run_worker()

    # The staff notification still goes, so someone can follow it up by phone.
    [envelope] = server.envelopes
    assert envelope.rcpt_tos == ["renal.panel@example.nhs.uk"]
    row, notification = DBTaskResult.objects.order_by("enqueued_at")
    assert row.args_kwargs["args"] == [expression.pk, ["confirmation"]]
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == "applications.tasks.ExpressionEmailError"
    assert f"id={expression.pk}" in row.traceback
    assert "confirmation (SMTPRecipientsRefused (550))" in row.traceback
    assert notification.args_kwargs["args"] == [expression.pk, ["notification"]]
    assert notification.status == TaskResultStatus.SUCCESSFUL
    assert notification.return_value == 1
    # Neither the task table nor the portal's logs (tracebacks included) hold the address or
    # the reference. The test SMTP server's own log ("mail.log") is not the portal's.
    logs = "\n".join(
        caplog.handler.format(record)
        for record in caplog.records
        if not record.name.startswith("mail.log")
    )
    assert "Could not send the confirmation email" in logs
    assert "ExpressionEmailError" in logs  # the task's failure, with its traceback
    for recorded in (
        row.traceback, json.dumps(row.args_kwargs), json.dumps(notification.args_kwargs), logs
    ):
        assert "no.such.person" not in recorded
        assert expression.reference not in recorded
