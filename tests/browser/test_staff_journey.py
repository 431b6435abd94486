"""A member of the involvement team, in a real browser: signs in through the admin's own sign-in
form (django-axes checks it), takes an expression of interest on, and moves it through the
pipeline from the change page, seeing only the moves that make sense and the whole history.
And, with two-factor sign-in required, sets up their authenticator app from the emailed link."""

import importlib
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-test-password-for-sam"
PIPELINE = [
    ("contacted", "Contacted"),
    ("briefing", "Briefing meeting"),
    ("taster", "Taster meeting"),
    ("joined", "Joined"),
]


@pytest.fixture
def trust_content():
    call_command("load_trust_content", verbosity=0)


@pytest.fixture
def team_member(django_user_model):
    """A member of the "Involvement team" group, with the permissions its migration gives it.

    Transactional tests empty every table between tests, groups made by migrations included,
    so the group is made again here from the migration's own list."""
    from django.contrib.auth.models import Group, Permission

    groups = importlib.import_module("applications.migrations.0002_staff_groups").GROUPS
    group, _ = Group.objects.get_or_create(name="Involvement team")
    for app_label, codename in groups["Involvement team"]:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    user = django_user_model.objects.create_user(
        "sam.okafor", "sam.okafor@example.nhs.uk", PASSWORD,
        first_name="Sam", last_name="Okafor", is_staff=True,
    )
    user.groups.add(group)
    return user


def submit(button):
    """Click a button that sends a form, and wait for the page that comes back."""
    with button.page.expect_navigation():
        button.click()


def sign_in(page, live_server, username, password):
    page.goto(live_server.url + reverse("admin:index"))
    assert "/admin/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    submit(page.get_by_role("button", name=re.compile(r"^(Log|Sign) in$", re.I)))


def messages_shown(page, level):
    return page.locator(f"ul.messagelist li.{level}").all_inner_texts()


def moves_offered(page):
    return page.locator(".eoi-move button[name=status]").all_inner_texts()


def test_a_team_member_signs_in_takes_an_expression_on_and_moves_it_to_joined(
    live_server, desktop, trust_content, team_member
):
    from axes.models import AccessAttempt

    from applications.models import ExpressionOfInterest
    from opportunities.models import Opportunity
    from tests.factories import ExpressionOfInterestFactory

    expression = ExpressionOfInterestFactory(
        opportunity=Opportunity.objects.get(slug="patient-flow"), full_name="Aisha Rahman"
    )
    page = desktop

    # A wrong password first: the real form says so, and django-axes counts it.
    sign_in(page, live_server, "sam.okafor", "not-the-password")
    assert "/admin/login/" in page.url
    assert "password" in page.locator(".errornote").inner_text()
    assert AccessAttempt.objects.get(username="sam.okafor").failures_since_start == 1
    sign_in(page, live_server, "sam.okafor", PASSWORD)
    assert page.url == live_server.url + reverse("admin:index")
    assert "welcome, sam" in page.locator("#user-tools").inner_text().lower()
    # A successful sign-in clears the count.
    assert not AccessAttempt.objects.filter(username="sam.okafor").exists()

    # "Assign to me" from the list.
    page.goto(live_server.url + reverse("admin:applications_expressionofinterest_changelist"))
    row = page.locator("#result_list tbody tr", has_text="Aisha Rahman")
    assert row.locator(".eoi-tag").inner_text() == "New"
    row.locator("input[name=_selected_action]").check()
    page.locator("select[name=action]").select_option(label="Assign the selected to me")
    submit(page.get_by_role("button", name="Go"))
    assert messages_shown(page, "success") == ["1 expression(s) of interest assigned to you."]
    assert "Sam Okafor" in row.inner_text()
    expression.refresh_from_db()
    assert expression.assigned_to == team_member

    # On to the change page, and through the pipeline one step at a time. Only the next step
    # (and ending it, as not progressed or withdrawn) is ever offered.
    submit(row.get_by_role("link", name="Aisha Rahman"))
    assert expression.reference in page.locator(".eoi-summary").inner_text()
    change_url = page.url
    current = "New"
    for status, label in PIPELINE:
        assert moves_offered(page) == [
            f"Move to “{label}”", "Move to “Not progressed”", "Move to “Withdrawn”"
        ], f"at {current}"
        if status == "briefing":
            # A second tab left open on the same page, as if a colleague had it open too.
            stale = page.context.new_page()
            stale.goto(change_url)
        if status == "joined":
            # "Not progressed" is offered, but needs a reason: without one nothing moves.
            submit(page.get_by_role("button", name="Move to “Not progressed”"))
            assert messages_shown(page, "error") == [
                "Give a reason why this expression of interest is not progressing."
            ]
            expression.refresh_from_db()
            assert expression.status == "taster"

        if status in ("briefing", "taster"):
            # Without a booking for that kind of meeting, the move needs a reason.
            submit(page.get_by_role("button", name=f"Move to “{label}”"))
            assert messages_shown(page, "error")[0].startswith(
                f"To move to “{label}”, they need a booking for a {label.lower()}"
            )
            page.locator("#id_move_reason").fill(f"Had their {label.lower()} by phone.")

        submit(page.get_by_role("button", name=f"Move to “{label}”"))
        # Moved on to "contacted" or "joined", the person is emailed, and the message says so.
        emailed = " They have been emailed." if status in ("contacted", "joined") else ""
        assert messages_shown(page, "success") == [
            f"{expression.reference} moved to “{label}”.{emailed}"
        ]
        assert page.locator(".eoi-summary .eoi-tag").inner_text() == label
        expression.refresh_from_db()
        assert expression.status == status
        current = label

        if status == "briefing":
            # The stale tab still offers "Briefing meeting": the move is refused, not repeated.
            submit(stale.get_by_role("button", name="Move to “Briefing meeting”"))
            assert messages_shown(stale, "error") == [
                "This expression of interest is already at “Briefing meeting”."
            ]
            assert stale.locator(".eoi-summary .eoi-tag").inner_text() == "Briefing meeting"
            stale.close()
            expression.refresh_from_db()
            assert expression.status == "briefing"
            assert expression.changes.count() == 2

    # Joined: the only move left is the person withdrawing.
    assert moves_offered(page) == ["Move to “Withdrawn”"]

    # The whole history, oldest first, each with who did it.
    history = page.locator("#changes-group tbody tr.has_original")
    assert history.count() == 4
    rows = [
        [row.locator(f"td.field-{name}").inner_text().strip() for name in (
            "moved_from", "moved_to", "moved_by"
        )]
        for row in history.all()
    ]
    assert rows == [
        ["New", "Contacted", "Sam Okafor"],
        ["Contacted", "Briefing meeting", "Sam Okafor"],
        ["Briefing meeting", "Taster meeting", "Sam Okafor"],
        ["Taster meeting", "Joined", "Sam Okafor"],
    ]

    expression.refresh_from_db()
    assert expression.status == ExpressionOfInterest.Status.JOINED
    assert expression.assigned_to == team_member
    assert expression.first_contacted_at is not None
    assert list(expression.changes.order_by("at").values_list("from_status", "to_status")) == [
        ("new", "contacted"), ("contacted", "briefing"), ("briefing", "taster"),
        ("taster", "joined"),
    ]
    assert set(expression.changes.values_list("by", flat=True)) == {team_member.pk}


