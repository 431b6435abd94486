"""A day's triage in the admin without a mouse, and the admin at 200% zoom.

The keyboard test reaches every control by pressing Tab (never by clicking or by focusing it
from the script), checks that the focused control shows it is focused, and uses it with Enter,
Space or the arrow keys, as a member of staff who cannot use a mouse would: sign in, find a
person by their reference, filter the list, open an expression, move it on, invite it to a
briefing meeting, and export the list.

The zoom test is WCAG 1.4.4 and 1.4.10 as staff meet them: a 1280 pixel wide window at 200%
zoom is a 640 CSS pixel wide page. Nothing may be cut off, and only the results table may
scroll sideways.
"""

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.browser.test_admin_accessibility import sign_in_as, staff

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-test-password"
MOST_TABS = 250  # further than any control on these pages; a control not reached is a failure


@pytest.fixture
def day(django_user_model, staff_groups):
    from io import StringIO

    from opportunities.models import Meeting, Opportunity
    from tests.factories import ExpressionOfInterestFactory, MeetingFactory

    call_command("load_trust_content", verbosity=0)
    call_command("create_example_meetings", force=True, stdout=StringIO())
    team = staff(django_user_model, "sam.okafor", "Involvement team")
    opportunity = Opportunity.objects.get(slug="patient-flow")
    if not Meeting.objects.upcoming().filter(opportunity=opportunity, kind="briefing").exists():
        MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.BRIEFING)
    for name in ["Bola Adeyemi", "Carys Evans", "Dev Patel"]:
        ExpressionOfInterestFactory(opportunity=opportunity, full_name=name)
    aisha = ExpressionOfInterestFactory(opportunity=opportunity, full_name="Aisha Rahman")
    return {"team": team, "aisha": aisha}


