"""`manage.py check_email_queue`: is the email queue moving? For a timer every 5 minutes.

It reads the queue itself rather than asking the worker, so it still speaks when the worker is
dead, which is when it matters. It prints the queue's state and exits:

* 0 when the oldest waiting email has waited no longer than EMAIL_QUEUE_ALERT_MINUTES;
* 1 when it has waited longer (and logs `event=email-queue-stalled oldest_minutes=N
  waiting=M` as a WARNING on the `involvement.email_queue` logger, as the worker does);
* 2 when the database cannot be read, so the queue's state is unknown.
"""

import logging
import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from involvement import email_queue

logger = logging.getLogger("involvement.email_queue")


class Command(BaseCommand):
    help = (
        "Print the email queue's state; exit 1 if an email has waited longer than "
        "EMAIL_QUEUE_ALERT_MINUTES, 2 if the database cannot be read."
    )

    def handle(self, **options):
        try:
            state = email_queue.queue_state()
        except DatabaseError as error:
            logger.error("event=email-queue-unknown error=%s", type(error).__name__)
            self.stderr.write(f"Could not read the email queue: {type(error).__name__}.")
            sys.exit(2)

        minutes = email_queue.oldest_waiting_minutes(state)
        self.stdout.write(
            f"waiting={state['waiting']} running={state['running']} "
            f"oldest_minutes={'-' if minutes is None else minutes} "
            f"failed_last_day={state['failed_last_day']} "
            f"stalled={'yes' if state['stalled'] else 'no'}"
        )
        if email_queue.warn_if_stalled(state):
            sys.exit(1)
