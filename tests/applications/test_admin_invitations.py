"""Inviting people to briefing and taster meetings from the admin, one at a time and in bulk;
recording attended, did not attend and cancelled; and who may do it.

Over 600 lines: one feature, as the house style keeps one test file per feature.
"""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from applications.models import Booking, ExpressionOfInterest
from opportunities.models import Meeting
from tests.factories import (
    ExpressionOfInterestFactory,
    MeetingFactory,
    OpportunityFactory,
    ProgrammeFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

Status = ExpressionOfInterest.Status
BookingStatus = Booking.Status
CHANGELIST = "admin:applications_expressionofinterest_changelist"


@pytest.fixture
def staff_user(staff_client, django_user_model):
    return django_user_model.objects.get(username="staff")


@pytest.fixture
def emails(django_capture_on_commit_callbacks, mailoutbox):
    """Run the after-commit email tasks of each request, as a real commit would."""

    class Emails:
        outbox = mailoutbox

        def __call__(self, request, *args, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return request(*args, **kwargs)

    return Emails()


def change_url(expression):
    return reverse("admin:applications_expressionofinterest_change", args=[expression.pk])


def invite_url(expression):
    return reverse("admin:applications_expressionofinterest_invite", args=[expression.pk])


def booking_url(booking):
    return reverse(
        "admin:applications_expressionofinterest_booking",
        args=[booking.expression_id, booking.pk],
    )


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def soon(days=7, **fields):
    start = timezone.now() + datetime.timedelta(days=days)
    return {"starts_at": start, "ends_at": start + datetime.timedelta(hours=2), **fields}


def past(days=2):
    start = timezone.now() - datetime.timedelta(days=days)
    return {"starts_at": start, "ends_at": start + datetime.timedelta(hours=2)}


@pytest.fixture
def opportunity():
    return OpportunityFactory(title="Renal patient panel")


@pytest.fixture
def briefing(opportunity):
    return MeetingFactory(
        opportunity=opportunity, kind=Meeting.Kind.BRIEFING, title="", **soon(capacity=10)
    )


def run_action(client, action, expressions, **extra):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [e.pk for e in expressions], **extra},
    )


# The change page -----------------------------------------------------------------------------


def test_the_change_page_offers_an_invitation(staff_client, opportunity):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.NEW)

    html = staff_client.get(change_url(expression)).content.decode()

    assert f'href="{invite_url(expression)}"' in html
    assert "Invite to a briefing or taster meeting" in html


def test_an_ended_expression_is_not_offered_an_invitation(staff_client, opportunity):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.WITHDRAWN)

    html = staff_client.get(change_url(expression)).content.decode()

    assert invite_url(expression) not in html


def test_the_invite_page_lists_upcoming_briefings_and_tasters_own_opportunity_first(
    staff_client, opportunity, briefing
):
    expression = ExpressionOfInterestFactory(opportunity=opportunity)
    taster = MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.TASTER, **soon(14))
    elsewhere = MeetingFactory(
        opportunity=OpportunityFactory(title="Cancer care forum"), kind=Meeting.Kind.BRIEFING,
        **soon(3),
    )
    old = MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.BRIEFING, **past())
    ordinary = MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.MEETING, **soon())

    response = staff_client.get(invite_url(expression))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    offered = [int(pk) for pk in re.findall(r'name="meeting" value="(\d+)"', html)]
    assert offered == [briefing.pk, taster.pk, elsewhere.pk]
    assert old.pk not in offered and ordinary.pk not in offered
    assert "For Renal patient panel" in html
    assert "Other opportunities" in html
    assert "10 of 10 places left" in html