def test_a_new_member_of_staff_sets_up_their_authenticator_app_from_the_emailed_link(
    live_server, desktop, team_member, mailoutbox, settings, django_user_model
):
    """An administrator adds an authenticator app for Sam; Sam opens the emailed link, enters
    their password, scans the QR code (here: reads the key) and types the code, and is signed
    in. The link then no longer works, and signing in needs a code, with one message for any
    mistake."""
    import base64
    from urllib.parse import urlsplit

    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.REQUIRE_STAFF_TWO_FACTOR = True
    administrator = django_user_model.objects.create_superuser(
        "admin", "admin@example.nhs.uk", PASSWORD
    )
    admins_app = TOTPDevice.objects.create(user=administrator, name="Phone", confirmed=True)

    # The administrator signs in with their own code, and adds an app for Sam.
    page = desktop
    page.goto(live_server.url + reverse("admin:login"))
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Security code").fill(f"{totp(admins_app.bin_key):06d}")
    submit(page.get_by_role("button", name="Sign in"))
    assert page.url == live_server.url + reverse("admin:index")
    page.goto(live_server.url + reverse("admin:otp_totp_totpdevice_add"))
    page.locator("#id_user").fill(str(team_member.pk))
    submit(page.get_by_role("button", name="Save", exact=True))
    assert any(
        "The portal has emailed sam.okafor" in message
        for message in messages_shown(page, "success")
    )

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["sam.okafor@example.nhs.uk"]
    link = re.search(r"http://\S+/admin/two-factor-set-up/link/\S+/", mailoutbox[0].body)
    link = live_server.url + urlsplit(link.group(0)).path

    # Sam, on their own computer.
    sams = page.context.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    try:
        sams.goto(link)
        assert "(sam.okafor)" in sams.locator("#content-main").inner_text()
        sams.get_by_label("Password").fill(PASSWORD)
        submit(sams.get_by_role("button", name="Continue"))
        assert sams.url == live_server.url + reverse("admin:two_factor_set_up")
        qr_code = sams.get_by_role("img", name=re.compile("QR code"))
        # Drawn: the Content-Security-Policy lets the data: image through.
        assert qr_code.evaluate("image => image.complete && image.naturalWidth > 0")
        key = sams.locator("#set-up-key").inner_text().replace(" ", "")
        secret = base64.b32decode(key)
        sams.get_by_label("Security code").fill(f"{totp(secret):06d}")
        submit(sams.get_by_role("button", name="Finish setting up and sign in"))
        assert sams.url == live_server.url + reverse("admin:index")
        assert "welcome, sam" in sams.locator("#user-tools").inner_text().lower()

        # The link has done its job.
        sams.goto(link)
        assert "does not work" in sams.locator(".errornote").inner_text()

        # Signing in again: a wrong code gets the one message; the next right code works.
        sams.context.clear_cookies()
        sams.goto(live_server.url + reverse("admin:login"))
        sams.get_by_label("Username").fill("sam.okafor")
        sams.get_by_label("Password").fill(PASSWORD)
        sams.get_by_label("Security code").fill("000000")
        submit(sams.get_by_role("button", name="Sign in"))
        assert sams.locator(".errornote").inner_text().startswith(
            "Enter the right username, password and security code."
        )
        # django-otp refuses any code for a second after a wrong one.
        sams.wait_for_timeout(1100)
        sams.get_by_label("Password").fill(PASSWORD)
        sams.get_by_label("Security code").fill(f"{totp(secret, drift=1):06d}")
        submit(sams.get_by_role("button", name="Sign in"))
        assert sams.url == live_server.url + reverse("admin:index")
    finally:
        sams.context.close()
