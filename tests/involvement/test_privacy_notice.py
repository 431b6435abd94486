"""The privacy notice: versioned, written by staff in the admin, fixed once published, and
recorded with every expression of interest and event registration.

Every test database holds version "2026-11", published on 1 November 2026 by involvement's
migrations, as every real database does.

Over 600 lines: one feature, from the public page through the admin's drafts and publishing
to what each form records, as the house style keeps one file per feature.
"""

import datetime
import uuid

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.forms import CHECK_ANSWERS
from applications.models import ExpressionOfInterest
from involvement.models import PrivacyNotice, PublishedNoticeError
from opportunities.models import Meeting, Opportunity
from tests.factories import (
    ExpressionOfInterestFactory,
    MeetingFactory,
    OpportunityFactory,
    PrivacyNoticeFactory,
)
from tests.public_forms import answer_questions, interest_answers, send_data, send_interest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_the_published_notice():
    """These tests work the versions from one published notice, as a new trust's database
    starts. Migration 0004's draft (checked in test_privacy_notice_draft.py) is set aside."""
    PrivacyNotice.objects.filter(version="2026-12", published_at__isnull=True).delete()

PRIVACY = reverse("privacy")
CHANGELIST = reverse("admin:involvement_privacynotice_changelist")


def version_url(version):
    return reverse("privacy_version", args=[version])


def change_url(notice):
    return reverse("admin:involvement_privacynotice_change", args=[notice.pk])


def publish_url(notice):
    return reverse("admin:involvement_privacynotice_publish", args=[notice.pk])


def new_version_url(notice):
    return reverse("admin:involvement_privacynotice_new_version", args=[notice.pk])


def preview_url(notice):
    return reverse("admin:involvement_privacynotice_preview", args=[notice.pk])


def first_notice():
    return PrivacyNotice.objects.get(version="2026-11")


def publish(notice, *, at):
    """Publish `notice` as if on the day `at` (publish() uses the clock)."""
    notice.publish(by=None)
    PrivacyNotice.objects.filter(pk=notice.pk).update(published_at=at)
    notice.refresh_from_db()
    return notice


def a_day_ago():
    return timezone.now() - datetime.timedelta(days=1)


@pytest.fixture
def staff_user(staff_client, django_user_model):
    return django_user_model.objects.get(username="staff")


@pytest.fixture
def make_staff(client, django_user_model):
    def make(group):
        user = django_user_model.objects.create_user(
            group.lower().replace(" ", "-"), "person@example.nhs.uk", is_staff=True
        )
        user.groups.add(Group.objects.get(name=group))
        client.force_login(user)
        return user

    return make


# The public page -----------------------------------------------------------------------------


def test_the_page_shows_the_current_version_its_lawful_basis_and_its_text(client, settings):
    settings.TRUST_INVOLVEMENT_EMAIL = "someone.else@example.nhs.uk"

    response = client.get(PRIVACY)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Privacy notice</h1>" in html
    assert "Version 2026-11, published 1 November 2026" in html
    assert "<h2>Our lawful basis</h2>" in html
    assert "UK GDPR Article 6(1)(e)" in html
    assert "<h2>Who we are</h2>" in html
    assert "<h2>Your rights</h2>" in html
    # The address in the text is the one it was published with, as a link.
    assert '<a href="mailto:imperial.involvement@nhs.net">' in html
    assert 'class="nhsuk-breadcrumb"' in html
    # Nothing earlier to list yet, and no banner.
    assert "Earlier versions" not in html
    assert "This is an earlier version" not in html


def test_the_retention_periods_are_stated_from_the_settings(client, settings):
    settings.RETENTION_ENDED_MONTHS = 18
    settings.RETENTION_LAY_PARTNER_YEARS = 3

    html = client.get(PRIVACY).content.decode()

    assert "<h2>How long we keep your information</h2>" in html
    assert "we delete your details 18 months after that" in html
    assert "we keep your details for 3 years after you leave" in html
    assert "12 months" not in html
    assert "6 years" not in html


