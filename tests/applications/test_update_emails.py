"""Emails that follow the work (applications/updates.py): to the person when staff move them on,
do not progress them (the email checked by staff first), cancel their place or change their
meeting; to staff about new interest, withdrawals and declines, as each chooses, one at a time
or in a daily digest. Never to erased or phone-only people, and never the same email twice."""

import datetime
import io
import zipfile

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from applications import updates
from applications.models import Booking, ExpressionOfInterest, StaffEmailPreferences, UpdateEmail
from applications.personal_data import anonymise
from applications.tasks import UpdateEmailError, send_update_email
from opportunities.calendar import meeting_ics
from opportunities.models import Meeting, Opportunity
from tests.factories import (
    ExpressionOfInterestFactory,
    MeetingFactory,
    OpportunityFactory,
)
from tests.public_forms import interest_answers, send_interest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

Status = ExpressionOfInterest.Status
SITE = "https://involve.example.nhs.uk"


@pytest.fixture(autouse=True)
def _trust(settings):
    settings.TRUST_NAME = "Anytown Hospitals NHS Foundation Trust"
    settings.TRUST_INVOLVEMENT_EMAIL = "involvement@anytown.example.nhs.uk"
    settings.TRUST_INVOLVEMENT_PHONE = "020 7946 0001"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a request queues after its commit, as a real commit would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


@pytest.fixture
def opportunity():
    return OpportunityFactory(
        title="Renal patient panel",
        slug="renal-patient-panel",
        programme__name="Kidney care",
        contact_name="Priya Shah",
        contact_email="renal.panel@example.nhs.uk",
        contact_phone="020 7946 0000",
    )


def change_url(expression):
    return reverse("admin:applications_expressionofinterest_change", args=[expression.pk])


def move_url(expression):
    return reverse("admin:applications_expressionofinterest_move", args=[expression.pk])


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def html_of(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def staff_member(django_user_model, username, *, email=None, group="Involvement team", **extra):
    user = django_user_model.objects.create_user(
        username, email if email is not None else f"{username}@example.nhs.uk",
        is_staff=True, **extra,
    )
    user.groups.add(Group.objects.get(name=group))
    return user


# To the person: moved on ------------------------------------------------------------------------


def test_moving_to_contacted_emails_the_person_in_plain_words(
    staff_client, committed, mailoutbox, opportunity
):
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, full_name="Siobhán O'Brien", email="siobhan@example.com"
    )

    response = committed(
        staff_client.post, move_url(expression), {"status": "contacted"}, follow=True
    )

    [email] = mailoutbox
    assert email.to == ["siobhan@example.com"]
    assert email.reply_to == ["renal.panel@example.nhs.uk"]
    assert email.subject == "We have been in touch: Renal patient panel"
    assert email.body.startswith("Dear Siobhán O'Brien,\n")
    assert "your expression of interest has moved on" in email.body
    assert "We will invite you to a briefing meeting" in email.body
    assert f"{SITE}/interest/manage/" in email.body
    assert f"Your reference is {expression.reference}." in email.body
    # The opportunity's contact and the trust's team, as the other emails give them.
    for detail in ("renal.panel@example.nhs.uk", "020 7946 0000",
                   "involvement@anytown.example.nhs.uk", "020 7946 0001"):
        assert detail in email.body
        assert detail in html_of(email)
    assert "Siobhán O&#x27;Brien" in html_of(email)
    assert "They have been emailed." in " ".join(messages_of(response))


def test_joining_welcomes_them(staff_client, committed, mailoutbox, opportunity):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.TASTER)

    committed(staff_client.post, move_url(expression), {"status": "joined"})

    [email] = mailoutbox
    assert email.to == [expression.email]
    assert email.subject == "Welcome: you have joined: Renal patient panel"
    assert "Welcome to Renal patient panel. You have joined" in email.body
    assert "You can leave at any time, without giving a reason." in email.body


