"""Sign-ups for alerts about new opportunities as personal data: found and downloaded by subject
access, deleted by erasure, and deleted by retention when never confirmed
(applications/personal_data.py)."""

import datetime
import io
import json
import zipfile

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applications.models import AlertSubscription, PersonalDataRequest
from applications.personal_data import Person, apply_retention
from opportunities.models import Opportunity
from tests.factories import ExpressionOfInterestFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

SUBJECT_ACCESS = "admin:applications_personaldatarequest_subject_access"
ERASE = "admin:applications_personaldatarequest_erase"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def team_member(django_user_model):
    user = django_user_model.objects.create_user(
        "team", "team@example.nhs.uk", "a-long-test-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Involvement team"))
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def sign_up(email="Siobhan@Example.com", *, confirmed=True, requested=None, **fields):
    requested = requested or timezone.now() - 10 * DAY
    subscription = AlertSubscription.objects.create(
        email=email, requested_at=requested,
        confirmed_at=requested if confirmed else None, sent_up_to=requested if confirmed else None,
        **fields,
    )
    return subscription


# Subject access ----------------------------------------------------------------------------


def test_subject_access_finds_and_downloads_the_sign_up_whatever_the_capitals(team_member):
    children = ProgrammeFactory(name="Children's services")
    sign_up(kinds=[Opportunity.Kind.EVENT]).programmes.set([children])
    sign_up("someone@example.com")

    found = team_member.post(reverse(SUBJECT_ACCESS), {"email": "siobhan@example.com"})
    assert "and its sign-up for emails about new opportunities" in found.content.decode()
    assert 'name="download"' in found.content.decode()  # an address with only a sign-up

    response = team_member.post(
        reverse(SUBJECT_ACCESS), {"email": "siobhan@example.com", "download": "1"}
    )

    archive = zipfile.ZipFile(io.BytesIO(response.content))
    alerts_csv = archive.read("alerts.csv").decode("utf-8-sig")
    assert "Siobhan@Example.com" in alerts_csv
    assert "Events" in alerts_csv and "Children's services" in alerts_csv
    assert "someone@example.com" not in alerts_csv
    data = json.loads(archive.read("everything.json"))
    assert [row["email"] for row in data["alerts"]] == ["Siobhan@Example.com"]
    assert "alerts.csv" in archive.read("README.txt").decode()
    record = PersonalDataRequest.objects.get()
    assert record.details["counts"]["alerts"] == 1


# Erasure -----------------------------------------------------------------------------------


def test_erasure_deletes_the_sign_up_with_everything_else(team_member):
    sign_up()
    expression = ExpressionOfInterestFactory(email="siobhan@example.com")
    other = sign_up("someone@example.com")

    response = team_member.post(reverse(ERASE), {
        "email": "SIOBHAN@example.com", "reason": "Asked by email", "confirmed": "on",
        "erase": "1",
    })

    assert response.status_code == 302
    assert list(AlertSubscription.objects.all()) == [other]
    expression.refresh_from_db()
    assert expression.anonymised_at is not None
    record = PersonalDataRequest.objects.get(kind="erasure")
    assert record.details["counts"]["alerts"] == 1
    assert "siobhan" not in json.dumps(record.details).lower()


def test_an_address_with_only_a_sign_up_can_be_erased(team_member):
    sign_up()

    confirm = team_member.post(reverse(ERASE), {"email": "siobhan@example.com"})
    assert "Erase their data" in confirm.content.decode()
    team_member.post(reverse(ERASE), {
        "email": "siobhan@example.com", "reason": "Asked", "confirmed": "on", "erase": "1",
    })

    assert not AlertSubscription.objects.exists()
    assert PersonalDataRequest.objects.get(kind="erasure").details["counts"]["alerts"] == 1


