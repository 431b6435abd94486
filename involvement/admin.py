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
* a member of staff without an authenticator app cannot get in. An admin sets one up for them:
  Admin > "TOTP devices" > Add, choose the person, save. The next time that person signs in
  with their username and password, they are shown a QR code to scan and asked for the code
  their app then shows; once it is right, the app is confirmed and they are signed in. The
  secret behind the QR code is made afresh at that moment, so the admin who made the
  invitation never sees it. Unticking "Confirmed" on someone's device (a new phone, say) makes
  them set it up again at their next sign-in.

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
from django.contrib.auth import REDIRECT_FIELD_NAME
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
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import devices_for_user
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from . import email_queue, security
from .models import PrivacyNotice, PublishedNoticeError
from .views import privacy_notice_context

# The half-finished sign-in of someone setting up their authenticator app: their password was
# right, and they have this long to scan the QR code and type a code.
SET_UP_SESSION_KEY = "two_factor_set_up"
SET_UP_MINUTES = 10


def two_factor_required():
    return settings.REQUIRE_STAFF_TWO_FACTOR


def pending_set_up(user):
    """The authenticator app an admin has set up for this person and they have not yet
    confirmed, if they have no confirmed one."""
    if any(True for _ in devices_for_user(user, confirmed=True)):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


# Sign-in forms -----------------------------------------------------------------------------------


