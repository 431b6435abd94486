"""A meeting's register: who is booked and waiting with their access needs, attendance for all
at once, an email to everyone booked, and the attendee list to print or download, with contact
details only for the staff allowed to see them."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from applications.bookings import BookingError
from applications.models import Booking, ExpressionOfInterest, MeetingMessage
from applications.personal_data import Person, erase
from opportunities.models import Meeting
from tests.factories import (
    ExpressionOfInterestFactory,
    MeetingFactory,
    OpportunityFactory,
    ProgrammeFactory,
)

pytestmark = pytest.mark.django_db

Status = ExpressionOfInterest.Status
AccessNeed = ExpressionOfInterest.AccessNeed


def url(name, meeting):
    return reverse(f"admin:opportunities_meeting_{name}", args=[meeting.pk])


def book(meeting, status=Booking.Status.CONFIRMED, stage=Status.CONTACTED, **person):
    """A booking on `meeting` for a new expression of interest at `stage`."""
    person.setdefault("opportunity", meeting.opportunity)
    expression = ExpressionOfInterestFactory(status=stage, **person)
    return Booking.objects.create(meeting=meeting, expression=expression, status=status)


@pytest.fixture
def make_staff(django_user_model):
    def make(username, group):
        user = django_user_model.objects.create_user(
            username, f"{username}@example.nhs.uk", is_staff=True,
            first_name=username.capitalize(),
        )
        user.groups.add(Group.objects.get(name=group))
        return user

    return make


@pytest.fixture
def team(make_staff):
    return make_staff("sam", "Involvement team")


@pytest.fixture
def team_client(client, team):
    client.force_login(team)
    return client


@pytest.fixture
def programme():
    return ProgrammeFactory(name="Maternity")


@pytest.fixture
def briefing(programme):
    return MeetingFactory(
        opportunity=OpportunityFactory(programme=programme, title="Maternity voices"),
        kind=Meeting.Kind.BRIEFING, capacity=3,
    )


@pytest.fixture
def started(briefing):
    """The briefing, started an hour ago."""
    briefing.starts_at = timezone.now() - datetime.timedelta(hours=1)
    briefing.ends_at = timezone.now() + datetime.timedelta(hours=1)
    briefing.save()
    return briefing


# What the register shows ---------------------------------------------------------------------


def test_the_meeting_page_links_to_its_register(team_client, briefing):
    html = team_client.get(url("change", briefing)).content.decode()

    assert f'href="{url("register", briefing)}"' in html


def test_it_lists_everyone_booked_and_waiting_with_their_access_needs(team_client, briefing):
    book(briefing, full_name="Aisha Rahman", access_needs=[AccessNeed.BSL])
    book(
        briefing, status=Booking.Status.INVITED, full_name="Tomasz Nowak",
        access_needs=[AccessNeed.LARGE_PRINT, AccessNeed.OTHER],
        access_needs_other="A quiet room to rest in",
    )
    book(briefing, status=Booking.Status.WAITLISTED, full_name="Grace Obi",
         access_needs=[AccessNeed.STEP_FREE])
    book(briefing, status=Booking.Status.CANCELLED, full_name="Cancelled Person")

    response = team_client.get(url("register", briefing))

    assert response.status_code == 200
    html = response.content.decode()
    booked, waiting = html.split("<h2>Waiting list")
    assert "Booked (2)" in booked
    assert "Aisha Rahman" in booked and "Tomasz Nowak" in booked
    assert "Grace Obi" in waiting and "Grace Obi" not in booked.split("Access needs to arrange")[0]
    assert "Cancelled Person" not in html
    # A BSL interpreter stands out, with what to do about it.
    assert '<strong class="eoi-access">A British Sign Language (BSL) interpreter</strong>' in html
    assert "Book a BSL interpreter now" in html
    assert '<strong class="eoi-access">Large print</strong>' in html
    assert '<strong class="eoi-access">A quiet room to rest in</strong>' in html
    assert "Something else" not in html  # what they wrote says it
    assert "Access needs to arrange (3 people)" in html
    assert "Step-free access" in waiting


def test_the_meeting_page_flags_access_needs_too(team_client, briefing):
    book(briefing, full_name="Aisha Rahman", access_needs=[AccessNeed.BSL])

    html = team_client.get(url("change", briefing)).content.decode()

    assert '<strong class="eoi-access">A British Sign Language (BSL) interpreter</strong>' in html


def test_attendance_waits_for_the_meeting_to_start(team_client, briefing):
    booking = book(briefing)

    html = team_client.get(url("register", briefing)).content.decode()

    assert "You can record attendance here once the meeting starts" in html
    assert f'name="booking-{booking.pk}"' not in html
    assert "Save attendance" not in html


@pytest.mark.parametrize("count", [1, 12])
def test_the_register_asks_the_same_number_of_queries_for_1_or_many(
    team_client, started, count, django_assert_max_num_queries
):
    for number in range(count):
        book(started, access_needs=[AccessNeed.BSL], status=(
            Booking.Status.WAITLISTED if number % 4 == 3 else Booking.Status.CONFIRMED
        ))
    team_client.get(url("register", started))  # sessions and permissions cached

    with django_assert_max_num_queries(8):
        response = team_client.get(url("register", started))

    assert response.status_code == 200


# Attendance for everyone at once ---------------------------------------------------------------


def test_attendance_for_all_at_once_moves_each_person_on(team_client, team, started):
    came = book(started, full_name="Came")
    also = book(started, status=Booking.Status.INVITED, full_name="Also came")
    missed = book(started, full_name="Missed it")

    response = team_client.post(url("register", started), {
        f"booking-{came.pk}": "attended",
        f"booking-{also.pk}": "attended",
        f"booking-{missed.pk}": "did_not_attend",
    })

    assert response.status_code == 302
    for booking in (came, also, missed):
        booking.refresh_from_db()
        booking.expression.refresh_from_db()
    assert [came.status, also.status, missed.status] == [
        "attended", "attended", "did_not_attend"
    ]
    # As single attendance does: a briefing moves them on to "Briefing meeting", by whom.
    assert came.expression.status == also.expression.status == Status.BRIEFING
    assert missed.expression.status == Status.CONTACTED
    change = came.expression.changes.latest("at")
    assert (change.to_status, change.by, change.reason) == (
        Status.BRIEFING, team, f"Attended {started}"
    )
    page = team_client.get(url("register", started)).content.decode()
    assert "Attendance saved: 3 changes." in page


def test_unchanged_rows_change_nothing(team_client, started):
    attended = book(started, status=Booking.Status.ATTENDED)

    team_client.post(url("register", started), {f"booking-{attended.pk}": "attended"})

    assert attended.expression.changes.count() == 0


def test_an_answer_not_offered_saves_nothing(team_client, started):
    came = book(started)
    other = book(started)

    response = team_client.post(url("register", started), {
        f"booking-{came.pk}": "attended", f"booking-{other.pk}": "maybe",
    })

    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: " in html
    assert "Nothing has been saved" in html
    came.refresh_from_db()
    assert came.status == Booking.Status.CONFIRMED
    assert came.expression.changes.count() == 0


def test_a_refused_row_rolls_back_the_whole_register(team, started):
    came = book(started)
    cancelled_meanwhile = book(started)
    stale = Booking.objects.select_related("expression").get(pk=cancelled_meanwhile.pk)
    cancelled_meanwhile.cancel()

    with pytest.raises(BookingError, match=stale.expression.reference):
        Booking.record_attendance(
            [(came, "attended"), (stale, "attended")], by=team
        )

    came.refresh_from_db()
    came.expression.refresh_from_db()
    assert came.status == Booking.Status.CONFIRMED
    assert came.expression.status == Status.CONTACTED
    assert came.expression.changes.count() == 0


# Email everyone booked -------------------------------------------------------------------------


@pytest.fixture
def booked_people(briefing):
    return {
        "aisha": book(briefing, full_name="Aisha Rahman", email="aisha@example.org"),
        "tom": book(briefing, status=Booking.Status.INVITED, full_name="Tom Nowak",
                    email="tom@example.org"),
        "phone": book(briefing, full_name="Pat Phone", email="", phone="07700 900123",
                      preferred_contact="phone"),
        "waiting": book(briefing, status=Booking.Status.WAITLISTED, full_name="Wendy Wait",
                        email="wendy@example.org"),
        "cancelled": book(briefing, status=Booking.Status.CANCELLED, full_name="Carl Cancel",
                          email="carl@example.org"),
        "erased": book(briefing, full_name="Erin Erased", email="erin@example.org"),
    }


def send_email(client, meeting, key="6f1c2d9e-4b7a-4c1e-9a8b-2f3e4d5c6b7a", **extra):
    return client.post(url("register_email", meeting), {
        "key": key, "subject": "The room has changed",
        "body": "We are now in Meeting room 2, on the ground floor.", **extra,
    })


def test_the_email_page_lists_who_gets_it_and_who_to_phone(team_client, briefing, booked_people):
    erase(Person("erin@example.org"), by=None, reason="Asked by email.")

    response = team_client.get(url("register_email", briefing))

    html = response.content.decode()
    assert response.status_code == 200
    recipients = html.split("Who it goes to")[1].split("No email address: phone them")[0]
    assert "Aisha Rahman" in recipients and "Tom Nowak" in recipients
    assert "Wendy Wait" not in recipients.split("On the waiting list")[0]
    assert "Carl Cancel" not in html and "Erin Erased" not in html
    assert "Pat Phone" in html and "07700 900123" in html


def test_it_emails_everyone_booked_once_each_through_the_task_queue(
    team_client, team, briefing, booked_people, immediate_tasks, django_capture_on_commit_callbacks
):
    erase(Person("erin@example.org"), by=None, reason="Asked by email.")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = send_email(team_client, briefing)

    assert response.status_code == 302
    assert sorted(message.to[0] for message in mail.outbox) == [
        "aisha@example.org", "tom@example.org"
    ]
    email = next(m for m in mail.outbox if m.to == ["aisha@example.org"])
    assert email.subject == f"The room has changed: Briefing meeting, {briefing.opportunity.title}"
    assert "Dear Aisha Rahman," in email.body
    assert "We are now in Meeting room 2, on the ground floor." in email.body
    assert briefing.when in email.body
    assert "Meeting room 2, on the ground floor." in email.alternatives[0][0]
    message = MeetingMessage.objects.get()
    assert (message.meeting, message.sent_by, message.emailed) == (briefing, team, 2)
    page = team_client.get(url("register", briefing)).content.decode()
    assert "Your email is on its way to 2 people. 1 gave no email address: phone them" in page
    assert "“The room has changed”" in page

    # The same form sent again (a double click, the back button) sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        send_email(team_client, briefing)
    assert len(mail.outbox) == 2
    assert MeetingMessage.objects.count() == 1


def test_the_waiting_list_is_emailed_only_when_asked(
    team_client, briefing, booked_people, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_email(team_client, briefing, include_waiting="on")

    assert "wendy@example.org" in [message.to[0] for message in mail.outbox]
    assert "carl@example.org" not in [message.to[0] for message in mail.outbox]


def test_an_email_with_no_message_is_refused_and_kept(team_client, briefing, booked_people):
    response = team_client.post(url("register_email", briefing), {
        "key": "6f1c2d9e-4b7a-4c1e-9a8b-2f3e4d5c6b7a", "subject": "Kept", "body": "",
    })

    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: " in html
    assert "Enter the message to send" in html
    assert 'value="Kept"' in html
    assert not MeetingMessage.objects.exists()


def test_a_person_erased_after_queueing_is_not_emailed(
    team_client, briefing, immediate_tasks, settings
):
    from applications.tasks import send_meeting_message

    booking = book(briefing, email="erin@example.org")
    message = MeetingMessage.objects.create(meeting=briefing, subject="Hello", body="Hi")
    erase(Person("erin@example.org"), by=None, reason="Asked by email.")

    assert send_meeting_message.call(message.pk, booking.pk) == 0
    assert mail.outbox == []


# The attendee list: print and CSV, with the permission rules ------------------------------------


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_lists_everyone_with_contact_details_and_is_formula_safe(team_client, briefing):
    book(briefing, full_name="=HYPERLINK(\"http://evil\")", email="a@example.org",
         phone="+44 7700 900123", access_needs=[AccessNeed.BSL])
    book(briefing, status=Booking.Status.WAITLISTED, full_name="Grace Obi", email="")

    rows = read_csv(team_client.get(url("register_csv", briefing)))

    assert rows[0] == [
        "Reference", "Name", "Booking", "Access needs and formats", "Email", "Phone",
        "Preferred way to contact",
    ]
    assert rows[1][1:] == [
        "'=HYPERLINK(\"http://evil\")", "Confirmed",
        "A British Sign Language (BSL) interpreter", "a@example.org", "'+44 7700 900123", "Email",
    ]
    assert rows[2][1:4] == ["Grace Obi", "On the waiting list", ""]


@pytest.fixture
def lead(make_staff, programme):
    lead = make_staff("lee", "Programme lead")
    programme.leads.add(lead)
    return lead


@pytest.fixture
def mixed_meeting(briefing):
    """One of the lead's programme's people, and one from another programme invited to the
    same meeting."""
    ours = book(briefing, full_name="Aisha Rahman", email="aisha@example.org",
                phone="07700 900001", access_needs=[AccessNeed.BSL])
    theirs = book(
        briefing, full_name="Tomasz Nowak", email="tomasz@example.org", phone="07700 900002",
        access_needs=[AccessNeed.STEP_FREE],
        opportunity=OpportunityFactory(programme=ProgrammeFactory(name="Cancer care")),
    )
    return ours, theirs


def test_a_lead_sees_contact_details_only_for_their_own_programmes_people(
    client, lead, briefing, mixed_meeting
):
    client.force_login(lead)

    register = client.get(url("register", briefing)).content.decode()
    printed = client.get(url("register_print", briefing)).content.decode()
    rows = read_csv(client.get(url("register_csv", briefing)))

    for html in (register, printed):
        # Both are coming, with their access needs: whoever runs the meeting needs both.
        assert "Aisha Rahman" in html and "Tomasz Nowak" in html
        assert "Step-free access" in html
        assert "aisha@example.org" in html and "07700 900001" in html
        assert "tomasz@example.org" not in html and "07700 900002" not in html
    assert [row[1:] for row in rows[1:]] == [
        ["Aisha Rahman", "Confirmed", "A British Sign Language (BSL) interpreter",
         "aisha@example.org", "07700 900001", "Email"],
        ["Tomasz Nowak", "Confirmed", "Step-free access", "", "", ""],
    ]


def test_the_team_sees_everyones_contact_details_on_the_printed_list(
    team_client, briefing, mixed_meeting
):
    html = team_client.get(url("register_print", briefing)).content.decode()

    assert "aisha@example.org" in html and "tomasz@example.org" in html
    assert "@media print" not in html  # the print styles are in portal.css, loaded here
    assert "admin/portal.css" in html


def test_the_print_styles_hide_everything_but_the_list():
    from django.contrib.staticfiles import finders

    with open(finders.find("admin/portal.css")) as css:
        styles = css.read()
    print_rules = styles.split("@media print")[1]
    for hidden in ("#header", ".breadcrumbs", "#nav-sidebar", ".eoi-no-print", ".submit-row"):
        assert hidden in print_rules.split("display: none")[0]


def test_a_lead_cannot_record_or_email_another_programmes_people(
    client, lead, started, mixed_meeting, immediate_tasks, django_capture_on_commit_callbacks
):
    ours, theirs = mixed_meeting
    client.force_login(lead)

    html = client.get(url("register", started)).content.decode()
    assert f'name="booking-{ours.pk}"' in html
    assert f'name="booking-{theirs.pk}"' not in html

    client.post(url("register", started), {f"booking-{theirs.pk}": "attended"})
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.CONFIRMED

    with django_capture_on_commit_callbacks(execute=True):
        send_email(client, started)
    assert [message.to for message in mail.outbox] == [["aisha@example.org"]]


def test_staff_who_cannot_see_expressions_cannot_open_the_register(
    client, django_user_model, briefing
):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_meeting"))
    client.force_login(viewer)

    for name in ("register", "register_print", "register_csv", "register_email"):
        assert client.get(url(name, briefing)).status_code == 403
    assert url("register", briefing) not in client.get(url("change", briefing)).content.decode()


# Access needs at invitation time ---------------------------------------------------------------


def test_the_invitation_page_flags_access_needs(team_client, briefing):
    expression = ExpressionOfInterestFactory(
        opportunity=briefing.opportunity, access_needs=[AccessNeed.BSL]
    )

    html = team_client.get(
        reverse("admin:applications_expressionofinterest_invite", args=[expression.pk])
    ).content.decode()

    assert "Their access needs and formats: arrange these for the meeting" in html
    assert '<strong class="eoi-access">A British Sign Language (BSL) interpreter</strong>' in html
    assert "Book a BSL interpreter now" in html


def test_the_bulk_invitation_lists_each_persons_access_needs(team_client, briefing):
    needs = ExpressionOfInterestFactory(
        opportunity=briefing.opportunity, access_needs=[AccessNeed.BSL]
    )
    none = ExpressionOfInterestFactory(opportunity=briefing.opportunity)

    response = team_client.post(
        reverse("admin:applications_expressionofinterest_changelist"),
        {"action": "invite_to_meeting", "_selected_action": [needs.pk, none.pk]},
    )

    html = response.content.decode()
    assert "Access needs and formats" in html
    assert "A British Sign Language (BSL) interpreter" in html
    assert "None given" in html


def test_nobody_whose_details_were_removed_is_emailed_even_with_a_place(
    team_client, started, immediate_tasks, django_capture_on_commit_callbacks
):
    """The retention job anonymises without cancelling a place that was used: the register
    still counts it, but there is nobody left to email."""
    kept = book(started, status=Booking.Status.ATTENDED, email="kept@example.org")
    removed = book(started, status=Booking.Status.ATTENDED, email="removed@example.org")
    ExpressionOfInterest.objects.filter(pk=removed.expression_id).update(
        anonymised_at=timezone.now()
    )

    with django_capture_on_commit_callbacks(execute=True):
        send_email(team_client, started)

    assert [message.to for message in mail.outbox] == [[kept.expression.email]]
    register = team_client.get(url("register", started)).content.decode()
    assert "Details removed" in register


def test_saving_with_nothing_changed_says_so(team_client, started):
    attended = book(started, status=Booking.Status.ATTENDED)

    response = team_client.post(
        url("register", started), {f"booking-{attended.pk}": "attended"}, follow=True
    )

    assert "Nothing to save: no answers were changed." in response.content.decode()


def test_attendance_cannot_be_posted_before_the_meeting_starts(team_client, briefing):
    booking = book(briefing)

    response = team_client.post(
        url("register", briefing), {f"booking-{booking.pk}": "attended"}, follow=True
    )

    assert "nobody on this register whose attendance you can record now" in (
        response.content.decode()
    )
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