def test_inviting_books_a_place_moves_new_to_contacted_and_emails_them(
    staff_client, staff_user, emails, opportunity, briefing
):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.NEW)

    response = emails(staff_client.post, invite_url(expression), {"meeting": briefing.pk})

    assert response.status_code == 302
    assert response["Location"] == change_url(expression)
    booking = Booking.objects.get()
    assert (booking.meeting, booking.expression, booking.status, booking.invited_by) == (
        briefing, expression, BookingStatus.INVITED, staff_user
    )
    expression.refresh_from_db()
    assert expression.status == Status.CONTACTED
    assert expression.first_contacted_at is not None
    change = expression.changes.get()
    assert (change.from_status, change.to_status, change.by) == (
        Status.NEW, Status.CONTACTED, staff_user
    )
    assert change.reason.startswith("Invited to Briefing meeting")
    [email] = emails.outbox
    assert email.to == [expression.email]
    assert email.subject.startswith("Invitation: Briefing meeting, Renal patient panel")
    page = staff_client.get(response["Location"])
    assert any("invited to Briefing meeting" in m for m in messages_of(page))


def test_inviting_someone_further_on_leaves_their_status(
    staff_client, emails, opportunity, briefing
):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.BRIEFING)

    emails(staff_client.post, invite_url(expression), {"meeting": briefing.pk})

    expression.refresh_from_db()
    assert expression.status == Status.BRIEFING
    assert Booking.objects.get().status == BookingStatus.INVITED


def test_an_invitation_to_a_full_meeting_goes_on_the_waiting_list(
    staff_client, emails, opportunity
):
    full = MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.TASTER, **soon(capacity=1))
    Booking.objects.create(
        meeting=full, expression=ExpressionOfInterestFactory(opportunity=opportunity),
        status=BookingStatus.CONFIRMED,
    )
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.BRIEFING)

    response = emails(staff_client.post, invite_url(expression), {"meeting": full.pk}, follow=True)

    assert expression.bookings.get().status == BookingStatus.WAITLISTED
    assert any("is full" in m for m in messages_of(response))
    [email] = emails.outbox
    assert email.subject.startswith("You are on the waiting list")


def test_someone_already_booked_is_not_invited_twice(staff_client, emails, opportunity, briefing):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.CONTACTED)
    Booking.objects.create(meeting=briefing, expression=expression, status=BookingStatus.CONFIRMED)

    assert "Already booked (confirmed)" in staff_client.get(invite_url(expression)).content.decode()
    response = emails(
        staff_client.post, invite_url(expression), {"meeting": briefing.pk}, follow=True
    )

    assert expression.bookings.count() == 1
    assert expression.bookings.get().status == BookingStatus.CONFIRMED
    assert any("already has a booking" in m for m in messages_of(response))
    assert emails.outbox == []


def test_an_ended_expression_cannot_be_invited(staff_client, emails, opportunity, briefing):
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, status=Status.NOT_PROGRESSED
    )

    response = emails(
        staff_client.post, invite_url(expression), {"meeting": briefing.pk}, follow=True
    )

    assert not Booking.objects.exists()
    assert any("cannot be invited" in m for m in messages_of(response))
    assert emails.outbox == []


@pytest.mark.parametrize("choice", ["", "999999", "past"])
def test_only_an_upcoming_briefing_or_taster_can_be_chosen(
    staff_client, opportunity, briefing, choice
):
    if choice == "past":
        choice = MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.BRIEFING, **past()).pk
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.NEW)

    response = staff_client.post(invite_url(expression), {"meeting": choice})

    assert response.status_code == 400
    assert "errornote" in response.content.decode()
    assert not Booking.objects.exists()
    expression.refresh_from_db()
    assert expression.status == Status.NEW


def test_the_invite_page_says_when_there_is_nothing_to_invite_to(staff_client, opportunity):
    expression = ExpressionOfInterestFactory(opportunity=opportunity)

    html = staff_client.get(invite_url(expression)).content.decode()

    assert "There are no upcoming briefing or taster meetings" in html
    assert reverse("admin:opportunities_meeting_add") in html


# In bulk -------------------------------------------------------------------------------------


