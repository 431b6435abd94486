"""When an opportunity opened (Opportunity.opened_at): set when its status becomes "open" from
anything else, by a save or by the admin's "open" action, for the alerts about new ones."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from opportunities.models import Opportunity
from tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db

Status = Opportunity.Status


def test_an_opportunity_created_open_has_opened_and_a_draft_has_not():
    before = timezone.now()

    assert OpportunityFactory(status=Status.OPEN).opened_at >= before
    assert OpportunityFactory(status=Status.DRAFT).opened_at is None


def test_opening_a_draft_records_when_and_saving_it_again_does_not_move_it():
    opportunity = OpportunityFactory(status=Status.DRAFT)

    opportunity = Opportunity.objects.get(pk=opportunity.pk)
    opportunity.status = Status.OPEN
    opportunity.save()
    opened = Opportunity.objects.get(pk=opportunity.pk).opened_at
    assert opened is not None

    again = Opportunity.objects.get(pk=opportunity.pk)
    again.title = "A new title"
    again.save()
    assert Opportunity.objects.get(pk=opportunity.pk).opened_at == opened


def test_reopening_a_closed_opportunity_is_a_new_opening():
    long_ago = timezone.now() - datetime.timedelta(days=30)
    opportunity = OpportunityFactory(status=Status.CLOSED)
    Opportunity.objects.filter(pk=opportunity.pk).update(opened_at=long_ago)

    opportunity = Opportunity.objects.get(pk=opportunity.pk)
    opportunity.status = Status.OPEN
    opportunity.save(update_fields=["status"])

    assert Opportunity.objects.get(pk=opportunity.pk).opened_at > long_ago


def test_a_save_of_an_opportunity_read_without_its_status_still_tells():
    opportunity = OpportunityFactory(status=Status.OPEN)
    opened = opportunity.opened_at

    deferred = Opportunity.objects.only("pk", "title").get(pk=opportunity.pk)
    deferred.title = "Renamed"
    deferred.save(update_fields=["title"])

    assert Opportunity.objects.get(pk=opportunity.pk).opened_at == opened


def test_staff_opening_it_in_the_admin_records_when(staff_client):
    opportunity = OpportunityFactory(status=Status.DRAFT)
    url = reverse("admin:opportunities_opportunity_change", args=[opportunity.pk])
    assert "Opened to the public" in staff_client.get(url).content.decode()

    form = staff_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({
        "status": "open", "programme": opportunity.programme_id, "on_site": "on",
        "meetings-TOTAL_FORMS": 0, "meetings-INITIAL_FORMS": 0,
    })
    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Opportunity.objects.get(pk=opportunity.pk).opened_at is not None


def test_the_open_action_records_only_those_not_open_already(staff_client):
    long_ago = timezone.now() - datetime.timedelta(days=30)
    already = OpportunityFactory(status=Status.OPEN)
    Opportunity.objects.filter(pk=already.pk).update(opened_at=long_ago)
    draft = OpportunityFactory(status=Status.DRAFT)

    response = staff_client.post(
        reverse("admin:opportunities_opportunity_changelist"),
        {"action": "open_selected", "_selected_action": [already.pk, draft.pk]}, follow=True,
    )

    assert "2 opportunities are now open." in response.content.decode()
    assert Opportunity.objects.get(pk=already.pk).opened_at == long_ago
    assert Opportunity.objects.get(pk=draft.pk).opened_at is not None
    assert Opportunity.objects.get(pk=draft.pk).status == Status.OPEN
