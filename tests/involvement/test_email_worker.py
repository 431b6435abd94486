"""`manage.py email_worker` (involvement/worker.py) through what production does to it: the
database going away, a worker killed with -9, systemd stopping it. Real PostgreSQL, a real
SMTP server on loopback (aiosmtpd), and real worker processes where the test is about one."""

import asyncio
import contextlib
import datetime
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import psycopg2
import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.signals import task_started
from django_tasks_db.models import DBTaskResult

from applications.tasks import queue_expression_emails
from involvement.worker import EmailWorker
from tests.factories import ExpressionOfInterestFactory, OpportunityFactory
from tests.network import free_port

DATABASE_BACKEND = "django_tasks_db.backend.DatabaseBackend"
CONTACT = "renal.panel@example.nhs.uk"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="cuts PostgreSQL connections, and worker processes need a database they can share",
    ),
]


@pytest.fixture(autouse=True)
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": DATABASE_BACKEND}}


@pytest.fixture
def opportunity():
    return OpportunityFactory(title="Renal patient panel", contact_email=CONTACT)


def queue_for(opportunity, address):
    with transaction.atomic():
        expression = ExpressionOfInterestFactory(opportunity=opportunity, email=address)
        queue_expression_emails(expression)
    return expression


def queue_people(opportunity, count):
    """Queue the emails for person1@ ... personN@, in that order: two tasks each, the person's
    confirmation, then the notification to the contact."""
    return [queue_for(opportunity, f"person{n}@example.com") for n in range(1, count + 1)]


def everyone_once(count):
    """What the SMTP server should have had for `queue_people(count)`: every message once."""
    return Counter({**{f"person{n}@example.com": 1 for n in range(1, count + 1)}, CONTACT: count})


def statuses():
    return [row.status for row in DBTaskResult.objects.order_by("enqueued_at")]


def wait_until(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


# A real SMTP server on loopback, which can keep one message's sender waiting for its answer.


class Recorder:
    """An aiosmtpd handler that keeps what it accepts.

    `hold(address)` makes the next message to that address wait, with the worker waiting for
    the server's answer, until `release()`: the moment to cut the database or kill the worker.
    Released with `accept=False`, the message is refused, as a message whose sender died
    before the answer never arrives.
    """

    def __init__(self):
        self.envelopes = []
        self.held_address = None
        self.accept_held = True
        self.holding = threading.Event()
        self.released = threading.Event()

    def hold(self, address, *, accept):
        self.held_address = address
        self.accept_held = accept

    def release(self):
        self.released.set()

    async def handle_DATA(self, server, session, envelope):
        if self.held_address in envelope.rcpt_tos:
            self.held_address = None
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.released.wait, 60)
            if not self.accept_held:
                return "451 4.3.0 Try again later"
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def delivered(self):
        """How many messages each address received."""
        return Counter(address for envelope in self.envelopes for address in envelope.rcpt_tos)


@pytest.fixture
def smtp_server(send_by_smtp):
    handler = Recorder()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    send_by_smtp(handler.port)
    yield handler
    handler.release()
    controller.stop()


# The database going away.


@contextlib.contextmanager
def maintenance_connection():
    """A connection to the server's `postgres` database, from which the test database can be
    closed to new connections (not something a connection to it may do)."""
    database = connection.settings_dict
    other = psycopg2.connect(
        dbname="postgres", user=database["USER"], host=database["HOST"], port=database["PORT"]
    )
    other.autocommit = True
    try:
        with other.cursor() as cursor:
            yield cursor
    finally:
        other.close()


def cut_connections(cursor, pids):
    for pid in pids:
        # Waits (up to 5 s) for the connection to be gone, not just told to go.
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


@contextlib.contextmanager
def database_down():
    """The test database refuses new connections and every open one but the test's own is cut,
    as when PostgreSQL restarts. The test keeps its connection, to look and to queue."""
    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        others = [pid for (pid,) in cursor.fetchall()]
    with maintenance_connection() as cursor:
        cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            cut_connections(cursor, others)
            yield
        finally:
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