@pytest.mark.parametrize("status", [Status.BRIEFING, Status.WITHDRAWN])
def test_other_moves_email_no_one(staff_client, committed, mailoutbox, opportunity, status):
    before = Status.CONTACTED if status == Status.BRIEFING else Status.NEW
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=before)

    # A move to the briefing stage without a briefing booked needs a reason (move_to).
    committed(staff_client.post, move_url(expression), {
        "status": status, "reason": "Had their briefing by phone",
    })

    expression.refresh_from_db()
    assert expression.status == status
    assert mailoutbox == []


def test_marking_contacted_in_bulk_emails_each_and_names_those_to_phone(
    staff_client, committed, mailoutbox, opportunity
):
    by_email = ExpressionOfInterestFactory(opportunity=opportunity)
    by_phone = ExpressionOfInterestFactory(
        opportunity=opportunity, email="", phone="07700 900 982", preferred_contact="phone"
    )

    response = committed(
        staff_client.post,
        reverse("admin:applications_expressionofinterest_changelist"),
        {"action": "mark_contacted", "_selected_action": [by_email.pk, by_phone.pk]},
        follow=True,
    )

    assert [email.to for email in mailoutbox] == [[by_email.email]]
    notices = messages_of(response)
    assert (
        f"No email address: call them to tell them: {by_phone.reference} on 07700 900 982."
        in notices
    )


def test_a_phone_only_person_moved_on_is_not_emailed_and_staff_are_told_to_call(
    staff_client, committed, mailoutbox, opportunity
):
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, email="", phone="07700 900 982", preferred_contact="phone"
    )

    response = committed(
        staff_client.post, move_url(expression), {"status": "contacted"}, follow=True
    )

    assert mailoutbox == []
    assert (
        f"{expression.reference} moved to “Contacted”. No email address: call them on "
        "07700 900 982 to tell them." in messages_of(response)
    )
    assert not UpdateEmail.objects.exists()


def test_inviting_someone_new_sends_the_invitation_only(
    staff_client, committed, mailoutbox, opportunity
):
    # Invited moves "New" to "Contacted" too; the invitation says all the person needs.
    expression = ExpressionOfInterestFactory(opportunity=opportunity)
    meeting = MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.BRIEFING)

    committed(
        staff_client.post,
        reverse("admin:applications_expressionofinterest_invite", args=[expression.pk]),
        {"meeting": str(meeting.pk)},
    )

    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED
    [email] = mailoutbox
    assert email.subject.startswith("Invitation: ")


# To the person: not progressed, checked first --------------------------------------------------


def test_not_progressed_first_shows_the_email_prefilled_from_the_reason(
    staff_client, committed, mailoutbox, opportunity
):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.CONTACTED)

    response = committed(
        staff_client.post, move_url(expression),
        {"status": "not_progressed", "reason": "the group is full for this year"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Mark {expression.reference} as not progressed" in html
    assert "Thank you for your interest in Renal patient panel" in html
    assert (
        "We are sorry, but we are not able to take your interest further at the moment. "
        "The group is full for this year." in html
    )
    assert "This will not affect your care" in html
    assert "Yes, send the email below" in html and "No, do not email them" in html
    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED
    assert mailoutbox == []


def test_the_email_staff_edited_is_the_one_sent(
    staff_client, committed, mailoutbox, opportunity
):
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, status=Status.CONTACTED, full_name="Ada Lovelace"
    )
    text = "Thank you for talking with us.\n\nThe group has no places this year. We are sorry."

    response = committed(staff_client.post, move_url(expression), {
        "status": "not_progressed", "reason": "Group full", "confirm": "yes",
        "send_email": "send", "email_text": text,
    }, follow=True)

    expression.refresh_from_db()
    assert expression.status == Status.NOT_PROGRESSED
    assert expression.changes.get().reason == "Group full"
    [email] = mailoutbox
    assert email.to == [expression.email]
    assert email.subject == "About your interest: Renal patient panel"
    assert email.body.startswith("Dear Ada Lovelace,\n\nThank you for talking with us.\n\n")
    assert "The group has no places this year. We are sorry." in email.body
    assert "Group full" not in email.body
    assert f"{SITE}/opportunities/" in email.body
    assert "The group has no places this year. We are sorry." in html_of(email)
    assert (
        f"{expression.reference} moved to “Not progressed”. They have been emailed."
        in messages_of(response)
    )


def test_staff_may_choose_not_to_email(staff_client, committed, mailoutbox, opportunity):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.CONTACTED)

    response = committed(staff_client.post, move_url(expression), {
        "status": "not_progressed", "reason": "Moved away", "confirm": "yes",
        "send_email": "do_not_send", "email_text": "Anything",
    }, follow=True)

    expression.refresh_from_db()
    assert expression.status == Status.NOT_PROGRESSED
    assert mailoutbox == []
    assert (
        f"{expression.reference} moved to “Not progressed”. They have not been emailed, "
        "as you chose." in messages_of(response)
    )


