""""You said, we did": staff keep records in the admin; the public find them on /impact/, each
record's page, the home page, opportunity pages, a yearly page and an Atom feed."""

import datetime
import importlib
import re

import feedparser
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from opportunities.impact import ImpactRecord, ImpactUpdate, NamedLayPartner
from tests.factories import ImpactRecordFactory, OpportunityFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


def published(**kwargs):
    record = ImpactRecordFactory(**kwargs)
    record.publish()
    return record


def member_of(django_user_model, username, group_name):
    user = django_user_model.objects.create_user(
        username, f"{username}@example.nhs.uk", "a-long-test-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group_name))
    return user


# The admin --------------------------------------------------------------------------------


def admin_form(record=None, **changes):
    """The change form's POST data, with the inlines' management forms."""
    data = {
        "title": "Clearer appointment letters",
        "slug": "clearer-appointment-letters",
        "programme": "",
        "status": "planned",
        "you_said": "The letters were hard to understand.",
        "we_did": "",
        "not_possible_reason": "",
        "who_was_involved": "the patient communications reference group",
        "started_on": "",
        "finished_on": "",
        "updates-TOTAL_FORMS": "0", "updates-INITIAL_FORMS": "0",
        "lay_partners-TOTAL_FORMS": "0", "lay_partners-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_the_team_writes_a_draft_publishes_it_and_adds_an_update(
    client, django_user_model, django_capture_on_commit_callbacks
):
    team = member_of(django_user_model, "sam", "Involvement team")
    client.force_login(team)
    programme = ProgrammeFactory(name="Patient communications")

    response = client.post(
        reverse("admin:opportunities_impactrecord_add"), admin_form(programme=programme.pk)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    record = ImpactRecord.objects.get()
    assert not record.is_published
    # A draft shows nowhere.
    assert client.get(record.get_absolute_url()).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:opportunities_impactrecord_changelist"),
            {"action": "publish_selected", "_selected_action": [record.pk]},
        )
    record.refresh_from_db()
    assert record.is_published

    # An update, moving it to "in progress", joins the timeline when saved.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:opportunities_impactrecord_change", args=[record.pk]),
            admin_form(
                programme=programme.pk,
                **{
                    "updates-TOTAL_FORMS": "1",
                    "updates-0-on": "2026-11-20",
                    "updates-0-text": "We rewrote the first three letters with patients.",
                    "updates-0-status": "in_progress",
                },
            ),
        )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == ImpactRecord.Status.IN_PROGRESS
    update = record.updates.get()
    assert update.published_at is not None
    client.logout()
    page = client.get(record.get_absolute_url()).content.decode()
    assert "We rewrote the first three letters with patients." in page
    assert "20 November 2026" in page


