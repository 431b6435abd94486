"""/healthz, for the load balancer and for people: 503 when the database does not answer, 200
otherwise, and a JSON body naming the state of each part."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from applications.tasks import send_expression_emails
from tests.factories import ExpressionOfInterestFactory
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
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "database": {"status": "ok"},
        "cache": {"status": "ok"},
        # Emails are sent at once, in the request, with the laptop's (and the tests') backend.
        "email_queue": {"status": "not used"},
    }
    assert "no-store" in response["Cache-Control"]
    assert client.head(reverse("healthz")).status_code == 200


@pytest.mark.django_db
def test_it_names_the_cache_when_the_cache_is_down(client, settings, closed_port):
    settings.CACHES = {
        "default": {
            "BACKEND": "involvement.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/1",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }

    response = client.get(reverse("healthz"))

    # Still serving everyone, so the load balancer keeps it; a person sees what is wrong.
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["cache"] == {"status": "down"}
    assert body["database"] == {"status": "ok"}


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
    assert json.loads(body) == {
        "status": "down",
        "database": {"status": "down"},
        "cache": {"status": "ok"},
        "email_queue": {"status": "unknown"},
    }
    # The detail is not given to whoever asks: it goes to the log, for whoever looks into it.
    assert "127.0.0.1" not in body
    assert "Health check: the database did not answer" in result.stderr
    assert "127.0.0.1" in result.stderr and "Traceback" not in result.stderr


ASK_FOR_A_PAGE = r"""
import sys

import django
django.setup()
from django.test import Client

client = Client(HTTP_HOST="involvement.example.nhs.uk", headers={"X-Forwarded-Proto": "https"})
client.raise_request_exception = False
for path in ("/", "/opportunities/", "/opportunities/patient-flow/interest/name/"):
    response = client.get(path)
    sys.stdout.write(f"{path} {response.status_code} {response.get('Retry-After')}\n")
sys.stdout.write(response.content.decode())
"""


def test_people_get_the_sorry_page_with_503_when_the_database_does_not_answer(tmp_path):
    result = run_production(
        tmp_path, ["-c", ASK_FOR_A_PAGE],
        DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere",
        CACHE_URL="locmemcache://sorry",
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n", 3)
    assert lines[:3] == [
        "/ 503 30",
        "/opportunities/ 503 30",
        "/opportunities/patient-flow/interest/name/ 503 30",
    ]
    page = lines[3]
    assert "<h1>Sorry, there is a problem with the service</h1>" in page
    assert "nhsuk-header" in page


@pytest.mark.django_db
def test_it_names_an_email_queue_that_has_stalled(client, settings):
    # Changing TASKS makes django_tasks build its backends again, with the database one.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
    settings.EMAIL_QUEUE_ALERT_MINUTES = 15
    send_expression_emails.enqueue(ExpressionOfInterestFactory().pk)
    fresh = client.get(reverse("healthz")).json()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=20))
    stalled = client.get(reverse("healthz"))

    assert fresh["status"] == "ok"
    assert fresh["email_queue"] == {"status": "ok", "waiting": 1, "oldest_unsent_seconds": 0}
    # Everyone is still served, so 200; a person reading it sees what needs looking at.
    assert stalled.status_code == 200
    body = stalled.json()
    assert body["status"] == "degraded"
    assert body["email_queue"]["status"] == "stalled"
    assert body["email_queue"]["waiting"] == 1
    assert 20 * 60 <= body["email_queue"]["oldest_unsent_seconds"] < 21 * 60
