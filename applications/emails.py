"""The emails about expressions of interest and bookings: built here, sent by
`applications.tasks` (how an email is put together is involvement/emails.py).

- When someone expresses interest: the confirmation to them (`confirmation_email`) and the
  notification to the opportunity's contact (`notification_email`).
- About a booked place (`booking_email`): an invitation, a registration for an event, a place on
  the waiting list, a place that has come up, or a reminder.
- To an opportunity's contact, about coming meetings nobody is booked on
  (`empty_meetings_email`, from the reminders command).

None repeats anything sensitive a person told us, and staff emails hold no personal details.
"""

from django.conf import settings
from django.urls import reverse
from django.utils.text import slugify

from involvement.emails import build_email, trust_context
from involvement.formats import days_from_today, long_date, long_day, uk_time
from opportunities.calendar import meeting_ics

CONTACT_WAYS = {
    "email": "by email",
    "phone": "by phone",
    "either": "by email or phone",
}


def manage_link_lifetime():
    """How long the manage link works, in whole days (the setting is in seconds)."""
    return settings.MANAGE_LINK_MAX_AGE // (24 * 60 * 60)


def confirmation_email(expression):
    """The email to the person: what they asked about, their reference and what happens next.

    It deliberately repeats nothing sensitive they told us (why they are interested, access
    needs, connection to the trust): email is not a safe place for it, and anyone who sees
    their inbox would see it. Their name, the opportunity and the reference are enough.
    """
    opportunity = expression.opportunity
    contact = opportunity.contact()
    days = manage_link_lifetime()
    context = {
        **trust_context(),
        "expression": expression,
        "opportunity": opportunity,
        "contact": contact,
        "contact_way": CONTACT_WAYS.get(expression.preferred_contact, "by email"),
        "manage_url": settings.SITE_URL + expression.manage_path(),
        "link_days": days,
        "link_expires": long_date(days_from_today(days)),
    }
    return build_email(
        "expression_confirmation", context, to=[expression.email], reply_to=[contact["email"]]
    )


def notification_email(expression):
    """The email to the opportunity's contact: that there is a new expression, and where to see it.

    It holds no name, email address, phone number or answers, only the reference, what it is
    for, when it came and the age band (so an under-16 is handled with a parent or carer from
    the start). Staff email is often forwarded and read on shared devices; the personal
    details stay in the admin, behind sign-in and the programme permissions.
    """
    opportunity = expression.opportunity
    context = {
        **trust_context(),
        "expression": expression,
        "opportunity": opportunity,
        "programme": opportunity.programme,
        "submitted": uk_time(expression.submitted_at),
        "age_band": expression.get_age_band_display(),
        "admin_url": settings.SITE_URL
        + reverse("admin:applications_expressionofinterest_change", args=[expression.pk]),
    }
    return build_email("expression_notification", context, to=[opportunity.contact()["email"]])


# Booking emails ------------------------------------------------------------------------------

# What the person can expect at each kind of meeting, in plain words. An event or an ordinary
# meeting says what it is from the opportunity's own summary (see `what_to_expect`).
WHAT_TO_EXPECT = {
    "briefing": (
        "We explain the project and the group: what it is for, who is in it, the words it "
        "uses, and what it would ask of you. Bring any questions. You do not need to prepare "
        "anything."
    ),
    "taster": (
        "You sit in on a real meeting of the group, to see what it is like. You can join in "
        "or just listen. There is no obligation to join afterwards."
    ),
}


def what_to_expect(meeting):
    if meeting.kind in WHAT_TO_EXPECT:
        return WHAT_TO_EXPECT[meeting.kind]
    opportunity = meeting.opportunity
    if meeting.kind == "event":
        return f"An event for {opportunity.title}. {opportunity.summary}"
    return f"A meeting of {opportunity.title}. {opportunity.summary}"


def booking_link(booking, action):
    return settings.SITE_URL + reverse(
        "applications:booking_respond", args=[booking.token(action), action]
    )


def ics_filename(meeting):
    return f"{slugify(meeting.display_title) or 'meeting'}.ics"


def booking_email(booking, kind):
    """One email to a booked person about their meeting: an invitation, a registration, a
    place on the waiting list, a place that has come up, or a reminder.

    It says what the meeting is, when (in UK time), where and what to expect, with a link to
    say they cannot come. Online joining details, which are never shown publicly, are given
    only to people with a place, and so is the calendar file; someone on the waiting list gets
    them when a place comes up. Like the other emails it repeats nothing sensitive: no access
    needs and no reasons.
    """
    meeting = booking.meeting
    opportunity = meeting.opportunity
    expression = booking.expression
    contact = opportunity.contact()
    has_place = booking.holds_a_place
    context = {
        **trust_context(),
        "kind": kind,
        "booking": booking,
        "meeting": meeting,
        "opportunity": opportunity,
        "expression": expression,
        "contact": contact,
        "day": long_day(meeting.starts_at),
        "what_to_expect": what_to_expect(meeting),
        "has_place": has_place,
        "joining_details": (
            meeting.joining_details if has_place and meeting.is_online else ""
        ),
        "accept_url": (
            booking_link(booking, "accept")
            if booking.status == booking.Status.INVITED else ""
        ),
        "decline_url": booking_link(booking, "decline"),
    }
    message = build_email(
        "booking_email", context, to=[expression.email], reply_to=[contact["email"]]
    )
    if has_place:
        message.attach(
            ics_filename(meeting), meeting_ics(meeting, joining_details=True), "text/calendar"
        )
    return message


def next_date_email(next_date_request, meeting):
    """To someone who asked to hear when an event has its next date: the date, and the link
    to register. Registering is theirs to do: this books nothing."""
    opportunity = meeting.opportunity
    contact = opportunity.contact()
    context = {
        **trust_context(),
        "next_date_request": next_date_request,
        "meeting": meeting,
        "opportunity": opportunity,
        "contact": contact,
        "register_url": settings.SITE_URL
        + reverse("applications:register_for_event", args=[meeting.pk]),
    }
    return build_email(
        "next_date", context, to=[next_date_request.email], reply_to=[contact["email"]]
    )


def empty_meetings_email(address, meetings):
    """Tell an opportunity's contact about coming meetings with nobody booked.

    It names meetings only: no people, so it is safe to forward.
    """
    rows = [
        {
            "meeting": meeting,
                "admin_url": settings.SITE_URL
            + reverse("admin:opportunities_meeting_change", args=[meeting.pk]),
        }
        for meeting in meetings
    ]
    context = {**trust_context(), "rows": rows, "count": len(rows)}
    return build_email("booking_empty_meetings", context, to=[address])
