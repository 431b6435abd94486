"""A meeting's register, from its admin page: everyone booked and waiting with their access needs,
attendance for all of them at once, an email to everyone booked, and the attendee list to
print or download.

Each page is a function of (the meeting admin, the request, the meeting's id), given its URL by
`MeetingWithBookingsAdmin.get_urls` (opportunities.py), so the meeting comes through the
meeting admin's own `get_object` and view permission.

Who sees what: anyone who may see the meeting and expressions of interest sees who is coming
and their access needs, since whoever runs the meeting needs both. Contact details, the link to
the person's expression of interest, recording their attendance and emailing them follow
`ExpressionOfInterest.objects.for_staff(user)`: a programme lead has them only for their own
programmes' people (someone from another programme can be invited to a meeting).
"""

import uuid

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from involvement.admin_common import render_admin_page
from involvement.security import log_export

from ..bookings import BookingError
from ..models import Booking, ExpressionOfInterest, MeetingMessage
from ..spreadsheets import BYTE_ORDER_MARK, write_csv
from ..tasks import queue_meeting_message

AccessNeed = ExpressionOfInterest.AccessNeed

# Needs that take arranging well before the day, with what to do: they stand out on the register
# and the invitation page.
NEEDS_ARRANGING = {
    AccessNeed.BSL: "Book a BSL interpreter now: they are often booked weeks ahead.",
}

# What staff may record on the register, once the meeting has started.
ATTENDANCE = [("attended", "Attended"), ("did_not_attend", "Did not attend")]


def urls_for(model_admin, meeting):
    name = model_admin.admin_site.name
    return {
        name_: reverse(f"{name}:opportunities_meeting_{name_}", args=[meeting.pk])
        for name_ in ("register", "register_email", "register_print", "register_csv")
    } | {"change": reverse(f"{name}:opportunities_meeting_change", args=[meeting.pk])}


def may_see_bookings(user):
    return user.is_superuser or user.has_perm("applications.view_expressionofinterest")


def may_act(user):
    """Recording attendance and emailing people are moves of theirs: the pipeline's
    permission."""
    return user.has_perm("applications.move_expression")


def _meeting(model_admin, request, object_id):
    meeting = model_admin.get_object(request, unquote(object_id))
    if meeting is None:
        raise Http404("There is no meeting with that id.")
    if not (model_admin.has_view_permission(request, meeting) and may_see_bookings(request.user)):
        raise PermissionDenied
    return meeting


def _bookings(meeting, user):
    """The register's bookings, each marked `yours` when the member of staff may see the
    person's expression of interest (and so their contact details), in one query."""
    visible = ExpressionOfInterest.objects.for_staff(user).filter(pk=OuterRef("expression_id"))
    return meeting.bookings.annotate(yours=Exists(visible))


def access_needs(expression):
    """The person's access needs and formats as they chose them, each with whether it needs
    arranging well ahead, plus what they wrote under "something else"."""
    labels = dict(AccessNeed.choices)
    needs = [
        {"label": labels.get(code, code), "arrange": NEEDS_ARRANGING.get(code, "")}
        for code in expression.access_needs
        if code != AccessNeed.OTHER or not expression.access_needs_other
    ]
    if expression.access_needs_other:
        needs.append({"label": expression.access_needs_other, "arrange": ""})
    return needs


class Row:
    """One person on the register."""

    def __init__(self, booking, meeting):
        booking.meeting = meeting  # so recording it asks no more of the database
        self.booking = booking
        self.expression = booking.expression
        self.yours = booking.yours
        self.anonymised = bool(self.expression.anonymised_at)
        self.needs = access_needs(self.expression)
        self.field = None

    @property
    def name(self):
        return "Details removed" if self.anonymised else self.expression.full_name

    @property
    def shows_contact(self):
        return self.yours and not self.anonymised

    @property
    def waiting(self):
        return self.booking.status == Booking.Status.WAITLISTED

    def recordable(self, now):
        booking = self.booking
        return (
            self.yours and not self.anonymised and booking.meeting.starts_at <= now
            and (booking.can("attended") or booking.can("did_not_attend"))
        )


