"""The email worker: django-tasks-db's worker, made to survive what production does to it.

`manage.py email_worker` runs it, with the same options as django-tasks-db's `db_worker`
(`--batch`, `--interval`, `--max-tasks`, `--queue-name`, ...). The plain worker exited on the
first database error, so a PostgreSQL restart stopped every email until someone noticed
(issue 11: 79 of them). This one adds:

* **A lost database is waited out.** Any OperationalError or InterfaceError is caught, the
  connections are closed, and the worker tries again after waits of 0.5 s, 1, 2, 4 ... up to
  30 s, each a random part (between half and all) of that, so that several workers do not all
  knock at once. It logs one WARNING when the database goes and one INFO when it answers
  again, not a traceback per try.
* **A task that hit a database error before sending is put back in the queue**, not recorded
  as failed. The tasks (applications/tasks.py) read the database before sending and never
  after, so such a task has sent nothing, and running it again later loses nothing.
  A task claimed MOST_CLAIMS times without finishing is recorded as failed instead, so one
  that always fails this way cannot hold up the queue for ever.
* **Once an email has gone, its outcome is recorded whatever it takes**: `set_successful` /
  `set_failed` is retried with the same waits until the database answers. Giving up would
  leave the task RUNNING, and it would be sent again (below).
* **A task left RUNNING by a worker that died** (killed with -9, its machine lost) is put back
  in the queue once it has been running longer than EMAIL_WORKER_STALE_SECONDS, by a single
  `UPDATE ... WHERE status = RUNNING AND started_at < cutoff`, which any number of workers
  can run at once: a row one of them has put back no longer matches for the others.
* **SIGTERM (systemd's stop) finishes the task in hand, then exits 0.** A second signal stops
  at once (exit 1), as with `db_worker`.
* **A stalled queue is logged**: about once a minute the worker reads the queue's state
  (involvement/email_queue.py) and logs `event=email-queue-stalled ...` if the oldest email
  has waited longer than EMAIL_QUEUE_ALERT_MINUTES, at most once every 5 minutes.

What it does not do: deliver exactly once. Delivery is *at least once*, with these windows:

* an email the SMTP server has accepted, and the worker killed with -9 (or its machine lost)
  in the milliseconds before the outcome is committed: the task is still RUNNING, and after
  EMAIL_WORKER_STALE_SECONDS a worker sends it again;
* a worker cut off from the database on its own (the database still up for the others) for
  longer than EMAIL_WORKER_STALE_SECONDS after sending: another worker sends it again. After
  an outage seen by every worker, none puts back stale tasks until RECORDING_GRACE has passed,
  so that the workers still retrying an outcome have recorded it first.

Each task sends one email (the confirmation and the notification about an expression of
interest are two tasks), so a task run again repeats only the email it was sending, never one
sent before it: a worker killed while sending a notification does not send the confirmation
again. Only a task queued by an earlier version, with the expression's id alone, sends both.
"""

import datetime
import logging
import random
import time

from django.core.exceptions import SuspiciousOperation
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.utils import timezone
from django_tasks_db.compat import TaskContext, TaskResultStatus, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from . import email_queue

logger = logging.getLogger(__name__)

# What a database that has gone away (restarted, unreachable, out of connections) raises.
DATABASE_ERRORS = (OperationalError, InterfaceError)
FIRST_WAIT = 0.5
LONGEST_WAIT = 30.0
# No wait is longer than LONGEST_WAIT, so a worker retrying an outcome through an outage has
# tried again within about that long of the database coming back; twice that leaves it time
# to have recorded the outcome before anyone takes its task for abandoned.
RECORDING_GRACE = 2 * LONGEST_WAIT
# How often the worker puts back abandoned tasks and reads the queue's state (more often when
# EMAIL_WORKER_STALE_SECONDS is shorter).
LOOK_AFTER_THE_QUEUE_EVERY = 60.0
STALLED_WARNING_EVERY = 5 * 60.0
MOST_CLAIMS = 10


