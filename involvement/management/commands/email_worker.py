"""`manage.py email_worker`: send the queued emails, and keep going through database restarts.

The options are django-tasks-db's `db_worker`'s; only the worker differs (involvement/worker.py
says how, and what it still cannot promise). Run it under a supervisor that restarts it if it
ever exits (deploy/systemd/involvement-worker.service).
"""

import os

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from involvement.worker import EmailWorker, logger


class Command(db_worker.Command):
    help = (
        "Send the queued emails. Survives database restarts, puts back tasks left running by a "
        "worker that died, and stops cleanly on SIGTERM."
    )

    def handle(
        self, *, verbosity, queue_name, interval, batch, backend_name, startup_delay, reload,
        max_tasks, worker_id, exclude_queues, **options,
    ):
        # db_worker's own handle() builds its own Worker, so this one repeats its few lines
        # to build an EmailWorker instead.
        self.configure_logging(verbosity)
        if reload and batch:
            logger.warning("--reload and --batch cannot be used together: not reloading.")
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")

        worker = EmailWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
            stale_seconds=settings.EMAIL_WORKER_STALE_SECONDS,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                # Only the reloaded child handles the signals.
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
