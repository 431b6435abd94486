"""The keyboard alone, from an opportunity's page to the confirmation, with focus always visible.

Every control that takes focus on the way is checked for NHS.UK frontend's focus style: the
yellow (#ffeb3b) background, box-shadow or outline, drawn on the control itself or, for radios
and checkboxes whose real input is invisible, on the label's ::before circle or box.
"""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.browser.forms import sent_expression
from tests.browser.test_accessibility import assert_no_violations

pytestmark = pytest.mark.django_db(transaction=True)

FOCUS_YELLOW = "rgb(255, 235, 59)"

# What has focus, whether a person can see it, and why not.
DESCRIBE_FOCUS = r"""
(yellow) => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) {
    return {focused: false, describe: "nothing (the page itself)"};
  }
  const shows = (style) => !!style && (
    style.backgroundColor === yellow
    || style.boxShadow.includes(yellow)
    || (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2
        && style.outlineColor === yellow)
  );
  const drawnOn = [getComputedStyle(el)];
  // NHS.UK radios and checkboxes hide the real input and draw the ring on the label.
  if (el.matches(".nhsuk-radios__input, .nhsuk-checkboxes__input") && el.labels.length) {
    drawnOn.push(getComputedStyle(el.labels[0], "::before"));
  }
  const box = (el.matches(".nhsuk-radios__input, .nhsuk-checkboxes__input") && el.labels.length
    ? el.labels[0] : el).getBoundingClientRect();
  const text = (el.innerText || el.value || el.getAttribute("aria-label") || "")
    .trim().replace(/\s+/g, " ");
  const style = drawnOn[drawnOn.length - 1];
  return {
    focused: true,
    describe: `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}`
      + `${el.className ? "." + String(el.className).trim().split(/\s+/).join(".") : ""}`
      + ` "${text.slice(0, 50)}"`,
    id: el.id,
    text,
    styled: drawnOn.some(shows),
    style: `background ${style.backgroundColor}; box-shadow ${style.boxShadow}; `
      + `outline ${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
    onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
      && box.top < window.innerHeight && box.left < window.innerWidth,
  };
}
"""


def assert_focus_visible(page):
    """Something has focus, it is on screen, and it wears the NHS focus style. Returns it."""
    focus = page.evaluate(DESCRIBE_FOCUS, FOCUS_YELLOW)
    assert focus["focused"], f"focus was lost: {focus['describe']} ({page.url})"
    assert focus["onScreen"], f"the focused {focus['describe']} is off screen ({page.url})"
    assert focus["styled"], (
        f"the focused {focus['describe']} has no visible focus style: {focus['style']}"
    )
    return focus


def has_focus(page, selector):
    return page.evaluate("(selector) => document.activeElement.matches(selector)", selector)


def tab_to(page, selector=None, *, text=None, key="Tab", limit=80):
    """Press Tab (or `key`, such as Shift+Tab) until the control matching `selector`, or with
    this text, has focus, checking that focus is visible on every control on the way."""
    for _ in range(limit):
        page.keyboard.press(key)
        focus = assert_focus_visible(page)
        if selector is not None and has_focus(page, selector):
            return focus
        if text is not None and focus["text"] == text:
            return focus
    pytest.fail(f"{selector or text} was not reachable with {key} in {limit} presses ({page.url})")


def press_and_wait_for_page(page, key):
    with page.expect_navigation():
        page.keyboard.press(key)


def continue_by_keyboard(page):
    """Tab on to the page's Continue button and press Enter."""
    focus = tab_to(page, "main button[type=submit]")
    assert focus["text"] == "Continue"
    press_and_wait_for_page(page, "Enter")


KEYBOARD_PAGES = [
    "name", "contact", "age", "connection", "why", "anything-else", "access-needs",
    "availability",
]


def answer_by_keyboard(
    page, *, email="an.nguyen@example.com", why_interested="I use the app to book appointments.",
    start_at="name", stop_after=None,
):
    """Every question page, from `start_at`, with the keyboard alone: each required answer and
    some optional ones, then Enter on Continue. Stops after the page `stop_after` (its answer
    sent), or on "Check your answers"."""
    for step in KEYBOARD_PAGES[KEYBOARD_PAGES.index(start_at):]:
        if step == "name":
            tab_to(page, "#id_full_name")
            page.keyboard.type("Nguyễn Văn An")
        elif step == "contact":
            # Tab enters a radio group on its first option; Space chooses it.
            tab_to(page, "#id_preferred_contact")
            page.keyboard.press("Space")
            assert page.locator("#id_preferred_contact").is_checked()
            tab_to(page, "#id_email")
            page.keyboard.type(email)
        elif step == "age":
            # Arrow keys move within a radio group, choosing as they go; Tab leaves the group.
            tab_to(page, "#id_age_band")
            for _ in range(4):
                page.keyboard.press("ArrowDown")
                assert_focus_visible(page)
            assert has_focus(page, "#id_age_band-5")
            assert page.get_by_label("65 or over").is_checked()
            page.keyboard.press("ArrowUp")
            assert page.get_by_label("25 to 64").is_checked()
            page.keyboard.press("ArrowDown")
            assert page.get_by_label("65 or over").is_checked()
            assert page.locator("input[name=age_band]:checked").count() == 1
        elif step == "connection":
            # Each checkbox is its own stop; Space ticks it.
            tab_to(page, "#id_connections-3")
            page.keyboard.press("Space")
            assert page.get_by_label("I live locally").is_checked()
        elif step == "why":
            tab_to(page, "#id_why_interested")
            if why_interested:
                page.keyboard.type(why_interested)
        elif step == "access-needs":
            tab_to(page, "#id_access_needs-3")
            page.keyboard.press("Space")
            assert page.get_by_label("Large print").is_checked()
        continue_by_keyboard(page)
        if step == stop_after:
            return
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Check your answers before sending"
    )


