"""The draft of the next privacy notice that migration 0004 leaves for the involvement team
and information governance to check and publish."""

import pytest
from django.test import Client
from django.urls import reverse

from involvement.models import PrivacyNotice

pytestmark = pytest.mark.django_db


def test_a_draft_mentioning_equality_monitoring_waits_to_be_published():
    draft = PrivacyNotice.objects.get(version="2026-12")
    current = PrivacyNotice.objects.current()

    assert draft.published_at is None
    assert current.version == "2026-11"
    assert "## Equality monitoring" in draft.body
    assert "Prefer not to say" in draft.body
    assert draft.body.startswith(current.body.rstrip())
    assert "Article 9(2)(g)" in draft.lawful_basis
    assert draft.lawful_basis.startswith(current.lawful_basis)


def test_the_draft_is_not_public_until_published():
    response = Client().get(reverse("privacy_version", args=["2026-12"]))

    assert response.status_code == 404
