"""The tables of this app's rows on admin pages: under an expression of interest, its meeting
bookings (with buttons to record what happened), staff notes and history; on a meeting, who is
booked on it (see opportunities.py)."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from involvement.admin_common import LabelledInputsMixin, ReadOnlyInline, ReadOnlyInlineFormSet
from involvement.formats import date_and_time, day_date_and_time, staff_name

from ..models import Booking, ExpressionOfInterest, StaffNote, StatusChange
from .register import access_needs


def access_need_tags(needs):
    """Access needs flagged so they stand out, each needing arranging ahead saying so."""
    if not needs:
        return "None given"
    return format_html_join(
        "", '<strong class="eoi-access">{}</strong>{}',
        (
            (need["label"], format_html(' <span class="eoi-warning">{}</span>', need["arrange"])
             if need["arrange"] else "")
            for need in needs
        ),
    )


class StaffNoteInline(LabelledInputsMixin, admin.TabularInline):
    """Notes are added, never edited or deleted: they are a record of what was done."""

    model = StaffNote
    extra = 1
    fields = ["text", "written_by", "written_at"]
    readonly_fields = ["written_by", "written_at"]
    verbose_name = "staff note"
    verbose_name_plural = "staff notes"
    can_delete = False
    empty_value_display = "–"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "text":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 60})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="Written by")
    def written_by(self, note):
        return staff_name(note.author) if note.pk else "You"

    @admin.display(description="When")
    def written_at(self, note):
        return date_and_time(note.created_at) if note.pk else "On saving"


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    fields = ["moved_from", "moved_to", "moved_by", "moved_at", "reason"]
    readonly_fields = fields
    verbose_name = "status change"
    verbose_name_plural = "history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    @admin.display(description="From")
    def moved_from(self, change):
        return change.get_from_status_display()

    @admin.display(description="To")
    def moved_to(self, change):
        return change.get_to_status_display()

    @admin.display(description="By")
    def moved_by(self, change):
        return staff_name(change.by) if change.by_id else "The person"

    @admin.display(description="When")
    def moved_at(self, change):
        return date_and_time(change.at)


class BookingInline(ReadOnlyInline):
    """The person's places at meetings: read-only, with buttons to record what happened.

    The buttons belong to small forms outside the admin's change form (see the change form
    template), joined to them by the `form` attribute, so pressing one never saves the page
    and the change form's own submit stays its default button.
    """

    model = Booking
    fk_name = "expression"
    formset = ReadOnlyInlineFormSet
    fields = ["meeting_link", "booking_status", "booked", "reminder", "record"]
    readonly_fields = fields
    verbose_name = "meeting booking"
    verbose_name_plural = "meetings"

    def get_queryset(self, request):
        self.request = request
        return super().get_queryset(request).select_related("meeting__opportunity", "meeting__site")

    # Bookings are seen and acted on with the expression's own permissions: the staff groups
    # hold none on bookings themselves.
    def _parent_admin(self):
        return self.admin_site._registry[ExpressionOfInterest]

    def has_view_permission(self, request, obj=None):
        return self._parent_admin().has_view_permission(request, obj)

    @admin.display(description="Meeting")
    def meeting_link(self, booking):
        meeting = booking.meeting
        label = f"{meeting.display_title}, {date_and_time(meeting.starts_at)}"
        if self.request.user.has_perm("opportunities.view_meeting"):
            url = reverse(
                f"{self.admin_site.name}:opportunities_meeting_change", args=[meeting.pk]
            )
            label = format_html('<a href="{}">{}</a>', url, label)
        return format_html(
            '{}<span class="eoi-quiet"> – {}</span>', label, meeting.opportunity.title
        )

    @admin.display(description="Status")
    def booking_status(self, booking):
        return booking.get_status_display()

    @admin.display(description="Booked")
    def booked(self, booking):
        by = f" by {staff_name(booking.invited_by)}" if booking.invited_by_id else ""
        return f"{date_and_time(booking.created_at)}{by}"

    @admin.display(description="Reminder sent")
    def reminder(self, booking):
        return date_and_time(booking.reminder_sent_at)

    @admin.display(description="Record")
    def record(self, booking):
        parent = self._parent_admin()
        if not parent.has_move_permission(self.request, booking.expression):
            return "–"
        outcomes = booking.staff_outcomes()
        if not outcomes:
            return "–"
        return format_html(
            '<span class="eoi-move-buttons">{}</span>',
            format_html_join(
                "",
                '<button type="submit" form="booking-{}" name="outcome" value="{}" '
                'class="button">{}</button>',
                ((booking.pk, outcome, label) for outcome, label in outcomes),
            ),
        )


class MeetingBookingInline(ReadOnlyInline):
    """Who is booked on the meeting, read-only. Staff act on a booking from the person's
    expression of interest; a programme lead sees only their own programmes' people."""

    model = Booking
    formset = ReadOnlyInlineFormSet
    fields = ["person", "booking_status", "access", "booked", "reminder"]
    readonly_fields = fields
    verbose_name = "booking"
    verbose_name_plural = "bookings"

    def get_queryset(self, request):
        visible = ExpressionOfInterest.objects.for_staff(request.user)
        return (
            super().get_queryset(request)
            .filter(expression__in=visible)
            .select_related("expression")
            .order_by("created_at", "pk")
        )

    def has_view_permission(self, request, obj=None):
        user = request.user
        return user.is_superuser or user.has_perm("applications.view_expressionofinterest")

    @admin.display(description="Person")
    def person(self, booking):
        expression = booking.expression
        url = reverse(
            f"{self.admin_site.name}:applications_expressionofinterest_change",
            args=[expression.pk],
        )
        return format_html(
            '<a href="{}">{}</a> <span class="eoi-quiet">{}</span>',
            url, expression.full_name, expression.reference,
        )

    @admin.display(description="Status")
    def booking_status(self, booking):
        return booking.get_status_display()

    @admin.display(description="Access needs and formats")
    def access(self, booking):
        return access_need_tags(access_needs(booking.expression))

    @admin.display(description="Booked")
    def booked(self, booking):
        return day_date_and_time(booking.created_at)

    @admin.display(description="Reminder sent")
    def reminder(self, booking):
        return day_date_and_time(booking.reminder_sent_at)