def focus_shows(page):
    """Whether the focused element draws a focus indicator: an outline or a box shadow."""
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
            return outline || style.boxShadow !== 'none';
        }"""
    )


def tab_to(page, locator, what):
    """Press Tab until `locator` has the focus, and check the focus shows."""
    target = locator.element_handle()
    for _ in range(MOST_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("element => element === document.activeElement", target):
            assert focus_shows(page), f"{what}: focused, but nothing shows it"
            return
    raise AssertionError(f"{what}: not reached with the Tab key")


def press(page, key):
    """Press a key that sends the page somewhere, and wait for the page that comes back."""
    with page.expect_navigation():
        page.keyboard.press(key)


def test_a_days_triage_can_be_done_with_the_keyboard_alone(live_server, desktop, day):
    from applications.models import Booking, ExpressionOfInterest

    page, aisha = desktop, day["aisha"]
    page.goto(live_server.url + reverse("admin:index"))

    # Sign in.
    tab_to(page, page.get_by_label("Username"), "username")
    page.keyboard.type("sam.okafor")
    tab_to(page, page.get_by_label("Password"), "password")
    page.keyboard.type(PASSWORD)
    press(page, "Enter")
    assert page.url == live_server.url + reverse("admin:index")

    # To the expressions of interest.
    tab_to(page, page.locator('#content-main a[href$="/expressionofinterest/"]').first,
           "the expressions of interest link")
    press(page, "Enter")
    assert "/admin/applications/expressionofinterest/" in page.url

    # Find Aisha by the reference she quotes on the phone.
    tab_to(page, page.locator("#searchbar"), "search")
    page.keyboard.type(aisha.reference)
    press(page, "Enter")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and "Aisha Rahman" in rows.first.inner_text()

    # Filter the list to the new ones (the filter links are in the sidebar).
    tab_to(page, page.locator("#changelist-filter a", has_text="New").first, "the New filter")
    press(page, "Enter")
    assert "status" in page.url

    # Open her expression, and move her on to "Contacted" with the move button.
    tab_to(page, page.get_by_role("link", name="Aisha Rahman"), "Aisha's expression")
    press(page, "Enter")
    move = page.get_by_role("button", name="Move to “Contacted”")
    assert move.evaluate("button => button.form !== null"), "the move is not a button in a form"
    tab_to(page, move, "the move to Contacted")
    press(page, "Enter")
    aisha.refresh_from_db()
    assert aisha.status == ExpressionOfInterest.Status.CONTACTED

    # Invite her to a briefing meeting: the first meeting offered, chosen with the arrow keys.
    tab_to(page, page.get_by_role("link", name="Invite to a briefing or taster meeting").or_(
        page.get_by_role("button", name="Invite to a briefing or taster meeting")
    ).first, "invite")
    press(page, "Enter")
    choice = page.locator("#content-main input[type=radio], #content-main select").first
    tab_to(page, choice, "the meeting to invite to")
    if choice.evaluate("element => element.tagName") == "SELECT":
        page.keyboard.press("ArrowDown")
    else:
        page.keyboard.press("Space")
    tab_to(page, page.locator("#content-main form [type=submit]").first, "send the invitation")
    press(page, "Enter")
    assert Booking.objects.filter(expression=aisha, status=Booking.Status.INVITED).exists()

    # Back to the list, tick everyone, and export them.
    page.goto(live_server.url + reverse("admin:applications_expressionofinterest_changelist"))
    tab_to(page, page.locator("#action-toggle"), "select all")
    page.keyboard.press("Space")
    tab_to(page, page.locator("select[name=action]"), "the actions")
    page.locator("select[name=action]").evaluate("select => select.selectedIndex = 0")
    option_index = page.locator("select[name=action] option").evaluate_all(
        "options => options.findIndex(o => o.value === 'export_as_csv')"
    )
    for _ in range(option_index):
        page.keyboard.press("ArrowDown")
    assert page.locator("select[name=action]").input_value() == "export_as_csv"
    tab_to(page, page.get_by_role("button", name="Go"), "Go")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".csv")


ZOOMED = {"width": 640, "height": 450}  # 1280 × 900 at 200%


@pytest.fixture
def zoomed(playwright_browser, request):
    context = playwright_browser.new_context(viewport=ZOOMED, device_scale_factor=2)
    page = context.new_page()
    request.node.browser_page = page
    yield page
    context.close()


def page_scrolls_sideways(page):
    return page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def test_the_expressions_list_and_an_expression_work_at_200_percent_zoom(
    live_server, zoomed, day
):
    page, aisha = zoomed, day["aisha"]
    sign_in_as(page, live_server, day["team"])

    page.goto(live_server.url + reverse("admin:applications_expressionofinterest_changelist"))
    assert not page_scrolls_sideways(page), "the list page scrolls sideways"
    for control in [page.locator("#searchbar"), page.get_by_role("button", name="Go"),
                    page.locator("#changelist-filter"), page.locator("#result_list")]:
        control.scroll_into_view_if_needed()
        assert control.is_visible()
    # The table may scroll inside its own box, and the last column can be reached so.
    results = page.locator("#changelist .results")
    assert results.evaluate("box => getComputedStyle(box).overflowX") in {"auto", "scroll"}

    page.goto(live_server.url + reverse(
        "admin:applications_expressionofinterest_change", args=[aisha.pk]
    ))
    assert not page_scrolls_sideways(page), "the expression's page scrolls sideways"
    move = page.get_by_role("button", name="Move to “Contacted”")
    move.scroll_into_view_if_needed()
    assert move.is_visible()
    box = move.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= ZOOMED["width"]
    save = page.locator("input[name=_save]").first
    save.scroll_into_view_if_needed()
    assert save.is_visible()


def test_a_claim_can_be_queried_approved_and_exported_with_the_keyboard_alone(
    live_server, desktop, day
):
    """The claims list and a claim's page (applications/admin/claims.py) without a mouse:
    find the claim by its reference, query it (the message is needed), approve it once the
    person has answered, and make the file for payroll."""
    from decimal import Decimal

    from applications.models import Claim
    from tests.factories import ClaimFactory

    page = desktop
    claim = ClaimFactory(
        booking__expression__full_name="Bola Adeyemi", payment=Decimal("25"),
    )
    sign_in_as(page, live_server, day["team"])
    page.goto(live_server.url + reverse("admin:applications_claim_changelist"))

    tab_to(page, page.locator("#searchbar"), "search")
    page.keyboard.type(claim.reference)
    press(page, "Enter")
    tab_to(page, page.get_by_role("link", name="Bola Adeyemi"), "the claim")
    press(page, "Enter")

    # Query it with no message: the error says why, and the focus can go straight back.
    tab_to(page, page.get_by_role("button", name="Query"), "query")
    press(page, "Enter")
    assert page.locator("#id_claim_message[aria-invalid=true]").count() == 1
    tab_to(page, page.locator("#id_claim_message"), "the message")
    page.keyboard.type("Which car park did you use?")
    tab_to(page, page.get_by_role("button", name="Query"), "query")
    press(page, "Enter")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.QUERIED

    # They answered (on their own page); the team approves it.
    claim.step("answer", message="The multi-storey.")
    page.reload()
    tab_to(page, page.get_by_role("button", name="Approve"), "approve")
    press(page, "Enter")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED

    page.goto(live_server.url + reverse("admin:applications_claim_changelist"))
    tab_to(page, page.get_by_role("button", name="Export approved claims for payroll"), "export")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.startswith("claims-for-payroll-")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.EXPORTED