def test_sending_an_empty_email_is_refused_with_the_answers_kept(
    staff_client, committed, mailoutbox, opportunity
):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.CONTACTED)

    response = committed(staff_client.post, move_url(expression), {
        "status": "not_progressed", "reason": "Moved away", "confirm": "yes",
        "send_email": "send", "email_text": "  ",
    })

    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: " in html
    assert "Write the email to them, or choose not to email them." in html
    assert "Moved away" in html
    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED
    assert mailoutbox == []


def test_not_progressed_with_no_reason_goes_back_saying_so(staff_client, opportunity):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.CONTACTED)

    response = staff_client.post(
        move_url(expression), {"status": "not_progressed", "reason": ""}, follow=True
    )

    assert "Give a reason why this expression of interest is not progressing." in (
        messages_of(response)
    )
    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED


def test_a_phone_only_person_not_progressed_is_to_be_called(
    staff_client, committed, mailoutbox, opportunity
):
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, status=Status.CONTACTED, email="", phone="07700 900 982",
        preferred_contact="phone",
    )

    review = staff_client.post(
        move_url(expression), {"status": "not_progressed", "reason": "Moved away"}
    )
    response = committed(staff_client.post, move_url(expression), {
        "status": "not_progressed", "reason": "Moved away", "confirm": "yes",
    }, follow=True)

    html = review.content.decode()
    assert "No email address: call them on 07700 900 982" in html
    assert "Yes, send the email below" not in html
    expression.refresh_from_db()
    assert expression.status == Status.NOT_PROGRESSED
    assert mailoutbox == []
    assert "No email address: call them on 07700 900 982 to tell them." in (
        " ".join(messages_of(response))
    )


def test_not_progressed_in_bulk_emails_no_one_and_says_how_to(
    staff_client, committed, mailoutbox, opportunity
):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.CONTACTED)

    response = committed(
        staff_client.post,
        reverse("admin:applications_expressionofinterest_changelist"),
        {"action": "not_progressed", "_selected_action": [expression.pk], "confirm": "yes",
         "reason": "Group full"},
        follow=True,
    )

    expression.refresh_from_db()
    assert expression.status == Status.NOT_PROGRESSED
    assert mailoutbox == []
    assert any("They have not been emailed" in notice for notice in messages_of(response))


def test_the_text_staff_wrote_goes_when_the_person_is_anonymised(opportunity):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.CONTACTED)
    expression.move_to(Status.NOT_PROGRESSED, reason="Moved away")
    updates.after_move(expression, Status.NOT_PROGRESSED, email_text="Dear friend, sorry.")

    anonymise(ExpressionOfInterest.objects.filter(pk=expression.pk))

    assert UpdateEmail.objects.get().text == ""


# To the person: a place cancelled by staff -----------------------------------------------------


def booked(opportunity, status=Booking.Status.CONFIRMED, meeting=None, **fields):
    meeting = meeting or MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.TASTER)
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, status=Status.BRIEFING, **fields
    )
    return Booking.objects.create(meeting=meeting, expression=expression, status=status)