def describe(error):
    """The error's type and the first line of its message (PostgreSQL's connection errors say
    what went wrong there: "Connection refused", "terminating connection ...")."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0][:200]}" if lines else type(error).__name__


class EmailWorker(Worker):
    def __init__(self, *, stale_seconds, **options):
        super().__init__(**options)
        self.stale_seconds = stale_seconds
        self.next_wait = FIRST_WAIT
        self.database_lost_at = None  # time.monotonic(), while the database is not answering
        self.put_back_abandoned_from = 0.0
        self.next_look_at_the_queue = 0.0
        self.stalled_warning_at = None

    # The loop --------------------------------------------------------------------------------

    def run(self):
        logger.info(
            "Starting the email worker worker_id=%s queues=%s stale_seconds=%s",
            self.worker_id, ",".join(self.queue_names), self.stale_seconds,
        )
        if self.startup_delay and self.interval:
            # Workers started together (a machine booting) do not all ask at the same moment.
            time.sleep(random.random())

        while self.running:
            try:
                # A connection the database dropped while the worker slept is replaced here.
                close_old_connections()
                self.look_after_the_queue()
                looked, task_result = self.run_next_task()
            except DATABASE_ERRORS as error:
                self.database_lost(error)
                self.wait_before_trying_again()
                continue
            self.database_answered()

            if self.batch and looked and task_result is None:
                logger.info("No more emails to send: the email worker %s stops.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info(
                    "Ran %d tasks, the most asked for: the email worker %s stops.",
                    self._run_tasks, self.worker_id,
                )
                return
            if self.running and task_result is None:
                time.sleep(self.interval)
        logger.info("The email worker %s has stopped.", self.worker_id)

    def tasks_for_this_worker(self, tasks):
        tasks = tasks.filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        return tasks

    def run_next_task(self):
        """Claim the next task and run it. Returns whether the queue could be read, and the
        task run (None when there was none)."""
        # Busy from before the claim: a SIGTERM now lets the claimed task finish, where
        # db_worker would exit between the claim and the run and leave it RUNNING.
        self.running_task = True
        try:
            tasks = self.tasks_for_this_worker(DBTaskResult.objects.ready())
            with exclusive_transaction(tasks.db):
                try:
                    task_result = tasks.get_locked()
                except OperationalError as error:
                    # SQLite (on a laptop) says "database is locked" while another process
                    # writes: not an outage, ask again.
                    if is_locked_database_exception(error):
                        return False, None
                    raise
                if task_result is not None:
                    task_result.claim(self.worker_id)
            self.database_answered()
            if task_result is not None:
                self.run_task(task_result)
            return True, task_result
        finally:
            self.running_task = False

    def run_task(self, db_task_result):
        """Run one claimed task and record how it went (see the module's docstring)."""
        try:
            task = db_task_result.task
            task_result = db_task_result.task_result
            backend_type = task.get_backend()
            task_started.send(sender=backend_type, task_result=task_result)
            if task.takes_context:
                return_value = task.call(
                    TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs
                )
            else:
                return_value = task.call(*task_result.args, **task_result.kwargs)
        except DATABASE_ERRORS as error:
            self.database_lost(error)
            self.put_back(db_task_result, error)
            return
        except Exception as error:
            self.record(db_task_result, error=error)
            return
        except BaseException as error:
            # Stopped by force (a second Ctrl+C or SIGTERM) mid-send: whether the email went
            # is unknown. Recorded as failed, as db_worker does, so staff decide rather than a
            # worker sending it again; one try only, as whoever stopped it wants it to stop.
            db_task_result.set_failed(error)
            raise
        self.record(db_task_result, return_value=return_value)

    # Recording outcomes and putting tasks back -------------------------------------------------

    def record(self, db_task_result, *, return_value=None, error=None):
        """Record the task's outcome, however long the database takes to answer."""
        if error is None:
            try:
                self.until_the_database_answers(
                    lambda: db_task_result.set_successful(return_value)
                )
            except Exception as cannot_store:  # a return value JSON cannot hold, say
                error = cannot_store
        if error is not None:
            try:
                self.until_the_database_answers(lambda: db_task_result.set_failed(error))
            except Exception:
                # The row has gone (pruned, deleted in the admin): nothing left to record on.
                logger.exception("Could not record the outcome of task id=%s", db_task_result.id)
                return
        self._run_tasks += 1
        try:
            sender = type(db_task_result.task.get_backend())
        except (ImportError, SuspiciousOperation):
            logger.exception("Task id=%s failed unexpectedly", db_task_result.id)
        else:
            task_finished.send(sender=sender, task_result=db_task_result.task_result)

    def put_back(self, db_task_result, error):
        """Return a task whose run hit a database error (before sending) to the queue."""
        if len(db_task_result.worker_ids) >= MOST_CLAIMS:
            # Claimed this often and never finished: something about this task, not an outage.
            self.record(db_task_result, error=error)
            return

        def put_back():
            return DBTaskResult.objects.filter(
                pk=db_task_result.pk, status=TaskResultStatus.RUNNING
            ).update(status=TaskResultStatus.READY)

        if self.until_the_database_answers(put_back, give_up_when_stopping=True) is None:
            logger.warning(
                "Stopping with task id=%s unsent and marked running: a worker puts it back in "
                "the queue after %s seconds.",
                db_task_result.id, self.stale_seconds,
            )

    def put_back_abandoned_tasks(self):
        """Put back in the queue the tasks whose worker died while running them."""
        cutoff = timezone.now() - datetime.timedelta(seconds=self.stale_seconds)
        count = (
            self.tasks_for_this_worker(DBTaskResult.objects.running())
            .filter(started_at__lt=cutoff)
            .update(status=TaskResultStatus.READY)
        )
        if count:
            logger.warning(
                "event=email-tasks-put-back count=%s running_longer_than_seconds=%s "
                "(a worker stopped while sending them: they are sent again)",
                count, self.stale_seconds,
            )
        return count

    def look_after_the_queue(self):
        """Now and then: put back abandoned tasks, and warn if the queue has stalled."""
        now = time.monotonic()
        if now < self.next_look_at_the_queue:
            return
        if now >= self.put_back_abandoned_from:
            self.put_back_abandoned_tasks()
        state = email_queue.queue_state()
        if self.stalled_warning_at is None or now - self.stalled_warning_at >= (
            STALLED_WARNING_EVERY
        ):
            if email_queue.warn_if_stalled(state):
                self.stalled_warning_at = now
        self.next_look_at_the_queue = now + min(LOOK_AFTER_THE_QUEUE_EVERY, self.stale_seconds)

    # Waiting for the database ----------------------------------------------------------------

    def until_the_database_answers(self, action, *, give_up_when_stopping=False):
        """Call `action` until it gets past the database's connection errors; return its result.

        With `give_up_when_stopping`, return None instead once the worker has been told to stop.
        """
        while True:
            try:
                result = action()
            except DATABASE_ERRORS as error:
                self.database_lost(error)
                if give_up_when_stopping and not self.running:
                    return None
                self.wait_before_trying_again()
            else:
                self.database_answered()
                return result

    def database_lost(self, error):
        if self.database_lost_at is None:
            self.database_lost_at = time.monotonic()
            logger.warning(
                "event=email-worker-database-lost error=%r (emails wait in the queue; trying "
                "again after waits from %s s doubling to %s s, until the database answers)",
                describe(error), FIRST_WAIT, LONGEST_WAIT,
            )
        # A broken connection is never reused: the next try opens a new one.
        try:
            connections.close_all()
        except DATABASE_ERRORS:
            pass

    def database_answered(self):
        self.next_wait = FIRST_WAIT
        if self.database_lost_at is None:
            return
        logger.info(
            "event=email-worker-database-back after_seconds=%.1f",
            time.monotonic() - self.database_lost_at,
        )
        self.database_lost_at = None
        self.put_back_abandoned_from = time.monotonic() + RECORDING_GRACE

    def wait_before_trying_again(self):
        time.sleep(random.uniform(self.next_wait / 2, self.next_wait))
        self.next_wait = min(self.next_wait * 2, LONGEST_WAIT)