def test_not_possible_needs_a_reason_and_done_needs_what_was_done(client, django_user_model):
    client.force_login(member_of(django_user_model, "sam", "Involvement team"))
    programme = ProgrammeFactory()
    url = reverse("admin:opportunities_impactrecord_add")

    response = client.post(url, admin_form(programme=programme.pk, status="not_possible"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["not_possible_reason"] == [
        "Say why it was not possible: people who raised it deserve the reason."
    ]
    response = client.post(url, admin_form(programme=programme.pk, status="done"))
    assert response.context["adminform"].form.errors["we_did"] == [
        "Say what the trust did, since it is done."
    ]
    assert not ImpactRecord.objects.exists()

    response = client.post(url, admin_form(
        programme=programme.pk, status="not_possible",
        not_possible_reason="The letters come from a national system we cannot change.",
    ))
    assert response.status_code == 302
    record = ImpactRecord.objects.get()
    record.publish()
    page = client.get(record.get_absolute_url()).content.decode()
    assert "Why we could not do it" in page
    assert "national system we cannot change" in page


def test_a_programme_lead_edits_only_their_own_programmes_records(client, django_user_model):
    lead = member_of(django_user_model, "priya", "Programme lead")
    theirs, other = ProgrammeFactory(), ProgrammeFactory()
    theirs.leads.add(lead)
    mine = ImpactRecordFactory(programme=theirs)
    not_mine = ImpactRecordFactory(programme=other)
    client.force_login(lead)

    listed = client.get(reverse("admin:opportunities_impactrecord_changelist"))
    assert list(listed.context["cl"].result_list) == [mine]
    assert client.get(
        reverse("admin:opportunities_impactrecord_change", args=[not_mine.pk])
    ).status_code == 302  # Django's "doesn't exist" redirect to the index: not theirs to see
    add = client.get(reverse("admin:opportunities_impactrecord_add"))
    assert [choice for choice, _ in add.context["adminform"].form.fields["programme"].choices
            if choice] == [theirs.pk]
    response = client.post(
        reverse("admin:opportunities_impactrecord_add"), admin_form(programme=other.pk)
    )
    assert response.status_code == 200  # not a choice they have
    assert ImpactRecord.objects.count() == 2


def test_a_lay_partner_is_named_only_with_their_agreement_and_how_it_was_given(
    client, django_user_model
):
    client.force_login(member_of(django_user_model, "sam", "Involvement team"))
    record = published()
    url = reverse("admin:opportunities_impactrecord_change", args=[record.pk])
    partner = {
        "lay_partners-TOTAL_FORMS": "2",
        "lay_partners-0-name": "Grace Hopper", "lay_partners-0-agreed": "on",
        "lay_partners-0-how_they_agreed": "",
        "lay_partners-1-name": "Ada Lovelace",
    }
    response = client.post(url, admin_form(
        programme=record.programme_id, title=record.title, slug=record.slug, **partner
    ))
    assert response.status_code == 200
    assert not NamedLayPartner.objects.exists()

    partner["lay_partners-0-how_they_agreed"] = "By email on 3 November"
    response = client.post(url, admin_form(
        programme=record.programme_id, title=record.title, slug=record.slug, **partner
    ))
    assert response.status_code == 302
    assert NamedLayPartner.objects.count() == 2
    page = client.get(record.get_absolute_url()).content.decode()
    assert "Grace Hopper" in page
    assert "Ada Lovelace" not in page  # never agreed


# The public pages ---------------------------------------------------------------------------


def test_the_list_shows_published_records_newest_first_with_filters_and_search(client):
    letters = ProgrammeFactory(name="Patient communications", slug="communications")
    food = ProgrammeFactory(name="Hospital food", slug="food")
    older = published(title="Clearer letters", programme=letters, status="done",
                      we_did="We rewrote them.")
    newer = published(title="Hot meals at night", programme=food, status="in_progress",
                      you_said="There was nothing hot to eat after 8pm.")
    ImpactRecord.objects.filter(pk=older.pk).update(
        published_at=timezone.now() - datetime.timedelta(days=400)
    )
    ImpactRecordFactory(title="A draft nobody sees", programme=food)
    url = reverse("opportunities:impact_list")

    def titles(query=""):
        # From the page itself: a page kept in the cache has no template context.
        html = client.get(url + query).content.decode()
        return re.findall(r'class="nhsuk-card__link" href="[^"]+">([^<]+)</a>', html)

    assert titles() == ["Hot meals at night", "Clearer letters"]
    assert titles("?programme=communications") == ["Clearer letters"]
    assert titles("?status=in_progress") == ["Hot meals at night"]
    assert titles(f"?year={older.published_at.year - 1}") == ["Clearer letters"]
    assert titles("?q=eat+8pm") == ["Hot meals at night"]
    assert titles("?programme=no-such-programme") == ["Hot meals at night", "Clearer letters"]
    # A search too long to run says so, and is not silently dropped.
    response = client.get(url + "?q=" + "x" * 201)
    assert response.context["form"].errors["q"] == ["Search must be 200 characters or fewer"]
    assert "Error: " in response.content.decode().split("</title>")[0]
    assert newer.get_absolute_url() in client.get(url).content.decode()


def test_an_update_makes_a_record_the_newest(client):
    first = published(title="First")
    second = published(title="Second")
    ImpactRecord.objects.filter(pk=first.pk).update(
        published_at=timezone.now() - datetime.timedelta(days=2)
    )
    ImpactRecord.objects.filter(pk=second.pk).update(
        published_at=timezone.now() - datetime.timedelta(days=1)
    )
    ImpactUpdate.objects.create(record=first, text="News.").share()
    html = client.get(reverse("opportunities:impact_list")).content.decode()
    assert html.index(">First<") < html.index(">Second<")


def test_the_home_page_and_an_opportunitys_page_show_the_latest_changes(client):
    opportunity = OpportunityFactory(title="Patient communications reference group")
    about_it = published(title="Clearer letters")
    about_it.opportunities.add(opportunity)
    published(title="Hot meals at night")

    home = client.get(reverse("opportunities:home")).content.decode()
    assert "involvement has changed" in home
    assert "Clearer letters" in home and "Hot meals at night" in home

    page = client.get(opportunity.get_absolute_url()).content.decode()
    assert "involvement has changed here" in page
    assert "Clearer letters" in page
    assert "Hot meals at night" not in page


def test_the_pages_forget_what_they_kept_when_staff_change_a_record(client):
    record = published(title="Clearer letters")
    url = reverse("opportunities:impact_list")
    assert "Clearer letters" in client.get(url).content.decode()
    record.title = "Much clearer letters"
    record.save()
    assert "Much clearer letters" in client.get(url).content.decode()
    record.unpublish()
    assert "Much clearer letters" not in client.get(url).content.decode()
    assert client.get(record.get_absolute_url()).status_code == 404


def test_the_yearly_page_gathers_the_years_records_by_programme(client):
    letters = ProgrammeFactory(name="Patient communications", position=1)
    food = ProgrammeFactory(name="Hospital food", position=2)
    published(title="Clearer letters", programme=letters, status="done", we_did="Rewritten.")
    published(title="Hot meals", programme=food, status="not_possible",
              not_possible_reason="The kitchen closes at 8pm.")
    year = timezone.now().year
    response = client.get(reverse("opportunities:impact_year", args=[year]))
    html = response.content.decode()
    assert f"What changed in {year}" in html
    assert html.index("Patient communications") < html.index("Hospital food")
    assert "The kitchen closes at 8pm." in html
    assert dict(response.context["counts"]) == {
        "Planned": 0, "In progress": 0, "Done": 1, "Not possible": 1
    }
    empty = client.get(reverse("opportunities:impact_year", args=[year - 5]))
    assert f"We shared no changes in {year - 5}." in empty.content.decode()


def test_the_feed_has_each_record_and_update_newest_first(client):
    record = published(title="Clearer letters")
    update = ImpactUpdate.objects.create(record=record, text="The first letters are out.")
    update.share()
    ImpactRecordFactory(title="A draft")

    response = client.get(reverse("opportunities:impact_feed"))
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert [entry.title for entry in feed.entries] == [
        "Update: Clearer letters", "Clearer letters"
    ]
    assert feed.entries[0].link.endswith(f"{record.get_absolute_url()}#update-{update.pk}")
    assert "The first letters are out." in feed.entries[0].summary


@pytest.mark.parametrize("records", [1, 12])
def test_the_public_pages_query_counts_do_not_grow_with_records(
    client, django_assert_max_num_queries, records
):
    programme = ProgrammeFactory()
    opportunity = OpportunityFactory(programme=programme)
    for n in range(records):
        record = published(programme=programme, title=f"Change {n}", slug=f"change-{n}")
        record.opportunities.add(opportunity)
        ImpactUpdate.objects.create(record=record, text="News.").share()
    with django_assert_max_num_queries(8):
        client.get(reverse("opportunities:impact_list"))
    with django_assert_max_num_queries(9):
        client.get(record.get_absolute_url())
    with django_assert_max_num_queries(5):
        client.get(reverse("opportunities:impact_feed"))
    with django_assert_max_num_queries(6):
        client.get(reverse("opportunities:impact_year", args=[timezone.now().year]))


def test_the_groups_permissions_come_from_the_migration():
    groups = importlib.import_module(
        "opportunities.migrations.0006_impact_record_permissions"
    ).GROUPS
    team = set(Group.objects.get(name="Involvement team").permissions.values_list(
        "codename", flat=True
    ))
    assert {codename for _, codename in groups["Involvement team"]} <= team
    lead = set(Group.objects.get(name="Programme lead").permissions.values_list(
        "codename", flat=True
    ))
    assert "change_impactrecord" in lead and "change_all_impact_records" not in lead
