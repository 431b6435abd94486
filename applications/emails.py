"""The emails about expressions of interest and bookings: built here, sent by
`applications.tasks` (how an email is put together is involvement/emails.py).

- When someone expresses interest: the confirmation to them (`confirmation_email`) and the
  notification to the opportunity's contact (`notification_email`).
- About a booked place (`booking_email`): an invitation, a registration for an event, a place on
  the waiting list, a place that has come up, or a reminder.
- To everyone booked on a meeting, a message staff wrote on its register
  (`meeting_message_email`).
- To an opportunity's contact, about coming meetings nobody is booked on
  (`empty_meetings_email`, from the reminders command).
- To an under-16's parent or carer, the link to say whether they agree to their child taking
  part (`parent_consent_email`).

None repeats anything sensitive a person told us, and staff emails hold no personal details.
"""

from django.conf import settings
from django.urls import reverse
from django.utils.text import slugify

from involvement.emails import build_email, trust_context
from involvement.formats import days_from_today, long_date, long_day, pounds_and_pence, uk_time
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


def parent_consent_link_lifetime():
    """How long the consent link works, in whole days (the setting is in seconds)."""
    return settings.PARENT_CONSENT_LINK_MAX_AGE // (24 * 60 * 60)


def parent_consent_email(expression):
    """The email to an under-16's parent or carer: what their child asked to take part in, what
    we will do, and a link to tell us whether they agree.

    Like the confirmation, it repeats nothing the young person told us about themselves (why
    they are interested, access needs, connection to the trust): only their name, the
    opportunity and the reference, which the parent or carer needs to know what it is about.
    """
    opportunity = expression.opportunity
    contact = opportunity.contact()
    days = parent_consent_link_lifetime()
    context = {
        **trust_context(),
        "expression": expression,
        "opportunity": opportunity,
        "contact": contact,
        "consent_url": settings.SITE_URL + expression.parent_consent_path(),
        "opportunity_url": settings.SITE_URL + opportunity.get_absolute_url(),
        "link_days": days,
        "link_expires": long_date(days_from_today(days)),
    }
    return build_email(
        "parent_consent_request", context, to=[expression.parent_consent_email],
        reply_to=[contact["email"]],
    )


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


def meeting_message_email(booking, message):
    """An email staff wrote, from a meeting's register, to one person booked on it: their
    words, then what the meeting is, when and where (never the online joining details, which
    only the booking emails carry), and who to contact."""
    meeting = booking.meeting
    opportunity = meeting.opportunity
    contact = opportunity.contact()
    context = {
        **trust_context(),
        "message": message,
        "meeting": meeting,
        "opportunity": opportunity,
        "expression": booking.expression,
        "contact": contact,
    }
    return build_email(
        "meeting_message", context, to=[booking.expression.email], reply_to=[contact["email"]]
    )


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


def impact_email(expression, record, update=None):
    """To a lay partner or group member: a "you said, we did" record about their group was
    published (`update` None) or has a new update. It links to the public page rather than
    repeating it, and to a page where they can stop these emails."""
    context = {
        **trust_context(),
        "expression": expression,
        "opportunity": expression.opportunity,
        "record": record,
        "update": update,
        "record_url": settings.SITE_URL + record.get_absolute_url(),
        "stop_url": settings.SITE_URL + expression.impact_emails_stop_path(),
    }
    message = build_email("impact_news", context, to=[expression.email])
    # One click in the mail program stops them (RFC 8058), as the page does.
    message.extra_headers["List-Unsubscribe"] = f"<{context['stop_url']}>"
    message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


# Alerts about new opportunities ---------------------------------------------------------------


def my_involvement_link_email(link):
    """The sign-in link to a lay partner's own page."""
    context = {
        **trust_context(),
        "url": link.url(),
        "minutes": settings.MY_INVOLVEMENT_LINK_MINUTES,
    }
    return build_email("my_involvement_link", context, to=[link.email])


# Claims (applications/claims.py) -------------------------------------------------------------

# For each step of a claim: (headline, what happens next).
CLAIM_STEPS = {
    "submitted": (
        "We have your claim",
        "The involvement team will check it, usually within two weeks. We will email you when "
        "it is approved, or if we have a question.",
    ),
    "query": (
        "We have a question about your claim",
        "Please answer it on your involvement page. Your claim waits until you do.",
    ),
    "answer": (
        "We have your answer",
        "The involvement team will look at your claim again and email you when it is decided.",
    ),
    "approve": (
        "Your claim is approved",
        "It will go to payroll with the next monthly payment run. We will email you when it "
        "has been sent.",
    ),
    "reject": (
        "Your claim was not approved",
        "If you think this is wrong, or want to talk about it, contact the involvement team.",
    ),
    "exported": (
        "Your claim has been sent for payment",
        "Payroll will pay it with the next pay date. Involvement payments can affect some "
        "benefits: if you get benefits, tell the office that pays them.",
    ),
}


def claim_email(event):
    """One email to the person at a step of their claim (`event` a ClaimEvent)."""
    claim = event.claim
    meeting = claim.booking.meeting
    headline, what_happens = CLAIM_STEPS[event.action]
    context = {
        **trust_context(),
        "claim": claim,
        "event": event,
        "headline": headline,
        "what_happens": what_happens,
        "meeting_title": meeting.display_title,
        "meeting_day": long_day(meeting.starts_at),
        "payment": pounds_and_pence(claim.payment),
        "expenses": pounds_and_pence(claim.expenses_total),
        "total": pounds_and_pence(claim.total),
        "page_url": settings.SITE_URL + reverse("applications:my_involvement"),
    }
    return build_email("claim_update", context, to=[claim.booking.expression.email])


