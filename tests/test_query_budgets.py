"""How many queries each page makes, for every public page and every admin changelist.

Each page is built (never served from the public page cache) once with a little data and once
with a lot more, and must make the same number of queries both times, within its budget: a page
whose queries grow with the data (one query per row) fails here. A URL or an admin changelist
added without a budget fails too, so no page is left out by accident.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse
from django.utils import timezone

from applications.claims import tax_year
from applications.models import Booking, ExpressionOfInterest, NextDateRequest, StaffNote
from opportunities.models import Meeting, Opportunity
from tests.factories import (
    ExpressionOfInterestFactory,
    GlossaryTermFactory,
    MeetingFactory,
    OpportunityFactory,
    PrivacyNoticeFactory,
    ProgrammeFactory,
    SiteFactory,
)
from tests.public_forms import answer_questions, interest_answers

pytestmark = pytest.mark.django_db

SMALL, LARGE = 1, 12


def build(size):
    """`size` of everything a page lists, and the particular rows the pages below are about."""
    programmes = ProgrammeFactory.create_batch(size)
    staff = [
        User.objects.create_user(f"staff{size}-{n}", is_staff=True) for n in range(size)
    ]
    group = Group.objects.create(name=f"Group {size}")
    for user in staff:
        user.groups.add(group)
    # An event with no date yet, and the people waiting to hear when it has one.
    undated = OpportunityFactory(programme=programmes[0], kind=Opportunity.Kind.EVENT)
    for n in range(size):
        NextDateRequest.objects.create(
            opportunity=undated, full_name=f"Person {n}", email=f"waiting{n}@example.com",
            privacy_notice_version="2026-11",
        )
    for n in range(size):
        programme = programmes[n % len(programmes)]
        programme.leads.add(staff[n])
        site = SiteFactory()
        for kind in Opportunity.Kind.values:
            opportunity = OpportunityFactory(
                programme=programme, kind=kind, lay_partner_target=2,
                summary="Join our steering group.", site=site,
            )
            meeting = MeetingFactory(
                opportunity=opportunity, capacity=10, public_registration=True, site=site,
                kind=Meeting.Kind.EVENT if kind == "event" else Meeting.Kind.BRIEFING,
            )
            expression = ExpressionOfInterestFactory(
                opportunity=opportunity, meeting=meeting, assigned_to=staff[n],
            )
            expression.move_to(ExpressionOfInterest.Status.CONTACTED, by=staff[n])
            StaffNote.objects.create(expression=expression, author=staff[n], text="Rang them.")
            Booking.objects.create(
                expression=expression, meeting=meeting, status=Booking.Status.INVITED,
                invited_by=staff[n],
            )
        GlossaryTermFactory()
    _impact_records(size, programmes)
    _personal_data_records(size, staff)
    _sign_in_records(size)
    _task_results(size)
    _authenticator_devices(staff)
    alert, pending_alert = _alert_sign_ups(size, programmes)
    lay_partner, sign_in_link = _lay_partner(size)
    _claims(lay_partner, staff)
    _claim_receipts_and_unclaimed_meetings(lay_partner, size)

    # The rows the single-item pages show: the richest of each.
    opportunity = Opportunity.objects.filter(kind="lay_partner").first()
    event = Meeting.objects.filter(opportunity__kind="event").first()
    expression = ExpressionOfInterest.objects.filter(opportunity=opportunity).first()
    booking = Booking.objects.filter(meeting=event).first()
    return {
        "opportunity": opportunity, "event": event, "expression": expression,
        "booking": booking, "alert": alert, "pending_alert": pending_alert,
        "impact_record": opportunity.impact_records.first(),
        "undated": undated,
        "next_date_request": NextDateRequest.objects.filter(opportunity=undated).first(),
        "lay_partner": lay_partner, "sign_in_link": sign_in_link,
    }


def _impact_records(size, programmes):
    from opportunities.impact import ImpactRecord, ImpactUpdate, NamedLayPartner

    for n in range(size):
        programme = programmes[n % len(programmes)]
        record = ImpactRecord.objects.create(
            title=f"Change {size}-{n}", slug=f"change-{size}-{n}", programme=programme,
            you_said="The letters were hard to read.", we_did="We rewrote them.",
            status=ImpactRecord.Status.DONE,
        )
        record.opportunities.add(*Opportunity.objects.filter(programme=programme))
        record.publish()
        ImpactUpdate.objects.create(record=record, text="The first letters are out.").share()
        NamedLayPartner.objects.create(
            record=record, name=f"Partner {n}", agreed=True, how_they_agreed="By email"
        )


def _personal_data_records(size, staff):
    from applications.models import ExpressionViewing, PersonalDataRequest

    for n, expression in enumerate(ExpressionOfInterest.objects.all()[:size]):
        ExpressionViewing.objects.create(
            expression=expression, viewed_by=staff[n], viewed_by_username=staff[n].username
        )
        PersonalDataRequest.objects.create(
            kind="subject_access", made_by=staff[n], made_by_username=staff[n].username,
            email=f"person{n}@example.com", details={"counts": {"expressions": 1}},
        )


def _sign_in_records(size):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for n in range(size):
        common = {"user_agent": "Firefox", "ip_address": f"10.0.0.{n + 1}",
                  "username": f"someone{size}-{n}", "http_accept": "*/*", "path_info": "/admin/"}
        AccessAttempt.objects.create(failures_since_start=1, **common)
        AccessLog.objects.create(**common)
        AccessFailureLog.objects.create(**common)


def _task_results(size):
    from django_tasks_db.models import DBTaskResult

    for _ in range(size):
        DBTaskResult.objects.create(
            args_kwargs={"args": [1], "kwargs": {}}, task_path="applications.tasks.send_email",
            backend_name="default", run_after=timezone.now(),
            exception_class_path="", traceback="",
        )


def _authenticator_devices(staff):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for user in staff:
        TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def _alert_sign_ups(size, programmes):
    """`size` confirmed sign-ups for alerts, each with every programme, and one unconfirmed."""
    from applications.models import AlertSubscription

    for n in range(size):
        alert = AlertSubscription.objects.create(
            email=f"alerts{size}-{n}@example.com", kinds=["event", "lay_partner"],
            confirmed_at=timezone.now(), sent_up_to=timezone.now(), last_sent_at=timezone.now(),
        )
        alert.programmes.set(programmes)
    pending = AlertSubscription.objects.create(email=f"pending{size}@example.com")
    pending.programmes.set(programmes)
    return alert, pending


def _lay_partner(size):
    """A lay partner in `size` groups, with `size` meetings to come and `size` attended in
    each, and a sign-in link for them."""
    from applications.models import SignInLink

    email = f"lay-partner{size}@example.com"
    for n in range(size):
        expression = ExpressionOfInterestFactory(
            email=email, status=ExpressionOfInterest.Status.JOINED
        )
        for status, days in [(Booking.Status.CONFIRMED, 7), (Booking.Status.ATTENDED, -7)]:
            meeting = MeetingFactory(
                opportunity=expression.opportunity, is_online=True, joining_details="Link",
                starts_at=timezone.now() + timezone.timedelta(days=days, hours=n),
            )
            Booking.objects.create(expression=expression, meeting=meeting, status=status)
    return email, SignInLink.issue(email)


def _claims(email, staff):
    """A claim, with an expense and its history, for each meeting the lay partner attended:
    some waiting, some approved, and some sent to payroll in an export."""
    from decimal import Decimal

    from applications.models import Claim, ClaimExport, Expense

    bookings = Booking.objects.filter(
        expression__email=email, status=Booking.Status.ATTENDED
    ).select_related("expression", "meeting__opportunity")
    for n, booking in enumerate(bookings):
        claim = Claim.objects.create(
            booking=booking, payment=Decimal("25"), expenses_total=Decimal("4.50"),
            budget_code=f"CODE{n % 3}", declaration_name=booking.expression.full_name,
            declared_at=timezone.now(),
        )
        Expense.objects.create(claim=claim, kind=Expense.Kind.MILEAGE, miles=Decimal("10"),
                               amount=Decimal("4.50"))
        if n % 2:
            claim.step("approve", by=staff[0])
    ClaimExport.make(by=staff[0])


def _claim_receipts_and_unclaimed_meetings(email, size):
    """For the person's claim pages: `size` more expenses, each with a receipt, and a query
    answered, on each claim; and one more meeting attended, not yet claimed for, in each of
    their groups."""
    from django.core.files.base import ContentFile

    from applications.models import Claim, ClaimEvent, Expense, Receipt

    for claim in Claim.objects.for_person(email):
        for action in ["query", "answer"]:
            ClaimEvent.objects.create(claim=claim, action=action, message="Which car park?")
        for _ in range(size):
            expense = Expense.objects.create(claim=claim, kind="parking", amount=4)
            receipt = Receipt(expense=expense, content_type="application/pdf", size=5)
            receipt.file.save("r", ContentFile(b"%PDF-"), save=False)
            receipt.save()
    for n, expression in enumerate(ExpressionOfInterest.objects.joined_by(email)):
        meeting = MeetingFactory(
            opportunity=expression.opportunity,
            starts_at=timezone.now() - timezone.timedelta(days=8, hours=n),
        )
        Booking.objects.create(
            expression=expression, meeting=meeting, status=Booking.Status.ATTENDED
        )


def _my_claim(rows):
    """One of their claims with receipts."""
    from applications.models import Claim

    return Claim.objects.for_person(rows["lay_partner"]).filter(
        expenses__receipts__isnull=False
    ).first()


def _my_receipt(rows):
    from applications.models import Receipt

    return Receipt.objects.filter(expense__claim=_my_claim(rows)).first()


def _signed_in(client, rows):
    _sent_session(client, "my_involvement_email", rows["lay_partner"])


def _sent_session(client, key, reference):
    session = client.session
    session[key] = reference
    session.save()


def _under_16(expression):
    ExpressionOfInterest.objects.filter(pk=expression.pk).update(
        age_band=ExpressionOfInterest.AgeBand.UNDER_16, parent_carer_name="Mary O'Brien",
        parent_carer_contact="mary@example.com",
    )


# Each public URL name: (budget, its address, and what must happen first, outside the count).
# `rows` is what build() returned.
PUBLIC_PAGES = {
    # Pages showing the trust's text load the glossary once, to explain its terms.
    # ...and, where they show them, the latest "you said, we did" records.
    "opportunities:home": (4, lambda rows: reverse("opportunities:home"), None),
    "opportunities:list": (4, lambda rows: reverse("opportunities:list")
                           + "?kind=lay_partner&q=Opportunity", None),
    "opportunities:detail": (4, lambda rows: rows["opportunity"].get_absolute_url(), None),
    # The filters' choices (programmes, years), the count and the page of records.
    "opportunities:impact_list": (5, lambda rows: reverse("opportunities:impact_list")
                                  + "?status=done&q=letters", None),
    # The record, its opportunities, named lay partners and timeline, and the glossary.
    "opportunities:impact_detail": (5, lambda rows: rows["impact_record"].get_absolute_url(),
                                    None),
    "opportunities:impact_year": (2, lambda rows: reverse(
        "opportunities:impact_year", args=[timezone.now().year]), None),
    "opportunities:impact_feed": (2, lambda rows: reverse("opportunities:impact_feed"), None),
    "applications:impact_emails_stop": (2, lambda rows: rows["expression"]
                                        .impact_emails_stop_path(), None),
    "opportunities:events": (2, lambda rows: reverse("opportunities:events"), None),
    "opportunities:events_feed": (1, lambda rows: reverse("opportunities:events_feed"), None),
    "opportunities:event_calendar": (1, lambda rows: reverse(
        "opportunities:event_calendar", args=[rows["event"].pk]), None),
    "opportunities:lay_partners": (2, lambda rows: reverse("opportunities:lay_partners"), None),
    "opportunities:glossary": (1, lambda rows: reverse("opportunities:glossary"), None),
    # The interest form's start address only redirects: counted at the first question page,
    # which a person without a session opens (no session to read or save).
    "applications:express_interest": (1, lambda rows: reverse(
        "applications:interest_step", args=[rows["opportunity"].slug, "name"]), None),
    # "Check your answers", every question answered: the session, the opportunity, the
    # session saved.
    "applications:interest_step": (
        3,
        lambda rows: reverse(
            "applications:interest_step", args=[rows["opportunity"].slug, "check-answers"]),
        lambda client, rows: answer_questions(client, rows["opportunity"], interest_answers()),
    ),
    "applications:register_for_event": (2, lambda rows: reverse(
        "applications:register_for_event", args=[rows["event"].pk]), None),
    "applications:interest_sent": (
        2,
        lambda rows: reverse("applications:interest_sent", args=[rows["opportunity"].slug]),
        lambda client, rows: _sent_session(
            client, "sent_expression", rows["expression"].reference),
    ),
    # The event, then whether it has a date to register for instead.
    "applications:next_date": (2, lambda rows: reverse(
        "applications:next_date", args=[rows["undated"].slug]), None),
    "applications:next_date_sent": (
        2,
        lambda rows: reverse("applications:next_date_sent", args=[rows["undated"].slug]),
        lambda client, rows: _sent_session(
            client, "sent_next_date", str(rows["next_date_request"].submission_key)),
    ),
    "applications:registration_sent": (
        3,
        lambda rows: reverse("applications:registration_sent", args=[rows["event"].pk]),
        lambda client, rows: _sent_session(
            client, "sent_registration", rows["booking"].expression.reference),
    ),
    # The expression, then its bookings with their meetings.
    "applications:manage": (2, lambda rows: rows["expression"].manage_path(), None),
    "applications:withdraw": (2, lambda rows: rows["expression"].withdraw_path(), None),
    "applications:booking_calendar": (2, lambda rows: reverse(
        "applications:booking_calendar",
        args=[rows["expression"].manage_token(), rows["expression"].bookings.get().pk]), None),
    "applications:booking_respond": (2, lambda rows: reverse(
        "applications:booking_respond", args=[rows["booking"].token("accept"), "accept"]), None),
    # The expression with its opportunity and programme (an under-16's, made so first).
    "applications:parent_consent": (
        1,
        lambda rows: rows["expression"].parent_consent_path(),
        lambda client, rows: _under_16(rows["expression"]),
    ),
    "applications:alerts": (1, lambda rows: reverse("applications:alerts"), None),
    "applications:alerts_sent": (
        2,
        lambda rows: reverse("applications:alerts_sent"),
        lambda client, rows: _sent_session(client, "alert_sign_up", rows["pending_alert"].pk),
    ),
    "applications:alerts_confirm": (2, lambda rows: reverse(
        "applications:alerts_confirm", args=[rows["pending_alert"].confirm_token()]), None),
    "applications:alerts_manage": (3, lambda rows: reverse(
        "applications:alerts_manage", args=[rows["alert"].manage_token()]), None),
    "applications:alerts_unsubscribe": (1, lambda rows: reverse(
        "applications:alerts_unsubscribe", args=[rows["alert"].manage_token()]), None),
    # The lay partner's own page: the session, their roles, their bookings, their claims.
    "applications:my_involvement": (
        5,
        lambda rows: reverse("applications:my_involvement"),
        lambda client, rows: _sent_session(client, "my_involvement_email", rows["lay_partner"]),
    ),
    "applications:my_involvement_sign_in": (
        0, lambda rows: reverse("applications:my_involvement_sign_in"), None),
    "applications:my_involvement_sent": (
        1,
        lambda rows: reverse("applications:my_involvement_sent"),
        lambda client, rows: _sent_session(
            client, "my_involvement_asked", rows["lay_partner"]),
    ),
    # The link, then whether its address is still a lay partner's.
    "applications:my_involvement_link": (2, lambda rows: reverse(
        "applications:my_involvement_link", args=[rows["sign_in_link"].token()]), None),
    "applications:my_involvement_sign_out": (
        0, lambda rows: reverse("applications:my_involvement_sign_out"), None),
    # The session, whether they are still a lay partner, then their place at the meeting.
    "applications:my_involvement_calendar": (
        3,
        lambda rows: reverse("applications:my_involvement_calendar", args=[
            Booking.objects.filter(
                expression__email=rows["lay_partner"], status=Booking.Status.CONFIRMED
            ).first().pk
        ]),
        lambda client, rows: _sent_session(client, "my_involvement_email", rows["lay_partner"]),
    ),
    # Claiming for a meeting attended: the session, whether they are still a lay partner,
    # the booking with its meeting and level, whether it has a claim.
    "applications:claim_new": (
        4,
        lambda rows: reverse("applications:claim_new", args=[
            Booking.objects.filter(
                expression__email=rows["lay_partner"], status=Booking.Status.ATTENDED,
                claim__isnull=True,
            ).first().pk
        ]),
        _signed_in,
    ),
    # The session, still a lay partner, the claim, its history, expenses and receipts.
    "applications:claim_detail": (
        6,
        lambda rows: reverse("applications:claim_detail", args=[_my_claim(rows).pk]),
        _signed_in,
    ),
    # The session, still a lay partner, the receipt if it is theirs.
    "applications:claim_receipt": (
        3,
        lambda rows: reverse("applications:claim_receipt", args=[
            _my_receipt(rows).pk
        ]),
        _signed_in,
    ),
    # The session, still a lay partner, the claims paid in the year, the name to head it.
    "applications:claims_statement": (
        4,
        lambda rows: reverse(
            "applications:claims_statement",
            args=[tax_year(timezone.localdate())[0].year],
        ),
        _signed_in,
    ),
    "applications:claims_statement_csv": (
        3,
        lambda rows: reverse(
            "applications:claims_statement_csv",
            args=[tax_year(timezone.localdate())[0].year],
        ),
        _signed_in,
    ),
    "applications:equality": (0, lambda rows: reverse("applications:equality"), None),
    "applications:equality_thanks": (0, lambda rows: reverse("applications:equality_thanks"),
                                     None),
    "privacy": (2, lambda rows: reverse("privacy"), None),
    # An earlier version: a newer one is published first.
    "privacy_version": (2, lambda rows: reverse("privacy_version", args=["2026-11"]),
                        lambda client, rows: PrivacyNoticeFactory(published=True)),
    "accessibility": (0, lambda rows: reverse("accessibility"), None),
    "robots": (0, lambda rows: reverse("robots"), None),
    "healthz": (1, lambda rows: reverse("healthz"), None),
    # Each sitemap of rows (opportunities, impact records): a count and a page of them.
    "sitemap": (4, lambda rows: reverse("sitemap"), None),
}


def _public_url_names():
    """Every named URL outside the admin, with its namespace."""
    names = set()
    resolver = get_resolver()
    for name in resolver.reverse_dict:
        if isinstance(name, str):
            names.add(name)
    for namespace, (_prefix, sub) in resolver.namespace_dict.items():
        if namespace == "admin":
            continue
        names.update(
            f"{namespace}:{name}" for name in sub.reverse_dict if isinstance(name, str)
        )
    return names


def test_every_public_page_has_a_query_budget():
    missing = _public_url_names() - set(PUBLIC_PAGES)
    assert not missing, f"pages with no query budget in this file: {sorted(missing)}"


def _count(client, url, rows, prepare=None):
    cache.clear()  # measure building the page, not the public page cache
    if prepare:
        prepare(client, rows)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response
    return len(queries)


@pytest.mark.parametrize("name", sorted(PUBLIC_PAGES))
def test_public_page_queries_stay_within_budget_whatever_the_data(name):
    budget, url, prepare = PUBLIC_PAGES[name]
    client = Client()

    rows = build(SMALL)
    small = _count(client, url(rows), rows, prepare)
    rows = build(LARGE)
    large = _count(client, url(rows), rows, prepare)

    assert small <= budget, f"{name}: {small} queries, budget {budget}"
    assert large == small, f"{name}: {small} queries with a little data, {large} with more"


# Each admin changelist: its budget, for a superuser (who sees every column and filter).
ADMIN_CHANGELISTS = {
    "auth.Group": 5,
    "auth.User": 6,
    "axes.AccessAttempt": 8,
    "axes.AccessLog": 8,
    "axes.AccessFailureLog": 8,
    "django_tasks_database.DBTaskResult": 7,
    "otp_totp.TOTPDevice": 5,
    # 7 on PostgreSQL, where the paginator reads the planner's estimate instead of counting.
    "applications.ExpressionOfInterest": 7,
    "applications.ExpressionViewing": 6,
    # Its filters' choices (programmes, opportunities, budget codes) are a query each.
    "applications.Claim": 9,
    "applications.ClaimExport": 5,
    "applications.AlertSubscription": 7,
    "applications.NextDateRequest": 6,
    "applications.PersonalDataRequest": 7,
    # The member of staff's own email preferences, one form, not a list.
    "applications.StaffEmailPreferences": 4,
    "involvement.PrivacyNotice": 5,
    "opportunities.Programme": 5,
    "opportunities.Opportunity": 6,
    "opportunities.Meeting": 7,
    "opportunities.GlossaryTerm": 5,
    "opportunities.SearchSynonym": 5,
    "opportunities.ImpactRecord": 6,
    "opportunities.Site": 5,
    "opportunities.PaymentLevel": 5,
}


def test_every_admin_changelist_has_a_query_budget():
    registered = {model._meta.label for model in admin.site._registry}
    assert registered - set(ADMIN_CHANGELISTS) == set(), "changelists with no query budget"
    assert set(ADMIN_CHANGELISTS) - registered == set(), "budgets for changelists not in the admin"


@pytest.mark.parametrize("label", sorted(ADMIN_CHANGELISTS))
def test_admin_changelist_queries_stay_within_budget_whatever_the_data(label):
    from django.apps import apps

    model = apps.get_model(label)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    client = Client()
    client.force_login(
        User.objects.create_superuser("admin", "admin@example.nhs.uk", "a-long-test-password")
    )

    small = _count(client, url, build(SMALL))
    large = _count(client, url, build(LARGE))

    budget = ADMIN_CHANGELISTS[label]
    assert small <= budget, f"{label}: {small} queries, budget {budget}"
    assert large == small, f"{label}: {small} queries with a little data, {large} with more"