def register_rows(meeting, user):
    return [Row(booking, meeting) for booking in _bookings(meeting, user).on_register()]


class AttendanceForm(forms.Form):
    """Attended or did not attend, a row per person the member of staff may record. A row left
    as it was recorded (or unanswered) changes nothing."""

    def __init__(self, rows, data=None):
        super().__init__(data)
        self.rows = rows
        for row in rows:
            status = row.booking.status
            row.field_name = f"booking-{row.booking.pk}"
            self.fields[row.field_name] = forms.ChoiceField(
                label=f"Did {row.name} attend?",
                choices=ATTENDANCE,
                required=False,
                widget=forms.RadioSelect,
                initial=status if status in dict(ATTENDANCE) else None,
                error_messages={"invalid_choice": "Choose “Attended” or “Did not attend”."},
            )

    def outcomes(self):
        """(booking, outcome) for each row whose answer differs from what is recorded."""
        return [
            (row.booking, self.cleaned_data[row.field_name])
            for row in self.rows
            if self.cleaned_data.get(row.field_name)
            and self.cleaned_data[row.field_name] != row.booking.status
        ]


def register(model_admin, request, object_id):
    """The register: GET shows it; POST records attendance for everyone at once."""
    meeting = _meeting(model_admin, request, object_id)
    rows = register_rows(meeting, request.user)
    now = timezone.now()
    recordable = (
        [row for row in rows if row.recordable(now)] if may_act(request.user) else []
    )
    if request.method == "POST" and not recordable:
        model_admin.message_user(
            request, "There is nobody on this register whose attendance you can record now.",
            messages.ERROR,
        )
        return HttpResponseRedirect(urls_for(model_admin, meeting)["register"])
    form = AttendanceForm(recordable, request.POST if request.method == "POST" else None)
    error = ""
    if form.is_bound and form.is_valid():
        outcomes = form.outcomes()
        if not outcomes:
            model_admin.message_user(
                request, "Nothing to save: no answers were changed.", messages.INFO
            )
            return HttpResponseRedirect(urls_for(model_admin, meeting)["register"])
        try:
            Booking.record_attendance(outcomes, by=request.user)
        except BookingError as refusal:
            error = " ".join(refusal.messages)
        else:
            for booking, outcome in outcomes:
                model_admin.log_change(
                    request, meeting,
                    f"{booking.expression.reference}: {dict(ATTENDANCE)[outcome].lower()}.",
                )
            model_admin.message_user(
                request,
                f"Attendance saved: {len(outcomes)} change{'' if len(outcomes) == 1 else 's'}. "
                "Anyone who came to a briefing or taster meeting has moved on to it.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(urls_for(model_admin, meeting)["register"])
    for row in recordable:
        row.field = form[row.field_name]
    booked = [row for row in rows if not row.waiting]
    return render_admin_page(
        request,
        "admin/opportunities/meeting/register.html",
        {
            "title": f"Register: {meeting}",
            "meeting": meeting,
            "booked": booked,
            "waiting": [row for row in rows if row.waiting],
            "to_arrange": [row for row in rows if row.needs],
            "started": meeting.starts_at <= now,
            "can_record": bool(recordable),
            "can_email": may_act(request.user),
            "form": form,
            "errors": error or form.errors,
            "error": error,
            "urls": urls_for(model_admin, meeting),
            "sent": meeting.messages.select_related("sent_by")[:10],
        },
        model_admin=model_admin,
        status=400 if error or form.errors else 200,
    )


class MeetingMessageForm(forms.Form):
    key = forms.UUIDField(widget=forms.HiddenInput)
    subject = forms.CharField(
        max_length=120,
        help_text="For example “The room has changed”. The meeting's name and date are added "
        "after it.",
        error_messages={
            "required": "Enter a subject for the email",
            "max_length": "The subject must be 120 characters or fewer",
        },
    )
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 8, "cols": 70}),
        help_text="Each person's email starts “Dear” and their name, and ends with when and "
        "where the meeting is and who to contact. Online joining details are not added.",
        error_messages={"required": "Enter the message to send"},
    )
    include_waiting = forms.BooleanField(
        label="Also email the people on the waiting list", required=False
    )