def test_a_period_of_one_is_said_in_the_singular(client, settings):
    settings.RETENTION_ENDED_MONTHS = 1
    settings.RETENTION_LAY_PARTNER_YEARS = 1

    html = client.get(PRIVACY).content.decode()

    assert "1 month after that" in html
    assert "1 year after you leave" in html


def test_a_newly_published_version_becomes_the_page_and_lists_the_earlier_one(client):
    new = publish(
        PrivacyNoticeFactory(
            version="2026-11-b",
            body="## Who we are\n\nWe now also run the young people's forum.",
            summary_of_changes="We added the young people's forum.",
        ),
        at=timezone.make_aware(datetime.datetime(2026, 11, 20, 9, 0)),
    )
    assert PrivacyNotice.objects.current() == new

    html = client.get(PRIVACY).content.decode()

    assert "Version 2026-11-b, published 20 November 2026" in html
    assert "young people&#x27;s forum." in html
    assert "What has changed in this version" in html
    assert "We added the young people&#x27;s forum." in html
    assert "<h2>Earlier versions</h2>" in html
    assert (
        f'<a href="{version_url("2026-11")}">Version 2026-11</a>, published 1 November 2026, '
        "replaced 20 November 2026"
    ) in html


def test_an_earlier_version_stays_readable_with_a_banner_pointing_to_the_current_one(client):
    publish(
        PrivacyNoticeFactory(version="2026-11-b"),
        at=timezone.make_aware(datetime.datetime(2026, 11, 20, 9, 0)),
    )

    response = client.get(version_url("2026-11"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "This is an earlier version of our privacy notice" in html
    assert "It was replaced on 20 November 2026." in html
    assert f'href="{PRIVACY}">Read the current version of the privacy notice</a>' in html
    assert "Version 2026-11, published 1 November 2026" in html
    assert "UK GDPR Article 6(1)(e)" in html
    assert "<title>Privacy notice, version 2026-11 –" in html
    # Its breadcrumb leads back to the current notice.
    assert 'class="nhsuk-breadcrumb__link" href="/privacy/">Privacy notice</a>' in html


def test_an_earlier_version_states_the_retention_periods_it_was_published_with(
    client, settings
):
    settings.RETENTION_ENDED_MONTHS = 24
    publish(PrivacyNoticeFactory(version="2027-01"), at=a_day_ago())

    earlier = client.get(version_url("2026-11")).content.decode()
    current = client.get(PRIVACY).content.decode()

    assert "we delete your details 12 months after that" in earlier
    assert "we delete your details 24 months after that" in current


def test_the_current_versions_own_address_leads_to_the_privacy_page(client):
    response = client.get(version_url("2026-11"))

    assert response.status_code == 302
    assert response["Location"] == PRIVACY


def test_drafts_are_not_found_by_the_public_nor_by_staff_outside_the_admin(
    client, staff_client
):
    PrivacyNoticeFactory(version="2027-02", body="A secret draft sentence.")

    assert client.get(version_url("2027-02")).status_code == 404
    assert staff_client.get(version_url("2027-02")).status_code == 404
    assert "A secret draft sentence." not in client.get(PRIVACY).content.decode()
    assert client.get(version_url("no-such-version")).status_code == 404


def test_a_version_published_for_a_time_still_to_come_is_not_current_yet(
    client, staff_client
):
    PrivacyNoticeFactory(
        version="2027-03", published=True,
        published_at=timezone.now() + datetime.timedelta(days=1),
    )

    assert PrivacyNotice.objects.current_version() == "2026-11"
    assert "Version 2026-11" in client.get(PRIVACY).content.decode()
    assert client.get(version_url("2027-03")).status_code == 404
    assert "Published, in force from" in staff_client.get(CHANGELIST).content.decode()


def test_html_written_by_staff_is_shown_as_text_on_the_page(client):
    publish(
        PrivacyNoticeFactory(
            version="2027-01",
            lawful_basis="<b>Public task</b>",
            body='## <script>alert("x")</script>\n\n<img src=x onerror=alert(1)>',
            summary_of_changes="<i>New</i>",
        ),
        at=a_day_ago(),
    )

    html = client.get(PRIVACY).content.decode()

    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b>Public task</b>" not in html
    assert "<i>New</i>" not in html
    assert "<h2>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</h2>" in html
    assert "&lt;b&gt;Public task&lt;/b&gt;" in html


@pytest.mark.parametrize("earlier_versions", [0, 12])
def test_query_count_of_the_privacy_page(client, django_assert_max_num_queries, earlier_versions):
    start = timezone.now() - datetime.timedelta(days=earlier_versions + 1)
    for number in range(earlier_versions):
        publish(
            PrivacyNoticeFactory(version=f"2027-{number + 1:02d}"),
            at=start + datetime.timedelta(days=number),
        )

    with django_assert_max_num_queries(2):  # the current notice, then the earlier ones
        response = client.get(PRIVACY)

    assert response.status_code == 200
    assert response.content.decode().count("replaced ") == earlier_versions


def test_query_count_of_an_earlier_version(client, django_assert_max_num_queries):
    publish(PrivacyNoticeFactory(version="2027-01"), at=a_day_ago())

    with django_assert_max_num_queries(2):  # the version, then when it was replaced
        response = client.get(version_url("2026-11"))

    assert response.status_code == 200


# What people agree to ------------------------------------------------------------------------


def test_new_expressions_record_the_newly_published_version_and_old_ones_keep_theirs(
    client, staff_client
):
    opportunity = OpportunityFactory(slug="patient-flow")
    send_interest(client, opportunity, interest_answers(email="before@example.com"))
    draft = PrivacyNoticeFactory(version="2027-01")

    staff_client.post(publish_url(draft))
    send_interest(client, opportunity, interest_answers(email="after@example.com"))

    before = ExpressionOfInterest.objects.get(email="before@example.com")
    after = ExpressionOfInterest.objects.get(email="after@example.com")
    assert before.privacy_notice_version == "2026-11"
    assert after.privacy_notice_version == "2027-01"


def test_an_event_registration_records_the_current_version(client):
    event = MeetingFactory(
        opportunity=OpportunityFactory(kind=Opportunity.Kind.EVENT),
        kind=Meeting.Kind.EVENT, public_registration=True, capacity=30,
    )
    publish(PrivacyNoticeFactory(version="2027-01"), at=a_day_ago())

    client.post(
        reverse("applications:register_for_event", args=[event.pk]),
        {
            "full_name": "Amara Okafor", "email": "amara@example.com", "phone": "",
            "age_band": "25_64", "privacy_consent": "on", "submission_key": str(uuid.uuid4()),
        },
    )

    assert ExpressionOfInterest.objects.get().privacy_notice_version == "2027-01"


def test_the_form_looks_up_the_notice_once_when_sent_and_never_to_show_itself(client):
    opportunity = OpportunityFactory(slug="patient-flow")
    data = interest_answers(email="siobhan@example.com")
    answer_questions(client, opportunity, data)
    check_answers = reverse("applications:interest_step", args=[opportunity.slug, CHECK_ANSWERS])

    with CaptureQueriesContext(connection) as shown:
        page = client.get(check_answers)
    with CaptureQueriesContext(connection) as sent:
        client.post(check_answers, send_data(page, data))
    html = page.content.decode()

    def notice_queries(queries):
        return [q for q in queries.captured_queries if "involvement_privacynotice" in q["sql"]]

    assert notice_queries(shown) == []
    assert len(notice_queries(sent)) == 1
    # The consent box's link goes to the current notice.
    assert f'<a href="{PRIVACY}">Read the privacy notice</a>' in html


# The admin: published versions are fixed ------------------------------------------------------


def test_a_published_version_is_shown_read_only_with_a_way_to_start_a_new_one(staff_client):
    html = staff_client.get(change_url(first_notice())).content.decode()

    assert "Published: this is the privacy notice on the website now" in html
    assert "Start a new version from this one" in html
    assert 'name="body"' not in html
    assert 'name="_save"' not in html
    assert "cannot be changed or deleted" in html


def test_posting_to_a_published_versions_change_page_changes_nothing(staff_client):
    notice = first_notice()

    response = staff_client.post(
        change_url(notice),
        {"version": "2026-11", "lawful_basis": "Changed.", "body": "Changed.",
         "summary_of_changes": "", "_save": "Save"},
    )

    assert response.status_code == 403
    notice.refresh_from_db()
    assert notice.lawful_basis.startswith("We use your information")
    assert notice.body.startswith("## Who we are")


def test_a_published_version_cannot_be_deleted_in_the_admin(staff_client):
    notice = first_notice()
    delete_url = reverse("admin:involvement_privacynotice_delete", args=[notice.pk])

    assert staff_client.get(delete_url).status_code == 403
    assert staff_client.post(delete_url, {"post": "yes"}).status_code == 403
    # Nor with the changelist's "delete selected", which is not offered here.
    staff_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [notice.pk], "post": "yes"}
    )
    assert PrivacyNotice.objects.filter(pk=notice.pk).exists()
    assert "delete_selected" not in staff_client.get(CHANGELIST).content.decode()


