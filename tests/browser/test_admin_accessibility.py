"""axe-core on the admin, where the involvement team works all day, signed in as a member of the
team and as a programme lead.

The pages are found rather than listed: every model the admin site registers gives its list (also
with a search and a filter applied), its add page (also sent empty, to show its errors) and one
change page; the admin's own pages (moves, invitations, bookings, subject access, erasure, the
equality report, the privacy notice's publishing) are named below, since nothing lists them. So a
model added to the admin is scanned without anyone remembering.

The rules are the public pages' (WCAG 2.0–2.2 A and AA, and `region`), except the few findings in
Django's own admin markup that are listed in ALLOWED with the reason each stays; those are minor
or moderate. A serious or critical finding always fails.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib import admin
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)

OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}

# Findings that stay, by rule, with why. Only minor or moderate ones may be listed here.
ALLOWED = {}


def findings(page, what):
    """What axe finds on the page that is not ALLOWED, one line per rule, and the full report."""
    results = Axe().run(page, options=OPTIONS)
    found = [v for v in results.response["violations"] if v["id"] not in ALLOWED]
    lines = [
        f"{what} ({page.url}): {v['id']} ({v['impact']}, {len(v['nodes'])} "
        f"node{'s' if len(v['nodes']) != 1 else ''}: {v['nodes'][0]['target']})"
        for v in found
    ]
    return lines, results.generate_report() if found else ""


def assert_no_violations(page, what):
    lines, report = findings(page, what)
    assert not lines, "\n".join(lines) + "\n" + report


def assert_none_found(found):
    """All the pages' findings at once, so one run shows everything there is to fix."""
    assert not found, "\n".join(line for lines, _ in found for line in lines) + "\n\n" + (
        "\n".join(report for _, report in found)
    )


def staff(django_user_model, username, group_name):
    """A member of staff in one of the groups the migrations make (the `staff_groups`
    fixture brings them back after other tests emptied the tables)."""
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=group_name)
    user = django_user_model.objects.create_user(
        username, f"{username}@example.nhs.uk", "a-long-test-password",
        first_name=username.split(".")[0].title(), last_name="Tester", is_staff=True,
    )
    user.groups.add(group)
    return user


@pytest.fixture
def work(django_user_model, staff_groups, settings, tmp_path):
    """The trust's content, meetings, and a few expressions of interest at different stages,
    with a booking and a note, so that every list, change page and custom page has something
    on it."""
    from io import StringIO

    from applications.models import Booking, ExpressionOfInterest
    from opportunities.models import Meeting, Opportunity
    from tests.factories import ExpressionOfInterestFactory, MeetingFactory

    call_command("load_trust_content", verbosity=0)
    call_command("create_example_meetings", force=True, stdout=StringIO())
    team = staff(django_user_model, "sam.okafor", "Involvement team")
    lead = staff(django_user_model, "priya.shah", "Programme lead")
    opportunity = Opportunity.objects.open().filter(kind="lay_partner").first()
    opportunity.programme.leads.add(lead)
    new = ExpressionOfInterestFactory(opportunity=opportunity, full_name="Ada Lovelace")
    contacted = ExpressionOfInterestFactory(opportunity=opportunity, full_name="Grace Hopper")
    contacted.move_to(ExpressionOfInterest.Status.CONTACTED, by=team)
    contacted.notes.create(author=team, text="Prefers a call after 2pm.")
    briefing = (
        Meeting.objects.filter(opportunity=opportunity, kind=Meeting.Kind.BRIEFING).first()
        or MeetingFactory(opportunity=opportunity, kind=Meeting.Kind.BRIEFING)
    )
    contacted.invite_to(briefing, by=team)
    # A "you said, we did" record on the lead's programme, with an update and a named partner.
    from opportunities.impact import ImpactUpdate, NamedLayPartner
    from tests.factories import ImpactRecordFactory

    record = ImpactRecordFactory(programme=opportunity.programme, title="Clearer letters")
    record.opportunities.add(opportunity)
    record.publish()
    ImpactUpdate.objects.create(record=record, text="The first letters are out.").share()
    NamedLayPartner.objects.create(
        record=record, name="Grace Hopper", agreed=True, how_they_agreed="By email"
    )
    claim = _claims(opportunity, team, settings, tmp_path)
    return {
        "team": team,
        "lead": lead,
        "claim": claim,
        "new": new,
        "contacted": contacted,
        "booking": Booking.objects.get(expression=contacted, meeting=briefing),
        "meeting": briefing,
    }


