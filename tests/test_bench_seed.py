"""The bench's seed (bench/seed.py) leaves the database as the migrations left it, plus its own
rows: the form POST the bench measures records the version of the privacy notice that
involvement's migrations publish. A few rows are seeded here, the way `make bench` seeds a
million.

PostgreSQL only, as the bench is: the seed copies its rows with COPY and reads PostgreSQL's
catalogues to drop and rebuild indexes. CI uses PostgreSQL, and so can a laptop, with
DATABASE_URL=postgres://... pytest tests/test_bench_seed.py
"""

import pytest
from django.db import connection

from applications.history import stage_entered_from_history
from applications.models import ExpressionOfInterest, StatusChange
from bench import run, seed
from involvement.models import PrivacyNotice
from tests.public_forms import send_interest

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the bench seed needs PostgreSQL (COPY, and its catalogues for the indexes); "
        "set DATABASE_URL to a PostgreSQL database",
    ),
    # The seed runs in its own transaction and commits, as it does in the bench.
    pytest.mark.django_db(transaction=True),
]

FEW = {"programmes": 3, "opportunities": 20, "meetings": 40, "expressions": 200}


@pytest.fixture(autouse=True)
def _no_seed_marker_left():
    # bench_seed is the seed's own table, not a model's, so the test database's flush keeps it.
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_seed")


def seed_few(fresh=False):
    return seed.seed(fresh=fresh, log=lambda message: None, spec=FEW)


def privacy_notices():
    return list(PrivacyNotice.objects.order_by("pk").values())


def post_the_bench_form(client, submission_key=None):
    """The answers the bench sends (bench/run.py's form body), through the question pages to
    "Send", for the opportunity it picks."""
    from urllib.parse import parse_qsl

    from opportunities.models import Opportunity

    answers = dict(parse_qsl(run.form_body("unused"), keep_blank_values=True))
    answers.pop("csrfmiddlewaretoken")
    opportunity = Opportunity.objects.get(slug=run.pick_opportunity())
    return send_interest(client, opportunity, answers)


def test_a_fresh_seed_keeps_the_privacy_notices_the_migrations_made():
    before = privacy_notices()
    assert PrivacyNotice.objects.current_version() == "2026-11"

    seeded = seed_few(fresh=True)

    assert seeded["reused"] is False
    assert ExpressionOfInterest.objects.count() == 200
    assert privacy_notices() == before


def test_each_seeded_move_records_when_its_stage_began_as_the_history_says():
    seed_few(fresh=True)

    changes = list(StatusChange.objects.select_related("expression"))

    assert len(changes) > 200
    assert all(change.stage_entered_at is not None for change in changes)
    assert [change.stage_entered_at for change in changes] == [
        stage_entered_from_history(change) for change in changes
    ]


def test_rows_added_after_the_seed_get_new_ids_in_every_copied_table(django_user_model):
    from opportunities.models import Programme

    seed_few(fresh=True)
    programme = Programme.objects.order_by("pk").last()
    lead = django_user_model.objects.create_user("another-lead", is_staff=True)
    before = Programme.leads.through.objects.count()

    # The leads' table was copied with its ids: an add must not collide with one of them.
    programme.leads.add(lead)

    assert Programme.leads.through.objects.count() == before + 1
    assert programme.leads.filter(pk=lead.pk).exists()


def test_the_bench_form_post_saves_after_a_fresh_seed_and_after_a_reused_one(client):
    seed_few(fresh=True)

    response = post_the_bench_form(client, "00000001-eeee-4000-8000-000000000001")

    assert response.status_code == 302
    saved = ExpressionOfInterest.objects.get(full_name="Bench Mark")
    assert saved.privacy_notice_version == "2026-11"

    seeded = seed_few()

    assert seeded["reused"] is True
    assert not ExpressionOfInterest.objects.filter(pk=saved.pk).exists()
    response = post_the_bench_form(client, "00000001-eeee-4000-8000-000000000002")
    assert response.status_code == 302
    assert ExpressionOfInterest.objects.get(full_name="Bench Mark").privacy_notice_version == (
        "2026-11"
    )


def test_it_puts_back_the_notices_an_earlier_seed_emptied():
    # Seeds made before the seed left the privacy notices alone emptied their table (TRUNCATE
    # of the users, CASCADE), and the bench reuses such a seed.
    seed_few(fresh=True)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {PrivacyNotice._meta.db_table}")

    seeded = seed_few()

    assert seeded["reused"] is True
    assert PrivacyNotice.objects.current_version() == "2026-11"
    assert list(
        PrivacyNotice.objects.filter(published_at__isnull=True).values_list("version", flat=True)
    ) == ["2026-12"]
