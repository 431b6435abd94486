"""A meeting's register in a real browser, signed in as a member of the involvement team: access
needs flagged, attendance for everyone at once, an email to everyone booked and the printable
list, each page with no axe-core violations (WCAG 2.2 AA and `region`)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.browser.test_accessibility import assert_no_violations
from tests.browser.test_staff_journey import (  # noqa: F401  (team_member is a fixture)
    PASSWORD,
    messages_shown,
    sign_in,
    submit,
    team_member,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def meeting_under_way():
    from applications.models import Booking, ExpressionOfInterest
    from opportunities.models import Meeting
    from tests.factories import ExpressionOfInterestFactory, MeetingFactory

    now = timezone.now()
    meeting = MeetingFactory(
        kind=Meeting.Kind.BRIEFING, capacity=2, opportunity__title="Maternity voices",
        starts_at=now - datetime.timedelta(minutes=30), ends_at=now + datetime.timedelta(hours=1),
    )
    people = {}
    for name, status, extra in (
        ("Aisha Rahman", "confirmed", {"access_needs": ["bsl"]}),
        ("Pat Jones", "invited", {"email": "", "phone": "07700 900123",
                                  "preferred_contact": "phone"}),
        ("Grace Obi", "waitlisted", {"access_needs": ["step_free", "large_print"]}),
    ):
        expression = ExpressionOfInterestFactory(
            opportunity=meeting.opportunity, full_name=name,
            status=ExpressionOfInterest.Status.CONTACTED, **extra,
        )
        people[name] = Booking.objects.create(
            meeting=meeting, expression=expression, status=status
        )
    return meeting, people


@pytest.mark.usefixtures("team_member")
def test_the_team_runs_a_meeting_from_its_register(
    live_server, desktop, meeting_under_way, immediate_tasks, mailoutbox
):
    from applications.models import Booking

    meeting, people = meeting_under_way
    page = desktop
    sign_in(page, live_server, "sam.okafor", PASSWORD)

    page.goto(live_server.url + reverse("admin:opportunities_meeting_change", args=[meeting.pk]))
    submit(page.get_by_role("link", name="Register"))
    assert page.get_by_role("heading", name="Access needs to arrange (2 people)").is_visible()
    assert "Book a BSL interpreter now" in page.locator(".eoi-access-alert").inner_text()
    assert_no_violations(page, "the register")

    # Attendance for everyone at once.
    page.get_by_role("group", name="Did Aisha Rahman attend?").get_by_label("Attended").check()
    page.get_by_role("group", name="Did Pat Jones attend?").get_by_label(
        "Did not attend"
    ).check()
    submit(page.get_by_role("button", name="Save attendance"))
    assert messages_shown(page, "success") == [
        "Attendance saved: 2 changes. Anyone who came to a briefing or taster meeting has "
        "moved on to it."
    ]
    assert_no_violations(page, "the register, after saving attendance")
    aisha, pat = (
        Booking.objects.select_related("expression").get(pk=people[name].pk)
        for name in ("Aisha Rahman", "Pat Jones")
    )
    assert (aisha.status, aisha.expression.status) == ("attended", "briefing")
    assert (pat.status, pat.expression.status) == ("did_not_attend", "contacted")

    # Email everyone booked: with an error first, then sent.
    submit(page.get_by_role("link", name="Email everyone booked"))
    assert "07700 900123" in page.locator(".eoi-access-alert").inner_text()
    assert_no_violations(page, "email everyone booked")
    page.get_by_label("Subject").fill("Thank you for coming")
    submit(page.get_by_role("button", name="Send the email"))
    assert page.title().startswith("Error: ")
    assert page.get_by_role("link", name="Enter the message to send").is_visible()
    assert_no_violations(page, "email everyone booked, with an error")
    page.get_by_label("Message").fill("Thank you for coming to the briefing.")
    submit(page.get_by_role("button", name="Send the email"))
    assert messages_shown(page, "success")[0].startswith(
        "Your email is on its way to 1 person. 1 gave no email address"
    )
    assert [message.to for message in mailoutbox] == [[aisha.expression.email]]

    # The list to print, which prints without the admin around it.
    submit(page.get_by_role("link", name="Print the attendee list"))
    assert_no_violations(page, "the attendee list")
    page.emulate_media(media="print")
    assert not page.locator("#header").is_visible()
    assert not page.locator(".breadcrumbs").is_visible()
    assert page.locator("th", has_text="Aisha Rahman").is_visible()