def test_staff_cancelling_a_place_emails_the_person(
    staff_client, committed, mailoutbox, opportunity
):
    booking = booked(opportunity, full_name="Siobhán O'Brien")
    url = reverse(
        "admin:applications_expressionofinterest_booking",
        args=[booking.expression.pk, booking.pk],
    )

    response = committed(staff_client.post, url, {"outcome": "cancel"}, follow=True)

    [email] = mailoutbox
    assert email.to == [booking.expression.email]
    assert email.subject == (
        f"Your place has been cancelled: {booking.meeting.display_title}: Renal patient panel"
    )
    assert "We are sorry, but we have had to cancel your place at:" in email.body
    assert booking.meeting.when in email.body
    assert "The person has not been emailed" not in " ".join(messages_of(response))
    assert any("They have been emailed to tell them." in m for m in messages_of(response))


def test_cancelling_the_place_of_someone_without_email_says_to_call(
    staff_client, committed, mailoutbox, opportunity
):
    booking = booked(opportunity, email="", phone="07700 900 982", preferred_contact="phone")
    url = reverse(
        "admin:applications_expressionofinterest_booking",
        args=[booking.expression.pk, booking.pk],
    )

    response = committed(staff_client.post, url, {"outcome": "cancel"}, follow=True)

    assert mailoutbox == []
    assert any(
        "No email address: call them on 07700 900 982 to tell them." in m
        for m in messages_of(response)
    )


# To the person: their meeting changed ----------------------------------------------------------


def test_a_new_time_reaches_everyone_booked_with_a_new_calendar_file(
    committed, mailoutbox, opportunity
):
    meeting = MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.TASTER)
    # Set up a day ago, as meetings are, well before they change.
    day_ago = timezone.now() - datetime.timedelta(days=1)
    Meeting.objects.filter(pk=meeting.pk).update(created_at=day_ago, updated_at=day_ago)
    meeting.refresh_from_db()
    confirmed = booked(opportunity, meeting=meeting)
    waiting = booked(opportunity, Booking.Status.WAITLISTED, meeting=meeting)
    booked(opportunity, Booking.Status.CANCELLED, meeting=meeting)
    booked(opportunity, meeting=meeting, email="", phone="07700 900 982")
    erased = booked(opportunity, meeting=meeting)
    anonymise(ExpressionOfInterest.objects.filter(pk=erased.expression.pk))
    first_calendar = Calendar.from_ical(meeting_ics(meeting))

    new_start = meeting.starts_at.replace(microsecond=0) + datetime.timedelta(days=1, hours=1)
    meeting.starts_at = new_start
    meeting.ends_at = new_start + datetime.timedelta(hours=2)
    committed(meeting.save)

    by_address = {email.to[0]: email for email in mailoutbox}
    assert set(by_address) == {confirmed.expression.email, waiting.expression.email}
    email = by_address[confirmed.expression.email]
    assert email.subject.startswith("Changed time or place: ")
    assert "We have changed the time or place of this. Here are the new details:" in email.body
    assert meeting.when in email.body
    assert "We have attached a new calendar file" in email.body
    [(name, content, mimetype)] = email.attachments
    assert mimetype == "text/calendar"
    [event] = Calendar.from_ical(content).walk("VEVENT")
    assert event.decoded("dtstart").astimezone(datetime.UTC) == new_start
    [first_event] = first_calendar.walk("VEVENT")
    assert event.get("uid") == first_event.get("uid")
    assert int(event.get("sequence")) > int(first_event.get("sequence", 0))
    waiting_email = by_address[waiting.expression.email]
    assert "You are still on the waiting list" in waiting_email.body
    assert waiting_email.attachments == []


def test_a_new_place_is_a_change_too(committed, mailoutbox, opportunity):
    meeting = MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.TASTER)
    confirmed = booked(opportunity, meeting=meeting)

    meeting.location = "Seminar room 2, Charing Cross Hospital"
    committed(meeting.save)

    [email] = mailoutbox
    assert email.to == [confirmed.expression.email]
    assert "Seminar room 2, Charing Cross Hospital" in email.body


