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
    """Sign staff out after STAFF_IDLE_TIMEOUT seconds without a request, and SESSION_COOKIE_AGE
    seconds after they signed in, however busy they have been.

    Both are checked here, against times kept in the session, because the session's own expiry
    cannot hold the limit in all: every save of the session (the idle timer's, once a minute)
    moves its expiry SESSION_COOKIE_AGE further on, and the cookie itself ends when the browser
    closes (SESSION_EXPIRE_AT_BROWSER_CLOSE), for shared computers.
    """

    KEY = "last_activity"
    SIGNED_IN_KEY = "signed_in_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            if self.KEY not in session or self.SIGNED_IN_KEY not in session:
                # A session from before these were kept: its timers start now.
                session.setdefault(self.KEY, now)
                session.setdefault(self.SIGNED_IN_KEY, now)
            last, signed_in = session[self.KEY], session[self.SIGNED_IN_KEY]
            if now - last > settings.STAFF_IDLE_TIMEOUT:
                request.security_sign_out_reason = "idle"
                logout(request)
            elif now - signed_in > settings.SESSION_COOKIE_AGE:
                request.security_sign_out_reason = "session-limit"
                logout(request)
            elif now - last >= 60:
                # Saving the session costs a query: once a minute is precise enough.
                session[self.KEY] = now
        return self.get_response(request)


@receiver(user_logged_in)
def start_idle_timer(sender, request, user, **kwargs):
    # Set at sign-in, when the session is being saved anyway, so requests need not save it.
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[StaffSessionTimeoutMiddleware.KEY] = now
        request.session[StaffSessionTimeoutMiddleware.SIGNED_IN_KEY] = now