def register_email(model_admin, request, object_id):
    """Write one email to everyone booked on the meeting; each person gets their own copy,
    through the task queue. Those with no email address are listed, with their phone."""
    meeting = _meeting(model_admin, request, object_id)
    if not may_act(request.user):
        raise PermissionDenied
    urls = urls_for(model_admin, meeting)
    bookings = _bookings(meeting, request.user).filter(yours=True)
    form = MeetingMessageForm(
        request.POST if request.method == "POST" else None, initial={"key": uuid.uuid4()}
    )
    if form.is_valid():
        data = form.cleaned_data
        recipients = list(bookings.to_message(include_waiting=data["include_waiting"]))
        with transaction.atomic():
            message, created = MeetingMessage.objects.get_or_create(
                key=data["key"],
                defaults={
                    "meeting": meeting, "subject": data["subject"], "body": data["body"],
                    "include_waiting": data["include_waiting"], "sent_by": request.user,
                },
            )
            if created:
                message.emailed = queue_meeting_message(message, recipients)
                message.save(update_fields=["emailed"])
        if created:
            model_admin.log_change(request, meeting, f"Emailed everyone booked: {message}.")
            phone = len(recipients) - message.emailed
            text = f"Your email is on its way to {message.emailed} " + (
                "person." if message.emailed == 1 else "people."
            )
            if phone:
                text += (
                    f" {phone} gave no email address: phone them (listed under "
                    "“No email address” on the register)."
                )
            model_admin.message_user(request, text, messages.SUCCESS)
        else:
            model_admin.message_user(
                request, "That email was already sent: it has not been sent again.",
                messages.WARNING,
            )
        return HttpResponseRedirect(urls["register"])
    booked = list(bookings.to_message(include_waiting=True))
    return render_admin_page(
        request,
        "admin/opportunities/meeting/register_email.html",
        {
            "title": f"Email everyone booked: {meeting}",
            "meeting": meeting,
            "form": form,
            "with_email": [b for b in booked if b.expression.email and not is_waiting(b)],
            "waiting_with_email": [b for b in booked if b.expression.email and is_waiting(b)],
            "without_email": [b for b in booked if not b.expression.email],
            "urls": urls,
        },
        model_admin=model_admin,
        status=400 if form.errors else 200,
    )


def is_waiting(booking):
    return booking.status == Booking.Status.WAITLISTED


def register_print(model_admin, request, object_id):
    """The attendee list, laid out for paper (the admin's print styles, portal.css)."""
    meeting = _meeting(model_admin, request, object_id)
    rows = register_rows(meeting, request.user)
    log_export(request, "meeting-attendee-list-print", len(rows))
    return render_admin_page(
        request,
        "admin/opportunities/meeting/register_print.html",
        {
            "title": f"Attendee list: {meeting}",
            "meeting": meeting,
            "booked": [row for row in rows if not row.waiting],
            "waiting": [row for row in rows if row.waiting],
            "any_contact": any(row.shows_contact for row in rows),
            "urls": urls_for(model_admin, meeting),
        },
        model_admin=model_admin,
    )


CSV_HEADINGS = [
    "Reference", "Name", "Booking", "Access needs and formats", "Email", "Phone",
    "Preferred way to contact",
]


def register_csv(model_admin, request, object_id):
    """The attendee list as a spreadsheet (every cell made formula-safe). Contact details are
    filled in only for the people the member of staff may see."""
    meeting = _meeting(model_admin, request, object_id)
    rows = register_rows(meeting, request.user)
    name = slugify(meeting.display_title) or "meeting"
    filename = f"attendees-{name}-{timezone.localdate(meeting.starts_at):%Y-%m-%d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write(BYTE_ORDER_MARK)

    def cells(row):
        expression = row.expression
        contact = (
            [expression.email, expression.phone, expression.get_preferred_contact_display()]
            if row.shows_contact else ["", "", ""]
        )
        return [
            expression.reference, row.name, row.booking.get_status_display(),
            "; ".join(need["label"] for need in row.needs), *contact,
        ]

    count = write_csv(response, CSV_HEADINGS, (cells(row) for row in rows))
    log_export(request, "meeting-attendee-list", count)
    return response