def test_saving_a_meeting_unchanged_or_with_a_new_title_emails_no_one(
    committed, mailoutbox, opportunity
):
    meeting = MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.TASTER)
    booked(opportunity, meeting=meeting)

    committed(meeting.save)
    meeting.title = "Taster: come and see"
    committed(meeting.save)

    assert mailoutbox == []


def test_a_meeting_that_is_over_emails_no_one_when_corrected(committed, mailoutbox, opportunity):
    start = timezone.now() - datetime.timedelta(days=3)
    meeting = MeetingFactory(
        opportunity=opportunity, kind=Meeting.Kind.TASTER, starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
    )
    booked(opportunity, Booking.Status.ATTENDED, meeting=meeting)

    meeting.ends_at = start + datetime.timedelta(hours=3)
    committed(meeting.save)

    assert mailoutbox == []


# Never to the erased, never twice --------------------------------------------------------------


def test_someone_erased_before_the_email_goes_is_not_emailed(
    django_capture_on_commit_callbacks, mailoutbox, opportunity
):
    expression = ExpressionOfInterestFactory(opportunity=opportunity)
    with django_capture_on_commit_callbacks() as queued:
        expression.move_to(Status.CONTACTED)
        updates.after_move(expression, Status.CONTACTED)
    anonymise(ExpressionOfInterest.objects.filter(pk=expression.pk))

    for callback in queued:
        callback()

    assert mailoutbox == []
    assert UpdateEmail.objects.get().sent_at is None


def test_an_erased_person_is_never_queued_an_email(mailoutbox, opportunity):
    expression = ExpressionOfInterestFactory(opportunity=opportunity)
    anonymise(ExpressionOfInterest.objects.filter(pk=expression.pk))
    expression.refresh_from_db()

    assert updates.after_move(expression, Status.CONTACTED) is False
    assert not UpdateEmail.objects.exists()


def test_the_same_email_is_recorded_once_however_often_it_is_asked_for(
    committed, mailoutbox, opportunity
):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.CONTACTED)

    committed(updates.after_move, expression, Status.CONTACTED)
    committed(updates.after_move, expression, Status.CONTACTED)

    assert len(mailoutbox) == 1
    assert UpdateEmail.objects.count() == 1


def test_a_task_run_again_sends_nothing_more(committed, mailoutbox, opportunity):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.CONTACTED)
    committed(updates.after_move, expression, Status.CONTACTED)
    record = UpdateEmail.objects.get()

    again = send_update_email.call(record.pk)

    assert again == 0
    assert len(mailoutbox) == 1
    record.refresh_from_db()
    assert record.sent_at is not None


def test_a_failed_send_is_let_go_so_the_retry_sends_it_once(
    settings, send_by_smtp, closed_port, mailoutbox, opportunity
):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.CONTACTED)
    record = UpdateEmail.objects.create(
        kind=UpdateEmail.Kind.CONTACTED, key="test", expression=expression
    )
    send_by_smtp(closed_port)

    with pytest.raises(UpdateEmailError) as failure:
        send_update_email.call(record.pk)

    assert expression.email not in str(failure.value)
    record.refresh_from_db()
    assert record.sent_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_update_email.call(record.pk) == 1
    assert send_update_email.call(record.pk) == 0
    assert len(mailoutbox) == 1


# To staff --------------------------------------------------------------------------------------


@pytest.fixture
def leads(django_user_model, opportunity):
    """Two leads of the opportunity's programme: one whose address is the opportunity's
    contact, one with an address of her own."""
    contact = staff_member(
        django_user_model, "priya", email="renal.panel@example.nhs.uk", group="Programme lead"
    )
    other = staff_member(django_user_model, "jo", group="Programme lead")
    opportunity.programme.leads.add(contact, other)
    return contact, other


def express_interest(client, opportunity, committed, **answers):
    # One question a page, then "Send" (tests/public_forms.py); only Send saves and emails.
    return committed(send_interest, client, opportunity, interest_answers(**answers))