class StaffAuthenticationForm(AdminAuthenticationForm):
    """Username and password, refused for a while after repeated failures (see security.py)."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Enter the right username and password for a staff account. "
            "Both are case-sensitive."
        ),
        "too_soon": (
            "You have entered a wrong password several times. "
            "Wait %(wait)s before trying again."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        wait = settings.STAFF_SIGN_IN_RETRY_WAIT
        if username and security.sign_in_wait(self.request, username):
            security.log_event(
                "sign-in-too-soon", self.request,
                username_hash=security.username_hash(username),
            )
            raise ValidationError(
                self.error_messages["too_soon"], code="too_soon",
                params={"wait": f"{wait} second{'' if wait == 1 else 's'}"},
            )
        return super().clean()


class StaffTwoFactorAuthenticationForm(OTPAuthenticationFormMixin, StaffAuthenticationForm):
    """Username, password and the code from the person's authenticator app."""

    otp_device = forms.CharField(
        required=False, widget=forms.Select, label="Authenticator app"
    )
    otp_token = forms.CharField(
        required=False,
        max_length=12,
        label="Security code",
        help_text="The 6-digit code your authenticator app shows for this portal now.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )
    otp_challenge = forms.CharField(required=False)

    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "token_required": "Enter the 6-digit security code from your authenticator app.",
        "invalid_token": (
            "The security code is not right. Enter the 6-digit code your authenticator app "
            "shows now: each code works only once, for about 30 seconds."
        ),
        "device_required": "Choose the authenticator app you are using.",
        "verification_not_allowed": "Wait a few seconds before entering another code.",
        "n_failed_attempts": (
            "A wrong security code has been entered %(failure_count)d times. Wait a few seconds "
            "before entering another code."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_up_device = None

    def clean_otp_token(self):
        return without_spaces(self.cleaned_data["otp_token"])

    def clean(self):
        cleaned_data = super().clean()  # the password, which must be right before anything else
        user = self.get_user()
        if user is None:
            return cleaned_data
        device = pending_set_up(user)
        if device is not None:
            # The admin site's login view sends them on to set up their authenticator app.
            self.set_up_device = device
            raise ValidationError(
                "Set up your authenticator app to finish signing in.", code="set_up"
            )
        if not any(True for _ in devices_for_user(user, confirmed=True)):
            security.log_event(
                "two-factor-refused", self.request, level=logging.WARNING, user_id=user.pk,
                reason="no-authenticator-app",
            )
            raise ValidationError(
                "Your account needs two-factor sign-in, and it has not been set up yet. Ask the "
                "portal's administrator (%(email)s) to set it up; then sign in again here.",
                code="no_device", params={"email": settings.STAFF_SIGN_IN_HELP_EMAIL},
            )
        try:
            self.clean_otp(user)
        except ValidationError as error:
            security.log_event(
                "two-factor-failed", self.request, level=logging.WARNING, user_id=user.pk,
                reason=error.code or "code",
            )
            raise
        return cleaned_data

    def _chosen_device(self, user):
        # Most people have one authenticator app: use it rather than asking them to choose.
        device = super()._chosen_device(user)
        if device is None and not self.cleaned_data.get("otp_device"):
            devices = list(devices_for_user(user, confirmed=True, for_verify=True))
            if len(devices) == 1:
                device = devices[0]
        return device


def without_spaces(code):
    # Apps show "123 456"; people type what they see.
    return "".join(character for character in code if character not in " -")


class SetUpForm(forms.Form):
    otp_token = forms.CharField(
        max_length=12,
        label="Security code",
        help_text="The 6-digit code your authenticator app now shows for this portal.",
        error_messages={"required": "Enter the 6-digit code your authenticator app shows."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
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
        response = super().login(request, context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        device = getattr(form, "set_up_device", None)
        if device is None:
            return response
        # Right password, and an authenticator app waiting to be set up: a new secret, shown
        # only to them, on the set-up page.
        device.key = default_key()
        device.save(update_fields=["key"])
        next_url = request.POST.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = ""
        request.session[SET_UP_SESSION_KEY] = {
            "user": device.user_id, "device": device.pk, "started": int(time.time()),
            "next": next_url,
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
        device = (
            TOTPDevice.objects.filter(
                pk=pending["device"], user_id=pending["user"], confirmed=False,
                user__is_active=True, user__is_staff=True,
            )
            .select_related("user")
            .first()
        )
        if device is None:
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
                return HttpResponseRedirect(
                    pending["next"] or reverse("admin:index", current_app=self.name)
                )
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
        context = {
            **self.each_context(request),
            "title": "Set up two-factor sign-in",
            "subtitle": None,
            "form": form,
            "qr_code": qr_code_data_uri(device.config_url),
            "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
            "username": device.user.get_username(),
            "help_email": settings.STAFF_SIGN_IN_HELP_EMAIL,
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/involvement/two_factor_set_up.html", context)


# The default admin site becomes the staff one. Its registry, headers and titles are kept: only
# the behaviour above changes. (Django's admin autodiscovery imports this module, once, at
# start-up.)
admin.site.__class__ = StaffAdminSite


# Authenticator apps in the admin -----------------------------------------------------------------


class StaffTOTPDeviceAdmin(TOTPDeviceAdmin):
    """Admins invite a member of staff to set up an authenticator app; they never see its
    secret (settings.OTP_ADMIN_HIDE_SENSITIVE_DATA), and the person sets it up themselves."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]

    def get_list_display(self, request):
        return self.list_display

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {
                "fields": ["user", "name"],
                "description": (
                    "Choose the member of staff. When you save, they will be asked to set up "
                    "an authenticator app on their phone the next time they sign in: they scan "
                    "a QR code and type the code the app shows. Until then they cannot use the "
                    "admin."
                ),
            })]
        return [
            (None, {
                "fields": ["user", "name", "confirmed"],
                "description": (
                    "Untick “Confirmed” to make them set up their authenticator app again at "
                    "their next sign-in (for example on a new phone). Delete this to remove it."
                ),
            }),
            ("Use", {"fields": ["created_at", "last_used_at"]}),
            ("Wrong codes", {
                "fields": ["throttling_failure_count", "throttling_failure_timestamp"],
            }),
        ]

    def get_changeform_initial_data(self, request):
        return {"name": "Authenticator app", **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        if not change:
            obj.confirmed = False  # the person confirms it by typing a code from their app
        super().save_model(request, obj, form, change)
        security.log_event(
            "two-factor-invited" if not obj.confirmed else "two-factor-device-changed",
            request, device_id=obj.pk, for_user_id=obj.user_id, **security.staff_fields(request),
        )

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
