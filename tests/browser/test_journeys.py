"""What a person does, in a real browser: on a phone, with the keyboard, without JavaScript."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.browser.forms import answer_interest_questions, press_continue, sent_expression
from tests.browser.test_accessibility import assert_no_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trust_content():
    call_command("load_trust_content", verbosity=0)


def browse_filter_and_open(page, live_server):
    page.goto(live_server.url + reverse("opportunities:home"))
    page.get_by_role("link", name="See all the ways to get involved").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Ways to get involved"
    assert "11 opportunities" in page.get_by_role("status").inner_text()

    page.get_by_text("Filter opportunities").click()
    page.get_by_label("Young people (under 18)").check()
    page.get_by_label("Lay partner role").check()
    page.get_by_role("button", name="Apply filters").click()

    assert "who=young_people" in page.url
    # The three children's services roles are for adults and young people; the trust has not
    # said who can take part in the other four, so they are not ruled out.
    assert "7 opportunities" in page.get_by_role("status").inner_text()
    page.get_by_role("link", name="Children's quality and safety").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Children's quality and safety"
    assert page.get_by_text("Adults and young people", exact=True).is_visible()


def test_a_new_visitor_on_a_phone_finds_an_opportunity(live_server, phone, trust_content):
    browse_filter_and_open(phone, live_server)


def test_it_works_without_javascript(live_server, phone_without_js, trust_content):
    browse_filter_and_open(phone_without_js, live_server)


def test_search_from_the_list_page(live_server, phone, trust_content):
    phone.goto(live_server.url + reverse("opportunities:list"))
    phone.get_by_label("Search opportunities").fill("leaflets")
    phone.get_by_role("button", name="Search").click()

    assert "q=leaflets" in phone.url
    assert phone.get_by_role("link", name="Patient communications reference group").is_visible()


def test_the_keyboard_alone_reaches_the_content_with_visible_focus(
    live_server, desktop, trust_content
):
    desktop.goto(live_server.url + reverse("opportunities:detail", args=["patient-flow"]))

    desktop.keyboard.press("Tab")
    skip = desktop.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("el => el === document.activeElement")
    # The skip link is hidden until focused, then shown with the NHS yellow focus style.
    assert skip.is_visible()
    assert skip.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(255, 235, 59)"
    desktop.keyboard.press("Enter")
    assert desktop.evaluate("location.hash") == "#maincontent"

    # Tab on to the first glossary link in the text and follow it with Enter.
    for _ in range(40):
        desktop.keyboard.press("Tab")
        if desktop.evaluate("document.activeElement.classList.contains('app-glossary-term')"):
            break
    else:
        pytest.fail("no glossary term was reachable by keyboard")
    focused_background = desktop.evaluate(
        "getComputedStyle(document.activeElement).backgroundColor"
    )
    assert focused_background == "rgb(255, 235, 59)"
    desktop.keyboard.press("Enter")
    assert desktop.get_by_role("heading", level=1).inner_text() == "Words we use"
    assert "#" in desktop.url


def test_a_person_on_a_phone_sends_an_expression_with_a_mistake_and_fixes_it(
    live_server, phone, trust_content, mailoutbox
):
    from applications.models import ExpressionOfInterest

    phone.goto(live_server.url + reverse("opportunities:detail", args=["digital-reference-group"]))
    phone.get_by_role("button", name="Tell us you are interested").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Tell us you are interested"

    answer_interest_questions(
        # The mistake: an email address without the @.
        phone, name="Nguyễn Văn An", email="an.nguyen.example.com", age_band="65 or over",
        connection="I live locally", why="I use the app to book appointments.",
        access_need="Large print", stop_after="contact",
    )

    assert phone.title().startswith("Error: How would you like us to contact you?")
    summary = phone.locator(".nhsuk-error-summary")
    assert "Enter an email address in the correct format" in summary.inner_text()
    # The error summary takes focus so a screen reader reads it out.
    assert summary.evaluate("el => el === document.activeElement")
    # The choice is still made, and the name on the page before is kept.
    assert phone.get_by_label("Email", exact=True).is_checked()

    summary.get_by_role("link").first.click()
    email = phone.get_by_label("Email address", exact=True)
    assert email.evaluate("el => el === document.activeElement")
    email.fill("an.nguyen@example.com")
    press_continue(phone)
    phone.get_by_label("65 or over").check()
    press_continue(phone)
    phone.get_by_label("I live locally").check()
    press_continue(phone)
    phone.get_by_label("Why are you interested?").fill("I use the app to book appointments.")
    press_continue(phone)
    press_continue(phone)
    phone.get_by_label("Large print").check()
    press_continue(phone)
    press_continue(phone)

    # Check your answers: the name from the first page is there, and can be changed.
    main = phone.locator("main")
    assert "Nguyễn Văn An" in main.inner_text()
    phone.get_by_role("link", name="Change name").click()
    assert phone.get_by_label("Full name", exact=True).input_value() == "Nguyễn Văn An"
    phone.get_by_label("Full name", exact=True).fill("Nguyễn Văn Anh")
    press_continue(phone)
    assert phone.get_by_role("heading", level=1).inner_text() == (
        "Check your answers before sending"
    )
    assert "Nguyễn Văn Anh" in main.inner_text()
    phone.get_by_label("I have read the privacy notice").check()
    phone.get_by_role("button", name="Send").click()

    assert phone.get_by_role("heading", level=1).inner_text() == (
        "We have your expression of interest"
    )
    assert_no_violations(phone, "confirmation")
    expression = ExpressionOfInterest.objects.get()
    assert expression.full_name == "Nguyễn Văn Anh"
    assert expression.reference in phone.locator(".nhsuk-panel").inner_text()
    assert expression.access_needs == ["large_print"]
    assert expression.reference not in phone.url
    assert "an.nguyen" not in phone.url


def test_without_javascript_the_keyboard_sends_an_expression_with_a_mistake_and_fixes_it(
    live_server, phone_without_js, trust_content
):
    """The same journey as test_keyboard's on a phone with JavaScript off: nothing moves focus
    for the person, so the page itself must lead them from the error summary to the answer."""
    from tests.browser.test_keyboard import (
        answer_by_keyboard,
        assert_focus_visible,
        continue_by_keyboard,
        has_focus,
        press_and_wait_for_page,
        send_by_keyboard,
        tab_to,
    )

    page = phone_without_js
    page.goto(live_server.url + reverse("opportunities:detail", args=["patient-flow"]))
    assert not page.evaluate("document.body.classList.contains('js-enabled')")
    # Enter follows the "button" (a link) without any script.
    tab_to(page, text="Tell us you are interested")
    press_and_wait_for_page(page, "Enter")
    assert page.get_by_role("heading", level=1).inner_text() == "Tell us you are interested"

    # Nothing focuses the summary without JavaScript, but it is the first thing in the page's
    # content. Following its link focuses the box, with its question and its error message in
    # view above it (portal.css gives the boxes a scroll margin for this).
    def follow_summary_link(field, message):
        assert page.title().startswith("Error: ")
        summary = page.locator(".nhsuk-error-summary")
        assert summary.locator("[role=alert]").count() == 1
        assert summary.get_by_role("link").all_inner_texts() == [message]
        # The answer with a problem says so beside it, and the box is described by it.
        assert message in page.locator(f"#{field}-error").inner_text()
        assert f"{field}-error" in page.locator(f"#{field}").get_attribute("aria-describedby")
        tab_to(page, f".nhsuk-error-summary a[href='#{field}']")
        page.keyboard.press("Enter")
        assert has_focus(page, f"#{field}")
        assert_focus_visible(page)
        for above in (f"label[for={field}]", f"#{field}-error"):
            top = page.locator(above).evaluate("el => el.getBoundingClientRect().top")
            assert top >= 0, f"{above} is off the top of the screen after following the link"

    # The mistakes: an email address without the @, and no reason for being interested.
    answer_by_keyboard(page, email="an.nguyen.example.com", stop_after="contact")
    follow_summary_link(
        "id_email", "Enter an email address in the correct format, like name@example.com"
    )
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("an.nguyen@example.com")
    continue_by_keyboard(page)
    answer_by_keyboard(page, why_interested="", start_at="age", stop_after="why")
    follow_summary_link("id_why_interested", "Tell us why you are interested")
    page.keyboard.type("I use the app to book appointments.")
    continue_by_keyboard(page)
    answer_by_keyboard(page, start_at="anything-else")
    send_by_keyboard(page)

    expression = sent_expression(page)
    assert expression.email == "an.nguyen@example.com"
    assert expression.why_interested == "I use the app to book appointments."
    assert expression.age_band == "65_plus"
    assert expression.access_needs == ["large_print"]


def test_a_member_of_the_public_registers_for_an_iqi_sprint_on_a_phone(
    live_server, phone, trust_content
):
    """Find an iQI Sprint on /events/, register on a phone, and add it to the calendar."""
    import re
    from io import StringIO

    from applications.models import Booking

    call_command("create_example_meetings", "--force", stdout=StringIO())
    phone.goto(live_server.url + reverse("opportunities:home"))
    phone.get_by_role("link", name="See all upcoming events and register").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Events"

    card = phone.locator(".nhsuk-card", has_text="Example: iQI Sprint")
    assert "Example date for demonstration" in card.inner_text()
    assert "30 places left" in card.inner_text()
    assert "10am to 1pm" in card.inner_text()
    card.get_by_role("link", name=re.compile(r"^Register")).click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Register for Example: iQI Sprint"

    phone.get_by_label("Full name", exact=True).fill("Siobhán O'Brien")
    phone.get_by_label("Email address", exact=True).fill("siobhan@example.com")
    phone.get_by_label("UK phone number (optional)").fill("07700 900982")
    phone.get_by_label("25 to 64").check()
    phone.get_by_label("Step-free access").check()
    phone.get_by_label("I have read the privacy notice").check()
    phone.get_by_role("button", name="Register", exact=True).click()

    assert phone.get_by_role("heading", level=1).inner_text() == "You are registered"
    booking = Booking.objects.select_related("expression").get()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.expression.access_needs == ["step_free"]
    assert booking.expression.reference in phone.locator(".nhsuk-panel").inner_text()
    assert booking.expression.reference not in phone.url

    with phone.expect_download() as download:
        phone.get_by_role("link", name=re.compile(r"^Add to calendar")).click()
    assert download.value.suggested_filename.endswith(".ics")
    calendar = open(download.value.path(), encoding="utf-8").read()
    assert calendar.startswith("BEGIN:VCALENDAR")
    assert "SUMMARY:Example: iQI Sprint" in calendar
    assert "DTSTART;TZID=Europe/London:" in calendar

    # Back on /events/, one place fewer.
    phone.goto(live_server.url + reverse("opportunities:events"))
    assert "29 places left" in phone.locator(".nhsuk-card").first.inner_text()
