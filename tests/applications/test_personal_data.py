"""Personal data: retention, subject access, erasure, and who viewed what
(applications/personal_data.py, applications/admin/personal_data.py)."""

import datetime
import io
import json
import logging
import zipfile

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applications.models import (
    Booking,
    ExpressionOfInterest,
    ExpressionViewing,
    PersonalDataRequest,
    StaffNote,
    StatusChange,
)
from applications.personal_data import (
    Person,
    anonymise,
    apply_retention,
    erase,
    months_before,
)
from opportunities.models import Opportunity
from tests.factories import (
    ExpressionOfInterestFactory,
    MeetingFactory,
    OpportunityFactory,
)
from tests.public_forms import interest_answers, send_interest

pytestmark = pytest.mark.django_db

Status = ExpressionOfInterest.Status
NOW = datetime.datetime(2027, 3, 31, 10, 0, tzinfo=datetime.UTC)
CHANGELIST = "admin:applications_expressionofinterest_changelist"
SUBJECT_ACCESS = "admin:applications_personaldatarequest_subject_access"
ERASE = "admin:applications_personaldatarequest_erase"


def ended(status, at, **fields):
    expression = ExpressionOfInterestFactory(status=status, status_changed_at=at, **fields)
    return expression


def lay_partner_who_left(at):
    expression = ExpressionOfInterestFactory(status=Status.WITHDRAWN, status_changed_at=at)
    StatusChange.objects.create(
        expression=expression, from_status=Status.JOINED, to_status=Status.WITHDRAWN, at=at
    )
    return expression


def is_anonymised(expression):
    expression.refresh_from_db()
    return expression.anonymised_at is not None


# Retention -----------------------------------------------------------------------------------


