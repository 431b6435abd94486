"""'Tell me when the next one is', for an event with no date: a simple record (name, email or
phone, which event) that staff see in the admin and that counts as personal data."""

import datetime
import io
import uuid
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from applications.models import ExpressionOfInterest, NextDateRequest, PersonalDataRequest
from applications.personal_data import Person, apply_retention, erase, subject_access_zip
from opportunities.models import Meeting, Opportunity
from tests.factories import MeetingFactory, OpportunityFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sprint():
    return OpportunityFactory(
        kind=Opportunity.Kind.EVENT, title="iQI Sprint events", slug="iqi-sprint-events",
        frequency=Opportunity.Frequency.REGULAR,
    )


def answers(**overrides):
    data = {
        "full_name": "Siobhán O'Brien",
        "email": "siobhan@example.com",
        "phone": "",
        "privacy_consent": "on",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def form_url(opportunity):
    return reverse("applications:next_date", args=[opportunity.slug])


def test_the_form_asks_only_who_and_how_to_reach_them(client, sprint):
    response = client.get(form_url(sprint))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Tell me when the next one is</h1>" in html
    assert "iQI Sprint events" in html
    for name in ("full_name", "email", "phone", "privacy_consent"):
        assert f'name="{name}"' in html
    assert 'name="why_interested"' not in html
    assert 'name="age_band"' not in html


def test_sending_it_stores_the_request_and_confirms_with_the_steps(client, sprint):
    response = client.post(form_url(sprint), answers(), follow=True)

    assert response.status_code == 200
    saved = NextDateRequest.objects.get()
    assert (saved.opportunity, saved.full_name, saved.email, saved.phone) == (
        sprint, "Siobhán O'Brien", "siobhan@example.com", ""
    )
    assert saved.told_at is None
    assert saved.privacy_notice_version
    # Not an expression of interest: nobody is triaged for it.
    assert not ExpressionOfInterest.objects.exists()
    html = response.content.decode()
    assert "We will tell you when the next one is" in html
    assert "email you at <strong>siobhan@example.com</strong>" in html
    for step in sprint.steps:
        assert step.title in html


def test_a_phone_number_is_enough(client, sprint):
    response = client.post(
        form_url(sprint), answers(email="", phone="07700 900982"), follow=True
    )

    assert NextDateRequest.objects.get().phone == "07700 900982"
    assert "phone you on <strong>07700 900982</strong>" in response.content.decode()


def test_without_an_email_address_or_phone_number_it_comes_back_with_the_answers_kept(
    client, sprint
):
    response = client.post(form_url(sprint), answers(email=""))

    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: Tell me when the next one is" in html
    assert "Enter your email address or a phone number, so we can tell you the date" in html
    assert 'href="#id_email"' in html
    assert 'value="Siobhán O&#x27;Brien"' in html
    assert not NextDateRequest.objects.exists()


def test_a_bad_phone_number_says_how_to_fix_it(client, sprint):
    response = client.post(form_url(sprint), answers(email="", phone="12"))

    assert response.status_code == 400
    assert "Enter a UK phone number" in response.content.decode()


def test_sending_twice_stores_one_request(client, sprint):
    data = answers()
    client.post(form_url(sprint), data)
    client.post(form_url(sprint), data)

    assert NextDateRequest.objects.count() == 1


def test_an_event_with_a_date_sends_people_to_register(client, sprint):
    MeetingFactory(opportunity=sprint, kind=Meeting.Kind.EVENT, public_registration=True)

    response = client.get(form_url(sprint))

    assert response.url == sprint.get_absolute_url()


def test_only_events_take_these_requests(client):
    group = OpportunityFactory(kind=Opportunity.Kind.REFERENCE_GROUP)

    response = client.post(form_url(group), answers())

    assert response.url == group.get_absolute_url()
    assert not NextDateRequest.objects.exists()


def test_the_sent_page_needs_the_session(client, sprint):
    response = client.get(reverse("applications:next_date_sent", args=[sprint.slug]))

    assert response.url == sprint.get_absolute_url()


# Staff ----------------------------------------------------------------------------------------


def _request(opportunity, **fields):
    return NextDateRequest.objects.create(
        opportunity=opportunity, full_name=fields.pop("full_name", "Siobhán O'Brien"),
        privacy_notice_version="2026-11", **fields,
    )


@pytest.mark.parametrize("rows", [1, 30])
def test_staff_see_the_requests_in_the_admin(
    staff_client, sprint, django_assert_max_num_queries, rows
):
    for n in range(rows):
        _request(sprint, email=f"person{n}@example.com")
    _request(sprint, full_name="Told already", phone="07700 900982",
             told_at=timezone.now())

    url = reverse("admin:applications_nextdaterequest_changelist")
    with django_assert_max_num_queries(12):
        response = staff_client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert "person0@example.com" in html
    assert "iQI Sprint events" in html
    waiting = staff_client.get(url, {"told_at__isempty": "1"})
    assert waiting.context["cl"].result_count == rows


def test_a_programme_lead_sees_only_their_programmes_requests(client, django_user_model, sprint):
    from django.contrib.auth.models import Permission

    lead = django_user_model.objects.create_user("lead", password="x", is_staff=True)
    lead.user_permissions.add(Permission.objects.get(codename="view_nextdaterequest"))
    theirs = OpportunityFactory(kind=Opportunity.Kind.EVENT, programme=ProgrammeFactory())
    theirs.programme.leads.add(lead)
    _request(theirs, full_name="Mine to see", email="a@example.com")
    _request(sprint, full_name="Not mine", email="b@example.com")
    client.force_login(lead)

    response = client.get(reverse("admin:applications_nextdaterequest_changelist"))

    html = response.content.decode()
    assert "Mine to see" in html
    assert "Not mine" not in html


# Personal data --------------------------------------------------------------------------------


def test_subject_access_includes_the_requests(sprint, django_user_model):
    staff = django_user_model.objects.create_user("team", is_staff=True)
    _request(sprint, email="Siobhan@Example.com")

    content, record = subject_access_zip(Person("siobhan@example.com"), by=staff)

    archive = zipfile.ZipFile(io.BytesIO(content))
    csv = archive.read("next_date_requests.csv").decode("utf-8-sig")
    assert "iQI Sprint events" in csv and "Siobhán O'Brien" in csv
    assert record.details["counts"]["next_date_requests"] == 1


def test_erasure_deletes_the_requests(sprint, django_user_model):
    staff = django_user_model.objects.create_user("team", is_staff=True)
    _request(sprint, email="siobhan@example.com")
    other = _request(sprint, email="someone.else@example.com")

    record = erase(Person("siobhan@example.com"), by=staff, reason="Asked by email.")

    assert list(NextDateRequest.objects.all()) == [other]
    assert record.details["counts"]["next_date_requests"] == 1


def test_erase_person_command_finds_someone_with_only_a_request(sprint, django_user_model):
    django_user_model.objects.create_user("team", is_staff=True)
    _request(sprint, email="siobhan@example.com")

    call_command(
        "erase_person", "siobhan@example.com", "--by", "team", "--reason", "Asked.", "--yes",
        stdout=io.StringIO(),
    )

    assert not NextDateRequest.objects.exists()
    assert PersonalDataRequest.objects.filter(kind="erasure").exists()


def test_retention_deletes_requests_long_after_they_were_told_or_made(sprint, settings):
    settings.RETENTION_ENDED_MONTHS = 12
    now = timezone.now()
    long_ago = now - datetime.timedelta(days=400)
    _request(sprint, full_name="Told long ago", created_at=long_ago, told_at=long_ago)
    _request(sprint, full_name="Asked long ago, never told", created_at=long_ago)
    kept = _request(
        sprint, full_name="Told lately", created_at=long_ago,
        told_at=now - datetime.timedelta(days=30),
    )
    fresh = _request(sprint, full_name="Asked lately")

    counts = apply_retention(now=now)

    assert counts["next_date_requests"] == 2
    assert set(NextDateRequest.objects.all()) == {kept, fresh}


# Telling them when there is a date ----------------------------------------------------------


def _publish_date(opportunity, **fields):
    return MeetingFactory(
        opportunity=opportunity, kind=Meeting.Kind.EVENT, title="Spring iQI Sprint",
        public_registration=True, **fields,
    )


def test_people_who_asked_are_emailed_once_when_a_date_is_published(
    sprint, immediate_tasks, mailoutbox, django_capture_on_commit_callbacks
):
    waiting = _request(sprint, email="siobhan@example.com")
    by_phone = _request(sprint, full_name="Phone only", phone="07700 900982")
    other_event = _request(OpportunityFactory(kind=Opportunity.Kind.EVENT), email="x@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        meeting = _publish_date(sprint)
    with django_capture_on_commit_callbacks(execute=True):
        meeting.save()  # saved again: nobody is told twice

    [email] = mailoutbox
    assert email.to == ["siobhan@example.com"]
    assert email.subject == "There is a date for iQI Sprint events"
    register = "https://involve.example.nhs.uk" + reverse(
        "applications:register_for_event", args=[meeting.pk]
    )
    assert register in email.body
    assert "Spring iQI Sprint" in email.body and meeting.when in email.body
    for step in sprint.steps:
        assert f"{step.title}. {step.text}" in " ".join(email.body.split())
    [(html, _)] = email.alternatives
    assert register in html
    waiting.refresh_from_db()
    assert waiting.told_at is not None
    # Someone who gave only a phone number stays on the list, for staff to phone.
    by_phone.refresh_from_db()
    assert by_phone.told_at is None
    other_event.refresh_from_db()
    assert other_event.told_at is None


@pytest.mark.parametrize(
    "fields",
    [
        {"public_registration": False},
        {"is_example": True},
        {"starts_at": timezone.now() - datetime.timedelta(days=1)},
    ],
    ids=["staff only", "example", "past"],
)
def test_a_date_people_cannot_register_for_tells_nobody(
    sprint, immediate_tasks, mailoutbox, django_capture_on_commit_callbacks, fields
):
    waiting = _request(sprint, email="siobhan@example.com")
    if "starts_at" in fields:
        fields["ends_at"] = fields["starts_at"] + datetime.timedelta(hours=2)

    with django_capture_on_commit_callbacks(execute=True):
        MeetingFactory(opportunity=sprint, kind=Meeting.Kind.EVENT,
                       **{"public_registration": True, **fields})

    assert mailoutbox == []
    waiting.refresh_from_db()
    assert waiting.told_at is None


def test_a_failed_email_leaves_them_waiting(
    sprint, immediate_tasks, settings, django_capture_on_commit_callbacks, closed_port,
    send_by_smtp,
):
    send_by_smtp(closed_port)
    waiting = _request(sprint, email="siobhan@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        _publish_date(sprint)

    waiting.refresh_from_db()
    assert waiting.told_at is None


def test_staff_record_that_they_phoned_someone(staff_client, sprint):
    by_phone = _request(sprint, full_name="Phone only", phone="07700 900982")
    url = reverse("admin:applications_nextdaterequest_change", args=[by_phone.pk])

    page = staff_client.get(url)
    assert page.status_code == 200
    assert "07700 900982" in page.content.decode()
    response = staff_client.post(url, {
        "full_name": "Phone only", "email": "", "phone": "07700 900982",
        "told_at_0": "10/03/2037", "told_at_1": "10:00",
    })

    assert response.status_code == 302, response.content.decode()[:3000]
    by_phone.refresh_from_db()
    assert by_phone.told_at is not None