def test_new_interest_reaches_the_contact_and_each_lead_once(
    client, committed, mailoutbox, opportunity, leads
):
    express_interest(client, opportunity, committed, full_name="Ada Lovelace")

    expression = ExpressionOfInterest.objects.get()
    addresses = sorted(address for email in mailoutbox for address in email.to)
    assert addresses == ["jo@example.nhs.uk", "renal.panel@example.nhs.uk", "siobhan@example.com"]
    [lead_email] = [email for email in mailoutbox if email.to == ["jo@example.nhs.uk"]]
    assert lead_email.subject == (
        f"New expression of interest: {expression.reference}, Renal patient panel"
    )
    assert change_url(expression) in lead_email.body
    # No personal details in staff email.
    for detail in ("Ada Lovelace", "siobhan@example.com"):
        assert detail not in lead_email.body
        assert detail not in html_of(lead_email)


def test_a_lead_who_turned_new_interest_off_is_not_told(
    client, committed, mailoutbox, opportunity, leads
):
    StaffEmailPreferences.objects.create(user=leads[1], new_interest=False)

    express_interest(client, opportunity, committed)

    assert "jo@example.nhs.uk" not in [address for email in mailoutbox for address in email.to]


def test_an_inactive_lead_or_one_without_an_address_is_not_told(
    client, committed, mailoutbox, opportunity, leads
):
    leads[1].is_active = False
    leads[1].save()

    express_interest(client, opportunity, committed)

    assert not UpdateEmail.objects.filter(recipient__isnull=False).exists()


def test_a_registration_for_an_event_tells_no_lead(committed, mailoutbox, leads, opportunity):
    meeting = MeetingFactory(
        opportunity=OpportunityFactory(
            kind=Opportunity.Kind.EVENT, programme=opportunity.programme
        ),
        kind=Meeting.Kind.EVENT, public_registration=True,
    )
    expression = ExpressionOfInterestFactory(opportunity=meeting.opportunity, meeting=meeting)

    assert committed(updates.after_new_interest, expression) == 0
    assert mailoutbox == []


def test_a_withdrawal_reaches_the_member_of_staff_assigned(
    client, committed, mailoutbox, django_user_model, opportunity
):
    sam = staff_member(django_user_model, "sam")
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, status=Status.CONTACTED, assigned_to=sam
    )

    committed(client.post, expression.withdraw_path())

    [email] = mailoutbox
    assert email.to == ["sam@example.nhs.uk"]
    assert email.subject == (
        f"Withdrawn by the person: {expression.reference}, Renal patient panel"
    )
    assert expression.full_name not in email.body


def test_a_withdrawal_with_nobody_assigned_emails_no_one(
    client, committed, mailoutbox, opportunity
):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.CONTACTED)

    committed(client.post, expression.withdraw_path())

    assert mailoutbox == []


def test_a_declined_place_reaches_the_member_of_staff_assigned(
    client, committed, mailoutbox, django_user_model, opportunity
):
    sam = staff_member(django_user_model, "sam")
    booking = booked(opportunity, Booking.Status.INVITED, assigned_to=sam)
    url = reverse("applications:booking_respond", args=[booking.token("decline"), "decline"])

    committed(client.post, url)
    committed(client.post, url)  # the same link pressed again

    [email] = mailoutbox
    assert email.to == ["sam@example.nhs.uk"]
    assert email.subject.startswith(f"Place declined by the person: {booking.expression.reference}")
    assert booking.meeting.display_title in email.body


def test_a_member_of_staff_who_turned_declines_off_is_not_told(
    client, committed, mailoutbox, django_user_model, opportunity
):
    sam = staff_member(django_user_model, "sam")
    StaffEmailPreferences.objects.create(user=sam, declines=False)
    booking = booked(opportunity, Booking.Status.INVITED, assigned_to=sam)

    committed(
        client.post,
        reverse("applications:booking_respond", args=[booking.token("decline"), "decline"]),
    )

    assert mailoutbox == []