def test_the_bulk_action_asks_which_meeting(staff_client, opportunity, briefing):
    expressions = ExpressionOfInterestFactory.create_batch(2, opportunity=opportunity)

    response = run_action(staff_client, "invite_to_meeting", expressions, index=0)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'name="meeting" value="{briefing.pk}"' in html
    for expression in expressions:
        assert expression.reference in html
    assert not Booking.objects.exists()


def test_the_bulk_action_invites_each_and_says_who_was_not(
    staff_client, staff_user, emails, opportunity, briefing
):
    new, contacted = (
        ExpressionOfInterestFactory(opportunity=opportunity, status=Status.NEW),
        ExpressionOfInterestFactory(opportunity=opportunity, status=Status.CONTACTED),
    )
    ended = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.WITHDRAWN)

    response = emails(
        run_action, staff_client, "invite_to_meeting", [new, contacted, ended],
        confirm="yes", meeting=briefing.pk,
    )

    assert response.status_code == 302
    booked = {b.expression_id: b for b in Booking.objects.all()}
    assert set(booked) == {new.pk, contacted.pk}
    assert all(b.invited_by == staff_user for b in booked.values())
    new.refresh_from_db()
    assert new.status == Status.CONTACTED
    assert sorted(e.to[0] for e in emails.outbox) == sorted([new.email, contacted.email])
    page = staff_client.get(reverse(CHANGELIST))
    notices = messages_of(page)
    assert any(m.startswith("2 person(s) invited") for m in notices)
    assert any(ended.reference in m and "cannot be invited" in m for m in notices)


def test_the_bulk_action_needs_a_meeting(staff_client, opportunity, briefing):
    expression = ExpressionOfInterestFactory(opportunity=opportunity)

    response = run_action(staff_client, "invite_to_meeting", [expression], confirm="yes")

    assert response.status_code == 200
    assert "Choose the meeting to invite them to." in response.content.decode()
    assert not Booking.objects.exists()


# Bookings on the change page -----------------------------------------------------------------


def booked(opportunity, status=BookingStatus.CONFIRMED, *, kind=Meeting.Kind.BRIEFING,
           when=None, stage=Status.CONTACTED, meeting=None):
    meeting = meeting or MeetingFactory(
        opportunity=opportunity, kind=kind, title="", **(when or past())
    )
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=stage)
    return Booking.objects.create(meeting=meeting, expression=expression, status=status)


def test_the_change_page_lists_bookings_with_their_buttons(staff_client, opportunity):
    booking = booked(opportunity)
    booking.reminder_sent_at = timezone.now()
    booking.save()

    html = staff_client.get(change_url(booking.expression)).content.decode()

    assert 'id="bookings-group"' in html
    # Each button belongs to a small form outside the change form, so it never saves the page.
    form = f'<form id="booking-{booking.pk}" method="post" action="{booking_url(booking)}" hidden>'
    assert form in html
    assert html.index(form) < html.index('id="expressionofinterest_form"')
    for outcome in ("attended", "did_not_attend"):
        assert f'form="booking-{booking.pk}" name="outcome" value="{outcome}"' in html
    # The meeting has happened: it can no longer be cancelled.
    assert 'value="cancel"' not in html


def test_an_upcoming_booking_can_be_cancelled_but_not_yet_attended(staff_client, opportunity):
    booking = booked(opportunity, when=soon())

    html = staff_client.get(change_url(booking.expression)).content.decode()

    assert f'form="booking-{booking.pk}" name="outcome" value="cancel"' in html
    assert 'value="attended"' not in html


def test_the_change_page_still_saves_without_anything_from_the_bookings(
    staff_client, opportunity, django_user_model
):
    booking = booked(opportunity)
    colleague = django_user_model.objects.create_user("colleague", is_staff=True)

    response = staff_client.post(change_url(booking.expression), {
        "assigned_to": colleague.pk,
        "notes-TOTAL_FORMS": 0, "notes-INITIAL_FORMS": 0,
        "changes-TOTAL_FORMS": 0, "changes-INITIAL_FORMS": 0,
        # Even a forged bookings formset is ignored.
        "bookings-TOTAL_FORMS": 1, "bookings-INITIAL_FORMS": 1,
        "bookings-0-id": booking.pk, "bookings-0-status": "attended",
    })

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    booking.expression.refresh_from_db()
    assert booking.expression.assigned_to == colleague


