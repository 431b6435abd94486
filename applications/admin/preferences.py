"""Each member of staff's choice of the emails about the work they get (applications/updates.py):
one page, their own, reached from the user menu ("Email preferences") and the admin's home.

The admin's usual list, add and delete pages are not given: nobody chooses for anyone else.
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse

from involvement.admin_common import render_admin_page

from ..models import StaffEmailPreferences


class StaffEmailPreferencesForm(forms.ModelForm):
    class Meta:
        model = StaffEmailPreferences
        fields = ["new_interest", "withdrawals", "declines", "daily_digest"]


@admin.register(StaffEmailPreferences)
class StaffEmailPreferencesAdmin(admin.ModelAdmin):
    # Every member of staff may see and change their own, whatever their permissions.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (obj is None or obj.user == request.user)

    has_change_permission = has_view_permission

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        # The changelist's name, so the admin's home links here too.
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", self.admin_site.admin_view(self.mine), name=name)]

    def mine(self, request):
        preferences = StaffEmailPreferences.of(request.user)
        form = StaffEmailPreferencesForm(request.POST or None, instance=preferences)
        if form.is_valid():
            form.save()
            self.message_user(request, "Your email preferences are saved.", messages.SUCCESS)
            return HttpResponseRedirect(request.path)
        return render_admin_page(
            request,
            "admin/applications/email_preferences.html",
            {"title": "Your email preferences", "form": form},
            model_admin=self,
            status=400 if form.is_bound else 200,
        )


def preferences_url(admin_site_name="admin"):
    return reverse(f"{admin_site_name}:applications_staffemailpreferences_changelist")
