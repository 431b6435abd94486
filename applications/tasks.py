"""Background tasks: the emails about expressions of interest and bookings (applications/emails.py).

- `send_expression_emails`: the confirmation to the person and the notification to staff, when
  someone expresses interest (`queue_expression_emails` queues one task per email, so a worker
  killed after the confirmation has gone never sends it again);
- `send_meeting_message`: one person's copy of a message staff wrote to everyone booked on a
  meeting, from its register (queued by `queue_meeting_message`, one task per person);
- `send_parent_consent_email`: to an under-16's parent or carer, the link to say whether they
  agree (queued with the other emails about a new expression, and when staff resend it);
- `send_update_email`: one email that follows the work (applications/updates.py), to the person
  or to a member of staff, sent at most once however often the task runs;
- `send_booking_email`: one email to a booked person, an invitation, a registration, a place on
  the waiting list, a place that has come up, or a reminder (queued by `queue_booking_email`,
  from the views, `Booking.cancel`, `ExpressionOfInterest.invite_to` and the reminders);
- `send_alert_sign_up_email` and `send_opportunity_alert`: confirming a sign-up for alerts
  about new opportunities, and the alert itself (applications/alerts.py).
- `send_claim_email`: to a lay partner at each step of their claim (applications/claims.py):
  made, queried, answered, approved, rejected, sent to payroll (`queue_claim_email`).
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

from involvement.email_queue import enqueue_on_commit
from opportunities.models import Meeting, Opportunity

from .emails import (
    alert_sign_up_email,
    booking_email,
    claim_email,
    confirmation_email,
    meeting_message_email,
    my_involvement_link_email,
    next_date_email,
    notification_email,
    opportunity_alert_email,
    parent_consent_email,
    update_email,
)
from .models import (
    AlertSubscription,
    Booking,
    ClaimEvent,
    ExpressionOfInterest,
    MeetingMessage,
    NextDateRequest,
    SignInLink,
    UpdateEmail,
)

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
    # An under-16's parent or carer is asked whether they agree, when we have their email
    # address (a phone number is for staff to ring). Not for event registrations: a place at
    # an event is booked at once, and has no pipeline for consent to hold back.
    if expression.meeting_id is None and expression.parent_consent_email:
        queue_parent_consent_email(expression)


class ParentConsentEmailError(Exception):
    """The consent email could not be sent. Names the expression's id and the error's kind."""


@task()
def send_parent_consent_email(expression_id):
    """Email an under-16's parent or carer the link to say whether they agree, and record
    when. Returns how many were sent: 0 when there is no one to send it to (erased, or their
    contact is not an email address) or they have already answered."""
    expression = (
        ExpressionOfInterest.objects.with_personal_details()
        .select_related("opportunity__programme")
        .filter(pk=expression_id)
        .first()
    )
    if expression is None or not expression.parent_consent_email:
        logger.info(
            "Expression of interest id=%s has no parent or carer email address (or was "
            "erased): no consent email sent.", expression_id,
        )
        return 0
    if expression.parent_consent:
        # They answered between queueing and sending: a request now would confuse them.
        logger.info(
            "Expression of interest id=%s: the parent or carer has answered, no consent "
            "email sent.", expression_id,
        )
        return 0
    try:
        sent = parent_consent_email(expression).send()
    except Exception as error:
        description = describe_error(error)
        logger.warning(
            "Could not send the consent email for expression of interest id=%s: %s",
            expression_id, description,
        )
        raise ParentConsentEmailError(
            f"Could not send the consent email for expression of interest id={expression_id}: "
            f"{description}"
        ) from None
    ExpressionOfInterest.objects.filter(pk=expression_id).update(
        parent_consent_requested_at=timezone.now()
    )
    logger.info("Sent the consent email for expression of interest id=%s", expression_id)
    return sent


def queue_parent_consent_email(expression):
    """Queue the consent email to an under-16's parent or carer, once the transaction commits.
    Only the expression's primary key goes into the task."""
    if expression.pk is None:
        raise ValueError("Save the expression of interest before queueing its consent email.")
    enqueue_on_commit(send_parent_consent_email, expression.pk)


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
    if booking.pk is None:
        raise ValueError("Save the booking before queueing its email.")
    enqueue_on_commit(send_booking_email, booking.pk, kind)


@task()
def send_impact_email(expression_id, record_id, update_id=None):
    """One email to one lay partner or group member about a "you said, we did" record (or an
    update to it). Read again when it runs: someone erased, opted out or no longer joined in the
    meantime, or a record returned to draft, gets nothing."""
    from opportunities.impact import ImpactRecord, ImpactUpdate

    from .emails import impact_email

    expression = (
        ExpressionOfInterest.objects.to_tell_about_impact(
            ExpressionOfInterest.objects.filter(pk=expression_id).values("opportunity_id")
        )
        .select_related("opportunity")
        .filter(pk=expression_id)
        .first()
    )
    record = ImpactRecord.objects.published().filter(pk=record_id).first()
    if expression is None or record is None:
        logger.info(
            "Impact email for expression id=%s, record id=%s not sent: no longer applies.",
            expression_id, record_id,
        )
        return 0
    update = ImpactUpdate.objects.filter(pk=update_id).first() if update_id else None
    try:
        return impact_email(expression, record, update).send()
    except Exception as error:
        raise ExpressionEmailError(
            f"Could not send the impact email for expression of interest id={expression_id}: "
            f"{describe_error(error)}"
        ) from None