def test_attended_a_briefing_moves_the_expression_to_briefing(
    staff_client, staff_user, opportunity
):
    booking = booked(opportunity, kind=Meeting.Kind.BRIEFING, stage=Status.CONTACTED)

    response = staff_client.post(booking_url(booking), {"outcome": "attended"}, follow=True)

    booking.refresh_from_db()
    assert booking.status == BookingStatus.ATTENDED
    booking.expression.refresh_from_db()
    assert booking.expression.status == Status.BRIEFING
    assert booking.expression.changes.get().by == staff_user
    assert any("moved to “Briefing meeting”" in m for m in messages_of(response))


def test_after_a_taster_staff_can_go_on_to_joined_not_progressed_or_withdrawn(
    staff_client, opportunity
):
    booking = booked(opportunity, kind=Meeting.Kind.TASTER, stage=Status.BRIEFING)

    response = staff_client.post(booking_url(booking), {"outcome": "attended"}, follow=True)

    booking.expression.refresh_from_db()
    assert booking.expression.status == Status.TASTER
    html = response.content.decode()
    for status in ("joined", "not_progressed", "withdrawn"):
        assert f'name="status" value="{status}"' in html
    assert any("Next: move them to “Joined”" in m for m in messages_of(response))

    staff_client.post(
        reverse("admin:applications_expressionofinterest_move", args=[booking.expression_id]),
        {"status": "withdrawn", "reason": "Not for me"},
    )
    booking.expression.refresh_from_db()
    assert booking.expression.status == Status.WITHDRAWN


def test_did_not_attend_is_recorded_and_the_expression_stays(staff_client, opportunity):
    booking = booked(opportunity, kind=Meeting.Kind.BRIEFING, stage=Status.CONTACTED)

    staff_client.post(booking_url(booking), {"outcome": "did_not_attend"})

    booking.refresh_from_db()
    assert booking.status == BookingStatus.DID_NOT_ATTEND
    booking.expression.refresh_from_db()
    assert booking.expression.status == Status.CONTACTED


def test_attendance_cannot_be_recorded_before_the_meeting(staff_client, opportunity):
    booking = booked(opportunity, when=soon())

    response = staff_client.post(booking_url(booking), {"outcome": "attended"}, follow=True)

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert "You can record attendance once the meeting has started." in messages_of(response)


def test_cancelling_frees_the_place_for_the_first_person_waiting(
    staff_client, emails, opportunity
):
    meeting = MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.TASTER,
                             **soon(capacity=1))
    booking = booked(opportunity, meeting=meeting)
    waiting = booked(opportunity, BookingStatus.WAITLISTED, meeting=meeting)

    response = emails(staff_client.post, booking_url(booking), {"outcome": "cancel"})

    booking.refresh_from_db()
    waiting.refresh_from_db()
    assert (booking.status, waiting.status) == (BookingStatus.CANCELLED, BookingStatus.CONFIRMED)
    cancelled, promoted = sorted(emails.outbox, key=lambda email: email.to != [
        booking.expression.email
    ])
    assert cancelled.to == [booking.expression.email]
    assert cancelled.subject.startswith("Your place has been cancelled")
    assert promoted.to == [waiting.expression.email]
    assert promoted.subject.startswith("A place has come up for you")
    notices = messages_of(staff_client.get(response["Location"]))
    assert any(
        waiting.expression.reference in m and "They have been emailed to tell them." in m
        for m in notices
    )


@pytest.mark.parametrize("outcome", ["attended", "cancel", "delete", ""])
def test_a_finished_booking_refuses_further_changes(staff_client, opportunity, outcome):
    booking = booked(opportunity, BookingStatus.CANCELLED)

    response = staff_client.post(booking_url(booking), {"outcome": outcome}, follow=True)

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert messages_of(response)


