"""/healthz, for the load balancer: 200 when the database answers, 503 when it does not."""

import pytest
from django.urls import reverse

from tests.involvement.test_security_headers import run_production

ASK_FOR_HEALTH = r"""
import sys

import django
django.setup()
from django.test import Client

response = Client(HTTP_HOST="involvement.example.nhs.uk").get("/healthz")
sys.stdout.write(f"{response.status_code}\n{response['Cache-Control']}\n")
sys.stdout.write(response.content.decode())
"""


@pytest.mark.django_db
def test_it_is_200_when_the_database_answers(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"] == "text/plain"
    assert "no-store" in response["Cache-Control"]
    assert client.head(reverse("healthz")).status_code == 200


def test_it_is_503_when_the_database_does_not_answer(tmp_path):
    # Nothing listens on port 1, so the connection is refused: a database that is down, for
    # real, in a process of its own with production's settings (over plain HTTP, as a load
    # balancer may ask).
    result = run_production(
        tmp_path, ["-c", ASK_FOR_HEALTH],
        DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere",
        CACHE_URL="locmemcache://healthz",
    )

    assert result.returncode == 0, result.stderr
    status, cache_control, body = result.stdout.split("\n", 2)
    assert status == "503"
    assert "no-store" in cache_control
    assert body == "database unavailable\n"  # the detail is not given to whoever asks...
    # ...it goes to the log, for whoever looks into it.
    assert "Health check: the database did not answer" in result.stderr
    assert "127.0.0.1" in result.stderr and "Traceback" not in result.stderr
