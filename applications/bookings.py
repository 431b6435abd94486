"""Bookings: a person's place at a briefing, taster or event meeting, and every rule about it.

What a booking can become, and by which act, is one table (`Booking.ACTS`); the person's email
links (`link_state`, `respond`), staff's buttons in the admin (`staff_outcomes`, `record`),
erasure and the reminders all ask it. What happens when a place frees up is in one place too:
`cancel()` gives it to the first person waiting and emails them.

A meeting's capacity is kept by locking the meeting's row while its places are counted
(`book`, `cancel`), so people booking or cancelling at the same moment queue behind one another
and a meeting is never overbooked (PostgreSQL; SQLite serialises writes anyway).

The model is imported into applications/models.py, so `applications.models.Booking` is the
usual name for it.
"""

from typing import NamedTuple

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from opportunities.models import Meeting

BOOKING_LINK_SALT = "applications.booking-link"


class BookingError(ValidationError):
    """A booking change that is not allowed; the message says why, for the person or staff."""


class Act(NamedTuple):
    """One thing that can happen to a booking: the statuses it may start from, the status it
    leaves the booking in, and what it says when the booking is in another status."""

    allowed_from: list
    to: str
    refusal: str


class BookingQuerySet(models.QuerySet):
    def holding_places(self):
        """Bookings that take up one of a meeting's places."""
        return self.filter(status__in=Booking.HOLDS_A_PLACE)

    def waiting(self):
        return self.filter(status=Booking.Status.WAITLISTED).order_by("created_at", "pk")

    def cancellable(self):
        return self.filter(status__in=Booking.ACTS["cancel"].allowed_from)

    def on_register(self):
        """A meeting's register: everyone with a place, then everyone waiting (each in the
        order they booked), with their expressions of interest. Cancelled places are not on
        it."""
        order = models.Case(
            models.When(status=Booking.Status.WAITLISTED, then=models.Value(1)),
            default=models.Value(0),
        )
        return (
            self.exclude(status=Booking.Status.CANCELLED)
            .select_related("expression")
            .order_by(order, "created_at", "pk")
        )

    def to_message(self, *, include_waiting=False):
        """Who an email to everyone booked on a meeting goes to: everyone with a place (and
        those waiting, if asked), never anyone whose details have been removed. Those with no
        email address are among them: staff phone them instead."""
        statuses = [*Booking.HOLDS_A_PLACE]
        if include_waiting:
            statuses.append(Booking.Status.WAITLISTED)
        return (
            self.filter(status__in=statuses, expression__anonymised_at__isnull=True)
            .select_related("expression")
            .order_by("created_at", "pk")
        )

    def awaiting_reminder(self):
        """Places (and invitations not yet answered) whose person has not been reminded."""
        return self.filter(status__in=Booking.REMINDED, reminder_sent_at__isnull=True)