def send_by_keyboard(page):
    """On "Check your answers": agree to the privacy notice, then Enter on Send."""
    tab_to(page, "#id_privacy_consent")
    page.keyboard.press("Space")
    assert page.locator("#id_privacy_consent").is_checked()
    focus = tab_to(page, "main button[type=submit]")
    assert focus["text"] == "Send"
    press_and_wait_for_page(page, "Enter")


@pytest.fixture
def trust_content():
    call_command("load_trust_content", verbosity=0)


def test_the_keyboard_alone_sends_an_expression_of_interest_and_fixes_a_mistake(
    live_server, desktop, trust_content
):

    page = desktop
    page.goto(live_server.url + reverse("opportunities:detail", args=["patient-flow"]))
    # From the very top of the page, past the header, the breadcrumbs, every glossary link in
    # the text and the "what the words mean" details, which Enter opens, to the call to action.
    tab_to(page, "summary")
    page.keyboard.press("Enter")
    assert page.locator("details").first.evaluate("details => details.open")
    tab_to(page, text="Tell us you are interested")
    press_and_wait_for_page(page, "Enter")
    assert page.get_by_role("heading", level=1).inner_text() == "Tell us you are interested"

    # The mistake: an email address without the @.
    answer_by_keyboard(page, email="an.nguyen.example.com", stop_after="contact")

    assert page.title().startswith("Error: ")
    # The error summary takes focus, visibly, so it is read out and seen first.
    assert has_focus(page, ".nhsuk-error-summary")
    assert_focus_visible(page)
    summary = page.locator(".nhsuk-error-summary")
    assert "Enter an email address in the correct format" in summary.inner_text()
    # Its link is the next stop; Enter on it puts focus in the box to fix.
    focus = tab_to(page, ".nhsuk-error-summary a", limit=1)
    assert focus["text"].startswith("Enter an email address in the correct format")
    page.keyboard.press("Enter")
    assert has_focus(page, "#id_email")
    assert_focus_visible(page)
    # The choice made is still there.
    assert page.locator("#id_preferred_contact").is_checked()

    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("an.nguyen@example.com")
    assert page.get_by_label("Email address", exact=True).input_value() == "an.nguyen@example.com"
    continue_by_keyboard(page)
    answer_by_keyboard(page, start_at="age")

    # A "Change" link by keyboard: to the question, and back to "Check your answers".
    tab_to(page, text="Change why you are interested")
    press_and_wait_for_page(page, "Enter")
    tab_to(page, "#id_why_interested")
    page.keyboard.press("ControlOrMeta+End")
    page.keyboard.type(" Mostly on my phone.")
    continue_by_keyboard(page)
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Check your answers before sending"
    )
    assert "Mostly on my phone." in page.locator("main").inner_text()
    send_by_keyboard(page)

    expression = sent_expression(page)
    assert expression.email == "an.nguyen@example.com"
    assert expression.preferred_contact == "email"
    assert expression.age_band == "65_plus"
    assert expression.connections == ["resident"]
    assert expression.access_needs == ["large_print"]
    assert expression.why_interested == (
        "I use the app to book appointments. Mostly on my phone."
    )
    # On from the confirmation: focus is still visible on its links.
    tab_to(page, text="See other ways to get involved")
    assert_no_violations(page, "confirmation, reached by keyboard")


def test_with_javascript_space_follows_the_link_styled_as_a_button(
    live_server, desktop, trust_content
):
    # "Tell us you are interested" is a real button (in a GET form), so Space works on it as
    # well as Enter, with or without JavaScript.
    desktop.goto(live_server.url + reverse("opportunities:detail", args=["patient-flow"]))
    tab_to(desktop, text="Tell us you are interested")
    press_and_wait_for_page(desktop, "Space")
    assert desktop.get_by_role("heading", level=1).inner_text() == "Tell us you are interested"


def test_without_javascript_space_follows_the_link_styled_as_a_button(
    live_server, phone_without_js, trust_content
):
    page = phone_without_js
    page.goto(live_server.url + reverse("opportunities:detail", args=["patient-flow"]))
    tab_to(page, text="Tell us you are interested")
    page.keyboard.press("Space")
    # It is a real button in a GET form, so the browser adds an empty query string.
    # (/interest/?, which starts the form at its first question.)
    page.wait_for_url(re.compile(r"/interest/name/$"), timeout=2000)