def test_the_model_refuses_to_change_or_delete_a_published_version():
    notice = first_notice()
    stale = PrivacyNotice.objects.get(pk=notice.pk)
    stale.body = "Changed behind the admin's back."

    with pytest.raises(PublishedNoticeError):
        stale.save()
    with pytest.raises(PublishedNoticeError):
        notice.delete()
    assert first_notice().body.startswith("## Who we are")


def test_a_draft_read_before_it_was_published_cannot_be_saved_over_it():
    draft = PrivacyNoticeFactory(version="2027-01")
    PrivacyNotice.objects.get(pk=draft.pk).publish(by=None)
    draft.body = "Edited in another tab."

    with pytest.raises(PublishedNoticeError):
        draft.save()


def test_the_database_refuses_a_published_version_without_a_lawful_basis():
    draft = PrivacyNoticeFactory(version="2027-01", lawful_basis="")

    with pytest.raises(IntegrityError):
        PrivacyNotice.objects.filter(pk=draft.pk).update(
            published_at=timezone.now(), retention_ended_months=12, retention_lay_partner_years=6
        )


# The admin: new versions, previews and publishing -----------------------------------------------


def test_start_a_new_version_copies_a_published_one_into_a_draft(
    staff_client, staff_user, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda: datetime.date(2026, 11, 27))
    notice = first_notice()

    response = staff_client.post(new_version_url(notice))

    draft = PrivacyNotice.objects.exclude(pk=notice.pk).get()
    assert response.status_code == 302
    assert response["Location"] == change_url(draft)
    assert draft.published_at is None
    assert draft.lawful_basis == notice.lawful_basis
    assert draft.body == notice.body
    assert draft.summary_of_changes == ""
    assert draft.created_by == staff_user
    # This month's name is taken by the version it was copied from.
    assert draft.version == "2026-11-2"
    assert LogEntry.objects.get(object_id=str(draft.pk)).is_addition()
    # The copy is a draft staff can change: its page has the form.
    assert 'name="body"' in staff_client.get(change_url(draft)).content.decode()


