"""Seeing the email queue: `queue_state()`, `manage.py check_email_queue` and the admin's home
page, against task rows made by hand."""

import datetime
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from involvement.email_queue import queue_state

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def alert_after_15_minutes(settings):
    settings.EMAIL_QUEUE_ALERT_MINUTES = 15


def task(status, *, queued=None, finished=None):
    """A task row as django-tasks-db leaves it; `queued` and `finished` are how long ago."""
    now = timezone.now()
    row = DBTaskResult.objects.create(
        status=status, args_kwargs={"args": [1], "kwargs": {}},
        task_path="applications.tasks.send_expression_emails", backend_name="default",
        exception_class_path="", traceback="",
    )
    # enqueued_at is set on creation (auto_now_add): put it back in time afterwards.
    DBTaskResult.objects.filter(pk=row.pk).update(
        enqueued_at=now - (queued or datetime.timedelta()),
        finished_at=None if finished is None else now - finished,
    )
    return row


def minutes(n):
    return datetime.timedelta(minutes=n)


def test_an_empty_queue(django_assert_num_queries):
    with django_assert_num_queries(1):
        state = queue_state()

    assert state == {
        "waiting": 0, "running": 0, "oldest_waiting_seconds": None, "failed_last_day": 0,
        "stalled": False,
    }


def test_it_counts_what_waits_runs_and_failed_in_one_query(django_assert_num_queries):
    task(TaskResultStatus.READY, queued=minutes(20))
    task(TaskResultStatus.READY, queued=minutes(3))
    task(TaskResultStatus.RUNNING, queued=minutes(45))  # running: not waiting, however old
    task(TaskResultStatus.FAILED, queued=minutes(130), finished=minutes(120))
    task(TaskResultStatus.FAILED, queued=minutes(2000), finished=datetime.timedelta(days=2))
    task(TaskResultStatus.SUCCESSFUL, queued=minutes(90), finished=minutes(89))

    with django_assert_num_queries(1):
        state = queue_state()

    assert 20 * 60 <= state.pop("oldest_waiting_seconds") <= 20 * 60 + 2
    assert state == {"waiting": 2, "running": 1, "failed_last_day": 1, "stalled": True}


def test_it_is_not_stalled_until_the_oldest_has_waited_longer_than_the_setting(settings):
    task(TaskResultStatus.READY, queued=minutes(14))
    assert queue_state()["stalled"] is False

    settings.EMAIL_QUEUE_ALERT_MINUTES = 10
    assert queue_state()["stalled"] is True


# manage.py check_email_queue


def test_check_email_queue_exits_0_when_emails_are_moving(capsys, caplog):
    task(TaskResultStatus.READY, queued=minutes(2))
    task(TaskResultStatus.RUNNING, queued=minutes(2))

    with caplog.at_level(logging.INFO):
        call_command("check_email_queue")  # no SystemExit: exit status 0

    assert capsys.readouterr().out == (
        "waiting=1 running=1 oldest_minutes=2 failed_last_day=0 stalled=no\n"
    )
    assert not [record for record in caplog.records if record.name == "involvement.email_queue"]


def test_check_email_queue_exits_0_when_nothing_waits(capsys):
    call_command("check_email_queue")

    assert "waiting=0 running=0 oldest_minutes=- failed_last_day=0 stalled=no" in (
        capsys.readouterr().out
    )


def test_check_email_queue_exits_1_and_logs_a_warning_when_emails_wait_too_long(capsys, caplog):
    task(TaskResultStatus.READY, queued=minutes(47))
    task(TaskResultStatus.READY, queued=minutes(1))
    task(TaskResultStatus.FAILED, queued=minutes(5), finished=minutes(4))

    with caplog.at_level(logging.INFO), pytest.raises(SystemExit) as exit:
        call_command("check_email_queue")

    assert exit.value.code == 1
    assert capsys.readouterr().out == (
        "waiting=2 running=0 oldest_minutes=47 failed_last_day=1 stalled=yes\n"
    )
    [warning] = [record for record in caplog.records if record.name == "involvement.email_queue"]
    assert warning.levelno == logging.WARNING
    assert warning.getMessage() == "event=email-queue-stalled oldest_minutes=47 waiting=2"


def test_check_email_queue_exits_2_when_the_database_cannot_be_read():
    # A real process, with a database address where nothing listens.
    result = subprocess.run(
        [sys.executable, "manage.py", "check_email_queue"],
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60,
        env={**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:1/involvement"},
    )

    assert result.returncode == 2
    assert "Could not read the email queue: OperationalError." in result.stderr
    assert "event=email-queue-unknown error=OperationalError" in result.stderr


# The admin's home page


def email_queue_notice(response):
    content = response.content.decode()
    assert response.status_code == 200
    # Django's list of apps is still there.
    assert 'id="content-main"' in content
    assert "app-applications module" in content
    start = content.find('<ul class="messagelist" id="email-queue">')
    if start == -1:
        return None
    end = content.index("</ul>", start)
    return " ".join(content[start:end].replace("<strong>", "").replace("</strong>", "").split())


def test_the_admin_home_page_says_when_no_emails_are_waiting(staff_client):
    notice = email_queue_notice(staff_client.get(reverse("admin:index")))

    assert '<li class="info">' in notice
    assert "No emails are waiting." in notice


def test_the_admin_home_page_says_how_many_emails_wait_and_for_how_long(staff_client):
    task(TaskResultStatus.READY, queued=minutes(7))
    task(TaskResultStatus.READY, queued=minutes(1))

    notice = email_queue_notice(staff_client.get(reverse("admin:index")))

    assert '<li class="info">' in notice
    assert "Emails waiting to be sent: 2. The oldest has waited 7 minutes." in notice
    assert "Check the email worker" not in notice


def test_the_admin_home_page_says_less_than_a_minute_for_a_new_email(staff_client):
    task(TaskResultStatus.READY)

    notice = email_queue_notice(staff_client.get(reverse("admin:index")))

    assert "Emails waiting to be sent: 1. The oldest has waited less than a minute." in notice


def test_the_admin_home_page_warns_when_emails_have_waited_too_long(staff_client):
    task(TaskResultStatus.READY, queued=minutes(47))
    for _ in range(78):
        task(TaskResultStatus.READY, queued=minutes(2))

    notice = email_queue_notice(staff_client.get(reverse("admin:index")))

    assert '<li class="warning">' in notice
    assert "Emails waiting to be sent: 79. The oldest has waited 47 minutes." in notice
    assert "Emails are not being sent. Check the email worker is running" in notice


def test_the_queue_costs_the_admin_home_page_one_query(staff_client):
    task(TaskResultStatus.READY, queued=minutes(47))
    url = reverse("admin:index")
    staff_client.get(url)  # the session and user, as on any later visit

    with CaptureQueriesContext(connection) as queries:
        staff_client.get(url)

    table = DBTaskResult._meta.db_table
    assert len([query for query in queries if table in query["sql"]]) == 1


def test_an_app_index_page_shows_no_queue_line(staff_client):
    response = staff_client.get(reverse("admin:app_list", args=["applications"]))

    assert email_queue_notice(response) is None
