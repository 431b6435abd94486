"""The team's home in a real browser, signed in through the admin's own sign-in form: reached
first from the admin's index, its charts read as images with the same figures in tables, the
period form working without JavaScript, no refusals by the Content-Security-Policy, and no axe
violations (WCAG 2.0 to 2.2, A and AA), with figures and with an error in the form."""

import datetime
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import timezone

from tests.browser.test_accessibility import WCAG_AA
from tests.browser.test_staff_journey import PASSWORD, sign_in, submit, team_member  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def figures(team_member):  # noqa: F811
    from django.contrib.auth.models import Permission

    from applications.equality import EqualityResponse
    from applications.models import ExpressionOfInterest, StatusChange
    from opportunities.models import Meeting, Opportunity
    from tests.factories import (
        ExpressionOfInterestFactory,
        MeetingFactory,
        OpportunityFactory,
        ProgrammeFactory,
    )

    programme = ProgrammeFactory(name="Improvement projects", is_key=True)
    role = OpportunityFactory(
        programme=programme, title="Lay partner: discharge", kind=Opportunity.Kind.LAY_PARTNER
    )
    now = timezone.now()
    for status in ("new", "contacted", "briefing"):
        expression = ExpressionOfInterestFactory(opportunity=role, status=status)
        if status != "new":
            StatusChange.objects.create(
                expression=expression, from_status="new", to_status="contacted",
                at=now - datetime.timedelta(hours=1),
            )
    ExpressionOfInterest.objects.filter(status="briefing").update(
        first_contacted_at=now - datetime.timedelta(hours=1)
    )
    MeetingFactory(opportunity=role, kind=Meeting.Kind.BRIEFING, capacity=10)
    # The equality figures too (their permission is granted by a later migration than the
    # group's, which transactional tests make again from its own list).
    team_member.user_permissions.add(Permission.objects.get(codename="view_equality_report"))
    for sex in ["female"] * 5 + ["male"] * 2:
        EqualityResponse.objects.create(sex=sex)


def assert_no_violations(page):
    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def test_the_team_home_is_first_on_the_index_and_has_no_violations(
    live_server, desktop, team_member, figures  # noqa: F811
):
    refused = []
    desktop.on("console", lambda message: refused.append(message.text)
               if "Content Security Policy" in message.text else None)
    sign_in(desktop, live_server, "sam.okafor", PASSWORD)

    submit(desktop.locator("#team-home-link a"))

    assert desktop.locator("h1").inner_text() == "The team's home"
    chart = desktop.get_by_role("img", name=re.compile(r"^How far the people"))
    assert "Expressed interest: 3; Contacted: 2; Briefing meeting: 1" in (
        chart.get_attribute("aria-labelledby") and desktop.locator("#funnel-chart-title")
        .text_content()
    )
    table = desktop.get_by_role("table", name="By programme")
    assert "Improvement projects" in table.inner_text()
    assert "7 people answered" in desktop.locator("#content-main").inner_text()
    assert_no_violations(desktop)

    # Printed, it is the monthly report: the figures without the menus or the form.
    printed_without = ("#nav-sidebar", "#header", ".breadcrumbs", ".th-period-form", ".th-actions")
    for hidden in printed_without:
        assert desktop.locator(hidden).first.is_visible(), hidden
    desktop.emulate_media(media="print")
    for hidden in printed_without:
        assert not desktop.locator(hidden).first.is_visible(), hidden
    assert desktop.locator("#funnel-heading").is_visible()
    assert desktop.get_by_role("table", name="By programme").is_visible()
    desktop.emulate_media(media="screen")
    assert desktop.locator(".th-period-form").is_visible()

    # A mistake in the form: said at the top and beside the box, and still no violations.
    desktop.get_by_label("From", exact=True).fill("2026-03-10")
    desktop.get_by_label("To", exact=True).fill("2026-03-01")
    submit(desktop.get_by_role("button", name="Show"))
    assert desktop.title().startswith("Error: ")
    assert "The last day must be the same as or after the first day" in (
        desktop.locator(".th-error-summary").inner_text()
    )
    assert_no_violations(desktop)
    assert refused == []


def test_the_period_form_works_without_javascript(
    live_server, playwright_browser, team_member, figures  # noqa: F811
):
    context = playwright_browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, "sam.okafor", PASSWORD)
        page.goto(live_server.url + reverse("admin:applications_team_home"))
        page.get_by_label("From", exact=True).fill("2025-06-01")
        page.get_by_label("To", exact=True).fill("2025-06-30")
        submit(page.get_by_role("button", name="Show"))

        assert "Nobody expressed interest from 1 to 30 June 2025." in page.content()
        assert "from=2025-06-01" in page.url
    finally:
        context.close()