class WorkerThread(threading.Thread):
    """An email worker in this process, on its own database connection."""

    def __init__(self, *, batch=False):
        super().__init__(daemon=True)
        self.worker = EmailWorker(
            queue_names=["default"], interval=0.1, batch=batch, backend_name="default",
            startup_delay=False, max_tasks=None, worker_id="worker-in-a-thread",
            excluded_queue_names=[], stale_seconds=settings.EMAIL_WORKER_STALE_SECONDS,
        )
        self.error = None

    def run(self):
        try:
            self.worker.run()
        except BaseException as error:  # the test says how the worker died
            self.error = error
        finally:
            connections.close_all()

    def stop(self):
        self.worker.running = False
        self.join(60)
        assert not self.is_alive()


def outage_records(caplog):
    return [
        record for record in caplog.records
        if record.name == "involvement.worker" and "event=email-worker-database" in record.msg
    ]


def test_it_survives_a_database_restart(opportunity, smtp_server, caplog):
    caplog.set_level(logging.INFO)
    worker = WorkerThread()
    worker.start()
    try:
        # Let it look at the (empty) queue a few times first.
        time.sleep(0.5)
        with database_down():
            # Emails queued meanwhile (by a web instance still connected, say) wait.
            queue_people(opportunity, 3)
            time.sleep(4)
            assert worker.is_alive()
            assert smtp_server.envelopes == []
            back_at = time.monotonic()
        assert wait_until(lambda: statuses() == [TaskResultStatus.SUCCESSFUL] * 6)
        recovered_in = time.monotonic() - back_at
    finally:
        worker.stop()

    assert worker.error is None
    assert smtp_server.delivered() == everyone_once(3)
    # One line when the database went, one when it came back, and no traceback in between.
    lost, back = outage_records(caplog)
    assert lost.levelno == logging.WARNING
    assert "event=email-worker-database-lost error='OperationalError" in lost.getMessage()
    assert back.levelno == logging.INFO
    assert "event=email-worker-database-back" in back.getMessage()
    assert not [record for record in caplog.records if record.exc_info]
    # About 4 s into the outage the wait in progress is at most 8 s (0.5, 1, 2, 4, 8 s ...):
    # it is back within that, not after the 30 s the waits grow to in a long outage.
    assert recovered_in < 12


def test_an_outcome_that_could_not_be_recorded_is_recorded_later_not_sent_again(
    opportunity, smtp_server, caplog
):
    caplog.set_level(logging.INFO)
    queue_people(opportunity, 2)
    smtp_server.hold("person1@example.com", accept=True)
    worker = WorkerThread(batch=True)
    worker.start()
    try:
        assert smtp_server.holding.wait(30)
        with database_down():
            # The SMTP server accepts the email now; the worker cannot record that it went.
            smtp_server.release()
            time.sleep(3)
            assert statuses() == [TaskResultStatus.RUNNING] + [TaskResultStatus.READY] * 3
        worker.join(60)
    finally:
        worker.stop()

    assert worker.error is None
    assert statuses() == [TaskResultStatus.SUCCESSFUL] * 4
    first = DBTaskResult.objects.order_by("enqueued_at").first()
    assert first.args_kwargs["args"][1] == ["confirmation"]
    assert first.worker_ids == ["worker-in-a-thread"]  # claimed once, never put back
    assert first.return_value == 1
    assert smtp_server.delivered() == everyone_once(2)
    assert [record.levelname for record in outage_records(caplog)] == ["WARNING", "INFO"]