def test_the_booking_buttons_refuse_a_get(staff_client, opportunity):
    booking = booked(opportunity)

    assert staff_client.get(booking_url(booking)).status_code == 405


def test_a_booking_is_acted_on_only_through_its_own_expression(staff_client, opportunity):
    booking = booked(opportunity)
    other = ExpressionOfInterestFactory(opportunity=opportunity)
    url = reverse(
        "admin:applications_expressionofinterest_booking", args=[other.pk, booking.pk]
    )

    assert staff_client.post(url, {"outcome": "attended"}).status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


# Who may -------------------------------------------------------------------------------------


@pytest.fixture
def lead(django_user_model):
    user = django_user_model.objects.create_user("lead", "lead@example.nhs.uk", is_staff=True)
    user.groups.add(Group.objects.get(name="Programme lead"))
    return user


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead)
    return client


@pytest.fixture
def own_programme(lead):
    programme = ProgrammeFactory(name="Maternity")
    programme.leads.add(lead)
    return programme


def test_a_programme_lead_invites_and_records_for_their_own_programme(
    lead_client, lead, emails, own_programme
):
    opportunity = OpportunityFactory(programme=own_programme)
    meeting = MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.BRIEFING, **soon())
    expression = ExpressionOfInterestFactory(opportunity=opportunity, status=Status.NEW)
    old = booked(opportunity)

    assert lead_client.get(change_url(old.expression)).status_code == 200
    assert 'id="bookings-group"' in lead_client.get(change_url(old.expression)).content.decode()
    emails(lead_client.post, invite_url(expression), {"meeting": meeting.pk})
    lead_client.post(booking_url(old), {"outcome": "attended"})

    assert expression.bookings.get().invited_by == lead
    old.refresh_from_db()
    assert old.status == BookingStatus.ATTENDED


def test_a_programme_lead_cannot_invite_or_record_for_another_programme(
    lead_client, emails, own_programme
):
    theirs = OpportunityFactory(programme=ProgrammeFactory(name="Cancer care"))
    meeting = MeetingFactory(opportunity=theirs, kind=Meeting.Kind.BRIEFING, **soon())
    expression = ExpressionOfInterestFactory(opportunity=theirs, status=Status.NEW)
    booking = booked(theirs)

    assert lead_client.get(invite_url(expression)).status_code == 404
    assert emails(
        lead_client.post, invite_url(expression), {"meeting": meeting.pk}
    ).status_code == 404
    for outcome in ("attended", "did_not_attend", "cancel"):
        assert lead_client.post(booking_url(booking), {"outcome": outcome}).status_code == 404

    assert not expression.bookings.exists()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    expression.refresh_from_db()
    assert expression.status == Status.NEW
    assert emails.outbox == []


def test_the_bulk_action_cannot_reach_another_programme(lead_client, own_programme):
    theirs = ExpressionOfInterestFactory(
        opportunity__programme=ProgrammeFactory(name="Cancer care")
    )
    meeting = MeetingFactory(opportunity=theirs.opportunity, kind=Meeting.Kind.BRIEFING, **soon())

    run_action(lead_client, "invite_to_meeting", [theirs], confirm="yes", meeting=meeting.pk)

    assert not Booking.objects.exists()


def test_staff_who_cannot_move_expressions_cannot_invite(client, django_user_model, opportunity,
                                                         briefing):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_expressionofinterest"),
        Permission.objects.get(codename="view_all_expressions"),
    )
    client.force_login(viewer)
    expression = ExpressionOfInterestFactory(opportunity=opportunity)
    booking = booked(opportunity)

    assert client.get(invite_url(expression)).status_code == 403
    assert client.post(booking_url(booking), {"outcome": "attended"}).status_code == 403
    html = client.get(change_url(booking.expression)).content.decode()
    assert invite_url(booking.expression) not in html
    assert 'name="outcome"' not in html