# The daily digest ------------------------------------------------------------------------------


def digest():
    out = io.StringIO()
    call_command("send_staff_digests", stdout=out)
    return out.getvalue()


def test_the_digest_gathers_a_days_updates_into_one_email_once(
    client, committed, mailoutbox, django_user_model, opportunity
):
    sam = staff_member(django_user_model, "sam")
    StaffEmailPreferences.objects.create(user=sam, daily_digest=True)
    opportunity.programme.leads.add(sam)
    first = ExpressionOfInterestFactory(opportunity=opportunity, assigned_to=sam)
    committed(updates.after_new_interest, first)
    committed(client.post, first.withdraw_path())
    assert mailoutbox == []  # nothing single: it waits for the digest

    output = committed(digest)
    again = committed(digest)

    [email] = mailoutbox
    assert email.to == ["sam@example.nhs.uk"]
    assert email.subject == "Today's updates: 2 from the involvement portal"
    assert "New expression of interest" in email.body
    assert "Withdrawn by the person" in email.body
    assert email.body.count(first.reference) == 2
    assert "Queued 1 daily digest(s)." in output
    assert "Queued 0 daily digest(s)." in again

    later = ExpressionOfInterestFactory(opportunity=opportunity)
    committed(updates.after_new_interest, later)
    committed(digest)
    assert len(mailoutbox) == 2
    assert later.reference in mailoutbox[1].body
    assert first.reference not in mailoutbox[1].body


def test_a_digest_goes_only_to_its_own_member_of_staff(
    committed, mailoutbox, django_user_model, opportunity
):
    sam = staff_member(django_user_model, "sam")
    jo = staff_member(django_user_model, "jo")
    for user in (sam, jo):
        StaffEmailPreferences.objects.create(user=user, daily_digest=True)
        opportunity.programme.leads.add(user)
    committed(updates.after_new_interest, ExpressionOfInterestFactory(opportunity=opportunity))

    committed(digest)

    assert sorted(email.to[0] for email in mailoutbox) == [
        "jo@example.nhs.uk", "sam@example.nhs.uk"
    ]
    assert all(email.subject == "Today's updates: 1 from the involvement portal"
               for email in mailoutbox)


def test_the_digest_timer_runs_the_command_daily():
    from pathlib import Path

    systemd = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
    service = (systemd / "involvement-staff-digest.service").read_text()
    timer = (systemd / "involvement-staff-digest.timer").read_text()

    assert "manage.py send_staff_digests" in service
    assert "OnCalendar=*-*-* 07:30:00 Europe/London" in timer


# The preferences page --------------------------------------------------------------------------


def test_a_programme_lead_reaches_their_preferences_from_the_user_menu_and_saves_them(
    client, django_user_model
):
    lead = staff_member(django_user_model, "lead", group="Programme lead")
    client.force_login(lead)
    url = reverse("admin:applications_staffemailpreferences_changelist")

    home = client.get(reverse("admin:index"))
    page = client.get(url)
    saved = client.post(url, {"new_interest": "on", "daily_digest": "on"}, follow=True)

    assert f'<a href="{url}">Email preferences</a>' in home.content.decode()
    assert page.status_code == 200
    html = page.content.decode()
    assert "<title>Your email preferences" in html
    for label in ("New expressions of interest", "Withdrawals", "Declined places",
                  "One email a day instead"):
        assert label in html
    assert "Your email preferences are saved." in saved.content.decode()
    preferences = StaffEmailPreferences.objects.get(user=lead)
    assert (preferences.new_interest, preferences.withdrawals, preferences.declines,
            preferences.daily_digest) == (True, False, False, True)


def test_each_member_of_staff_sees_only_their_own(client, django_user_model):
    sam = staff_member(django_user_model, "sam")
    StaffEmailPreferences.objects.create(user=sam, daily_digest=True)
    jo = staff_member(django_user_model, "jo")
    client.force_login(jo)

    response = client.get(reverse("admin:applications_staffemailpreferences_changelist"))

    assert response.context["form"].instance.user == jo
    assert not response.context["form"].initial.get("daily_digest")


