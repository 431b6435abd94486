import pytest
from django.core import signing
from django.urls import reverse

from applications.models import MANAGE_LINK_SALT, ExpressionOfInterest
from tests.factories import ExpressionOfInterestFactory

pytestmark = pytest.mark.django_db


def test_it_shows_the_status_in_plain_words(client):
    expression = ExpressionOfInterestFactory(opportunity__title="Digital reference group")

    response = client.get(expression.manage_path())

    assert response.status_code == 200
    html = response.content.decode()
    assert "Digital reference group" in html
    assert expression.reference in html
    assert "Someone from the team will contact you soon." in html
    assert "Withdraw my expression of interest" in html
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_person_can_withdraw_with_no_account(client):
    expression = ExpressionOfInterestFactory()

    response = client.post(expression.manage_path(), follow=True)

    expression.refresh_from_db()
    assert expression.status == ExpressionOfInterest.Status.WITHDRAWN
    change = expression.changes.get()
    assert change.by is None
    assert change.from_status == "new"
    html = response.content.decode()
    assert "You have withdrawn your expression of interest." in html
    assert "Withdraw my expression of interest" not in html


def test_withdrawing_twice_is_harmless(client):
    expression = ExpressionOfInterestFactory()
    client.post(expression.manage_path())

    response = client.post(expression.manage_path(), follow=True)

    assert "already ended" in response.content.decode()
    assert expression.changes.count() == 1


def test_a_tampered_link_is_refused(client):
    expression = ExpressionOfInterestFactory()
    token = expression.manage_token()
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = client.get(reverse("applications:manage", args=[tampered]))
    post = client.post(reverse("applications:manage", args=[tampered]))

    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    assert post.status_code == 404
    expression.refresh_from_db()
    assert expression.status == ExpressionOfInterest.Status.NEW


def test_a_link_for_another_purpose_is_refused(client):
    expression = ExpressionOfInterestFactory()
    token = signing.dumps(expression.reference, salt="something-else", compress=True)

    assert client.get(reverse("applications:manage", args=[token])).status_code == 404


def test_an_expired_link_is_refused(client, settings):
    expression = ExpressionOfInterestFactory()
    token = expression.manage_token()
    settings.MANAGE_LINK_MAX_AGE = -1

    response = client.get(reverse("applications:manage", args=[token]))

    assert response.status_code == 404
    assert "may have expired" in response.content.decode()


def test_the_token_holds_no_personal_data(client):
    expression = ExpressionOfInterestFactory(email="secret.person@example.com")

    token = expression.manage_token()

    assert "secret" not in token
    assert signing.loads(token, salt=MANAGE_LINK_SALT) == expression.reference