# The meeting admin ---------------------------------------------------------------------------


def test_the_meeting_list_counts_places_and_filters_upcoming_and_past(staff_client, opportunity):
    upcoming = MeetingFactory(opportunity=opportunity, title="Coming up", **soon(capacity=3))
    for status in (BookingStatus.CONFIRMED, BookingStatus.INVITED, BookingStatus.WAITLISTED,
                   BookingStatus.CANCELLED):
        booked(opportunity, status, meeting=upcoming)
    MeetingFactory(opportunity=opportunity, title="Been and gone", **past())
    url = reverse("admin:opportunities_meeting_changelist")

    everything = staff_client.get(url).content.decode()
    coming = staff_client.get(url, {"when": "upcoming"}).content.decode()
    gone = staff_client.get(url, {"when": "past"}).content.decode()

    assert "Coming up" in everything and "Been and gone" in everything
    assert '2 of 3<span class="eoi-sub">1 waiting</span>' in everything
    assert "Coming up" in coming and "Been and gone" not in coming
    assert "Been and gone" in gone and "Coming up" not in gone


def test_the_meeting_list_shows_uk_times(staff_client, opportunity):
    MeetingFactory(
        opportunity=opportunity,
        starts_at=datetime.datetime(2030, 7, 2, 9, 0, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2030, 7, 2, 11, 0, tzinfo=datetime.UTC),
    )

    html = staff_client.get(reverse("admin:opportunities_meeting_changelist")).content.decode()

    assert "Tue 2 Jul 2030, 10:00 to 12:00" in html


def test_the_meeting_page_lists_only_the_bookings_a_lead_may_see(
    lead_client, own_programme
):
    opportunity = OpportunityFactory(programme=own_programme)
    meeting = MeetingFactory(opportunity=opportunity, **soon())
    mine = booked(opportunity, meeting=meeting)
    other_programme = OpportunityFactory(programme=ProgrammeFactory(name="Cancer care"))
    theirs = Booking.objects.create(
        meeting=meeting,
        expression=ExpressionOfInterestFactory(opportunity=other_programme, full_name="Zed Q"),
        status=BookingStatus.CONFIRMED,
    )

    response = lead_client.get(reverse("admin:opportunities_meeting_change", args=[meeting.pk]))

    html = response.content.decode()
    assert mine.expression.reference in html
    assert theirs.expression.reference not in html


def test_inviting_someone_who_gave_no_email_says_to_phone_them(
    staff_client, emails, opportunity, briefing
):
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, email="", phone="020 7946 0000", preferred_contact="phone"
    )

    page = staff_client.get(invite_url(expression)).content.decode()
    assert "They gave no email address (they asked to be phoned)" in page
    assert "phone them on 020 7946 0000" in page

    response = emails(staff_client.post, invite_url(expression), {"meeting": briefing.pk})

    assert Booking.objects.get().expression == expression
    assert emails.outbox == []
    [message] = messages_of(staff_client.get(response["Location"]))
    assert "They gave no email address, so nothing has been sent" in message
    assert "phone them on 020 7946 0000" in message


def test_the_bulk_action_says_whom_to_phone(staff_client, emails, opportunity, briefing):
    by_email = ExpressionOfInterestFactory(opportunity=opportunity)
    by_phone = ExpressionOfInterestFactory(
        opportunity=opportunity, email="", phone="020 7946 0000", preferred_contact="phone"
    )

    emails(
        run_action, staff_client, "invite_to_meeting", [by_email, by_phone],
        confirm="yes", meeting=briefing.pk,
    )

    assert [e.to for e in emails.outbox] == [[by_email.email]]
    notices = messages_of(staff_client.get(reverse(CHANGELIST)))
    assert any(m.startswith("2 person(s) invited") for m in notices)
    [to_phone] = [m for m in notices if "gave no email address" in m]
    assert to_phone.startswith("1 of them gave no email address")
    assert by_phone.reference in to_phone
    assert by_email.reference not in to_phone
