"""Closing the loop: when a "you said, we did" record naming an opportunity is published or
updated, the people who joined that opportunity are told, once each, by email; never anyone
erased, without an email address, not joined, or who asked us to stop."""

import pytest
from django.core import mail
from django.urls import reverse

from applications.models import ExpressionOfInterest
from applications.personal_data import Person, erase
from opportunities.impact import ImpactUpdate, NamedLayPartner
from tests.factories import ExpressionOfInterestFactory, ImpactRecordFactory, OpportunityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

JOINED = ExpressionOfInterest.Status.JOINED


@pytest.fixture
def group():
    """A reference group with members in every situation that matters here."""
    opportunity = OpportunityFactory(title="Patient communications reference group")
    people = {
        "joined": ExpressionOfInterestFactory(
            opportunity=opportunity, full_name="Grace Hopper", email="grace@example.com",
            status=JOINED,
        ),
        "also_joined": ExpressionOfInterestFactory(
            opportunity=opportunity, full_name="Ada Lovelace", email="ada@example.com",
            status=JOINED,
        ),
        "still_new": ExpressionOfInterestFactory(opportunity=opportunity, email="new@example.com"),
        "phone_only": ExpressionOfInterestFactory(
            opportunity=opportunity, email="", phone="020 7946 0000",
            preferred_contact="phone", status=JOINED,
        ),
        "stopped": ExpressionOfInterestFactory(
            opportunity=opportunity, email="stopped@example.com", status=JOINED,
            hears_about_impact=False,
        ),
    }
    return opportunity, people


def record_about(opportunity, **kwargs):
    record = ImpactRecordFactory(title="Clearer letters", **kwargs)
    record.opportunities.add(opportunity)
    return record


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def test_publishing_tells_each_joined_member_once(group, django_capture_on_commit_callbacks):
    opportunity, people = group
    # Grace also joined a second group the record names: still one email.
    second = OpportunityFactory()
    ExpressionOfInterestFactory(
        opportunity=second, full_name="Grace Hopper", email="Grace@Example.com", status=JOINED
    )
    record = record_about(opportunity)
    record.opportunities.add(second)

    with django_capture_on_commit_callbacks(execute=True):
        assert record.publish() is True
    assert recipients() == ["ada@example.com", "grace@example.com"]
    message = mail.outbox[0]
    assert message.subject == "What your involvement changed: Clearer letters"
    assert "Patient communications reference group" in message.body
    assert "https://involve.example.nhs.uk" + record.get_absolute_url() in message.body
    stop_url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert stop_url.startswith("https://involve.example.nhs.uk/impact/emails/stop/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.alternatives[0][0]
    assert "Clearer letters" in html and stop_url in html

    # Publishing again tells nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        assert record.publish() is False
    assert len(mail.outbox) == 2


def test_an_update_tells_them_with_what_changed(group, django_capture_on_commit_callbacks):
    opportunity, _ = group
    record = record_about(opportunity)
    with django_capture_on_commit_callbacks(execute=True):
        record.publish()
    mail.outbox.clear()

    update = ImpactUpdate.objects.create(record=record, text="The first letters are out.")
    with django_capture_on_commit_callbacks(execute=True):
        update.share()
        update.share()  # a second save of the same update sends nothing more
    assert recipients() == ["ada@example.com", "grace@example.com"]
    assert mail.outbox[0].subject == (
        "An update on what your involvement changed: Clearer letters"
    )
    assert "The first letters are out." in mail.outbox[0].body


def test_a_draft_records_updates_tell_nobody(group, django_capture_on_commit_callbacks):
    opportunity, _ = group
    record = record_about(opportunity)
    update = ImpactUpdate.objects.create(record=record, text="Work started.")
    with django_capture_on_commit_callbacks(execute=True):
        update.share()
    assert mail.outbox == []


def test_nobody_erased_is_emailed(group, django_capture_on_commit_callbacks, django_user_model):
    opportunity, people = group
    staff = django_user_model.objects.create_user("sam", is_staff=True)
    erase(Person("grace@example.com"), by=staff, reason="Asked by phone")
    record = record_about(opportunity)
    with django_capture_on_commit_callbacks(execute=True):
        record.publish()
    assert recipients() == ["ada@example.com"]


def test_the_stop_link_asks_first_then_stops_every_email_to_that_address(
    client, group, django_capture_on_commit_callbacks
):
    opportunity, people = group
    record = record_about(opportunity)
    with django_capture_on_commit_callbacks(execute=True):
        record.publish()
    grace = next(m for m in mail.outbox if m.to == ["grace@example.com"])
    stop_path = grace.extra_headers["List-Unsubscribe"].strip("<>").removeprefix(
        "https://involve.example.nhs.uk"
    )

    page = client.get(stop_path)
    assert page.status_code == 200
    assert "Stop these emails" in page.content.decode()
    people["joined"].refresh_from_db()
    assert people["joined"].hears_about_impact is True  # following the link changed nothing

    # A mail program's one-click unsubscribe: a POST with no CSRF token.
    csrf_client = client_class_with_csrf_checks()
    done = csrf_client.post(stop_path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "We will not send you these emails" in done.content.decode()
    people["joined"].refresh_from_db()
    assert people["joined"].hears_about_impact is False

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ImpactUpdate.objects.create(record=record, text="More news.").share()
    assert recipients() == ["ada@example.com"]


def client_class_with_csrf_checks():
    from django.test import Client

    return Client(enforce_csrf_checks=True)


def test_a_tampered_stop_link_does_not_work(client):
    response = client.get(reverse("applications:impact_emails_stop", args=["not-a-token"]))
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()


def test_subject_access_and_erasure_cover_being_named_on_a_record(group, django_user_model):
    opportunity, people = group
    record = record_about(opportunity)
    NamedLayPartner.objects.create(
        record=record, name="Grace Hopper", agreed=True, how_they_agreed="By email"
    )
    NamedLayPartner.objects.create(
        record=record, name="Someone Else", agreed=True, how_they_agreed="By email"
    )
    person = Person("grace@example.com")
    data = person.collect()
    assert data["named_on_impact_records"] == [{
        "impact_record": "Clearer letters", "name_shown": "Grace Hopper",
        "agreed_to_be_named": "Yes", "how_agreed": "By email",
    }]
    assert data["expressions"][0]["emailed_about_what_involvement_changed"] == "Yes"

    staff = django_user_model.objects.create_user("sam", is_staff=True)
    erase(person, by=staff, reason="Asked in writing")
    assert list(NamedLayPartner.objects.values_list("name", flat=True)) == ["Someone Else"]
