"""A paginator that estimates large counts on PostgreSQL instead of counting every row.

The admin's changelist asks its paginator for `count` on every page. At a million expressions of
interest an exact `SELECT COUNT(*)` reads the whole table (or a whole index) each time, which is
most of the page's cost. PostgreSQL already keeps an estimate:

- for the unfiltered list, the table's row count from its statistics (`pg_class.reltuples`,
  kept up to date by autovacuum and ANALYZE);
- for a filtered or searched list, the planner's row estimate for the query
  (`EXPLAIN (FORMAT JSON)`), which costs a plan, not a scan.

When the estimate is small (under `exact_below`, 10,000 by default) the paginator counts exactly,
so a short list always shows the true number and the last page is never empty. On any other
database (SQLite in development and tests) it always counts exactly.
"""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    exact_below = 10_000

    @cached_property
    def count(self):
        estimate = self.estimated_count()
        if estimate is None or estimate < self.exact_below:
            return super().count
        return estimate

    def estimated_count(self):
        """PostgreSQL's estimate of the number of rows, or None if there is none to be had."""
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return None
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        query = queryset.query
        if query.is_empty():
            return 0
        if self._is_whole_table(queryset):
            estimate = self._table_estimate(connection, queryset.model._meta.db_table)
            if estimate is not None:
                return estimate
        return self._plan_estimate(connection, queryset)

    @staticmethod
    def _is_whole_table(queryset):
        query = queryset.query
        return (
            not query.where
            and not query.distinct
            and query.low_mark == 0
            and query.high_mark is None
            and not query.combinator
            and not query.group_by
        )

    @staticmethod
    def _table_estimate(connection, table):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                [connection.ops.quote_name(table)],
            )
            row = cursor.fetchone()
        # -1 (PostgreSQL 14+) or 0 means never analysed: no estimate.
        if row is None or row[0] is None or row[0] <= 0:
            return None
        return int(row[0])

    @staticmethod
    def _plan_estimate(connection, queryset):
        # The rows of the query without its ordering: the same estimate, a simpler plan.
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str | bytes):
            plan = json.loads(plan)
        try:
            return int(plan[0]["Plan"]["Plan Rows"])
        except (IndexError, KeyError, TypeError, ValueError):
            return None
