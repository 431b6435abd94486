"""How staff sign in to the admin: password, then (when required) a code from an authenticator app.

The default admin site (`django.contrib.admin.site`, which every app registers with) becomes a
`StaffAdminSite` when Django's admin autodiscovery imports this module. Whether two-factor
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

Every admin view is also wrapped so that a refused permission (403) and the request being
handled are known to the security log (involvement/security.py).

The admin for the privacy notice's versions is at the end of this module.
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
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.sites import AdminSite
from django.contrib.admin.utils import unquote
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Subquery
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import devices_for_user
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import email_queue, security, two_factor
from .models import PrivacyNotice, PublishedNoticeError
from .tasks import queue_set_up_link_email
from .views import privacy_notice_context

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
            with security.handling_admin_request(request):
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
        context = {
            **self.each_context(request),
            "title": title,
            "subtitle": None,
            "help_email": settings.STAFF_SIGN_IN_HELP_EMAIL,
            "link_hours": settings.STAFF_SET_UP_LINK_HOURS,
            **context,
        }
        request.current_app = self.name
        return TemplateResponse(request, template, context, status=status)

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


# The default admin site becomes the staff one. Its registry, headers and titles are kept: only
# the behaviour above changes. (Django's admin autodiscovery imports this module, once, at
# start-up.)
admin.site.__class__ = StaffAdminSite


# Authenticator apps in the admin -----------------------------------------------------------------


class StaffTOTPDeviceForm(forms.ModelForm):
    def clean(self):
        cleaned_data = super().clean()
        user = cleaned_data.get("user", getattr(self.instance, "user", None))
        adding = self.instance.pk is None
        unconfirming = "confirmed" in self.changed_data and not cleaned_data.get("confirmed")
        if user is None or not (adding or unconfirming):
            return cleaned_data
        field = "user" if adding else "confirmed"
        if not user.email:
            self.add_error(
                field,
                f"{user.get_username()} has no email address, so the portal cannot send them "
                "a link to set up their authenticator app. Add their email address to their "
                "user account first.",
            )
        elif not (user.is_active and user.is_staff):
            self.add_error(field, not_active_staff(user))
        return cleaned_data


def not_active_staff(user):
    # Set-up links only work for active staff (involvement/two_factor.py): say so rather than
    # send one that cannot work.
    return (
        f"{user.get_username()} is not an active staff account, so could not use the admin. "
        "Tick “Active” and “Staff status” on their user account first."
    )


class StaffTOTPDeviceAdmin(TOTPDeviceAdmin):
    """Admins invite a member of staff to set up an authenticator app; they never see its
    secret (settings.OTP_ADMIN_HIDE_SENSITIVE_DATA), and the person sets it up themselves from
    the link the portal emails them."""

    form = StaffTOTPDeviceForm
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    actions = ["send_new_set_up_link"]

    def get_list_display(self, request):
        return self.list_display

    def get_fieldsets(self, request, obj=None):
        hours = settings.STAFF_SET_UP_LINK_HOURS
        if obj is None:
            return [(None, {
                "fields": ["user", "name"],
                "description": (
                    "Choose the member of staff. When you save, the portal emails them a link "
                    "to set up an authenticator app on their phone: they enter their password, "
                    "scan a QR code and type the code the app shows. The link works for "
                    f"{hours} hour{pluralize(hours)}. Until they have set it up they cannot "
                    "use the admin."
                ),
            })]
        return [
            (None, {
                "fields": ["user", "name", "confirmed"],
                "description": (
                    "Untick “Confirmed” to make them set up their authenticator app again (for "
                    "example on a new phone): the portal emails them a new set-up link. Delete "
                    "this to remove it."
                ),
            }),
            ("Use", {"fields": ["created_at", "last_used_at"]}),
            ("Wrong codes", {
                "fields": ["throttling_failure_count", "throttling_failure_timestamp"],
            }),
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # An app belongs to the person who set it up: moving it to someone else would let
            # whoever holds that phone sign in as them.
            fields.append("user")
        return fields

    def get_changeform_initial_data(self, request):
        return {"name": "Authenticator app", **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        send_link = not change or ("confirmed" in form.changed_data and not obj.confirmed)
        if not change:
            obj.confirmed = False  # the person confirms it by typing a code from their app
        super().save_model(request, obj, form, change)
        security.log_event(
            "two-factor-invited" if not obj.confirmed else "two-factor-device-changed",
            request, device_id=obj.pk, for_user_id=obj.user_id, **security.staff_fields(request),
        )
        if send_link:
            self._send_set_up_link(request, obj)

    def _send_set_up_link(self, request, device):
        two_factor.start_set_up(device)
        queue_set_up_link_email(device)
        security.log_event(
            "two-factor-set-up-link-sent", request, device_id=device.pk,
            for_user_id=device.user_id, **security.staff_fields(request),
        )
        hours = settings.STAFF_SET_UP_LINK_HOURS
        self.message_user(
            request,
            f"The portal has emailed {device.user.get_username()} ({device.user.email}) a link "
            f"to set up their authenticator app. It works for {hours} hour{pluralize(hours)}, "
            "until they have set it up.",
            messages.SUCCESS,
        )

    @admin.action(description="Send a new set-up link to the selected", permissions=["change"])
    def send_new_set_up_link(self, request, queryset):
        for device in queryset.select_related("user"):
            username = device.user.get_username()
            if device.confirmed:
                self.message_user(
                    request,
                    f"{username}'s authenticator app is already set up, so no link was sent. "
                    "To make them set it up again, untick “Confirmed” on it.",
                    messages.WARNING,
                )
            elif not device.user.email:
                self.message_user(
                    request,
                    f"{username} has no email address, so no link was sent. Add their email "
                    "address to their user account first.",
                    messages.ERROR,
                )
            elif not (device.user.is_active and device.user.is_staff):
                self.message_user(
                    request, f"No link was sent: {not_active_staff(device.user)}", messages.ERROR
                )
            else:
                self._send_set_up_link(request, device)
                self.log_change(request, device, "Sent a new set-up link.")

    def delete_model(self, request, obj):
        security.log_event(
            "two-factor-device-deleted", request, device_id=obj.pk, for_user_id=obj.user_id,
            **security.staff_fields(request),
        )
        super().delete_model(request, obj)


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, StaffTOTPDeviceAdmin)


# The privacy notice -------------------------------------------------------------------------------


class PrivacyNoticeForm(forms.ModelForm):
    class Meta:
        model = PrivacyNotice
        fields = ["version", "summary_of_changes", "lawful_basis", "body"]
        widgets = {
            "version": forms.TextInput(attrs={"size": 20, "spellcheck": "false"}),
            "summary_of_changes": forms.Textarea(attrs={"rows": 3, "cols": 80}),
            "lawful_basis": forms.Textarea(attrs={"rows": 6, "cols": 80}),
            "body": forms.Textarea(attrs={"rows": 30, "cols": 80}),
        }
        error_messages = {
            "version": {
                "required": "Enter a name for this version, for example 2027-03.",
                "invalid": "Use only letters, numbers and hyphens, for example 2027-03.",
            },
            "lawful_basis": {"required": "Enter the lawful basis."},
            "body": {"required": "Enter the text of the notice."},
        }


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(admin.ModelAdmin):
    """Versions of the privacy notice (involvement/models.py).

    A draft is written, previewed and published (with a confirmation page); a published version
    is read-only and can never be deleted, because people agreed to it as it is. Changes are
    made in a new draft started from a published version.
    """

    form = PrivacyNoticeForm
    list_display = ["version", "state", "published", "summary_of_changes"]
    search_fields = ["version"]
    actions = ["publish", "start_new_version"]
    change_form_template = "admin/involvement/privacynotice/change_form.html"
    view_on_site = False  # the change page has its own "Preview" and "View on the website"
    empty_value_display = "–"
    fieldsets = [
        (None, {"fields": ["version", "state", "summary_of_changes"]}),
        ("The notice", {"fields": ["lawful_basis", "body", "retention"]}),
        ("Record", {"fields": ["published", "created"]}),
    ]
    readonly_fields = ["state", "retention", "published", "created"]

    class Media:
        css = {"all": ["admin/privacy_notice.css"]}

    def get_queryset(self, request):
        # Which row is the current notice, in the same query as the rows.
        current = PrivacyNotice.objects.published().newest_first().values("pk")[:1]
        return (
            super().get_queryset(request)
            .annotate(current_pk=Subquery(current))
            .select_related("published_by", "created_by")
        )

    def get_changeform_initial_data(self, request):
        return {
            "version": PrivacyNotice.objects.unused_version(),
            **super().get_changeform_initial_data(request),
        }

    # Published versions are fixed ------------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # Deleting a selection skips the check above, and would take published versions too.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    # Columns and read-only fields ------------------------------------------------------------

    @admin.display(description="State")
    def state(self, notice):
        if not notice.is_published:
            return "Draft"
        if notice.pk == getattr(notice, "current_pk", None):
            return "Current: on the website now"
        if notice.published_at > timezone.now():
            return "Published, in force from " + date_format(
                timezone.localtime(notice.published_at), "j M Y, H:i"
            )
        return "Earlier version"

    @staticmethod
    def _when_by(moment, user):
        when = date_format(timezone.localtime(moment), "j M Y, H:i")
        if user is None:
            return when
        return f"{when} by {user.get_full_name() or user}"

    @admin.display(description="Published", ordering="published_at")
    def published(self, notice):
        if not notice.is_published:
            return "Not yet"
        return self._when_by(notice.published_at, notice.published_by)

    @admin.display(description="Started")
    def created(self, notice):
        return self._when_by(notice.created_at, notice.created_by)

    @admin.display(description="How long we keep information")
    def retention(self, notice):
        current = notice.pk == getattr(notice, "current_pk", None)
        months, years = notice.retention(current=current)
        stated = (
            f"{months} month{pluralize(months)} after an expression of interest ends without "
            f"joining; {years} year{pluralize(years)} after a lay partner leaves."
        )
        if notice.is_published and not current:
            return f"{stated} (The periods in force when this version was published.)"
        return (
            f"{stated} Added to the page by the website from its retention settings "
            "(RETENTION_ENDED_MONTHS, RETENTION_LAY_PARTNER_YEARS), so it always says what is "
            "done."
        )

    # Publishing, previewing, starting a new version -------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name=f"{prefix}_publish",
            ),
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name=f"{prefix}_preview",
            ),
            path(
                "<path:object_id>/new-version/",
                self.admin_site.admin_view(self.new_version_view),
                name=f"{prefix}_new_version",
            ),
            *super().get_urls(),
        ]

    def _notice_or_404(self, request, object_id):
        notice = self.get_object(request, unquote(object_id))
        if notice is None:
            raise Http404("No privacy notice has that id.")
        if not self.has_view_permission(request, notice):
            raise PermissionDenied
        return notice

    def _change_url(self, notice):
        return reverse(
            f"{self.admin_site.name}:involvement_privacynotice_change", args=[notice.pk]
        )

    @admin.action(description="Publish the selected draft…", permissions=["change"])
    def publish(self, request, queryset):
        notices = list(queryset[:2])
        if len(notices) != 1 or notices[0].is_published:
            self.message_user(request, "Choose one draft to publish.", messages.ERROR)
            return None
        return HttpResponseRedirect(
            reverse(
                f"{self.admin_site.name}:involvement_privacynotice_publish",
                args=[notices[0].pk],
            )
        )

    @admin.action(description="Start a new version from the selected one", permissions=["add"])
    def start_new_version(self, request, queryset):
        notices = list(queryset[:2])
        if len(notices) != 1:
            self.message_user(
                request, "Choose one version to start the new one from.", messages.ERROR
            )
            return None
        return self._start_new_version(request, notices[0])

    def _start_new_version(self, request, notice):
        draft = notice.start_new_version(by=request.user)
        self.log_addition(request, draft, f"Started from version {notice.version}.")
        self.message_user(
            request,
            f"Version {draft.version} is a new draft, copied from version {notice.version}. "
            "Change it, preview it, then publish it.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._change_url(draft))

    def new_version_view(self, request, object_id):
        """The "Start a new version from this one" button (a POST: it makes a draft)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        notice = self._notice_or_404(request, object_id)
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self._start_new_version(request, notice)

    def preview_view(self, request, object_id):
        """A draft as the public will see it once published."""
        notice = self._notice_or_404(request, object_id)
        if notice.is_published:
            return HttpResponseRedirect(notice.get_absolute_url())
        return TemplateResponse(
            request,
            "involvement/privacy.html",
            privacy_notice_context(
                notice, current=False, preview=True, change_url=self._change_url(notice)
            ),
        )

    def publish_view(self, request, object_id):
        """Confirm, then publish: the draft becomes the privacy notice, for good."""
        notice = self._notice_or_404(request, object_id)
        if notice.is_published:
            self.message_user(request, f"Version {notice.version} is already published.")
            return HttpResponseRedirect(self._change_url(notice))
        if not self.has_change_permission(request, notice):
            raise PermissionDenied
        errors = []
        if request.method == "POST":
            try:
                notice.publish(by=request.user)
            except ValidationError as error:
                errors = error.messages
            except PublishedNoticeError:
                self.message_user(request, f"Version {notice.version} is already published.")
                return HttpResponseRedirect(self._change_url(notice))
            else:
                self.log_change(request, notice, "Published.")
                self.message_user(
                    request,
                    f"Version {notice.version} is published. It is the privacy notice on the "
                    "website now, and everyone who sends a form from now on agrees to it.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse(f"{self.admin_site.name}:involvement_privacynotice_changelist")
                )
        else:
            try:
                notice.full_clean()
            except ValidationError as error:
                errors = error.messages
        context = {
            **self.admin_site.each_context(request),
            "title": f"Publish version {notice.version}?",
            "subtitle": None,
            "opts": self.opts,
            "notice": notice,
            "current": PrivacyNotice.objects.current(),
            "errors": errors,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/involvement/privacynotice/publish.html", context
        )