def queue_impact_emails(sender, record, update=None, **kwargs):
    """Answers opportunities' `impact_shared` signal (connected in ApplicationsConfig.ready):
    one email to each person who joined an opportunity the record names, however many of
    those opportunities they joined (one per email address)."""
    opportunity_ids = list(record.opportunities.values_list("pk", flat=True))
    if not opportunity_ids:
        return
    chosen = {}
    for expression_id, email in (
        ExpressionOfInterest.objects.to_tell_about_impact(opportunity_ids)
        .order_by("pk")
        .values_list("pk", "email")
    ):
        chosen.setdefault(email.strip().lower(), expression_id)
    update_id = update.pk if update is not None else None
    for expression_id in chosen.values():
        send_impact_email.enqueue(expression_id, record.pk, update_id)


@task()
def send_meeting_message(message_id, booking_id):
    """Send one person their copy of a message to everyone booked on a meeting. Returns how
    many were sent: 0 if, by now, their details have gone, they have no email address, or
    their place is cancelled."""
    message = MeetingMessage.objects.filter(pk=message_id).first()
    booking = (
        Booking.objects.select_related("meeting__opportunity__programme", "expression")
        .filter(pk=booking_id, expression__anonymised_at__isnull=True)
        .exclude(status=Booking.Status.CANCELLED)
        .first()
    )
    if message is None or booking is None or not booking.expression.email:
        logger.info(
            "Meeting message id=%s: booking id=%s is gone, cancelled, erased or has no email "
            "address: not sent.", message_id, booking_id,
        )
        return 0
    try:
        sent = meeting_message_email(booking, message).send()
    except Exception as error:
        description = describe_error(error)
        logger.warning(
            "Could not send meeting message id=%s to booking id=%s: %s",
            message_id, booking_id, description,
        )
        raise BookingEmailError(
            f"Could not send meeting message id={message_id} to booking id={booking_id}: "
            f"{description}"
        ) from None
    logger.info("Sent meeting message id=%s to booking id=%s", message_id, booking_id)
    return sent


def queue_meeting_message(message, bookings):
    """Queue one task per booking with an email address, once the transaction commits: one
    person's failure never holds up, or repeats, another's email."""
    booking_ids = [booking.pk for booking in bookings if booking.expression.email]

    def enqueue():
        for booking_id in booking_ids:
            send_meeting_message.enqueue(message.pk, booking_id)

    transaction.on_commit(enqueue, robust=True)
    return len(booking_ids)


# Alerts about new opportunities (applications/alerts.py) -------------------------------------

ALERT_SIGN_UP_EMAILS = ("confirm", "already_signed_up")


class AlertEmailError(Exception):
    """An alert email could not be sent. Names the sign-up's id and the error's kind only."""


def _send_alert(email, subscription_id, what):
    try:
        sent = email.send()
    except Exception as error:
        description = describe_error(error)
        logger.warning(
            "Could not send the %s email for alert sign-up id=%s: %s",
            what, subscription_id, description,
        )
        raise AlertEmailError(
            f"Could not send the {what} email for alert sign-up id={subscription_id}: "
            f"{description}"
        ) from None
    logger.info("Sent the %s email for alert sign-up id=%s", what, subscription_id)
    return sent


@task()
def send_alert_sign_up_email(subscription_id, kind):
    """The email after signing up for alerts. Returns how many were sent: 0 if the sign-up has
    gone (unsubscribed, erased) or, for "confirm", was confirmed meanwhile."""
    if kind not in ALERT_SIGN_UP_EMAILS:
        raise ValueError(f"Unknown alert sign-up email: {kind!r}")
    subscription = AlertSubscription.objects.filter(pk=subscription_id).first()
    if subscription is None or (kind == "confirm" and subscription.is_confirmed):
        logger.info("Alert sign-up id=%s is gone or confirmed: no %s email sent.",
                    subscription_id, kind)
        return 0
    return _send_alert(alert_sign_up_email(subscription, kind), subscription_id, kind)


