"""axe-core on every public page, with the WCAG 2.0, 2.1 and 2.2 A and AA rules and `region`.

The pages come from the sitemap, so a page added to it is scanned without anyone remembering.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.urls import reverse

from tests.browser.forms import fill_in_interest_form

pytestmark = pytest.mark.django_db(transaction=True)

WCAG_AA = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"],
    },
    "resultTypes": ["violations"],
    # Not a WCAG rule but a best practice: all content inside a landmark, so people who move by
    # landmark miss nothing (the back links once sat outside one).
    "rules": {"region": {"enabled": True}},
}


def assert_no_violations(page, url):
    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, f"{url}\n{results.generate_report()}"


def sitemap_paths(live_server, page):
    page.goto(live_server.url + reverse("sitemap"))
    return re.findall(r"<loc>https?://[^/]+(/[^<]*)</loc>", page.content())


@pytest.fixture
def trust_content():
    call_command("load_trust_content", verbosity=0)


def test_every_page_in_the_sitemap_has_no_violations(live_server, desktop, trust_content):
    paths = sitemap_paths(live_server, desktop)
    # eight pages (with /events/ and /alerts/) and the trust's eleven opportunities
    assert len(paths) == 9 + 11  # nine pages (with /alerts/ and /impact/), eleven opportunities
    for path in paths:
        desktop.goto(live_server.url + path)
        assert_no_violations(desktop, path)


@pytest.mark.parametrize(
    "query",
    [
        "?kind=lay_partner&who=young_people",
        "?q=nothing-matches-this",
        "?kind=reference_group",
        "?where=online#results",  # a chosen filter nothing matches, opened at the results
        "?q=" + "x" * 201,  # the search's error message
    ],
)
def test_the_list_page_with_filters_and_no_results_has_no_violations(
    live_server, phone, trust_content, query
):
    phone.goto(live_server.url + reverse("opportunities:list") + query)
    # Scan the filters too: open the panel whether or not the chosen filters opened it already.
    phone.locator("details").first.evaluate("details => { details.open = true }")
    assert_no_violations(phone, query)


def test_the_404_page_has_no_violations(live_server, phone):
    phone.goto(live_server.url + "/opportunities/no-such-opportunity/")
    assert phone.get_by_role("heading", level=1).inner_text() == "Page not found"
    assert_no_violations(phone, "404")


def test_the_privacy_notice_with_earlier_versions_and_an_earlier_version_have_no_violations(
    live_server, phone
):
    """/privacy/ itself is scanned from the sitemap; here it lists an earlier version, and that
    version is shown with its banner."""
    from tests.factories import PrivacyNoticeFactory

    PrivacyNoticeFactory(
        version="2026-11-b", summary_of_changes="We explain your rights more clearly."
    ).publish(by=None)

    phone.goto(live_server.url + reverse("privacy"))
    assert phone.get_by_role("heading", name="Earlier versions").is_visible()
    assert_no_violations(phone, "privacy notice listing earlier versions")

    phone.goto(live_server.url + reverse("privacy_version", args=["2026-11"]))
    assert "This is an earlier version of our privacy notice" in phone.content()
    assert_no_violations(phone, "an earlier version of the privacy notice")


def _fill(label, value=None, exact=False):
    def fill(page):
        control = page.get_by_label(label, exact=exact)
        control.fill(value) if value is not None else control.check()
    return fill


# Each question page of an expression of interest open to under-16s, answered so that every
# page is asked: (its title, how to answer it, whether Continue with no answer is a mistake).
EVERY_PAGE = [
    ("Tell us you are interested", _fill("Full name", "Amara Okafor", exact=True), True),
    ("How would you like us to contact you?",
     lambda page: (_fill("Email", exact=True)(page),
                   _fill("Email address", "amara@example.com", exact=True)(page)), True),
    ("How old are you?", _fill("Under 16"), True),
    ("Your parent or carer", lambda page: (
        _fill("Your parent or carer's full name", "Ngozi Okafor")(page),
        _fill("Your parent or carer's email address or phone number", "07700 900123")(page),
        _fill("I have told my parent or carer about this")(page),
    ), True),
    ("How are you connected to the trust?", _fill("Other", exact=True), True),
    ("How else are you connected to the trust?", _fill(
        "How else are you connected to the trust?", "School council"), True),
    ("Why are you interested?", _fill("Why are you interested?", "To help."), True),
    ("Is there anything else you would like us to know?", None, False),
    ("Do you need anything to help you take part?", _fill("Something else"), False),
    ("What else do you need to help you take part?", _fill(
        "What else do you need to help you take part?", "Papers a week early"), True),
    ("When can you usually take part?", None, False),
]


def scan_every_question_page(live_server, page, opportunity, pages=EVERY_PAGE):
    """From "Tell us you are interested" to the confirmation: each page scanned empty and,
    where Continue with no answer is a mistake, with its error; then "Check your answers",
    with and without its error, and Send."""
    page.goto(live_server.url + reverse("applications:express_interest", args=[opportunity]))
    for title, answer, required in pages:
        assert page.title().startswith(title), (page.title(), title)
        assert_no_violations(page, f"{opportunity}: {title}")
        if required:
            page.get_by_role("button", name="Continue").click()
            assert page.title().startswith(f"Error: {title}")
            assert_no_violations(page, f"{opportunity}: {title} with errors")
        if answer:
            answer(page)
        page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Check your answers before sending"
    )
    assert_no_violations(page, f"{opportunity}: check your answers")
    page.get_by_role("button", name="Send").click()
    assert page.title().startswith("Error: Check your answers before sending")
    assert_no_violations(page, f"{opportunity}: check your answers with errors")
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Send").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "We have your expression of interest"
    )


def test_every_question_page_empty_and_with_errors_has_no_violations(live_server, phone):
    from applications.models import ExpressionOfInterest
    from opportunities.models import Opportunity
    from tests.factories import OpportunityFactory

    OpportunityFactory(slug="forum", audience=Opportunity.Audience.EVERYONE,
                       involvement_payment="£20 an hour")

    scan_every_question_page(live_server, phone, "forum")

    expression = ExpressionOfInterest.objects.get()
    assert expression.parent_carer_name == "Ngozi Okafor"
    assert expression.connection_other == "School council"
    assert expression.access_needs_other == "Papers a week early"


def test_without_javascript_every_question_page_back_link_and_change_link_works(
    live_server, phone_without_js
):
    from applications.models import ExpressionOfInterest
    from opportunities.models import Opportunity
    from tests.factories import OpportunityFactory

    OpportunityFactory(slug="forum", audience=Opportunity.Audience.EVERYONE)
    page = phone_without_js
    page.goto(live_server.url + reverse("applications:express_interest", args=["forum"]))
    assert not page.evaluate("document.body.classList.contains('js-enabled')")
    for title, answer, required in EVERY_PAGE:
        assert page.title().startswith(title), (page.title(), title)
        if required:
            page.get_by_role("button", name="Continue").click()
            assert page.title().startswith(f"Error: {title}")
        if answer:
            answer(page)
        page.get_by_role("button", name="Continue").click()

    main = page.locator("main")
    assert "Ngozi Okafor" in main.inner_text()
    # The back link goes to the last question, with its answer; Continue comes back.
    page.locator(".nhsuk-back-link").click()
    assert page.title().startswith("When can you usually take part?")
    page.go_back()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Check your answers before sending"
    )
    # Change the age: the parent or carer's page is no longer asked, nor listed.
    page.get_by_role("link", name="Change age").click()
    assert page.get_by_label("Under 16").is_checked()
    assert page.locator(".nhsuk-back-link").get_attribute("href").endswith("/check-answers/")
    page.get_by_label("18 to 24").check()
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Check your answers before sending"
    )
    assert "Ngozi Okafor" not in main.inner_text()
    assert "18 to 24" in main.inner_text()
    # A refresh keeps every answer.
    page.reload()
    assert "School council" in main.inner_text()
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Send").click()

    assert page.get_by_role("heading", level=1).inner_text() == (
        "We have your expression of interest"
    )
    expression = ExpressionOfInterest.objects.get()
    assert expression.age_band == "18_24"
    assert expression.parent_carer_name == ""
    assert "forum/interest/sent/" in page.url
    # Back from the confirmation: the form says it was sent, and sends nothing more.
    page.go_back()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "We have your expression of interest"
    )
    assert ExpressionOfInterest.objects.count() == 1


def test_the_question_pages_of_the_trusts_forms_have_no_violations(
    live_server, desktop, trust_content
):
    """An adults' opportunity, on a desktop: the age it cannot take is refused on its page,
    and the pages for under-16s and "Other" are never asked. (The trust's own content says who
    can take part only for its young people's roles, so this one is made here.)"""
    from opportunities.models import Opportunity
    from tests.factories import OpportunityFactory

    OpportunityFactory(
        slug="adults-only", title="Adults' reference group",
        audience=Opportunity.Audience.ADULTS,
    )
    adults = [
        ("Tell us you are interested", _fill("Full name", "Amara Okafor", exact=True), False),
        ("How would you like us to contact you?",
         lambda page: (_fill("Phone", exact=True)(page),
                       _fill("UK phone number", "07700 900 982")(page)), False),
        ("How old are you?", _fill("16 to 17"), False),
    ]
    desktop.goto(live_server.url + reverse("applications:express_interest",
                                           args=["adults-only"]))
    for title, answer, _required in adults:
        assert desktop.title().startswith(title)
        answer(desktop)
        desktop.get_by_role("button", name="Continue").click()
    assert desktop.title().startswith("Error: How old are you?")
    assert "This opportunity is for adults aged 18 or over" in desktop.locator(
        ".nhsuk-error-summary").inner_text()
    assert_no_violations(desktop, "adults only: an age it cannot take")
    _fill("25 to 64")(desktop)
    desktop.get_by_role("button", name="Continue").click()
    assert desktop.title().startswith("How are you connected to the trust?")
    assert_no_violations(desktop, "adults only: connection, on a desktop")


def test_the_confirmation_and_manage_pages_have_no_violations(live_server, phone, trust_content):
    from applications.models import Booking, ExpressionOfInterest
    from opportunities.models import Meeting, Opportunity
    from tests.factories import ExpressionOfInterestFactory, MeetingFactory

    expression = ExpressionOfInterestFactory(
        opportunity=Opportunity.objects.get(slug="patient-flow")
    )
    for kind, status in (("briefing", "confirmed"), ("taster", "invited")):
        Booking.objects.create(
            expression=expression, status=status,
            meeting=MeetingFactory(opportunity=expression.opportunity, kind=kind),
        )
    assert Meeting.objects.count() == 2
    phone.goto(live_server.url + expression.manage_path())
    assert phone.get_by_role("heading", name="Your meetings").is_visible()
    assert_no_violations(phone, "manage, with meetings")
    phone.get_by_role("link", name="Withdraw my expression of interest").click()
    assert phone.get_by_role("heading", level=1).inner_text() == (
        "Are you sure you want to withdraw?"
    )
    assert_no_violations(phone, "withdraw: are you sure?")
    assert ExpressionOfInterest.objects.get().status == "new"
    phone.get_by_role("button", name="Yes, withdraw").click()
    assert "You have withdrawn" in phone.content()
    assert_no_violations(phone, "manage after withdrawing")
    assert ExpressionOfInterest.objects.get().status == "withdrawn"

    phone.goto(live_server.url + reverse("applications:manage", args=["not-a-real-token"]))
    assert_no_violations(phone, "manage link invalid")


@pytest.fixture
def example_meetings(trust_content):
    from io import StringIO

    call_command("create_example_meetings", "--force", stdout=StringIO())


def test_the_events_page_with_events_has_no_violations(live_server, phone, example_meetings):
    from opportunities.models import Meeting
    from tests.factories import MeetingFactory

    sprint = Meeting.objects.get(kind="event", is_example=True)
    # A full one too, so "Join the waiting list" is scanned.
    MeetingFactory(
        opportunity=sprint.opportunity, kind=Meeting.Kind.EVENT, title="A full iQI Sprint",
        public_registration=True, capacity=0, is_online=True, location="",
    )

    for path in (
        reverse("opportunities:events"),
        reverse("opportunities:home"),
        reverse("opportunities:detail", args=["iqi-sprint-events"]),
    ):
        phone.goto(live_server.url + path)
        assert "Example date for demonstration" in phone.content()
        assert_no_violations(phone, path)


def test_the_event_registration_form_empty_with_errors_and_sent_has_no_violations(
    live_server, desktop, example_meetings
):
    from applications.models import Booking
    from opportunities.models import Meeting

    sprint = Meeting.objects.get(kind="event", is_example=True)
    url = live_server.url + reverse("applications:register_for_event", args=[sprint.pk])
    desktop.goto(url)
    assert_no_violations(desktop, "event registration form")

    desktop.get_by_role("button", name="Register", exact=True).click()
    assert desktop.title().startswith("Error: ")
    assert_no_violations(desktop, "event registration form with errors")

    # Under 16: the parent or carer questions, with their errors.
    desktop.get_by_label("Under 16").check()
    desktop.get_by_role("button", name="Register", exact=True).click()
    assert "Enter your parent or carer's full name" in desktop.locator(
        ".nhsuk-error-summary"
    ).inner_text()
    assert_no_violations(desktop, "event registration form, under 16, with errors")

    desktop.get_by_label("Full name", exact=True).fill("Amara Okafor")
    desktop.get_by_label("Email address", exact=True).fill("amara@example.com")
    desktop.get_by_label("25 to 64").check()
    desktop.get_by_label("I have read the privacy notice").check()
    desktop.get_by_role("button", name="Register", exact=True).click()
    assert desktop.get_by_role("heading", level=1).inner_text() == "You are registered"
    assert_no_violations(desktop, "registration sent")
    assert Booking.objects.get().status == Booking.Status.CONFIRMED

    # The waiting-list confirmation, and the page for an event that has passed.
    sprint.capacity = 1
    sprint.save()
    desktop.goto(url)
    desktop.get_by_label("Full name", exact=True).fill("Tomasz Nowak")
    desktop.get_by_label("Email address", exact=True).fill("tomasz@example.com")
    desktop.get_by_label("65 or over").check()
    desktop.get_by_label("I have read the privacy notice").check()
    desktop.get_by_role("button", name="Join the waiting list").click()
    assert desktop.get_by_role("heading", level=1).inner_text() == "You are on the waiting list"
    assert "You are number 1 on the waiting list" in desktop.content()
    assert_no_violations(desktop, "registration sent, waiting list")

    import datetime

    from django.utils import timezone

    Meeting.objects.filter(pk=sprint.pk).update(
        starts_at=timezone.now() - datetime.timedelta(days=1),
        ends_at=timezone.now() - datetime.timedelta(hours=20),
    )
    desktop.goto(url)
    assert desktop.get_by_role("heading", level=1).inner_text() == (
        "Registration for this event has closed"
    )
    assert_no_violations(desktop, "registration closed")


def test_the_equality_questions_from_the_confirmation_page_have_no_violations(
    live_server, desktop
):
    """Send an expression of interest, follow the invitation on the confirmation page, answer
    (first with an answer only a tampered form could send, to see the error) and be thanked."""
    from applications.equality import EqualityResponse
    from tests.factories import OpportunityFactory

    opportunity = OpportunityFactory(title="Patient flow", slug="patient-flow")
    desktop.goto(
        live_server.url + reverse("applications:express_interest", args=[opportunity.slug])
    )
    fill_in_interest_form(
        desktop, name="Amara Okafor", email="amara@example.com", age_band="25 to 64",
        connection="I am, or have been, a patient", why="I was a patient.",
    )
    desktop.get_by_role("button", name="Send").click()
    assert desktop.get_by_role("heading", level=1).inner_text() == (
        "We have your expression of interest"
    )
    assert_no_violations(desktop, "interest sent, with the equality invitation")

    desktop.get_by_role("link", name="Answer the equality questions (optional)").click()
    assert desktop.get_by_role("heading", level=1).inner_text() == (
        "Help us check we are fair to everyone"
    )
    assert_no_violations(desktop, "equality questions")

    desktop.locator("#id_sex").evaluate("radio => { radio.value = 'made_up'; }")
    desktop.get_by_label("Female", exact=True).check()
    desktop.get_by_label("Irish", exact=True).check()
    desktop.get_by_role("button", name="Send my answers").click()
    assert desktop.title().startswith("Error: ")
    assert desktop.get_by_label("Irish", exact=True).is_checked()
    assert_no_violations(desktop, "equality questions with an error")

    desktop.get_by_label("Female", exact=True).check()
    desktop.get_by_role("button", name="Send my answers").click()
    assert desktop.get_by_role("heading", level=1).inner_text() == "Thank you for answering"
    assert_no_violations(desktop, "equality thanks")
    assert EqualityResponse.objects.get().ethnic_group == "white_irish"


def test_the_equality_questions_work_without_javascript_and_have_no_violations_on_a_phone(
    live_server, phone_without_js, phone
):
    from applications.equality import EqualityResponse

    url = live_server.url + reverse("applications:equality")
    phone.goto(url)
    assert_no_violations(phone, "equality questions on a phone")

    page = phone_without_js
    page.goto(url)
    page.get_by_label("Prefer not to say").nth(0).check()
    page.get_by_label("Bangladeshi").check()
    page.get_by_role(
        "group", name="Do you have a disability or a long-term health condition?"
    ).get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Send my answers").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you for answering"
    row = EqualityResponse.objects.get()
    assert (row.sex, row.ethnic_group, row.disability) == (
        "prefer_not_to_say", "asian_bangladeshi", "no"
    )