def test_the_command_line_erases_an_address_with_only_a_sign_up(django_user_model):
    django_user_model.objects.create_user("team", is_staff=True)
    sign_up()
    out = io.StringIO()

    call_command("erase_person", "siobhan@example.com", "--by", "team", "--reason", "Asked",
                 "--yes", stdout=out)

    assert "1 alert sign-ups" in out.getvalue()
    assert not AlertSubscription.objects.exists()


def test_a_person_with_no_address_finds_no_sign_up():
    sign_up()
    assert Person("  ").counts()["alerts"] == 0


# Retention ---------------------------------------------------------------------------------


def test_retention_deletes_sign_ups_not_confirmed_once_their_link_has_expired(settings):
    settings.ALERT_CONFIRMATION_DAYS = 3
    now = timezone.now()
    expired = sign_up("expired@example.com", confirmed=False, requested=now - 3 * DAY)
    waiting = sign_up("waiting@example.com", confirmed=False, requested=now - 3 * DAY + DAY / 24)
    confirmed_long_ago = sign_up("confirmed@example.com", requested=now - 400 * DAY)

    counts = apply_retention(now=now)

    assert counts["alerts_unconfirmed"] == 1
    assert set(AlertSubscription.objects.all()) == {waiting, confirmed_long_ago}
    assert not AlertSubscription.objects.filter(pk=expired.pk).exists()
    record = PersonalDataRequest.objects.get(kind="retention")
    assert record.details["counts"]["alerts_unconfirmed"] == 1
    assert "expired@example.com" not in json.dumps(record.details)


def test_the_retention_command_says_what_it_deleted_and_a_dry_run_deletes_nothing():
    sign_up(confirmed=False, requested=timezone.now() - 30 * DAY)
    dry, real, again = io.StringIO(), io.StringIO(), io.StringIO()

    call_command("apply_retention", "--dry-run", stdout=dry)
    assert AlertSubscription.objects.exists()
    call_command("apply_retention", stdout=real)
    call_command("apply_retention", stdout=again)

    assert "Would delete 1 sign-ups for alerts about new opportunities not confirmed within 3 " \
        "days." in dry.getvalue()
    assert "Deleted 1 sign-ups for alerts" in real.getvalue()
    assert "Deleted 0 sign-ups for alerts" in again.getvalue()
    assert not AlertSubscription.objects.exists()
    assert PersonalDataRequest.objects.filter(kind="retention").count() == 1


def test_the_admin_record_of_a_retention_run_names_the_deleted_sign_ups(team_member):
    sign_up(confirmed=False, requested=timezone.now() - 30 * DAY)
    apply_retention()
    record = PersonalDataRequest.objects.get()

    changelist = team_member.get(reverse("admin:applications_personaldatarequest_changelist"))

    assert "0 expressions of interest anonymised, 1 unconfirmed alert sign-ups deleted" in (
        changelist.content.decode()
    )
    assert record.details["counts"]["alerts_unconfirmed"] == 1


# Who may see the sign-ups ------------------------------------------------------------------


def test_the_involvement_team_sees_the_counts_and_programme_leads_do_not(
    team_member, django_user_model
):
    sign_up()
    url = reverse("admin:applications_alertsubscription_changelist")
    lead = django_user_model.objects.create_user("lead", is_staff=True)
    lead.groups.add(Group.objects.get(name="Programme lead"))
    lead_client = Client()
    lead_client.force_login(lead)

    assert team_member.get(url).status_code == 200
    assert lead_client.get(url).status_code == 403
    assert not Permission.objects.filter(
        codename__in=["add_alertsubscription", "change_alertsubscription"],
        group__name="Involvement team",
    ).exists()
    # Nobody edits or adds one in the admin, superusers included.
    staff = django_user_model.objects.create_superuser("admin", "a@example.nhs.uk", "x" * 20)
    admin_client = Client()
    admin_client.force_login(staff)
    assert admin_client.get(
        reverse("admin:applications_alertsubscription_add")
    ).status_code == 403