@task()
def send_opportunity_alert(subscription_id, opportunity_ids):
    """One alert: the opportunities `send_opportunity_alerts` found for this person. Any that
    closed meanwhile are left out, and nothing is sent if none is still open or the person
    unsubscribed meanwhile. Returns how many emails were sent."""
    subscription = AlertSubscription.objects.confirmed().filter(pk=subscription_id).first()
    if subscription is None:
        logger.info("Alert sign-up id=%s is gone: no alert sent.", subscription_id)
        return 0
    opportunities = list(
        Opportunity.objects.open().filter(pk__in=opportunity_ids)
        .select_related("programme").order_by("opened_at", "pk")
    )
    if not opportunities:
        logger.info("No opportunity for alert sign-up id=%s is still open: no alert sent.",
                    subscription_id)
        return 0
    return _send_alert(
        opportunity_alert_email(subscription, opportunities), subscription_id, "alert"
    )


def queue_alert_sign_up_email(subscription, kind):
    """Queue the email after signing up, once the transaction commits."""
    if kind not in ALERT_SIGN_UP_EMAILS:
        raise ValueError(f"Unknown alert sign-up email: {kind!r}")
    enqueue_on_commit(send_alert_sign_up_email, subscription.pk, kind)


def queue_opportunity_alert(subscription, opportunity_ids):
    """Queue one alert, once the transaction that claimed it commits. Only ids go in the task."""
    enqueue_on_commit(send_opportunity_alert, subscription.pk, list(opportunity_ids))


class UpdateEmailError(Exception):
    """An email that follows the work could not be sent. Names the record's id and the error's
    kind only."""


def _why_not_send(record):
    """Why this email must not go now, or "" when it may."""
    if record.recipient_id:
        user = record.recipient
        if not (user.is_active and user.is_staff and user.email):
            return "its member of staff has no active account with an email address"
        return ""
    expression = record.expression
    if expression is None or expression.anonymised_at:
        return "its person was erased"
    if not expression.email:
        return "its person has no email address"
    if record.kind == UpdateEmail.Kind.MEETING_CHANGED and (
        record.booking is None or record.booking.status == Booking.Status.CANCELLED
    ):
        return "the booking was cancelled"
    return ""


@task()
def send_update_email(record_id):
    """Send one UpdateEmail (applications/updates.py), at most once: the record is claimed
    before sending, so a task the queue runs again sends nothing more; if sending fails the
    claim is let go and the error raised, for the task to be run again. Returns how many
    emails were sent."""
    record = (
        UpdateEmail.objects.select_related(
            "expression__opportunity__programme", "booking__meeting__opportunity",
            "booking__expression", "recipient",
        )
        .filter(pk=record_id)
        .first()
    )
    if record is None or record.sent_at is not None:
        logger.info("Update email id=%s has gone or was sent already: not sent.", record_id)
        return 0
    reason = _why_not_send(record)
    if reason:
        logger.info("Update email id=%s not sent: %s.", record_id, reason)
        return 0
    if not record.claim():
        return 0
    try:
        sent = update_email(record).send()
    except Exception as error:
        record.release()
        description = describe_error(error)
        logger.warning("Could not send update email id=%s: %s", record_id, description)
        raise UpdateEmailError(
            f"Could not send update email id={record_id}: {description}"
        ) from None
    logger.info("Sent update email id=%s (%s)", record_id, record.kind)
    return sent


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


# Sign-in links to a lay partner's own page (applications/my_involvement.py) ------------------


@task()
def send_my_involvement_link(link_id):
    """The sign-in link. Only the link's id is stored with the task (its token is rebuilt
    from it); nothing is sent if the link has gone or the person is no longer a lay partner
    (erased meanwhile). Returns how many emails were sent."""
    link = SignInLink.objects.filter(pk=link_id, used_at__isnull=True).first()
    if link is None or not ExpressionOfInterest.objects.joined_by(link.email).exists():
        logger.info("Sign-in link id=%s is gone or not for a lay partner: not sent.", link_id)
        return 0
    try:
        sent = my_involvement_link_email(link).send()
    except Exception as error:
        logger.warning(
            "Could not send sign-in link id=%s: %s", link_id, describe_error(error)
        )
        raise
    logger.info("Sent sign-in link id=%s", link_id)
    return sent


def queue_my_involvement_link(link):
    enqueue_on_commit(send_my_involvement_link, link.pk)


# Claims (applications/claims.py) ------------------------------------------------------------


@task()
def send_claim_email(event_id):
    """The email about one step of a claim. Nothing is sent if the claim has gone (erased
    meanwhile) or the person has no email address. Returns how many emails were sent."""
    event = (
        ClaimEvent.objects.filter(pk=event_id)
        .select_related("claim__booking__meeting", "claim__booking__expression")
        .first()
    )
    if event is None or not event.claim.booking.expression.email:
        logger.info("Claim event id=%s is gone or has no address: not sent.", event_id)
        return 0
    try:
        sent = claim_email(event).send()
    except Exception as error:
        logger.warning("Could not send claim email event=%s: %s", event_id, describe_error(error))
        raise
    logger.info("Sent claim email event=%s action=%s", event_id, event.action)
    return sent


def queue_claim_email(event):
    """Queue the person's email about this step, once the transaction that made it commits."""
    enqueue_on_commit(send_claim_email, event.pk)