def test_the_public_cannot_reach_the_preferences_page(client):
    response = client.get(reverse("admin:applications_staffemailpreferences_changelist"))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_staff_emails_link_to_the_preferences_page(
    committed, mailoutbox, django_user_model, opportunity
):
    sam = staff_member(django_user_model, "sam")
    opportunity.programme.leads.add(sam)

    committed(updates.after_new_interest, ExpressionOfInterestFactory(opportunity=opportunity))

    [email] = mailoutbox
    assert f"{SITE}/admin/applications/staffemailpreferences/" in email.body


def test_changing_a_meeting_in_the_admin_says_who_was_emailed_and_who_to_call(
    staff_client, committed, mailoutbox, opportunity
):
    meeting = MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.TASTER, capacity=10)
    confirmed = booked(opportunity, meeting=meeting)
    by_phone = booked(opportunity, meeting=meeting, email="", phone="07700 900 982")
    new_start = timezone.localtime(meeting.starts_at + datetime.timedelta(days=1))
    new_end = new_start + datetime.timedelta(hours=2)
    url = reverse("admin:opportunities_meeting_change", args=[meeting.pk])
    data = {
        "opportunity": opportunity.pk, "kind": "taster", "title": "",
        "starts_at_0": new_start.strftime("%Y-%m-%d"), "starts_at_1": new_start.strftime("%H:%M"),
        "ends_at_0": new_end.strftime("%Y-%m-%d"), "ends_at_1": new_end.strftime("%H:%M"),
        "location": meeting.location, "joining_details": "", "capacity": "10",
        "bookings-TOTAL_FORMS": "0", "bookings-INITIAL_FORMS": "0",
    }

    response = committed(staff_client.post, url, data, follow=True)

    assert response.status_code == 200
    meeting.refresh_from_db()
    assert timezone.localtime(meeting.starts_at).strftime("%H:%M") == new_start.strftime("%H:%M")
    assert [email.to for email in mailoutbox] == [[confirmed.expression.email]]
    notices = " ".join(messages_of(response))
    assert "1 person(s) booked or waiting have been emailed the new time or place" in notices
    assert (
        f"No email address: call them on the number given to tell them of the change: "
        f"{by_phone.expression.reference} on 07700 900 982." in notices
    )


def test_the_opportunitys_counts_link_to_every_kind(staff_client, opportunity):
    response = staff_client.get(
        reverse("admin:opportunities_opportunity_change", args=[opportunity.pk])
    )

    assert f"?opportunity__id__exact={opportunity.pk}&amp;kind=all" in response.content.decode()


def test_a_subject_access_export_holds_the_emails_about_their_steps(
    staff_client, committed, mailoutbox, opportunity
):
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, status=Status.CONTACTED, email="siobhan@example.com"
    )
    committed(staff_client.post, move_url(expression), {
        "status": "not_progressed", "reason": "Group full", "confirm": "yes",
        "send_email": "send", "email_text": "We are sorry: the group is full this year.",
    })

    response = staff_client.post(
        reverse("admin:applications_personaldatarequest_subject_access"),
        {"email": "siobhan@example.com", "download": "1"},
    )

    archive = zipfile.ZipFile(io.BytesIO(response.content))
    rows = archive.read("emails_about_steps.csv").decode("utf-8-sig")
    assert "Not progressed" in rows
    assert "We are sorry: the group is full this year." in rows


def test_the_team_is_named_once_when_it_is_the_opportunitys_contact(
    staff_client, committed, mailoutbox
):
    opportunity = OpportunityFactory(contact_email="", programme__contact_email="")
    expression = ExpressionOfInterestFactory(opportunity=opportunity)

    committed(staff_client.post, move_url(expression), {"status": "contacted"})

    [email] = mailoutbox
    assert email.body.count("involvement@anytown.example.nhs.uk") == 1
    assert "Or the involvement team" not in email.body
    assert "Or the involvement team" not in html_of(email)
