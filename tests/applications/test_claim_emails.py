"""The person's email at each step of a claim (applications/emails.py CLAIM_STEPS), sent
through Django's mail system by the task queue."""

from decimal import Decimal

import pytest
from django.core import mail

from applications.emails import CLAIM_STEPS
from applications.models import ClaimEvent
from applications.tasks import queue_claim_email, send_claim_email
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("action", list(CLAIM_STEPS))
def test_each_step_emails_the_person_what_happens_next(
    action, django_user_model, django_capture_on_commit_callbacks
):
    staff = django_user_model.objects.create_user("lead", is_staff=True)
    claim = ClaimFactory(payment=Decimal("25"), expenses_total=Decimal("4.5"))
    event = ClaimEvent.objects.create(
        claim=claim, action=action, by=staff,
        message="Which car park?" if action in ("query", "reject") else "",
    )
    with django_capture_on_commit_callbacks(execute=True):
        queue_claim_email(event)
    headline, what_happens = CLAIM_STEPS[action]
    [email] = mail.outbox
    assert email.to == [claim.person.email]
    assert email.subject == f"{headline}: claim {claim.reference}"
    assert what_happens in email.body
    assert "£25.00" in email.body and "£4.50" in email.body and "£29.50" in email.body
    assert ("Which car park?" in email.body) == (action in ("query", "reject"))
    assert "/my-involvement/" in email.body
    html = email.alternatives[0][0]
    assert headline in html


def test_a_declined_payment_says_so(django_capture_on_commit_callbacks):
    claim = ClaimFactory(payment_declined=True)
    with django_capture_on_commit_callbacks(execute=True):
        queue_claim_email(claim.events.get())
    [email] = mail.outbox
    assert "Involvement payment: you declined it" in email.body


def test_nothing_is_sent_once_the_claim_has_gone():
    claim = ClaimFactory()
    event = claim.events.get()
    event_id = event.pk
    claim.booking.delete()  # erasure takes the booking and its claim
    assert send_claim_email.call(event_id) == 0
    assert mail.outbox == []