def _claims(opportunity, team, settings, tmp_path):
    """A claim waiting for approval, with a mileage expense and a bus fare with its receipt,
    made first so that it is the claim whose page is scanned; and another, approved and sent
    to payroll, so that the payroll exports list has a row."""
    from decimal import Decimal

    from django.core.files.base import ContentFile

    from applications.models import ClaimExport, Expense, Receipt
    from tests.factories import ClaimFactory

    settings.RECEIPTS_ROOT = tmp_path / "receipts"
    waiting = ClaimFactory(
        booking__expression__opportunity=opportunity,
        booking__expression__full_name="Katherine Johnson",
        payment=Decimal("25"), hours=Decimal("2"), expenses_total=Decimal("10.70"),
        budget_code="ABC123",
    )
    Expense.objects.create(
        claim=waiting, kind=Expense.Kind.MILEAGE, miles=Decimal("10"), amount=Decimal("4.50"),
        description="Home to the hospital and back",
    )
    bus = Expense.objects.create(
        claim=waiting, kind=Expense.Kind.PUBLIC_TRANSPORT, amount=Decimal("6.20"),
        description="Bus, both ways",
    )
    receipt = Receipt(expense=bus, content_type="application/pdf", size=20)
    receipt.file.save("ticket.pdf", ContentFile(b"%PDF-1.4\n% a ticket\n"), save=False)
    receipt.save()
    paid = ClaimFactory(
        booking__expression__opportunity=opportunity,
        booking__expression__full_name="Dorothy Vaughan", payment=Decimal("25"),
    )
    paid.step("approve", by=team)
    ClaimExport.make(by=team)
    return waiting


def sign_in_as(page, live_server, user):
    """Signs the browser in by the session a signed-in client would have: the sign-in form
    itself is scanned in test_the_sign_in_page_has_no_violations."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def registered_pages(user):
    """(what, path) for each registered model's pages this member of staff may open."""
    request = RequestFactory().get("/admin/")
    request.user = user
    pages = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        if not model_admin.has_view_or_change_permission(request):
            continue
        changelist = reverse(f"admin:{name}_changelist")
        pages.append((f"{opts.verbose_name_plural} list", changelist))
        if model_admin.search_fields:
            pages.append((f"{opts.verbose_name_plural} list searched", changelist + "?q=a"))
        if model_admin.has_add_permission(request):
            pages.append((f"{opts.verbose_name} add", reverse(f"admin:{name}_add")))
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is not None:
            pages.append(
                (f"{opts.verbose_name} change", reverse(f"admin:{name}_change", args=[obj.pk]))
            )
    return pages


def custom_pages(work):
    """The admin's own pages, which nothing lists. (Moves and a booking's outcome are buttons
    on the change page that post and come back to it; their error state is scanned in
    test_the_pages_staff_act_from_have_no_violations.)"""
    expression = work["contacted"]
    return [
        ("index", reverse("admin:index")),
        ("applications app index", reverse("admin:app_list", args=["applications"])),
        ("invite", reverse("admin:applications_expressionofinterest_invite",
                           args=[expression.pk])),
        ("equality report", reverse("admin:applications_equality_report")),
        ("the team's home", reverse("admin:applications_team_home")),
        ("the team's home, a programme chosen", reverse("admin:applications_team_home")
         + f"?programme={expression.opportunity.programme_id}"),
        ("the team's home, a mistake in its dates", reverse("admin:applications_team_home")
         + "?from=2026-13-01&to=2026-11-30"),
        ("record a parent's consent taken by phone", reverse(
            "admin:applications_expressionofinterest_parent_consent", args=[expression.pk])),
        ("meeting register", reverse("admin:opportunities_meeting_register",
                                     args=[work["meeting"].pk])),
        ("email everyone booked", reverse("admin:opportunities_meeting_register_email",
                                          args=[work["meeting"].pk])),
        ("attendee list to print", reverse("admin:opportunities_meeting_register_print",
                                           args=[work["meeting"].pk])),
        ("subject access", reverse("admin:applications_personaldatarequest_subject_access")),
        ("erasure", reverse("admin:applications_personaldatarequest_erase")),
    ]


