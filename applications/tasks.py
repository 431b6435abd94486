"""Background tasks: the emails about expressions of interest and bookings (applications/emails.py).

- `send_expression_emails`: the confirmation to the person and the notification to staff, when
  someone expresses interest (`queue_expression_emails` queues one task per email, so a worker
  killed after the confirmation has gone never sends it again);
- `send_booking_email`: one email to a booked person, an invitation, a registration, a place on
  the waiting list, a place that has come up, or a reminder (queued by `queue_booking_email`,
  from the views, `Booking.cancel`, `ExpressionOfInterest.invite_to` and the reminders);
- `send_next_date_email`: to someone who asked to hear when an event has its next date, when
  a date they can register for is saved (`queue_next_date_emails`, from a Meeting signal).

Whoever saves the change queues its email inside the same `transaction.atomic()` block. The
task is only queued once the transaction commits, and it takes nothing but a primary key and
which email to send: with the database backend the arguments are stored in the task table,
which is no place for names or email addresses. The task reads everything else from the
database when it runs, so a person erased in the meantime is simply not emailed.

On a laptop TASKS uses the immediate backend (the task runs in the request's process, right
after the commit). In production it is django-tasks-db's database backend, and
`manage.py email_worker` (involvement/worker.py) sends the emails.
"""

import logging
import smtplib

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from opportunities.models import Meeting

from .emails import booking_email, confirmation_email, next_date_email, notification_email
from .models import Booking, ExpressionOfInterest, NextDateRequest

logger = logging.getLogger(__name__)


class ExpressionEmailError(Exception):
    """One or both emails about an expression of interest could not be sent.

    The message names the email, the expression's id and the kind of error, never an address:
    the task table stores this exception's traceback and the task logger logs it.
    """


def describe_error(error):
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


# The emails about a new expression of interest, in the order they are sent.
EXPRESSION_EMAILS = {"confirmation": confirmation_email, "notification": notification_email}


@task()
def send_expression_emails(expression_id, kinds=tuple(EXPRESSION_EMAILS)):
    """Send the confirmation to the person and the notification to the opportunity's contact
    (or only the `kinds` named).

    Returns how many emails were sent (stored as the task's result). If either email fails,
    the other is still tried, then ExpressionEmailError is raised so the task is recorded as
    failed and can be looked into and run again. Running it again sends its emails again,
    which is why `queue_expression_emails` queues one task for each email: a worker killed
    after the confirmation has gone, while sending the notification, leaves only the
    notification's task to run again (involvement/worker.py).
    """
    unknown = set(kinds) - set(EXPRESSION_EMAILS)
    if unknown:
        raise ValueError(f"Unknown expression of interest emails: {sorted(unknown)}")
    expression = (
        ExpressionOfInterest.objects.with_personal_details()
        .select_related("opportunity__programme")
        .filter(pk=expression_id)
        .first()
    )
    if expression is None:
        logger.info(
            "Expression of interest id=%s no longer exists or was erased: no emails sent.",
            expression_id,
        )
        return 0

    sent = 0
    failed = []
    for kind in kinds:
        if kind == "confirmation" and not expression.email:
            # They asked to be phoned and gave no email address: the team phones them.
            logger.info(
                "Expression of interest id=%s has no email address: no confirmation sent.",
                expression_id,
            )
            continue
        try:
            sent += EXPRESSION_EMAILS[kind](expression).send()
        except Exception as error:
            description = describe_error(error)
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

    # Someone who gave no email address (they asked to be phoned) gets no confirmation; staff
    # are told either way.
    kinds = [kind for kind in EXPRESSION_EMAILS if expression.email or kind != "confirmation"]

    def enqueue():
        for kind in kinds:
            send_expression_emails.enqueue(expression_id, [kind])

    # robust: by the time this runs the expression is saved. If queueing fails (the task table
    # cannot be written, say), Django logs the error and the person still sees that we have
    # their expression; staff find it in the admin either way.
    transaction.on_commit(enqueue, robust=True)


# The emails a booked person gets about one meeting. "registered" and "waitlisted" are sent
# when someone registers for a public event; "invitation" when staff invite them; "promoted"
# when a place frees up for someone waiting; "reminder" a day or two before.
BOOKING_EMAIL_KINDS = ("invitation", "registered", "waitlisted", "promoted", "reminder")


class BookingEmailError(Exception):
    """A booking email could not be sent. Names the booking's id and the error's kind only."""


