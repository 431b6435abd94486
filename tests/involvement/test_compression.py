"""Pages go out gzipped to browsers that accept it (GZipMiddleware), padded at random against
BREACH-style attacks; static files stay whitenoise's (tests/test_budgets.py)."""

import gzip

from django.urls import reverse

from applications.forms import INTEREST_STEPS
from tests.factories import OpportunityFactory
from tests.public_forms import interest_url


def test_a_page_is_gzipped_for_a_browser_that_accepts_it(client, db):
    OpportunityFactory(title="Patient flow")
    plain = client.get(reverse("opportunities:list"))

    response = client.get(reverse("opportunities:list"), HTTP_ACCEPT_ENCODING="gzip, br")

    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert gzip.decompress(response.content) == plain.content
    assert "Patient flow" in plain.content.decode()
    assert len(response.content) < len(plain.content) / 3


def test_a_page_is_plain_for_a_browser_that_does_not(client, db):
    response = client.get(reverse("opportunities:home"))

    assert not response.has_header("Content-Encoding")
    assert response.content.startswith(b"<!DOCTYPE html>")


def test_a_form_page_is_padded_differently_each_time(client, db):
    opportunity = OpportunityFactory()
    path = interest_url(opportunity, INTEREST_STEPS[0][0])  # the form's first question

    sizes = {len(client.get(path, HTTP_ACCEPT_ENCODING="gzip").content) for _ in range(6)}

    # The random padding (and the CSRF token masked afresh) changes the compressed length, so
    # the length does not tell an attacker whether a guess matched the page's secrets.
    assert len(sizes) > 1
