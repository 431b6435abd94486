"""The admin site, and how staff sign in to it: password, then (when required) a code from an
authenticator app.

The default admin site (`django.contrib.admin.site`, which every app registers with) is a
`StaffAdminSite`: settings.INSTALLED_APPS names `involvement.apps.StaffAdminConfig`, Django's
AdminConfig with this class as its `default_site`. Whether two-factor
sign-in is required is read from settings.REQUIRE_STAFF_TWO_FACTOR on every request (on by
default in production, off on a laptop), so the same site serves both.

With two-factor sign-in required:

* the sign-in page asks for username, password and the 6-digit code from the person's
  authenticator app (TOTP, django-otp), and only a session verified by such a code may use the
  admin. A session started any other way (`Client.force_login` in tests, for example) is
  treated as not signed in to the admin;
* every failed sign-in gets the same page with the same message, whichever part was wrong
  (username, password or code) and whether or not the person has an authenticator app yet.
  A different answer once the password was right would tell whoever is guessing that they had
  found it. The security log records the real reason, for the trust's IT. Each failure,
  a wrong code included, counts towards the slow-down and the lock-out (security.py);
* a member of staff without an authenticator app cannot get in. An admin sets one up for them:
  Admin > "TOTP devices" > Add, choose the person, save. The portal emails them a set-up link
  (involvement/two_factor.py, involvement/tasks.py). They open it, enter their password, scan
  the QR code and type the code their app then shows; once it is right, the app is confirmed
  and they are signed in, and the link stops working. The sign-in page never starts setting
  up an app: with the password alone, whoever had it could set up an app of their own.
  Unticking "Confirmed" on someone's app (a new phone, say), or the "Send a new set-up link"
  action, sends a new link and stops the old one working. The very first administrator gets
  their link from `manage.py set_up_authenticator USERNAME`.

Every admin view is also wrapped so that a refused permission (403) is written to the security
log (involvement/security.py).

The admin for staff's authenticator apps and the privacy notice's versions is in admin.py.
"""

import base64
import io
import logging
import time
from functools import update_wrapper

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.sites import AdminSite
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import devices_for_user
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import email_queue, security, two_factor
from .admin_common import render_admin_page

# The half-finished set-up of someone who opened their set-up link and entered the right
# password: they have this long to scan the QR code and type a code.
SET_UP_SESSION_KEY = "two_factor_set_up"
SET_UP_MINUTES = 10


def two_factor_required():
    return settings.REQUIRE_STAFF_TWO_FACTOR


def too_soon_error(form):
    wait = settings.STAFF_SIGN_IN_RETRY_WAIT
    return ValidationError(
        form.error_messages["too_soon"], code="too_soon",
        params={"wait": f"{wait} second{'' if wait == 1 else 's'}"},
    )


# Sign-in forms -----------------------------------------------------------------------------------


class OneTimeCodeInput(forms.TextInput):
    """The box for a code from an authenticator app. A code works once, so a page shown again
    after a failure starts with the box empty, ready for the app's next code."""

    def __init__(self):
        super().__init__(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        )

    def format_value(self, value):
        return None


