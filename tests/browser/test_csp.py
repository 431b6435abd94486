"""The Content-Security-Policy in a real browser: nothing on the public pages or in the admin
is refused, and the admin's JavaScript still works under it.

Chromium reports every refusal twice over: as a console message ("Refused to ... because it
violates the following Content Security Policy directive") and as a `securitypolicyviolation`
event. Both are collected, from before the first script on each page runs.
"""

import pytest
from django.urls import reverse

from applications.models import ExpressionOfInterest
from opportunities.models import Opportunity
from tests.browser.forms import answer_interest_questions
from tests.factories import ExpressionOfInterestFactory, MeetingFactory, OpportunityFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-test-password-for-csp"

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber} (${event.sample})`
  );
});
"""


class Violations:
    """Every CSP refusal the page reports, from the console and from the DOM event."""

    def __init__(self, page):
        self.page = page
        self.console = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._on_console)

    def _on_console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.console.append(f"{self.page.url}: {text}")

    def visit(self, url):
        response = self.page.goto(url)
        assert response.status < 400, (url, response.status)
        policy = dict(
            directive.strip().split(" ", 1)
            for directive in response.headers["content-security-policy"].split(";")
        )
        assert policy["script-src"] == "'self'", policy
        self.page.wait_for_load_state("load")
        return response

    def assert_none(self):
        # The console messages are every page's since the start; the events, this page's.
        events = self.page.evaluate("window.__cspViolations || []")
        assert self.console == [] and events == [], (self.console, events)


@pytest.fixture
def superuser(django_user_model, settings):
    # This test is about the Content-Security-Policy, not two-factor sign-in (tested on its
    # own): the superuser signs in with a password only.
    settings.REQUIRE_STAFF_TWO_FACTOR = False
    return django_user_model.objects.create_superuser(
        "csp-admin", "csp-admin@example.nhs.uk", PASSWORD
    )


def sign_in(page, live_server):
    page.goto(live_server.url + reverse("admin:login"))
    page.locator("#id_username").fill("csp-admin")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(live_server.url + reverse("admin:index"))


def test_the_public_pages_break_no_rule(live_server, desktop):
    opportunity = OpportunityFactory(title="Patient flow", slug="patient-flow")
    violations = Violations(desktop)

    for url in [
        reverse("opportunities:home"),
        reverse("opportunities:list") + "?q=flow&kind=reference_group",
        reverse("opportunities:detail", args=[opportunity.slug]),
        reverse("applications:interest_step", args=[opportunity.slug, "name"]),
        reverse("opportunities:lay_partners"),
        reverse("opportunities:glossary"),
        reverse("privacy"),
        reverse("accessibility"),
    ]:
        violations.visit(live_server.url + url)
        violations.assert_none()

    # The form's error state (error summary focus is NHS.UK frontend's JavaScript), then the
    # sent form's confirmation and the manage-my-interest page.
    violations.visit(
        live_server.url + reverse("applications:express_interest", args=[opportunity.slug])
    )
    desktop.get_by_role("button", name="Continue").click()
    desktop.wait_for_load_state("load")
    assert desktop.title().startswith("Error:")
    assert desktop.evaluate("document.activeElement.className").startswith("nhsuk-error-summary")
    violations.assert_none()

    # Every question page, "Check your answers", and Send.
    answer_interest_questions(
        desktop, name="Siobhán O'Brien", email="siobhan@example.com", age_band="25 to 64",
        connection="I am, or have been, a patient", why="I was a patient here last year.",
    )
    violations.assert_none()
    desktop.get_by_label("I have read the privacy notice").check()
    desktop.get_by_role("button", name="Send").click()
    desktop.wait_for_url(
        live_server.url + reverse("applications:interest_sent", args=[opportunity.slug])
    )
    violations.assert_none()

    expression = ExpressionOfInterest.objects.get()
    violations.visit(live_server.url + expression.manage_path())
    desktop.get_by_role("link", name="Withdraw my expression of interest").click()
    desktop.get_by_role("button", name="Yes, withdraw").click()
    desktop.wait_for_load_state("load")
    assert "You have withdrawn" in desktop.locator("main").inner_text()
    violations.assert_none()

    # The JavaScript the public pages rely on ran; neither cookie is readable by script.
    assert "js-enabled" in desktop.evaluate("document.body.className")
    assert desktop.evaluate("document.cookie") == ""
    names = {cookie["name"] for cookie in desktop.context.cookies()}
    assert {"csrftoken", "sessionid"} <= names


def test_the_listener_hears_a_refusal(live_server, desktop):
    """The check above is not blind: an inline script added to a page is refused and heard."""
    violations = Violations(desktop)
    violations.visit(live_server.url + reverse("privacy"))
    with desktop.expect_console_message(lambda m: "Content Security Policy" in m.text):
        desktop.evaluate(
            """() => {
              const script = document.createElement("script");
              script.textContent = "window.injected = true";
              document.head.appendChild(script);
            }"""
        )
    desktop.wait_for_function("window.__cspViolations.length > 0")

    assert desktop.evaluate("window.injected") is None
    assert desktop.evaluate("window.__cspViolations")[0].startswith("script-src")
    assert "Content Security Policy directive" in violations.console[0], violations.console
    assert "script-src" in violations.console[0], violations.console


def test_the_admin_works_under_the_policy(live_server, desktop, superuser):
    opportunity = OpportunityFactory(title="Patient flow", slug="patient-flow")
    MeetingFactory(opportunity=opportunity)
    expression = ExpressionOfInterestFactory(opportunity=opportunity)
    violations = Violations(desktop)

    sign_in(desktop, live_server)
    violations.assert_none()

    for name, args in [
        ("admin:index", []),
        ("admin:applications_expressionofinterest_changelist", []),
        ("admin:applications_expressionofinterest_change", [expression.pk]),
        ("admin:opportunities_opportunity_changelist", []),
        ("admin:opportunities_opportunity_change", [opportunity.pk]),
    ]:
        violations.visit(live_server.url + reverse(name, args=args))
        violations.assert_none()

    # The inline's "Add another Meeting" link is the admin's inlines.js.
    rows = desktop.locator("#meetings-group tbody tr.form-row:not(.empty-form)")
    before = rows.count()
    desktop.get_by_role("button", name="Add another Meeting").click()
    assert rows.count() == before + 1
    violations.assert_none()

    # The changelist: "Show counts" in the filters, and the select-all box (actions.js).
    violations.visit(
        live_server.url + reverse("admin:applications_expressionofinterest_changelist")
    )
    desktop.get_by_role("link", name="Show counts").click()
    desktop.wait_for_load_state("load")
    assert "_facets=True" in desktop.url
    assert desktop.get_by_role("link", name="Hide counts").is_visible()
    desktop.locator("#action-toggle").check()
    assert desktop.locator("input.action-select:checked").count() == 1
    assert desktop.locator(".action-counter").inner_text().startswith("1 of 1")
    violations.assert_none()

    # The add page's prepopulated slug is the admin's prepopulate.js, configured through a
    # data attribute rather than an inline script.
    violations.visit(live_server.url + reverse("admin:opportunities_opportunity_add"))
    desktop.locator("#id_title").press_sequentially("Maternity voices partnership")
    assert desktop.locator("#id_slug").input_value() == "maternity-voices-partnership"
    violations.assert_none()

    # The programme box is the admin's autocomplete (select2, loading its answers by fetch).
    desktop.locator("#id_programme + .select2 .select2-selection").click()
    desktop.locator(".select2-search__field").fill(opportunity.programme.name[:6])
    desktop.locator(".select2-results__option", has_text=opportunity.programme.name).click()
    assert desktop.locator("#id_programme").input_value() == str(opportunity.programme.pk)
    violations.assert_none()

    # Saving proves the CSRF token (posted with the form; no script reads the cookie) still
    # works with an HttpOnly CSRF cookie.
    desktop.locator("select[name=kind]").select_option(Opportunity.Kind.REFERENCE_GROUP)
    desktop.locator("#id_summary").fill("Help shape maternity care.")
    desktop.locator("#id_description").fill("A group of people who have used maternity care.")
    desktop.locator("select[name=frequency]").select_option(Opportunity.Frequency.MONTHLY)
    desktop.locator("#id_online").check()
    desktop.get_by_role("button", name="Save", exact=True).first.click()
    desktop.wait_for_load_state("load")
    assert desktop.locator(".errornote").count() == 0, desktop.locator("#content").inner_text()
    assert Opportunity.objects.filter(slug="maternity-voices-partnership").exists()
    violations.assert_none()
