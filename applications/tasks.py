"""Background tasks: the emails sent when someone expresses interest.

The form view saves the expression of interest and calls `queue_expression_emails` inside the
same `transaction.atomic()` block. The task is only queued once the transaction commits, and
it takes nothing but the expression's primary key: with the database backend the arguments
are stored in the task table, which is no place for names or email addresses. The task reads
everything else from the database when it runs, so an expression erased in the meantime is
simply not emailed about.

On a laptop TASKS uses the immediate backend (the task runs in the request's process, right
after the commit). In production it is django-tasks-db's database backend, and
`manage.py db_worker` sends the emails.
"""

import logging
import smtplib

from django.db import transaction
from django_tasks import task

from .emails import confirmation_email, notification_email
from .models import ExpressionOfInterest

logger = logging.getLogger(__name__)


class ExpressionEmailError(Exception):
    """One or both emails about an expression of interest could not be sent.

    The message names the email, the expression's id and the kind of error, never an address:
    the task table stores this exception's traceback and the task logger logs it.
    """


def _describe(error):
    """The error's type and SMTP reply codes, without its message.

    smtplib's messages can hold the recipient's address (SMTPRecipientsRefused lists them),
    so only the codes are kept.
    """
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _ in error.recipients.values()})
        return f"{name} ({', '.join(codes)})" if codes else name
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{name} ({error.smtp_code})"
    return name


@task()
def send_expression_emails(expression_id):
    """Send the confirmation to the person and the notification to the opportunity's contact.

    Returns how many emails were sent (stored as the task's result). If either email fails,
    the other is still tried, then ExpressionEmailError is raised so the task is recorded as
    failed and can be looked into and run again. Running it again sends both emails again.
    """
    expression = (
        ExpressionOfInterest.objects.select_related("opportunity__programme")
        .filter(pk=expression_id)
        .first()
    )
    if expression is None:
        logger.info(
            "Expression of interest id=%s no longer exists (erased?): no emails sent.",
            expression_id,
        )
        return 0

    sent = 0
    failed = []
    for kind, build in (("confirmation", confirmation_email), ("notification", notification_email)):
        try:
            sent += build(expression).send()
        except Exception as error:
            description = _describe(error)
            logger.warning(
                "Could not send the %s email for expression of interest id=%s: %s",
                kind, expression_id, description,
            )
            failed.append(f"{kind} ({description})")

    if failed:
        # `from None` keeps the original exception, and any address in its message, out of the
        # traceback that the task table stores and the task logger writes out.
        raise ExpressionEmailError(
            f"Could not send the emails for expression of interest id={expression_id}: "
            + "; ".join(failed)
        ) from None

    logger.info("Sent %s emails for expression of interest id=%s", sent, expression_id)
    return sent


def queue_expression_emails(expression):
    """Queue the emails about a newly saved expression of interest, once the transaction commits.

    Call it inside the `transaction.atomic()` block that saves the expression. If the block
    rolls back nothing is queued, so no one is told about an expression that was never saved.
    """
    expression_id = expression.pk
    if expression_id is None:
        raise ValueError("Save the expression of interest before queueing its emails.")

    def enqueue():
        send_expression_emails.enqueue(expression_id)

    # robust: by the time this runs the expression is saved. If queueing fails (the task table
    # cannot be written, say), Django logs the error and the person still sees that we have
    # their expression; staff find it in the admin either way.
    transaction.on_commit(enqueue, robust=True)