class StaffAuthenticationForm(AdminAuthenticationForm):
    """Username and password, refused for a while after repeated failures (see security.py)."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Enter the right username and password for a staff account. "
            "Both are case-sensitive."
        ),
        # Failures of every kind are counted (a wrong password or a wrong code), so this says
        # nothing about which part was wrong.
        "too_soon": (
            "Signing in with this username has failed several times. "
            "Wait %(wait)s before trying again."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and security.sign_in_wait(self.request, username):
            security.log_event(
                "sign-in-too-soon", self.request,
                username_hash=security.username_hash(username),
            )
            raise too_soon_error(self)
        return super().clean()

    def confirm_login_allowed(self, user):
        try:
            super().confirm_login_allowed(user)
        except ValidationError:
            # The right password for an account that may not use the admin: a failed sign-in
            # like any other, counted as one.
            self.refuse("not-staff" if user.is_active else "inactive")

    def refuse(self, reason):
        """Refuse a sign-in whose password was right, exactly as a wrong password is refused:
        the same message, and counted towards the slow-down and the lock-out."""
        # Nothing later (the page, the view) can then tell that the password was right.
        self.user_cache = None
        security.count_failed_sign_in(self.request, self.cleaned_data.get("username"), reason)
        raise self.get_invalid_login_error()


class StaffTwoFactorAuthenticationForm(OTPAuthenticationFormMixin, StaffAuthenticationForm):
    """Username, password and the code from the person's authenticator app, with one message
    for any failure (see the module's notes)."""

    error_messages = {
        **StaffAuthenticationForm.error_messages,
        "invalid_login": (
            "Enter the right username, password and security code. The username and password "
            "are case-sensitive. Each code works once, for about 30 seconds."
        ),
    }

    otp_token = forms.CharField(
        required=False,
        max_length=12,
        label="Security code",
        help_text="The 6-digit code your authenticator app shows for this portal now.",
        widget=OneTimeCodeInput(),
    )

    # django-otp's reasons for refusing a code, as the security log names them. Throttling
    # (a code too soon after wrong ones) raises its error without a code.
    OTP_REFUSALS = {
        "token_required": "no-code",
        "invalid_token": "wrong-code",
        "device_required": "no-authenticator-app",
        None: "code-too-soon",
    }

    def clean_otp_token(self):
        return without_spaces(self.cleaned_data["otp_token"])

    def clean(self):
        # The slow-down, then the password (a wrong one is counted by Django's authenticate()),
        # then whether the account is a staff one.
        cleaned_data = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned_data  # a username or password left empty: said beside the field
        if not any(True for _ in devices_for_user(user, confirmed=True)):
            waiting = TOTPDevice.objects.filter(user=user, confirmed=False).exists()
            reason = "set-up-pending" if waiting else "no-authenticator-app"
            security.log_event(
                "two-factor-refused", self.request, level=logging.WARNING, user_id=user.pk,
                reason=reason,
            )
            self.refuse(reason)
        try:
            self.clean_otp(user)
        except ValidationError as error:
            reason = self.OTP_REFUSALS.get(error.code, "code-refused")
            security.log_event(
                "two-factor-failed", self.request, level=logging.WARNING, user_id=user.pk,
                reason=reason,
            )
            self.refuse(reason)
        return cleaned_data

    def _chosen_device(self, user):
        # Nobody is asked to choose an app: the choice could only be offered once the password
        # was known to be right, which would show that it was. Most people have one app;
        # someone with two is checked against the one whose code they typed.
        devices = [
            device for device in devices_for_user(user, confirmed=True, for_verify=True)
            if isinstance(device, TOTPDevice)
        ]
        code = self.cleaned_data.get("otp_token") or ""
        matching = (device for device in devices if two_factor.code_matches(device, code))
        return next(matching, devices[0] if devices else None)

    def _update_form(self, user):
        # django-otp fills the password box in again, and lists the person's apps, once the
        # password is right: both would show that it was.
        pass


def without_spaces(code):
    # Apps show "123 456"; people type what they see.
    return "".join(character for character in code if character not in " -")


class SetUpPasswordForm(forms.Form):
    """The password of the person a set-up link was sent to, before they see the QR code."""

    # The link's token rides in the form rather than the address it posts to, so that
    # django-axes, which keeps the address of every failed sign-in, never keeps the token.
    link = forms.CharField(widget=forms.HiddenInput)
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password."},
    )

    error_messages = {
        "invalid_password": "Enter the right password for your account. It is case-sensitive.",
        "too_soon": StaffAuthenticationForm.error_messages["too_soon"],
    }

    def __init__(self, request, device, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.device = device

    def clean_password(self):
        password = self.cleaned_data["password"]
        username = self.device.user.get_username()
        if security.sign_in_wait(self.request, username):
            security.log_event(
                "sign-in-too-soon", self.request, username_hash=security.username_hash(username)
            )
            raise too_soon_error(self)
        # authenticate() lets django-axes refuse a locked-out account and count a wrong password,
        # as on the sign-in page.
        user = authenticate(self.request, username=username, password=password)
        if user is None or user.pk != self.device.user_id:
            raise ValidationError(self.error_messages["invalid_password"], code="invalid_password")
        return password


class SetUpForm(forms.Form):
    otp_token = forms.CharField(
        max_length=12,
        label="Security code",
        help_text="The 6-digit code your authenticator app now shows for this portal.",
        error_messages={"required": "Enter the 6-digit code your authenticator app shows."},
        widget=OneTimeCodeInput(),
    )

    def clean_otp_token(self):
        return without_spaces(self.cleaned_data["otp_token"])


def qr_code_data_uri(text):
    """The QR code as an SVG data: address (allowed by the CSP's img-src), black on white so
    the admin's dark theme does not make it unreadable."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# The admin site --------------------------------------------------------------------------------


class StaffAdminSite(AdminSite):
    site_header = "Involvement portal"
    site_title = "Involvement portal admin"
    index_title = "Expressions of interest and opportunities"
    login_template = "admin/involvement/login.html"

    @property
    def login_form(self):
        if two_factor_required():
            return StaffTwoFactorAuthenticationForm
        return StaffAuthenticationForm

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        if not two_factor_required():
            return True
        is_verified = getattr(request.user, "is_verified", None)
        return bool(is_verified and is_verified())

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def logged(request, *args, **kwargs):
            try:
                return inner(request, *args, **kwargs)
            except PermissionDenied:
                security.log_permission_denied(request)
                raise

        return update_wrapper(logged, inner)

    def index(self, request, extra_context=None):
        # Staff see on the home page whether emails are going out: a dead email worker shows
        # nowhere else until people ask why they heard nothing.
        queue = email_queue.queue_state()
        context = {
            "email_queue": queue,
            "email_queue_oldest_minutes": email_queue.oldest_waiting_minutes(queue),
            **(extra_context or {}),
        }
        return super().index(request, context)

    def get_urls(self):
        return [
            path("two-factor-set-up/", self.two_factor_set_up, name="two_factor_set_up"),
            path(
                "two-factor-set-up/link/<str:token>/", self.two_factor_set_up_link,
                name="two_factor_set_up_link",
            ),
            path(
                "two-factor-set-up/password/", self.two_factor_set_up_password,
                name="two_factor_set_up_password",
            ),
            *super().get_urls(),
        ]

    @method_decorator(never_cache)
    @method_decorator(login_not_required)
    def login(self, request, extra_context=None):
        context = {
            "two_factor_required": two_factor_required(),
            "help_email": settings.STAFF_SIGN_IN_HELP_EMAIL,
            **(extra_context or {}),
        }
        return super().login(request, context)

    # Setting up an authenticator app from the emailed link -------------------------------------

    def _set_up_link_device(self, request, token):
        """The app the link is for, or None (logged, without the token) if the link is tampered
        with, expired or already used."""
        try:
            return two_factor.device_for_set_up_link(token)
        except two_factor.SetUpLinkError as error:
            security.log_event(
                "two-factor-set-up-link-refused", request, level=logging.WARNING,
                reason=error.reason,
            )
            return None

    def _set_up_page(self, request, template, title, status=200, **context):
        return render_admin_page(
            request,
            template,
            {
                "title": title,
                "help_email": settings.STAFF_SIGN_IN_HELP_EMAIL,
                "link_hours": settings.STAFF_SET_UP_LINK_HOURS,
                **context,
            },
            site=self,
            status=status,
        )

    def _link_not_working(self, request):
        response = self._set_up_page(
            request, "admin/involvement/two_factor_set_up_link_not_working.html",
            "This set-up link does not work", status=404,
        )
        # Django logs every 404 with its address, which here holds the link's token. The
        # security log has already recorded the refusal, without it.
        response._has_been_logged = True
        return response

    def _password_page(self, request, form):
        return self._set_up_page(
            request, "admin/involvement/two_factor_set_up_password.html",
            "Set up two-factor sign-in", form=form, username=form.device.user.get_username(),
        )

    @method_decorator(never_cache)
    @method_decorator(login_not_required)
    def two_factor_set_up_link(self, request, token):
        """The link in the set-up email: it asks for the password, and does nothing else.

        Email security scanners open links to check them, so opening this one must change
        nothing: the password is sent (POST) to `two_factor_set_up_password`.
        """
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        device = self._set_up_link_device(request, token)
        if device is None:
            return self._link_not_working(request)
        return self._password_page(
            request, SetUpPasswordForm(request, device, initial={"link": token})
        )

    @method_decorator(sensitive_post_parameters("password", "link"))
    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    @method_decorator(login_not_required)
    def two_factor_set_up_password(self, request):
        """The right password, with a link that still works, shows the QR code."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        device = self._set_up_link_device(request, request.POST.get("link", ""))
        if device is None:
            return self._link_not_working(request)
        form = SetUpPasswordForm(request, device, request.POST)
        if not form.is_valid():
            return self._password_page(request, form)
        request.session[SET_UP_SESSION_KEY] = {
            "user": device.user_id, "device": device.pk, "started": int(time.time()),
            "link": two_factor.fingerprint(device),
        }
        security.log_event("two-factor-set-up-started", request, user_id=device.user_id)
        return HttpResponseRedirect(reverse("admin:two_factor_set_up", current_app=self.name))

    @method_decorator(sensitive_post_parameters("otp_token"))
    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    @method_decorator(login_not_required)
    def two_factor_set_up(self, request):
        """Scan the QR code, type the code the app shows, and be signed in."""
        login_url = reverse("admin:login", current_app=self.name)
        pending = request.session.get(SET_UP_SESSION_KEY)
        if not pending or time.time() - pending["started"] > SET_UP_MINUTES * 60:
            request.session.pop(SET_UP_SESSION_KEY, None)
            return HttpResponseRedirect(login_url)
        device = two_factor.set_up_device(pending["device"])
        if (
            device is None
            or device.user_id != pending["user"]
            # A newer link has been sent since (and the app has a new secret).
            or two_factor.fingerprint(device) != pending["link"]
        ):
            request.session.pop(SET_UP_SESSION_KEY, None)
            return HttpResponseRedirect(login_url)

        form = SetUpForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            with transaction.atomic():
                device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
                allowed, _ = device.verify_is_allowed()
                verified = allowed and device.verify_token(form.cleaned_data["otp_token"])
                if verified:
                    device.confirmed = True
                    device.save(update_fields=["confirmed"])
            if verified:
                del request.session[SET_UP_SESSION_KEY]
                user = device.user
                user.otp_device = device  # django-otp keeps it in the session on login
                security.log_event("two-factor-set-up", request, user_id=user.pk)
                auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
            security.log_event(
                "two-factor-failed", request, level=logging.WARNING, user_id=device.user_id,
                reason="set-up",
            )
            form.add_error(
                "otp_token",
                "The code is not right. Enter the 6-digit code your app shows now."
                if allowed else "Wait a few seconds before entering another code.",
            )

        secret = base64.b32encode(device.bin_key).decode("ascii")
        return self._set_up_page(
            request, "admin/involvement/two_factor_set_up.html", "Set up two-factor sign-in",
            form=form,
            qr_code=qr_code_data_uri(device.config_url),
            secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
            username=device.user.get_username(),
        )
