from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Expressions of interest"

    def ready(self):
        from django.db.models import Count, Q

        from opportunities.models import count_with

        from .models import Booking, ExpressionOfInterest

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
