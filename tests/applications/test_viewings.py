"""Who viewed an expression of interest: one record per member of staff per expression per hour,
however often they reload it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import ExpressionViewing
from tests.factories import ExpressionOfInterestFactory

pytestmark = pytest.mark.django_db


def change_url(expression):
    return reverse("admin:applications_expressionofinterest_change", args=[expression.pk])


def test_reloads_within_the_hour_make_one_record(staff_client):
    expression = ExpressionOfInterestFactory()

    for _ in range(8):
        assert staff_client.get(change_url(expression)).status_code == 200

    assert ExpressionViewing.objects.filter(expression=expression).count() == 1


def test_a_viewing_after_the_hour_is_recorded_again(staff_client):
    expression = ExpressionOfInterestFactory()
    staff_client.get(change_url(expression))
    ExpressionViewing.objects.update(viewed_at=timezone.now() - datetime.timedelta(minutes=61))

    staff_client.get(change_url(expression))

    assert ExpressionViewing.objects.filter(expression=expression).count() == 2


def test_each_person_and_each_expression_has_its_own_record(
    staff_client, client, django_user_model
):
    first, second = ExpressionOfInterestFactory(), ExpressionOfInterestFactory()
    staff_client.get(change_url(first))
    staff_client.get(change_url(second))
    colleague = django_user_model.objects.create_superuser("colleague", "c@example.nhs.uk")
    client.force_login(colleague)
    client.get(change_url(first))

    assert sorted(
        ExpressionViewing.objects.values_list("viewed_by_username", "expression_id")
    ) == sorted([("staff", first.pk), ("staff", second.pk), ("colleague", first.pk)])
