"""How the email queue is doing: how many emails wait, and whether they have waited too long.

Emails are background tasks in django-tasks-db's table (applications/tasks.py). If the email
worker stops, nothing fails loudly: the emails simply wait. `queue_state()` is what staff
(the admin's home page), the health check, the worker and `manage.py check_email_queue` read
to notice that, and `warn_if_stalled()` writes the one log line an alert can be built on:

    event=email-queue-stalled oldest_minutes=47 waiting=79

Every task in the table is counted, whatever its queue: all of the portal's tasks are emails.
"""

import datetime
import functools
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("involvement.email_queue")


def enqueue_on_commit(task, *args):
    """Queue `task` with `args` (ids, never names or addresses: they are stored in the task
    table) once the transaction that called this commits; nothing if it rolls back.

    robust: by the time this runs what the email is about is saved. If queueing fails (the task
    table cannot be written, say), Django logs the error and the request still succeeds."""
    transaction.on_commit(functools.partial(task.enqueue, *args), robust=True)


def queue_state():
    """The email queue now, from one aggregate query over the task table.

    The keys are stable (the health check and the admin's home page read them):

    - ``waiting``: emails queued and not yet picked up by a worker (READY tasks);
    - ``running``: emails a worker is sending now (RUNNING tasks; one left behind by a worker
      that died stays here until a worker puts it back, see involvement/worker.py);
    - ``oldest_waiting_seconds``: whole seconds since the oldest waiting email was queued, or
      None when none is waiting;
    - ``failed_last_day``: tasks recorded as failed in the last 24 hours (an address refused,
      the SMTP server down); staff find them in the admin's task results;
    - ``stalled``: True when the oldest waiting email has waited longer than
      EMAIL_QUEUE_ALERT_MINUTES, which means no worker is sending them.

    Queued emails are never scheduled for later here (nothing sets `run_after`), so the time
    since queueing is the time an email has been kept waiting.
    """
    now = timezone.now()
    figures = DBTaskResult.objects.aggregate(
        waiting=Count("pk", filter=Q(status=TaskResultStatus.READY)),
        running=Count("pk", filter=Q(status=TaskResultStatus.RUNNING)),
        oldest_queued_at=Min("enqueued_at", filter=Q(status=TaskResultStatus.READY)),
        failed_last_day=Count(
            "pk",
            filter=Q(
                status=TaskResultStatus.FAILED,
                finished_at__gte=now - datetime.timedelta(days=1),
            ),
        ),
    )
    oldest = figures.pop("oldest_queued_at")
    # A worker's clock a little ahead of this machine's must not make an age below zero.
    waited = None if oldest is None else max(0, int((now - oldest).total_seconds()))
    return {
        **figures,
        "oldest_waiting_seconds": waited,
        "stalled": waited is not None and waited > settings.EMAIL_QUEUE_ALERT_MINUTES * 60,
    }


def oldest_waiting_minutes(state):
    """Whole minutes the oldest waiting email has waited (None when none is waiting)."""
    seconds = state["oldest_waiting_seconds"]
    return None if seconds is None else seconds // 60


def warn_if_stalled(state):
    """Log the stalled-queue warning if the state says so. Returns whether it did."""
    if not state["stalled"]:
        return False
    logger.warning(
        "event=email-queue-stalled oldest_minutes=%s waiting=%s",
        oldest_waiting_minutes(state), state["waiting"],
    )
    return True