def test_months_before_keeps_the_day_or_takes_the_months_last():
    assert months_before(NOW, 12) == datetime.datetime(2026, 3, 31, 10, 0, tzinfo=datetime.UTC)
    assert months_before(NOW, 1) == datetime.datetime(2027, 2, 28, 10, 0, tzinfo=datetime.UTC)
    assert months_before(NOW, 13) == datetime.datetime(2026, 2, 28, 10, 0, tzinfo=datetime.UTC)
    leap = datetime.datetime(2028, 3, 31, tzinfo=datetime.UTC)
    assert months_before(leap, 1).day == 29
    assert months_before(NOW, 72) == datetime.datetime(2021, 3, 31, 10, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize("status", [Status.NOT_PROGRESSED, Status.WITHDRAWN])
def test_an_ended_expression_goes_12_months_after_it_ended_and_not_a_second_before(status):
    cutoff = datetime.datetime(2026, 3, 31, 10, 0, tzinfo=datetime.UTC)
    on_the_day = ended(status, cutoff)
    a_second_short = ended(status, cutoff + datetime.timedelta(seconds=1))
    long_ago = ended(status, cutoff - datetime.timedelta(days=400))

    counts = apply_retention(now=NOW)

    assert counts == {
        "ended": 2, "lay_partners_left": 0, "subject_access_addresses": 0,
        "alerts_unconfirmed": 0, "next_date_requests": 0, "sign_in_links": 0,
        "receipts_never_sent": 0,
    }
    assert is_anonymised(on_the_day)
    assert is_anonymised(long_ago)
    assert not is_anonymised(a_second_short)


def test_a_lay_partner_who_left_is_kept_6_years_not_12_months():
    cutoff = datetime.datetime(2021, 3, 31, 10, 0, tzinfo=datetime.UTC)
    six_years = lay_partner_who_left(cutoff)
    a_second_short = lay_partner_who_left(cutoff + datetime.timedelta(seconds=1))
    two_years = lay_partner_who_left(NOW - datetime.timedelta(days=730))

    counts = apply_retention(now=NOW)

    assert counts == {
        "ended": 0, "lay_partners_left": 1, "subject_access_addresses": 0,
        "alerts_unconfirmed": 0, "next_date_requests": 0, "sign_in_links": 0,
        "receipts_never_sent": 0,
    }
    assert is_anonymised(six_years)
    assert not is_anonymised(a_second_short)
    assert not is_anonymised(two_years)


@pytest.mark.parametrize("status", [Status.NEW, Status.CONTACTED, Status.TASTER, Status.JOINED])
def test_open_expressions_and_lay_partners_in_post_are_kept_however_old(status):
    old = ended(status, NOW - datetime.timedelta(days=365 * 10))

    apply_retention(now=NOW)

    assert not is_anonymised(old)


def test_the_periods_come_from_the_settings(settings):
    settings.RETENTION_ENDED_MONTHS = 3
    four_months = ended(Status.NOT_PROGRESSED, months_before(NOW, 4))
    two_months = ended(Status.NOT_PROGRESSED, months_before(NOW, 2))

    apply_retention(now=NOW)

    assert is_anonymised(four_months)
    assert not is_anonymised(two_months)


def test_anonymising_removes_every_personal_detail_and_keeps_what_reports_need():
    meeting = MeetingFactory()
    expression = ExpressionOfInterestFactory(
        opportunity=meeting.opportunity,
        full_name="Siobhán O'Brien", email="siobhan@example.com", phone="07700 900 982",
        age_band=ExpressionOfInterest.AgeBand.UNDER_16,
        parent_carer_name="Mary O'Brien", parent_carer_contact="mary@example.com",
        parent_carer_confirmed=True,
        connections=["patient"], connection_other="My gran",
        why_interested="I was on ward 7.", experience="School council",
        access_needs=["bsl"], access_needs_other="Breaks", availability="Tuesdays",
        status=Status.CONTACTED,
    )
    expression.move_to(Status.NOT_PROGRESSED, reason="Siobhán moved away")
    StaffNote.objects.create(expression=expression, text="Spoke to Siobhán's mum.")
    Booking.objects.create(expression=expression, meeting=meeting, status="attended")
    submitted = expression.submitted_at

    anonymise(ExpressionOfInterest.objects.filter(pk=expression.pk), now=NOW)

    expression.refresh_from_db()
    for field in ("full_name", "email", "phone", "parent_carer_name", "parent_carer_contact",
                  "connection_other", "why_interested", "experience", "access_needs_other",
                  "availability", "not_progressed_reason"):
        assert getattr(expression, field) == "", field
    assert expression.connections == [] and expression.access_needs == []
    assert expression.parent_carer_confirmed is False
    assert expression.anonymised_at == NOW
    # What reports need stays.
    assert expression.opportunity_id == meeting.opportunity_id
    assert expression.status == Status.NOT_PROGRESSED
    assert expression.age_band == ExpressionOfInterest.AgeBand.UNDER_16
    assert expression.submitted_at == submitted
    assert expression.bookings.count() == 1
    # History stays, without the words written about the person; their notes go.
    change = expression.changes.get()
    assert (change.from_status, change.to_status, change.reason) == (
        Status.CONTACTED, Status.NOT_PROGRESSED, ""
    )
    assert not StaffNote.objects.filter(expression=expression).exists()


def test_a_dry_run_counts_and_changes_nothing():
    expression = ended(Status.WITHDRAWN, NOW - datetime.timedelta(days=400))
    out = io.StringIO()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: NOW)
        call_command("apply_retention", "--dry-run", stdout=out)

    assert "Would anonymise 1 expressions of interest: ended as not progressed" in out.getvalue()
    assert "Would remove 0 addresses from subject access records" in out.getvalue()
    assert "Dry run: nothing was changed." in out.getvalue()
    assert not is_anonymised(expression)
    assert not PersonalDataRequest.objects.exists()


def test_the_command_is_idempotent_and_records_each_run_that_changed_something():
    expression = ended(Status.WITHDRAWN, timezone.now() - datetime.timedelta(days=400))

    first, second = io.StringIO(), io.StringIO()
    call_command("apply_retention", stdout=first)
    anonymised_at = ExpressionOfInterest.objects.get(pk=expression.pk).anonymised_at
    call_command("apply_retention", stdout=second)

    assert "Anonymised 1 expressions of interest" in first.getvalue()
    assert "Anonymised 0 expressions of interest" in second.getvalue()
    assert ExpressionOfInterest.objects.get(pk=expression.pk).anonymised_at == anonymised_at
    record = PersonalDataRequest.objects.get()
    assert record.kind == PersonalDataRequest.Kind.RETENTION
    assert record.made_by is None
    assert record.details["references"] == [expression.reference]
    assert record.email == ""


