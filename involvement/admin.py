"""The admin for what the involvement app holds: staff's authenticator apps, and the privacy
notice's versions. How staff sign in, and the admin site itself, are in admin_site.py."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Subquery
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import security, two_factor
from .admin_common import render_admin_page
from .formats import date_and_time, staff_name
from .models import PrivacyNotice, PublishedNoticeError
from .tasks import queue_set_up_link_email
from .views import privacy_notice_context

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
        css = {"all": ["admin/portal.css", "admin/privacy_notice.css"]}

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
            return f"Published, in force from {date_and_time(notice.published_at)}"
        return "Earlier version"

    @staticmethod
    def _when_by(moment, user):
        when = date_and_time(moment)
        if user is None:
            return when
        return f"{when} by {staff_name(user)}"

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
        return render_admin_page(
            request,
            "admin/involvement/privacynotice/publish.html",
            {
                "title": f"Publish version {notice.version}?",
                "notice": notice,
                "current": PrivacyNotice.objects.current(),
                "errors": errors,
            },
            model_admin=self,
        )