def test_the_sign_in_page_has_no_violations(live_server, desktop, work):
    desktop.goto(live_server.url + reverse("admin:index"))
    assert "/admin/login/" in desktop.url
    assert_no_violations(desktop, "sign in")
    desktop.get_by_label("Username").fill("sam.okafor")
    desktop.get_by_label("Password").fill("not the password")
    desktop.get_by_role("button", name=re.compile(r"^(Log|Sign) in$", re.I)).click()
    desktop.wait_for_load_state()
    assert_no_violations(desktop, "sign in with an error")


@pytest.mark.parametrize("who", ["team", "lead"])
def test_every_admin_page_has_no_violations(live_server, desktop, work, who):
    user = work[who]
    sign_in_as(desktop, live_server, user)
    pages = registered_pages(user) + custom_pages(work)
    scanned, found = [], []
    for what, path in pages:
        response = desktop.goto(live_server.url + path)
        if response.status == 403 and who == "lead":
            continue  # a page the lead may not open says so; the team's run scans it
        assert response.ok, f"{what}: {path} answered {response.status}"
        lines, report = findings(desktop, what)
        if lines:
            found.append((lines, report))
        scanned.append(what)
    assert_none_found(found)
    # The run must have reached the pages staff use most, or it proves nothing.
    assert {"index", "expressions of interest list", "expression of interest change"} <= set(
        scanned
    ), scanned
    if who == "team":
        assert {"claims list", "claim change", "payroll exports list", "payroll export change"} <= (
            set(scanned)
        ), scanned


def test_add_pages_sent_empty_have_no_violations(live_server, desktop, work):
    """Each add page's error state: the form sent with nothing in it."""
    user = work["team"]
    sign_in_as(desktop, live_server, user)
    adds = [(what, path) for what, path in registered_pages(user) if what.endswith(" add")]
    assert adds
    found = []
    for what, path in adds:
        desktop.goto(live_server.url + path)
        with desktop.expect_navigation():
            desktop.locator("input[name=_save]").first.click()
        assert desktop.locator(".errornote").count() == 1, f"{what}: no errors shown"
        lines, report = findings(desktop, f"{what} sent empty")
        if lines:
            found.append((lines, report))
    assert_none_found(found)


def choose_action(page, action):
    """On a changelist: tick the first row, choose the action, press Go."""
    page.locator("input.action-select").first.check()
    page.locator("select[name=action]").select_option(action)
    with page.expect_navigation():
        page.get_by_role("button", name="Go").click()


def test_the_pages_staff_act_from_have_no_violations(live_server, desktop, work):
    """The confirmation pages of the changelist's actions, sent empty to show their errors, and
    the change page showing a refused move."""
    sign_in_as(desktop, live_server, work["team"])
    changelist = live_server.url + reverse("admin:applications_expressionofinterest_changelist")
    found = []

    def scan(what):
        lines, report = findings(desktop, what)
        if lines:
            found.append((lines, report))

    for action in ["not_progressed", "invite_to_meeting"]:
        desktop.goto(changelist)
        choose_action(desktop, action)
        scan(f"{action} confirmation")
        submit = desktop.locator("#content form [type=submit]").first
        with desktop.expect_navigation():
            submit.click()
        scan(f"{action} confirmation sent empty")

    # A move refused: "not progressed" with no reason comes back with an error message.
    desktop.goto(live_server.url + reverse(
        "admin:applications_expressionofinterest_change", args=[work["new"].pk]
    ))
    scan("expression change page")
    desktop.goto(live_server.url + reverse(
        "admin:applications_expressionofinterest_invite", args=[work["contacted"].pk]
    ))
    with desktop.expect_navigation():
        desktop.locator("#content form [type=submit]").first.click()
    scan("invite sent empty")

    # A claim queried with no message comes back with its error, at the address it was sent to.
    desktop.goto(live_server.url + reverse(
        "admin:applications_claim_change", args=[work["claim"].pk]
    ))
    scan("claim change page")
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="Query").click()
    assert desktop.locator("#id_claim_message[aria-invalid=true]").count() == 1
    scan("claim queried with no message")
    desktop.goto(live_server.url + reverse("admin:applications_claim_changelist"))
    choose_action(desktop, "approve_selected")
    scan("approve claims confirmation")
    assert_none_found(found)