def test_the_manage_link_of_an_anonymised_expression_no_longer_works(client):
    expression = ended(Status.WITHDRAWN, NOW - datetime.timedelta(days=400))
    link = expression.manage_path()
    assert client.get(link).status_code == 200

    apply_retention(now=NOW)

    response = client.get(link)
    assert response.status_code == 404
    assert "O&#x27;Brien" not in response.content.decode()


# Subject access ------------------------------------------------------------------------------


@pytest.fixture
def team_member(django_user_model):
    user = django_user_model.objects.create_user(
        "team", "team@example.nhs.uk", "a-long-test-password", is_staff=True,
        first_name="Tess", last_name="Team",
    )
    user.groups.add(Group.objects.get(name="Involvement team"))
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def programme_lead(django_user_model):
    user = django_user_model.objects.create_user(
        "lead", "lead@example.nhs.uk", "a-long-test-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Programme lead"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def siobhan():
    """One person with two expressions of interest, a booking, history and a note, and a
    young person whose parent she is."""
    first = ExpressionOfInterestFactory(
        full_name="Siobhán O'Brien", email="Siobhan@Example.com",
        why_interested="=HYPERLINK(\"http://x\")", status=Status.NEW,
    )
    first.move_to(Status.CONTACTED)
    StaffNote.objects.create(expression=first, text="Rang Siobhán; call back on Tuesday.")
    meeting = MeetingFactory(opportunity=first.opportunity)
    Booking.objects.create(expression=first, meeting=meeting, status=Booking.Status.CONFIRMED)
    second = ExpressionOfInterestFactory(full_name="Siobhán O'Brien", email="siobhan@example.com")
    child = ExpressionOfInterestFactory(
        full_name="Aoife O'Brien", email="aoife@example.com",
        age_band=ExpressionOfInterest.AgeBand.UNDER_16,
        parent_carer_name="Siobhán O'Brien", parent_carer_contact="siobhan@example.com",
        parent_carer_confirmed=True,
    )
    someone_else = ExpressionOfInterestFactory(
        full_name="Someone Else", email="someone@example.com"
    )
    return {"first": first, "second": second, "child": child, "other": someone_else,
            "meeting": meeting}


def test_staff_find_everything_held_about_an_address_whatever_its_capitals(team_member, siobhan):
    response = team_member.post(reverse(SUBJECT_ACCESS), {"email": "SIOBHAN@example.com"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "We hold 3 expressions of interest, 1 booking, 1 status change and 1 staff note" in html
    assert siobhan["first"].reference in html and siobhan["child"].reference in html
    assert siobhan["other"].reference not in html
    assert "You, as parent or carer" in html
    # Finding someone is not a download: nothing is recorded yet.
    assert not PersonalDataRequest.objects.exists()


def test_the_download_is_a_readable_zip_and_is_recorded(team_member, siobhan, caplog):
    with caplog.at_level(logging.INFO, logger="involvement.security"):
        response = team_member.post(
            reverse(SUBJECT_ACCESS), {"email": "siobhan@example.com", "download": "1"}
        )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    record = PersonalDataRequest.objects.get()
    assert response["Content-Disposition"] == (
        f'attachment; filename="subject-access-{timezone.localdate():%Y-%m-%d}-{record.pk}.zip"'
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert set(archive.namelist()) == {
        "README.txt", "expressions_of_interest.csv", "bookings.csv", "status_history.csv",
        "staff_notes.csv", "named_on_impact_records.csv", "alerts.csv", "emails_about_steps.csv",
        "next_date_requests.csv", "sign_in_links.csv", "claims.csv", "expenses.csv",
        "claim_history.csv", "everything.json",
    }
    expressions_csv = archive.read("expressions_of_interest.csv").decode("utf-8-sig")
    assert "Siobhán O'Brien" in expressions_csv
    assert "'=HYPERLINK" in expressions_csv  # a formula is shown, never run
    assert "Rang Siobhán" in archive.read("staff_notes.csv").decode("utf-8-sig")
    assert "Confirmed" in archive.read("bookings.csv").decode("utf-8-sig")
    history = archive.read("status_history.csv").decode("utf-8-sig")
    assert "A member of the involvement team" in history or "You" in history
    data = json.loads(archive.read("everything.json"))
    assert len(data["expressions"]) == 3
    assert {row["reference"] for row in data["expressions"]} == {
        siobhan["first"].reference, siobhan["second"].reference, siobhan["child"].reference
    }
    # Who, when, whose.
    assert record.kind == PersonalDataRequest.Kind.SUBJECT_ACCESS
    assert record.made_by == team_member.user
    assert record.made_by_username == "team"
    assert record.email == "siobhan@example.com"
    assert record.details["counts"] == {
        "expressions": 3, "bookings": 1, "status_history": 1, "staff_notes": 1,
        "named_on_impact_records": 0, "alerts": 0, "emails_about_steps": 0,
        "next_date_requests": 0, "sign_in_links": 0, "claims": 0, "expenses": 0,
        "claim_history": 0,
    }
    assert f"event=subject-access-export record_id={record.pk}" in caplog.text
    assert "siobhan@example.com" not in caplog.text


def test_an_address_is_never_put_in_a_url(team_member, siobhan):
    response = team_member.post(reverse(SUBJECT_ACCESS), {"email": "siobhan@example.com"},
                                follow=True)

    assert "siobhan" not in response.request["PATH_INFO"]
    assert "siobhan" not in response.request.get("QUERY_STRING", "")
    assert 'method="post"' in response.content.decode()


def test_a_mistyped_address_gets_a_specific_error(team_member):
    response = team_member.post(reverse(SUBJECT_ACCESS), {"email": "siobhan.example.com"})

    assert response.status_code == 400
    assert "Enter an email address in the correct format" in response.content.decode()
    assert 'value="siobhan.example.com"' in response.content.decode()


def test_nobody_found_says_so_and_offers_no_download(team_member):
    response = team_member.post(reverse(SUBJECT_ACCESS), {"email": "nobody@example.com"})

    html = response.content.decode()
    assert "We hold 0 expressions of interest" in html
    assert 'name="download"' not in html


def test_programme_leads_cannot_download_or_erase(programme_lead, siobhan):
    assert programme_lead.get(reverse(SUBJECT_ACCESS)).status_code == 403
    assert programme_lead.post(
        reverse(SUBJECT_ACCESS), {"email": "siobhan@example.com", "download": "1"}
    ).status_code == 403
    assert programme_lead.post(
        reverse(ERASE), {"email": "siobhan@example.com", "reason": "x", "confirmed": "on",
                         "erase": "1"}
    ).status_code == 403
    assert not is_anonymised(siobhan["first"])


def test_the_command_line_writes_the_zip_and_records_it(siobhan, tmp_path, django_user_model):
    django_user_model.objects.create_user("team", is_staff=True)
    out = io.StringIO()

    call_command("subject_access", "siobhan@example.com", "--by", "team",
                 "--output", str(tmp_path), stdout=out)

    record = PersonalDataRequest.objects.get()
    written = tmp_path / f"subject-access-{timezone.localdate():%Y-%m-%d}-{record.pk}.zip"
    assert written.exists()
    assert "3 expressions of interest" in out.getvalue()
    assert record.made_by_username == "team"
    with pytest.raises(CommandError, match="No member of staff"):
        call_command("subject_access", "siobhan@example.com", "--by", "nobody")


# Erasure -------------------------------------------------------------------------------------


def test_erasure_shows_what_will_go_then_needs_a_reason_and_confirmation(team_member, siobhan):
    confirm = team_member.post(reverse(ERASE), {"email": "siobhan@example.com"})
    assert confirm.status_code == 200
    assert "We hold 3 expressions of interest" in confirm.content.decode()

    refused = team_member.post(
        reverse(ERASE), {"email": "siobhan@example.com", "reason": "", "erase": "1"}
    )
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "Enter why you are erasing this person&#x27;s data" in html
    assert "Confirm that you understand the erasure cannot be undone" in html
    assert not is_anonymised(siobhan["first"])
    assert not PersonalDataRequest.objects.exists()


def test_erasure_removes_them_everywhere_and_records_it_without_them(team_member, siobhan):
    # An earlier subject access request named them.
    subject_access = PersonalDataRequest.objects.create(
        kind="subject_access", email="siobhan@example.com", details={}
    )

    response = team_member.post(reverse(ERASE), {
        "email": "siobhan@example.com", "reason": "Asked by email on 3 March 2027",
        "confirmed": "on", "erase": "1",
    })

    record = PersonalDataRequest.objects.get(kind="erasure")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:applications_personaldatarequest_change", args=[record.pk]
    )
    for name in ("first", "second", "child"):
        assert is_anonymised(siobhan[name]), name
    assert not is_anonymised(siobhan["other"])
    # What was still going has ended, so it is nobody's task to contact them.
    assert set(ExpressionOfInterest.objects.filter(anonymised_at__isnull=False)
               .values_list("status", flat=True)) == {Status.WITHDRAWN}
    assert not StaffNote.objects.filter(expression=siobhan["first"]).exists()
    assert record.email == "" and record.made_by == team_member.user
    assert record.reason == "Asked by email on 3 March 2027"
    assert sorted(record.details["references"]) == sorted(
        siobhan[name].reference for name in ("first", "second", "child")
    )
    assert "siobhan" not in json.dumps(record.details).lower()
    subject_access.refresh_from_db()
    assert subject_access.email == ""
    assert not ExpressionOfInterest.objects.filter(email__iexact="siobhan@example.com").exists()
    assert not ExpressionOfInterest.objects.filter(
        parent_carer_contact__iexact="siobhan@example.com"
    ).exists()


def test_erasure_gives_their_place_at_a_meeting_to_whoever_is_waiting(
    team_member, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory(capacity=1, public_registration=True)
    leaving = ExpressionOfInterestFactory(email="leaving@example.com",
                                          opportunity=meeting.opportunity)
    waiting = ExpressionOfInterestFactory(email="waiting@example.com",
                                          opportunity=meeting.opportunity)
    Booking.objects.create(expression=leaving, meeting=meeting, status=Booking.Status.CONFIRMED)
    waiting_booking = Booking.objects.create(
        expression=waiting, meeting=meeting, status=Booking.Status.WAITLISTED
    )

    with django_capture_on_commit_callbacks(execute=True):
        erase(Person("leaving@example.com"), by=team_member.user, reason="Asked")

    waiting_booking.refresh_from_db()
    assert waiting_booking.status != Booking.Status.WAITLISTED
    assert [m.to for m in mail.outbox] == [["waiting@example.com"]]


def test_after_erasure_the_admin_exports_and_reports_still_work(team_member, siobhan,
                                                                staff_client):
    erase(Person("siobhan@example.com"), by=team_member.user, reason="Asked")
    anonymised = siobhan["first"]

    changelist = team_member.get(reverse(CHANGELIST))
    assert changelist.status_code == 200
    assert "Details removed" in changelist.content.decode()
    assert team_member.get(reverse(CHANGELIST), {"q": "O'Brien"}).status_code == 200
    change = team_member.get(
        reverse("admin:applications_expressionofinterest_change", args=[anonymised.pk])
    )
    assert change.status_code == 200
    assert "Siobhán" not in change.content.decode()
    export = team_member.post(reverse(CHANGELIST), {
        "action": "export_as_csv",
        "_selected_action": [e.pk for e in ExpressionOfInterest.objects.all()],
    })
    assert export.status_code == 200
    assert "Siobhán" not in export.content.decode("utf-8-sig")
    assert siobhan["other"].full_name in export.content.decode("utf-8-sig")
    report = staff_client.get(reverse("admin:applications_equality_report"))
    assert report.status_code == 200
    record = PersonalDataRequest.objects.get()
    assert team_member.get(reverse("admin:applications_personaldatarequest_changelist")) \
        .status_code == 200
    assert team_member.get(
        reverse("admin:applications_personaldatarequest_change", args=[record.pk])
    ).status_code == 200
    # Public pages count what is left.
    assert Client().get(anonymised.opportunity.get_absolute_url()).status_code == 200


def test_an_anonymised_expression_is_read_only_in_the_admin(team_member, siobhan):
    erase(Person("siobhan@example.com"), by=team_member.user, reason="Asked")
    expression = siobhan["second"]
    url = reverse("admin:applications_expressionofinterest_change", args=[expression.pk])

    page = team_member.get(url).content.decode()
    edit = team_member.post(url, {"full_name": "Someone typed back in"})

    assert 'name="_save"' not in page
    assert edit.status_code == 403
    expression.refresh_from_db()
    assert expression.full_name == ""
    assert expression.status == Status.WITHDRAWN  # by the erasure, and no further
    assert expression.changes.count() == 1


def test_the_command_line_erases_with_a_reason(siobhan, django_user_model):
    django_user_model.objects.create_user("team", is_staff=True)
    out = io.StringIO()

    with pytest.raises(CommandError, match="Nothing is held"):
        call_command("erase_person", "nobody@example.com", "--by", "team", "--reason", "x",
                     "--yes")
    call_command("erase_person", "siobhan@example.com", "--by", "team",
                 "--reason", "Asked on the phone", "--yes", stdout=out)

    assert "Erased." in out.getvalue()
    assert is_anonymised(siobhan["first"])
    assert PersonalDataRequest.objects.get(kind="erasure").made_by_username == "team"


# Who viewed what -----------------------------------------------------------------------------


def test_opening_an_expression_in_the_admin_is_recorded(team_member, caplog):
    expression = ExpressionOfInterestFactory()

    with caplog.at_level(logging.INFO, logger="involvement.security"):
        team_member.get(
            reverse("admin:applications_expressionofinterest_change", args=[expression.pk])
        )

    viewing = ExpressionViewing.objects.get()
    assert (viewing.expression, viewing.viewed_by, viewing.viewed_by_username) == (
        expression, team_member.user, "team"
    )
    assert (
        f"event=expression-viewed expression_id={expression.pk} user_id={team_member.user.pk}"
        in caplog.text
    )
    listing = team_member.get(reverse("admin:applications_expressionviewing_changelist"),
                              {"q": expression.reference})
    assert expression.reference in listing.content.decode()


def test_a_programme_lead_who_may_not_see_an_expression_leaves_no_viewing(programme_lead):
    expression = ExpressionOfInterestFactory(opportunity=OpportunityFactory(
        kind=Opportunity.Kind.LAY_PARTNER))

    response = programme_lead.get(
        reverse("admin:applications_expressionofinterest_change", args=[expression.pk])
    )

    assert response.status_code == 404  # not theirs to see, so not there
    assert not ExpressionViewing.objects.exists()


def test_after_erasure_the_sent_page_in_their_browser_shows_nothing_of_theirs(
    client, team_member
):
    opportunity = OpportunityFactory()
    send_interest(client, opportunity, interest_answers(why_interested="To help."))
    sent = reverse("applications:interest_sent", args=[opportunity.slug])
    reference = ExpressionOfInterest.objects.get(email="siobhan@example.com").reference
    assert reference in client.get(sent).content.decode()

    erase(Person("siobhan@example.com"), by=team_member.user, reason="Asked")

    response = client.get(sent)
    assert response.status_code == 302  # back to the opportunity, as with no session


def test_a_subject_access_record_loses_its_address_after_12_months_and_stays():
    cutoff = months_before(NOW, 12)
    old = PersonalDataRequest.objects.create(
        kind="subject_access", made_at=cutoff, email="old@example.com",
        details={"counts": {"expressions": 1}},
    )
    recent = PersonalDataRequest.objects.create(
        kind="subject_access", made_at=cutoff + datetime.timedelta(seconds=1),
        email="recent@example.com", details={},
    )

    counts = apply_retention(now=NOW)

    old.refresh_from_db()
    recent.refresh_from_db()
    assert counts["subject_access_addresses"] == 1
    assert old.email == "" and old.details == {"counts": {"expressions": 1}}
    assert recent.email == "recent@example.com"
    assert PersonalDataRequest.objects.filter(kind="retention").count() == 1


def test_staff_see_the_claims_held_before_they_download_or_erase(team_member):
    from applications.models import Expense
    from tests.factories import ClaimFactory

    claim = ClaimFactory(booking__expression__email="lay.partner@example.com")
    Expense.objects.create(claim=claim, kind=Expense.Kind.MILEAGE, miles=10, amount="4.50")

    response = team_member.post(reverse(SUBJECT_ACCESS), {"email": "lay.partner@example.com"})

    assert "and 1 claim for payment and expenses, with 1 expense and their receipts." in (
        response.content.decode()
    )
