"""Site-wide protections that Django and django-csp do not give on their own."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response, and no caching of anything personal.

    Forms, confirmation pages, manage-my-interest pages and the whole admin carry
    `Cache-Control: no-store`, so a shared computer's back button or cache never shows
    someone else's answers.
    """

    PERMISSIONS_POLICY = (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=(), interest-cohort=()"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.PERMISSIONS_POLICY)
        if request.path.startswith("/admin/") or getattr(response, "no_store", False):
            response["Cache-Control"] = "no-store"
        return response


class StaffSessionTimeoutMiddleware:
    """Sign staff out after STAFF_IDLE_TIMEOUT seconds without a request.

    The 12-hour limit in all is SESSION_COOKIE_AGE, fixed at sign-in because the session is
    not saved on every request.
    """

    KEY = "last_activity"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.KEY, now)
            if now - last > settings.STAFF_IDLE_TIMEOUT:
                logout(request)
            elif now - last >= 60:
                # Saving the session costs a query: once a minute is precise enough.
                request.session[self.KEY] = now
        return self.get_response(request)


@receiver(user_logged_in)
def start_idle_timer(sender, request, user, **kwargs):
    # Set at sign-in, when the session is being saved anyway, so requests need not save it.
    if request is not None and hasattr(request, "session"):
        request.session[StaffSessionTimeoutMiddleware.KEY] = int(time.time())
