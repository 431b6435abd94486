"""What a person does, in a real browser: on a phone, with the keyboard, without JavaScript."""

import pytest
from django.core.management import call_command
from django.urls import reverse

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
    assert "3 opportunities" in page.get_by_role("status").inner_text()
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

    phone.get_by_label("Full name", exact=True).fill("Nguyễn Văn An")
    # The mistake: an email address without the @.
    phone.get_by_label("Email address").fill("an.nguyen.example.com")
    phone.get_by_label("Email", exact=True).check()
    phone.get_by_label("65 or over").check()
    phone.get_by_label("I live locally").check()
    phone.get_by_label("Why are you interested?").fill("I use the app to book appointments.")
    phone.get_by_label("Large print").check()
    phone.get_by_label("I have read the privacy notice").check()
    phone.get_by_role("button", name="Send").click()

    assert phone.title().startswith("Error: ")
    summary = phone.locator(".nhsuk-error-summary")
    assert "Enter an email address in the correct format" in summary.inner_text()
    # The error summary takes focus so a screen reader reads it out.
    assert summary.evaluate("el => el === document.activeElement")
    # Everything else is still filled in.
    assert phone.get_by_label("Full name", exact=True).input_value() == "Nguyễn Văn An"
    assert phone.get_by_label("Large print").is_checked()
    assert phone.get_by_label("65 or over").is_checked()

    summary.get_by_role("link").first.click()
    email = phone.get_by_label("Email address")
    assert email.evaluate("el => el === document.activeElement")
    email.fill("an.nguyen@example.com")
    phone.get_by_role("button", name="Send").click()

    assert phone.get_by_role("heading", level=1).inner_text() == (
        "We have your expression of interest"
    )
    assert_no_violations(phone, "confirmation")
    expression = ExpressionOfInterest.objects.get()
    assert expression.reference in phone.locator(".nhsuk-panel").inner_text()
    assert expression.access_needs == ["large_print"]
    assert expression.reference not in phone.url
    assert "an.nguyen" not in phone.url