@task()
def send_booking_email(booking_id, kind):
    """Send one booking email. Returns how many were sent (0 if the booking has gone)."""
    if kind not in BOOKING_EMAIL_KINDS:
        raise ValueError(f"Unknown booking email kind: {kind!r}")
    booking = (
        Booking.objects.select_related(
            "meeting__opportunity__programme", "meeting__site", "expression"
        )
        .filter(pk=booking_id, expression__anonymised_at__isnull=True)
        .first()
    )
    if booking is None:
        logger.info(
            "Booking id=%s no longer exists or its person was erased: no %s email sent.",
            booking_id, kind,
        )
        return 0
    if not booking.expression.email:
        # Only someone who asked to be phoned has no address: staff tell them by phone.
        logger.info("Booking id=%s has no email address: no %s email sent.", booking_id, kind)
        return 0
    if booking.status == Booking.Status.CANCELLED:
        # Cancelled between queueing and sending: an invitation or reminder would mislead.
        logger.info("Booking id=%s is cancelled: no %s email sent.", booking_id, kind)
        return 0
    try:
        sent = booking_email(booking, kind).send()
    except Exception as error:
        description = describe_error(error)
        logger.warning(
            "Could not send the %s email for booking id=%s: %s", kind, booking_id, description
        )
        raise BookingEmailError(
            f"Could not send the {kind} email for booking id={booking_id}: {description}"
        ) from None
    logger.info("Sent the %s email for booking id=%s", kind, booking_id)
    return sent


def queue_booking_email(booking, kind):
    """Queue one email to a booked person, once the transaction commits.

    `kind` is one of BOOKING_EMAIL_KINDS. Only the booking's primary key goes into the task.
    """
    if kind not in BOOKING_EMAIL_KINDS:
        raise ValueError(f"Unknown booking email kind: {kind!r}")
    booking_id = booking.pk
    if booking_id is None:
        raise ValueError("Save the booking before queueing its email.")

    def enqueue():
        send_booking_email.enqueue(booking_id, kind)

    transaction.on_commit(enqueue, robust=True)


# "Tell me when the next one is" --------------------------------------------------------------


class NextDateEmailError(Exception):
    """The email about an event's new date could not be sent. Names the ids and the error's
    kind only."""


@task()
def send_next_date_email(request_id, meeting_id):
    """Tell one person who asked (NextDateRequest) that their event has a date to register
    for, and record that they were told. Returns how many emails were sent.

    The request is claimed (told_at set) before sending, so two tasks for the same person
    send one email; if sending fails the claim is given back and the task fails, to be run
    again."""
    meeting = (
        Meeting.objects.public_events().upcoming().select_related("opportunity", "site")
        .filter(pk=meeting_id).first()
    )
    if meeting is None:
        logger.info("Meeting id=%s is no longer open to register: no next date email.",
                    meeting_id)
        return 0
    claimed = (
        NextDateRequest.objects.waiting().exclude(email="")
        .filter(pk=request_id, opportunity_id=meeting.opportunity_id)
        .update(told_at=timezone.now())
    )
    if not claimed:
        return 0  # told already, erased, or asked to be phoned
    next_date_request = NextDateRequest.objects.select_related("opportunity").get(pk=request_id)
    try:
        sent = next_date_email(next_date_request, meeting).send()
    except Exception as error:
        NextDateRequest.objects.filter(pk=request_id).update(told_at=None)
        description = describe_error(error)
        logger.warning("Could not send the next date email for request id=%s: %s",
                       request_id, description)
        raise NextDateEmailError(
            f"Could not send the next date email for request id={request_id}: {description}"
        ) from None
    logger.info("Sent the next date email for request id=%s", request_id)
    return sent


def queue_next_date_emails(meeting):
    """When an event has a new date people can register for, queue an email to each person
    waiting to hear about it who gave an email address (those who gave only a phone number
    stay in the admin's list, for staff to phone). Once the transaction commits."""
    if meeting.is_example or not meeting.public_registration:
        return  # an example date is for demonstrations: nobody is told about it
    if meeting.starts_at <= timezone.now():
        return
    request_ids = list(
        NextDateRequest.objects.waiting().exclude(email="")
        .filter(opportunity_id=meeting.opportunity_id).values_list("pk", flat=True)
    )
    meeting_id = meeting.pk

    def enqueue():
        for request_id in request_ids:
            send_next_date_email.enqueue(request_id, meeting_id)

    if request_ids:
        transaction.on_commit(enqueue, robust=True)