def test_starting_a_new_version_needs_a_post(staff_client):
    response = staff_client.get(new_version_url(first_notice()))

    assert response.status_code == 405
    assert PrivacyNotice.objects.count() == 1


def test_the_changelist_action_starts_a_new_version_from_the_one_selected(staff_client):
    notice = first_notice()

    response = staff_client.post(
        CHANGELIST, {"action": "start_new_version", "_selected_action": [notice.pk]}
    )

    draft = PrivacyNotice.objects.exclude(pk=notice.pk).get()
    assert response["Location"] == change_url(draft)
    assert draft.body == notice.body


def test_a_new_versions_name_is_this_month_or_the_next_free_one(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda: datetime.date(2027, 3, 15))

    assert PrivacyNotice.objects.unused_version() == "2027-03"
    PrivacyNoticeFactory(version="2027-03")
    assert PrivacyNotice.objects.unused_version() == "2027-03-2"
    PrivacyNoticeFactory(version="2027-03-2")
    assert PrivacyNotice.objects.unused_version() == "2027-03-3"


def test_staff_can_add_a_draft_suggested_a_free_version_name(
    staff_client, staff_user, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda: datetime.date(2027, 3, 15))
    add_url = reverse("admin:involvement_privacynotice_add")

    assert 'value="2027-03"' in staff_client.get(add_url).content.decode()
    staff_client.post(
        add_url,
        {"version": "2027-03", "summary_of_changes": "", "lawful_basis": "Public task.",
         "body": "## Who we are\n\nThe trust.", "_save": "Save"},
    )

    draft = PrivacyNotice.objects.get(version="2027-03")
    assert draft.published_at is None
    assert draft.created_by == staff_user


