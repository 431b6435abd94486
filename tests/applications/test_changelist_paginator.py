"""The expressions of interest changelist estimates large counts instead of counting every row.

The estimate comes from PostgreSQL's statistics and planner, so those tests run on PostgreSQL
only (CI runs PostgreSQL). Everywhere the paginator must count exactly for small lists.
"""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.admin import ExpressionOfInterestAdmin
from applications.models import ExpressionOfInterest
from applications.paginator import EstimatedCountPaginator
from tests.factories import ExpressionOfInterestFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

Status = ExpressionOfInterest.Status
TABLE = ExpressionOfInterest._meta.db_table
CHANGELIST = "admin:applications_expressionofinterest_changelist"

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="count estimates come from PostgreSQL's statistics (pg_class.reltuples) and its "
    "planner (EXPLAIN); on SQLite the paginator always counts exactly. CI runs PostgreSQL.",
)


class LowThresholdPaginator(EstimatedCountPaginator):
    """Estimates from 100 rows up, so a test needs hundreds of rows rather than 10,000."""

    exact_below = 100


def make_expressions(count, status=Status.NEW, opportunity=None):
    opportunity = opportunity or OpportunityFactory()
    ExpressionOfInterest.objects.bulk_create(
        ExpressionOfInterest(
            opportunity=opportunity, full_name=f"Person {n}", email=f"p{n}@example.com",
            age_band=ExpressionOfInterest.AgeBand.AGE_25_64, connections=["patient"],
            why_interested="To help.", privacy_consent=True, privacy_notice_version="2026-11",
            status=status,
        )
        for n in range(count)
    )
    return opportunity


def analyse():
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(TABLE)}")


def count_queries(queries):
    return [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_the_changelist_uses_the_estimating_paginator_without_a_full_count():
    assert ExpressionOfInterestAdmin.paginator is EstimatedCountPaginator
    assert ExpressionOfInterestAdmin.show_full_result_count is False


def test_a_small_list_is_counted_exactly():
    make_expressions(30)
    queryset = ExpressionOfInterest.objects.order_by("-submitted_at")

    paginator = EstimatedCountPaginator(queryset, 10)

    assert paginator.count == 30
    assert paginator.num_pages == 3


def test_an_empty_queryset_counts_nothing():
    make_expressions(3)

    with CaptureQueriesContext(connection) as queries:
        count = EstimatedCountPaginator(ExpressionOfInterest.objects.none(), 10).count

    assert count == 0
    assert not count_queries(queries)


def test_a_list_that_is_not_a_queryset_is_counted_by_length():
    assert EstimatedCountPaginator(list(range(25)), 10).count == 25


def test_the_counts_agree_with_django_s_paginator_for_small_filtered_lists():
    make_expressions(12, Status.NEW)
    make_expressions(5, Status.CONTACTED)
    queryset = ExpressionOfInterest.objects.filter(status=Status.CONTACTED)

    assert EstimatedCountPaginator(queryset, 2).count == Paginator(queryset, 2).count == 5


@postgresql_only
def test_a_whole_table_count_comes_from_the_table_statistics():
    make_expressions(300)
    analyse()

    with CaptureQueriesContext(connection) as queries:
        count = LowThresholdPaginator(ExpressionOfInterest.objects.order_by("-pk"), 50).count

    assert count == 300
    assert not count_queries(queries)
    assert any("reltuples" in q["sql"] for q in queries.captured_queries)


@postgresql_only
def test_a_filtered_count_comes_from_the_planner_estimate():
    make_expressions(300, Status.NEW)
    make_expressions(100, Status.CONTACTED)
    analyse()
    queryset = ExpressionOfInterest.objects.filter(status=Status.NEW).order_by("-submitted_at")

    with CaptureQueriesContext(connection) as queries:
        count = LowThresholdPaginator(queryset, 50).count

    assert 200 <= count <= 400  # the planner's estimate, from the statistics
    assert not count_queries(queries)
    assert any(q["sql"].startswith("EXPLAIN (FORMAT JSON)") for q in queries.captured_queries)


@postgresql_only
def test_a_small_estimate_is_replaced_by_an_exact_count():
    make_expressions(300, Status.NEW)
    make_expressions(7, Status.CONTACTED)
    analyse()
    queryset = ExpressionOfInterest.objects.filter(status=Status.CONTACTED)

    with CaptureQueriesContext(connection) as queries:
        count = LowThresholdPaginator(queryset, 50).count

    assert count == 7
    assert count_queries(queries)


@postgresql_only
def test_the_changelist_never_counts_the_whole_table(staff_client, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 100)
    make_expressions(300)
    analyse()

    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(reverse(CHANGELIST))
        filtered = staff_client.get(reverse(CHANGELIST), {"status__exact": "new"})

    assert response.status_code == filtered.status_code == 200
    assert response.context["cl"].result_count == 300
    assert len(response.context["cl"].result_list) == 50
    counting = [sql for sql in count_queries(queries) if f'FROM "{TABLE}"' in sql]
    assert not counting, counting


def test_the_changelist_shows_the_exact_count_of_a_short_list(staff_client):
    for _ in range(3):
        ExpressionOfInterestFactory()

    response = staff_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