def alert_choices(subscription):
    """What they chose, in words: the kinds of opportunity and the programmes ("All ..." when
    they chose none, which means every one)."""
    kinds = subscription.kind_labels()
    programmes = [programme.name for programme in subscription.programmes.all()]
    return {
        "kinds": ", ".join(kinds) if kinds else "All kinds of opportunity",
        "programmes": ", ".join(programmes) if programmes else "All areas of our work",
    }


def alert_sign_up_email(subscription, kind):
    """After signing up for alerts: "confirm" asks them to confirm the address (nothing else is
    sent until they do); "already_signed_up" goes to an address already confirmed, with the
    link to its own page, and changes nothing (whoever filled in the form may not own it)."""
    context = {
        **trust_context(),
        "kind": kind,
        "choices": alert_choices(subscription),
        "confirm_url": subscription.confirm_url() if kind == "confirm" else "",
        "manage_url": subscription.manage_url() if kind != "confirm" else "",
        "link_days": settings.ALERT_CONFIRMATION_DAYS,
    }
    return build_email("alert_sign_up", context, to=[subscription.email])


def opportunity_alert_email(subscription, opportunities):
    """One email listing the new opportunities that match their choices.

    It carries the headers that let a mail program offer "unsubscribe" (RFC 2369) and do it in
    one click (RFC 8058: the program POSTs "List-Unsubscribe=One-Click" to the https address,
    which unsubscribes without a form or a question), and a link to their page to change what
    they get or stop.
    """
    context = {
        **trust_context(),
        "opportunities": [
            {"opportunity": opportunity,
             "url": settings.SITE_URL + opportunity.get_absolute_url(),
             "closing": long_date(opportunity.closing_date) if opportunity.closing_date else ""}
            for opportunity in opportunities
        ],
        "count": len(opportunities),
        "choices": alert_choices(subscription),
        "manage_url": subscription.manage_url(),
        "list_url": settings.SITE_URL + reverse("opportunities:list"),
    }
    message = build_email("opportunity_alert", context, to=[subscription.email])
    message.extra_headers.update({
        "List-Unsubscribe": f"<{subscription.unsubscribe_url()}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    })
    return message


# Emails that follow the work (applications/updates.py) -----------------------------------------


def not_progressed_text(expression, reason):
    """What staff see, ready to edit, before the person is told they are not progressing:
    their reason, set in kind words. Staff may change any of it, or send nothing."""
    reason = " ".join(reason.split())
    if reason:
        reason = reason[0].upper() + reason[1:]
        if reason[-1] not in ".!?":
            reason += "."
    lines = [
        f"Thank you for your interest in {expression.opportunity.title}, and for the time you "
        "have given us.",
        "",
        "We are sorry, but we are not able to take your interest further at the moment."
        + (f" {reason}" if reason else ""),
        "",
        "This will not affect your care, or the care of anyone you look after. You are "
        "welcome to look at other ways to get involved with us, now or in the future.",
    ]
    return "\n".join(lines)


def person_update_email(record):
    """An email to the person about a step staff took: moved on (contacted, joined), not
    progressed (with the text staff reviewed), or their place cancelled. Like the other emails
    it repeats nothing sensitive they told us."""
    expression = record.expression
    opportunity = expression.opportunity
    contact = opportunity.contact()
    booking = record.booking
    context = {
        **trust_context(),
        "kind": record.kind,
        "expression": expression,
        "opportunity": opportunity,
        "contact": contact,
        "text": record.text,
        "booking": booking,
        "meeting": booking.meeting if booking else None,
        "manage_url": settings.SITE_URL + expression.manage_path(),
        "opportunities_url": settings.SITE_URL + reverse("opportunities:list"),
    }
    return build_email(
        "person_update", context, to=[expression.email], reply_to=[contact["email"]]
    )


# What each staff email is about, in a few words for the list in the email.
STAFF_UPDATE_HEADINGS = {
    "new_interest": "New expression of interest",
    "withdrawn": "Withdrawn by the person",
    "declined": "Place declined by the person",
}


def staff_update_email(record):
    """An email to one member of staff: one new interest, withdrawal or declined place, or
    their daily digest of them. Like the notification, it holds no personal details: the
    reference, what it is for and a link to the admin."""
    items = list(
        record.included.select_related("expression__opportunity", "booking__meeting")
        .order_by("created_at", "pk")
    ) if record.kind == "digest" else [record]
    rows = [
        {
            "heading": STAFF_UPDATE_HEADINGS[item.kind],
            "item": item,
            "expression": item.expression,
            "at": uk_time(item.created_at),
            "admin_url": settings.SITE_URL
            + reverse("admin:applications_expressionofinterest_change", args=[item.expression_id]),
        }
        for item in items
    ]
    context = {
        **trust_context(),
        "digest": record.kind == "digest",
        "rows": rows,
        "day": long_date(record.created_at),
        "preferences_url": settings.SITE_URL
        + reverse("admin:applications_staffemailpreferences_changelist"),
    }
    return build_email("staff_update", context, to=[record.recipient.email])


def update_email(record):
    """The email an UpdateEmail record stands for."""
    if record.kind == "meeting_changed":
        return booking_email(record.booking, "changed")
    if record.recipient_id:
        return staff_update_email(record)
    return person_update_email(record)