def test_a_version_name_must_be_short_letters_numbers_and_hyphens(staff_client):
    html = staff_client.post(
        reverse("admin:involvement_privacynotice_add"),
        {"version": "March 2027!", "summary_of_changes": "", "lawful_basis": "Public task.",
         "body": "Text.", "_save": "Save"},
    ).content.decode()

    assert "Use only letters, numbers and hyphens, for example 2027-03." in html
    assert PrivacyNotice.objects.count() == 1


def test_a_draft_can_be_changed_and_previewed_by_staff(staff_client):
    draft = PrivacyNoticeFactory(version="2027-01")

    response = staff_client.post(
        change_url(draft),
        {
            "version": "2027-01",
            "summary_of_changes": "Clearer rights.",
            "lawful_basis": "Public task.",
            "body": "## Your rights\n\nAsk us at dpo@example.nhs.uk.",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.body.startswith("## Your rights")

    preview = staff_client.get(preview_url(draft)).content.decode()

    assert "Draft preview" in preview
    assert "Version 2027-01, not published yet" in preview
    assert '<a href="mailto:dpo@example.nhs.uk">' in preview
    assert "Clearer rights." in preview
    assert "How long we keep your information" in preview
    assert f'<a href="{change_url(draft)}">Go back to version 2027-01 in the admin</a>' in preview


def test_the_preview_is_for_staff_only(client):
    draft = PrivacyNoticeFactory(version="2027-01")

    response = client.get(preview_url(draft))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_publishing_asks_first_then_publishes(staff_client, staff_user, settings):
    settings.RETENTION_ENDED_MONTHS = 9
    draft = PrivacyNoticeFactory(version="2027-01", summary_of_changes="Clearer rights.")

    confirm = staff_client.get(publish_url(draft))

    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Publish version 2027-01?" in html
    assert "version 2026-11 becomes an earlier version" in html
    assert "Yes, publish version 2027-01" in html
    draft.refresh_from_db()
    assert draft.published_at is None

    response = staff_client.post(publish_url(draft), follow=True)

    draft.refresh_from_db()
    assert draft.published_at is not None
    assert draft.published_by == staff_user
    assert (draft.retention_ended_months, draft.retention_lay_partner_years) == (9, 6)
    assert PrivacyNotice.objects.current() == draft
    assert "Version 2027-01 is published" in response.content.decode()
    assert LogEntry.objects.get(object_id=str(draft.pk)).change_message == "Published."


def test_only_one_version_is_current_after_publishing(staff_client):
    first, second = PrivacyNoticeFactory(), PrivacyNoticeFactory()

    staff_client.post(publish_url(first))
    staff_client.post(publish_url(second))

    html = staff_client.get(CHANGELIST).content.decode()
    assert html.count("Current: on the website now") == 1
    assert PrivacyNotice.objects.current() == PrivacyNotice.objects.get(pk=second.pk)
    assert html.count("Earlier version") == 2


def test_a_draft_without_a_lawful_basis_cannot_be_published(staff_client):
    draft = PrivacyNoticeFactory(version="2027-01", lawful_basis="  ")

    confirm = staff_client.get(publish_url(draft)).content.decode()
    staff_client.post(publish_url(draft))

    assert "Enter the lawful basis." in confirm
    assert "Yes, publish" not in confirm
    draft.refresh_from_db()
    assert draft.published_at is None
    assert PrivacyNotice.objects.current_version() == "2026-11"


def test_the_publish_action_takes_one_draft_to_its_confirmation(staff_client):
    draft = PrivacyNoticeFactory(version="2027-01")

    response = staff_client.post(
        CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]}
    )
    refused = staff_client.post(
        CHANGELIST, {"action": "publish", "_selected_action": [first_notice().pk]}, follow=True
    )

    assert response.status_code == 302
    assert response["Location"] == publish_url(draft)
    draft.refresh_from_db()
    assert draft.published_at is None
    assert "Choose one draft to publish." in refused.content.decode()