@pytest.fixture
def run_worker():
    """`manage.py email_worker --batch` in this process."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def run():
        call_command(
            "email_worker", batch=True, reload=False, startup_delay=False, interval=0,
            verbosity=1,
        )

    yield run
    # The worker installs its own SIGINT/SIGTERM handlers: pytest gets its own back.
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


@pytest.fixture
def cut_off_once():
    """Cut the worker's database connection once, as the first task it runs starts (claimed,
    about to read the expression of interest). Gives the ids of the tasks cut off."""
    cut = []

    def cut_the_worker_off(sender, task_result, **kwargs):
        if cut:
            return
        cut.append(task_result.id)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            [worker_pid] = cursor.fetchone()
        with maintenance_connection() as cursor:
            cut_connections(cursor, [worker_pid])

    task_started.connect(cut_the_worker_off)
    yield cut
    task_started.disconnect(cut_the_worker_off)


def test_a_task_cut_off_from_the_database_before_sending_is_put_back_and_sent_once(
    opportunity, smtp_server, run_worker, cut_off_once, caplog
):
    caplog.set_level(logging.INFO)
    queue_people(opportunity, 2)

    run_worker()

    assert len(cut_off_once) == 1
    assert statuses() == [TaskResultStatus.SUCCESSFUL] * 4
    first = DBTaskResult.objects.get(pk=cut_off_once[0])
    assert len(first.worker_ids) == 2  # claimed, put back, claimed again
    assert first.exception_class_path == ""  # never recorded as failed
    assert smtp_server.delivered() == everyone_once(2)
    assert [record.levelname for record in outage_records(caplog)] == ["WARNING", "INFO"]


def test_a_task_cut_off_on_its_tenth_claim_is_recorded_as_failed_not_put_back_again(
    opportunity, smtp_server, run_worker, cut_off_once
):
    queue_people(opportunity, 2)
    first = DBTaskResult.objects.order_by("enqueued_at").first()
    DBTaskResult.objects.filter(pk=first.pk).update(worker_ids=["earlier"] * 9)

    run_worker()

    first.refresh_from_db()
    assert first.status == TaskResultStatus.FAILED
    assert first.exception_class_path == "django.db.utils.OperationalError"
    assert statuses() == [TaskResultStatus.FAILED] + [TaskResultStatus.SUCCESSFUL] * 3
    # Nothing went for the first (person1's confirmation): it was cut off before sending. The
    # notification about person1 is a task of its own, and went.
    assert smtp_server.delivered() == Counter({"person2@example.com": 1, CONTACT: 2})


def test_stale_running_tasks_are_put_back_only_after_the_threshold(
    opportunity, smtp_server, run_worker, settings, caplog
):
    settings.EMAIL_WORKER_STALE_SECONDS = 300
    abandoned, recent = queue_people(opportunity, 2)
    now = timezone.now()
    rows = DBTaskResult.objects.order_by("enqueued_at")
    # Each person's two tasks (confirmation, notification) left running that long.
    for row, started in zip(rows, (now - datetime.timedelta(seconds=301),) * 2
                            + (now - datetime.timedelta(seconds=290),) * 2, strict=True):
        DBTaskResult.objects.filter(pk=row.pk).update(
            status=TaskResultStatus.RUNNING, started_at=started, worker_ids=["died"]
        )

    with caplog.at_level(logging.INFO):
        run_worker()

    # Running for 301 s: their worker died, and they are sent. 290 s: perhaps still being sent.
    assert statuses() == [TaskResultStatus.SUCCESSFUL] * 2 + [TaskResultStatus.RUNNING] * 2
    assert smtp_server.delivered() == Counter({"person1@example.com": 1, CONTACT: 1})
    assert any(
        "event=email-tasks-put-back count=2 running_longer_than_seconds=300" in record.getMessage()
        for record in caplog.records
    )


def test_the_worker_warns_when_the_oldest_email_has_waited_too_long(
    opportunity, smtp_server, run_worker, settings, caplog
):
    settings.EMAIL_QUEUE_ALERT_MINUTES = 15
    queue_people(opportunity, 2)
    DBTaskResult.objects.update(enqueued_at=timezone.now() - datetime.timedelta(minutes=20))

    with caplog.at_level(logging.INFO):
        run_worker()

    [warning] = [record for record in caplog.records if record.name == "involvement.email_queue"]
    assert warning.levelno == logging.WARNING
    assert warning.getMessage() == "event=email-queue-stalled oldest_minutes=20 waiting=4"
    assert smtp_server.delivered() == everyone_once(2)


# Worker processes, as systemd runs them.


def start_worker_process(smtp_server, log_path, *arguments, **environment):
    database = connection.settings_dict
    return subprocess.Popen(
        [
            sys.executable, "manage.py", "email_worker", "--no-reload", "--no-startup-delay",
            "--interval", "0.1", *arguments,
        ],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            # pytest-django's test database (test_<name>), which the rows were committed to.
            "DATABASE_URL": (
                f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
                f"/{database['NAME']}"
            ),
            "TASKS_BACKEND": DATABASE_BACKEND,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
            **environment,
        },
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.parametrize(
    ("held", "sent_before"),
    [
        # The third person's confirmation: the 5th of the 10 tasks.
        ("person3@example.com", 4),
        # The first notification (about person1), sent after person1's confirmation: the 2nd.
        (CONTACT, 1),
    ],
    ids=["while sending a confirmation", "while sending a notification"],
)
def test_a_worker_killed_mid_queue_leaves_nothing_unsent_and_nothing_sent_twice(
    opportunity, smtp_server, tmp_path, held, sent_before
):
    queue_people(opportunity, 5)
    # Killed while the SMTP server has that email and has not yet answered.
    smtp_server.hold(held, accept=False)
    first = start_worker_process(smtp_server, tmp_path / "first.log")
    try:
        assert smtp_server.holding.wait(30), (tmp_path / "first.log").read_text()
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
    finally:
        first.kill()
        smtp_server.release()

    waiting = [TaskResultStatus.READY] * (10 - sent_before - 1)
    assert statuses() == (
        [TaskResultStatus.SUCCESSFUL] * sent_before + [TaskResultStatus.RUNNING] + waiting
    )

    time.sleep(1.5)  # the lost task has now been running for longer than the next worker allows
    second = start_worker_process(
        smtp_server, tmp_path / "second.log", "--batch", EMAIL_WORKER_STALE_SECONDS="1"
    )
    assert second.wait(60) == 0, (tmp_path / "second.log").read_text()

    assert statuses() == [TaskResultStatus.SUCCESSFUL] * 10
    # The email in hand goes once, from the second worker, and nothing that had gone is sent
    # again: when a notification was in hand, that includes the confirmation just before it.
    assert smtp_server.delivered() == everyone_once(5)
    assert "event=email-tasks-put-back count=1" in (tmp_path / "second.log").read_text()


def test_sigterm_finishes_the_email_in_hand_then_exits_0(opportunity, smtp_server, tmp_path):
    queue_people(opportunity, 3)
    smtp_server.hold("person2@example.com", accept=True)
    log = tmp_path / "worker.log"
    worker = start_worker_process(smtp_server, log)
    try:
        assert smtp_server.holding.wait(30), log.read_text()
        worker.send_signal(signal.SIGTERM)
        assert wait_until(lambda: "shutting down gracefully" in log.read_text(), 10)
        smtp_server.release()
        assert worker.wait(30) == 0, log.read_text()
    finally:
        worker.kill()

    # The email in hand (the second person's confirmation) went and was recorded; the rest
    # (the notification about them, the third person's two) wait for a worker.
    assert statuses() == [TaskResultStatus.SUCCESSFUL] * 3 + [TaskResultStatus.READY] * 3
    assert smtp_server.delivered() == Counter(
        {"person1@example.com": 1, CONTACT: 1, "person2@example.com": 1}
    )
