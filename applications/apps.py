from django.apps import AppConfig


def lay_partner_joined_or_left(instance):
    """Opportunity pages count the lay partners who joined through the portal. A new expression
    of interest, or a note or assignment on one, changes no public page; joining and leaving do.
    Every move is recorded as a StatusChange, so a move to or from "joined" is seen there, and
    an expression saved as "joined" (created so, or edited) is seen on the expression."""
    from .models import ExpressionOfInterest

    statuses = {getattr(instance, name, None) for name in ("status", "from_status", "to_status")}
    return ExpressionOfInterest.Status.JOINED in statuses


def _meeting_saved(sender, instance, **kwargs):
    from .tasks import queue_next_date_emails

    queue_next_date_emails(instance)


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Expressions of interest"

    def ready(self):
        from django.core import checks
        from django.db.models import Count, Q
        from django.db.models.signals import post_save, pre_save

        from involvement.page_cache import forget_when_changed
        from opportunities.models import Meeting, count_with

        from .alerts import check_unsubscribe_address_is_https
        from .models import Booking, ExpressionOfInterest, StatusChange
        from .updates import meeting_saved, remember_meeting_details

        checks.register(check_unsubscribe_address_is_https, checks.Tags.security, deploy=True)

        # Opportunity and meeting pages count rows of this app, which opportunities may not
        # import: this says how (see opportunities/models.py's docstring).
        count_with(
            taken_count=Count("bookings", filter=Q(bookings__status__in=Booking.HOLDS_A_PLACE)),
            waiting_count=Count(
                "bookings", filter=Q(bookings__status=Booking.Status.WAITLISTED)
            ),
            joined_count=Count(
                "expressions", filter=Q(expressions__status=ExpressionOfInterest.Status.JOINED)
            ),
        )
        # What the public pages show of this app, so stored pages go when it changes: free
        # places on events, and the lay partners who joined.
        forget_when_changed(Booking)
        forget_when_changed(ExpressionOfInterest, StatusChange, only_if=lay_partner_joined_or_left)
        # A meeting's new time or place reaches the people booked on it (updates.py).
        pre_save.connect(remember_meeting_details, sender=Meeting, dispatch_uid="meeting_before")
        post_save.connect(meeting_saved, sender=Meeting, dispatch_uid="meeting_changed")

        # "You said, we did": opportunities says when a record is shared; the people to tell
        # are this app's (opportunities/impact.py explains why a signal).
        from opportunities.impact import impact_shared

        from .tasks import queue_impact_emails

        impact_shared.connect(queue_impact_emails, dispatch_uid="applications.impact-emails")
        # People waiting to hear about an event's next date are told when one is saved.
        post_save.connect(_meeting_saved, sender=Meeting, dispatch_uid="next_date_emails")