def test_publishing_an_already_published_version_does_nothing(staff_client):
    notice = first_notice()

    response = staff_client.post(publish_url(notice))

    assert response["Location"] == change_url(notice)
    notice.refresh_from_db()
    assert notice.published_at == datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)


def test_the_changelist_shows_each_versions_state(staff_client, django_assert_max_num_queries):
    PrivacyNoticeFactory(version="2027-02")
    for number in range(10):
        publish(PrivacyNoticeFactory(), at=a_day_ago() + datetime.timedelta(minutes=number))

    with django_assert_max_num_queries(8):
        html = staff_client.get(CHANGELIST).content.decode()

    assert "<td class=\"field-state\">Draft</td>" in html
    assert html.count("Current: on the website now") == 1
    assert html.count("Earlier version") == 10


# Who may do what ---------------------------------------------------------------------------


def test_the_involvement_team_can_write_and_publish_a_new_version(client, make_staff):
    make_staff("Involvement team")

    client.post(new_version_url(first_notice()))
    draft = PrivacyNotice.objects.get(published_at__isnull=True)
    client.post(
        change_url(draft),
        {"version": "2027-01", "summary_of_changes": "", "lawful_basis": "Public task.",
         "body": "Who we are.", "_save": "Save"},
    )
    client.post(publish_url(draft))

    assert PrivacyNotice.objects.current_version() == "2027-01"
    # They may not delete even a draft.
    another = PrivacyNoticeFactory()
    delete_url = reverse("admin:involvement_privacynotice_delete", args=[another.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403


def test_programme_leads_can_read_every_version_but_change_none(client, make_staff):
    make_staff("Programme lead")
    draft = PrivacyNoticeFactory(version="2027-01")

    assert client.get(CHANGELIST).status_code == 200
    html = client.get(change_url(draft)).content.decode()
    assert 'name="body"' not in html
    assert "Publish…" not in html
    assert client.get(preview_url(draft)).status_code == 200
    changed = {"version": "2027-01", "lawful_basis": "Changed.", "body": "Changed."}
    assert client.post(change_url(draft), changed).status_code == 403
    assert client.post(publish_url(draft)).status_code == 403
    assert client.post(new_version_url(first_notice())).status_code == 403
    draft.refresh_from_db()
    assert draft.published_at is None
    assert draft.body != "Changed."
    assert PrivacyNotice.objects.count() == 2


# The expression of interest's admin page ------------------------------------------------------


def test_an_expression_links_to_the_version_its_person_agreed_to(staff_client):
    expression = ExpressionOfInterestFactory(privacy_notice_version="2026-11")

    html = staff_client.get(
        reverse("admin:applications_expressionofinterest_change", args=[expression.pk])
    ).content.decode()

    assert f'<a href="{version_url("2026-11")}">2026-11</a>' in html