class Booking(models.Model):
    """A person's place at a briefing, taster or event meeting."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        CONFIRMED = "confirmed", "Confirmed"
        ATTENDED = "attended", "Attended"
        DID_NOT_ATTEND = "did_not_attend", "Did not attend"
        CANCELLED = "cancelled", "Cancelled"
        WAITLISTED = "waitlisted", "On the waiting list"

    # An invitation holds a place until it is declined, so a meeting is never overbooked by
    # people accepting at once.
    HOLDS_A_PLACE = [Status.INVITED, Status.CONFIRMED, Status.ATTENDED, Status.DID_NOT_ATTEND]

    # Who is reminded of their meeting a day or two before (send_meeting_reminders).
    REMINDED = [Status.CONFIRMED, Status.INVITED]

    # What each act may change. A place on the waiting list becomes a confirmed place only when
    # one frees up (`cancel`), never by an act of its own.
    ACTS = {
        "accept": Act(
            [Status.INVITED], Status.CONFIRMED,
            "This invitation cannot be accepted: the booking is {status}.",
        ),
        "cancel": Act(
            [Status.INVITED, Status.CONFIRMED, Status.WAITLISTED], Status.CANCELLED,
            "This booking cannot be cancelled: it is {status}.",
        ),
        "attended": Act(
            [Status.INVITED, Status.CONFIRMED, Status.DID_NOT_ATTEND], Status.ATTENDED,
            "Attendance cannot be recorded: the booking is {status}.",
        ),
        "did_not_attend": Act(
            [Status.INVITED, Status.CONFIRMED, Status.ATTENDED], Status.DID_NOT_ATTEND,
            "Non-attendance cannot be recorded: the booking is {status}.",
        ),
    }

    # The acts staff record from the admin, as its buttons name them.
    STAFF_OUTCOMES = {
        "attended": "Attended", "did_not_attend": "Did not attend", "cancel": "Cancel",
    }

    # The acts a person's email links do.
    LINK_ACTIONS = {"accept": "accept", "decline": "cancel"}

    expression = models.ForeignKey(
        "applications.ExpressionOfInterest", on_delete=models.CASCADE, related_name="bookings"
    )
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INVITED)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["meeting__starts_at", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["expression", "meeting"], name="one_booking_per_person_per_meeting"
            )
        ]
        indexes = [models.Index(fields=["meeting", "status"], name="booking_meeting_status")]

    def __str__(self):
        return f"{self.expression.reference} at {self.meeting}"

    @property
    def holds_a_place(self):
        return self.status in self.HOLDS_A_PLACE

    def can(self, act):
        """Whether `act` (a key of ACTS) may happen to this booking as it is now."""
        return self.status in self.ACTS[act].allowed_from

    # Making a booking ----------------------------------------------------------------------

    @classmethod
    def book(cls, meeting, expression, *, invited_by=None, status=None):
        """Give the person a place, or a place on the waiting list when the meeting is full."""
        status = status or cls.Status.CONFIRMED
        with transaction.atomic():
            locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
            existing = cls.objects.filter(meeting=locked, expression=expression).first()
            if existing and existing.status != cls.Status.CANCELLED:
                return existing
            full = locked.capacity is not None and locked.places_taken() >= locked.capacity
            final = cls.Status.WAITLISTED if full else status
            if existing:
                existing.status = final
                existing.created_at = timezone.now()
                existing.invited_by = invited_by
                existing.save(update_fields=["status", "created_at", "invited_by", "updated_at"])
                return existing
            return cls.objects.create(
                meeting=locked, expression=expression, status=final, invited_by=invited_by
            )

    # Changing one ----------------------------------------------------------------------------

    def _do(self, act):
        """Move to the act's status if the booking (as the database has it now) allows it."""
        rule = self.ACTS[act]
        with transaction.atomic():
            current = type(self).objects.select_for_update().get(pk=self.pk)
            if current.status not in rule.allowed_from:
                raise BookingError(
                    rule.refusal.format(status=current.get_status_display().lower())
                )
            self.status = rule.to
            self.save(update_fields=["status", "updated_at"])
        return self

    def accept(self):
        return self._do("accept")

    def cancel(self):
        """The person declines or cancels (or staff cancel for them, or their data is erased).

        The place goes to the first person waiting, who is emailed once the transaction
        commits. Returns the booking promoted, if any.
        """
        from .tasks import queue_booking_email  # tasks imports the models

        with transaction.atomic():
            locked = Meeting.objects.select_for_update().get(pk=self.meeting_id)
            self._do("cancel")
            promoted = self._fill_freed_place(locked)
            if promoted is not None:
                queue_booking_email(promoted, "promoted")
        return promoted

    @classmethod
    def _fill_freed_place(cls, meeting):
        """Give a free place to the first person waiting; call with the meeting row locked."""
        if meeting.capacity is not None and meeting.places_taken() >= meeting.capacity:
            return None
        first = cls.objects.filter(meeting=meeting).waiting().first()
        if first is None:
            return None
        first.status = cls.Status.CONFIRMED
        first.save(update_fields=["status", "updated_at"])
        return first

    def mark_attended(self, *, by):
        """Staff record attendance; a briefing or taster moves the expression on too."""
        with transaction.atomic():
            self._do("attended")
            self.expression.attended(self.meeting, by=by)
        return self

    def mark_did_not_attend(self, *, by):
        return self._do("did_not_attend")

    # What staff may record -------------------------------------------------------------------

    def staff_outcomes(self, now=None):
        """The buttons staff may press for this booking now: (outcome, label) pairs.

        Attendance is recorded once the meeting has started; a place can be cancelled until the
        meeting ends.
        """
        now = now or timezone.now()
        offered = []
        if self.meeting.starts_at <= now:
            offered += [act for act in ("attended", "did_not_attend") if self.can(act)]
        if self.meeting.ends_at > now and self.can("cancel"):
            offered.append("cancel")
        return [(outcome, self.STAFF_OUTCOMES[outcome]) for outcome in offered]

    def record(self, outcome, *, by):
        """Staff record what happened: "attended", "did_not_attend" or "cancel".

        Raises BookingError, saying why, for an outcome not offered now. Returns the booking
        promoted into a place a cancellation freed, if any.
        """
        now = timezone.now()
        if outcome not in dict(self.staff_outcomes(now)):
            raise BookingError(self._staff_refusal(outcome, now))
        if outcome == "attended":
            self.mark_attended(by=by)
        elif outcome == "did_not_attend":
            self.mark_did_not_attend(by=by)
        else:
            return self.cancel()
        return None

    @classmethod
    def record_attendance(cls, outcomes, *, by):
        """Staff record attendance for many at once, from a meeting's register: `outcomes` is
        a list of (booking, "attended" or "did_not_attend"), each recorded as `record` does
        one (a briefing or taster moves the person on). All or nothing: if one is refused,
        none is saved, and BookingError says which and why."""
        with transaction.atomic():
            for booking, outcome in outcomes:
                try:
                    booking.record(outcome, by=by)
                except ValidationError as error:  # BookingError and InvalidMove
                    raise BookingError(
                        f"{booking.expression.reference}: {' '.join(error.messages)} "
                        "Nothing has been recorded: check the register and save it again."
                    ) from error

    def _staff_refusal(self, outcome, now):
        if outcome in ("attended", "did_not_attend") and self.meeting.starts_at > now:
            return "You can record attendance once the meeting has started."
        if outcome == "cancel" and self.meeting.ends_at <= now:
            return "This meeting has ended: record whether they attended instead."
        return (
            "That cannot be recorded for this booking: it is "
            f"{self.get_status_display().lower()}."
        )

    # The person's accept and decline links ---------------------------------------------------

    def token(self, action):
        """A signed token for the person's accept or decline link; it names no person."""
        return signing.dumps([self.pk, action], salt=BOOKING_LINK_SALT, compress=True)

    @classmethod
    def from_token(cls, token, action):
        if action not in cls.LINK_ACTIONS:
            return None
        try:
            pk, signed_action = signing.loads(
                token, salt=BOOKING_LINK_SALT, max_age=settings.MANAGE_LINK_MAX_AGE
            )
        except (signing.BadSignature, ValueError, TypeError):
            return None
        if signed_action != action:
            return None
        return (
            cls.objects.select_related("meeting__opportunity", "meeting__site", "expression")
            .filter(pk=pk, expression__anonymised_at__isnull=True)
            .first()
        )

    def link_state(self, action, now=None):
        """What the page for the person's "accept" or "decline" link says now:
        "confirm_accept" or "confirm_decline" when the link can act, otherwise why not
        ("accepted", "declined", "waiting", "accept_after_cancel" or "past")."""
        if self.meeting.ends_at < (now or timezone.now()):
            return "past"
        if self.can(self.LINK_ACTIONS[action]):
            return f"confirm_{action}"
        if action == "accept":
            return {
                self.Status.CONFIRMED: "accepted",
                self.Status.CANCELLED: "accept_after_cancel",
                self.Status.WAITLISTED: "waiting",
            }.get(self.status, "past")
        return "declined" if self.status == self.Status.CANCELLED else "past"

    def respond(self, action):
        """The person presses the button on their link's page: accept, or decline (which
        frees the place for whoever is waiting)."""
        if action == "accept":
            return self.accept()
        return self.cancel()
