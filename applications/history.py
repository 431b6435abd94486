"""When each move in an expression of interest's history entered the stage it left
(`StatusChange.stage_entered_at`): the rule, for one row and for every row at once.

The rule is the one the team's home used to look up for each move (applications/team_home.py):
a move from "New" left a stage that began when the person expressed interest (their
`submitted_at`); any other move left a stage entered by the latest earlier move into it (the
latest other row of the same expression with `to_status` equal to this row's `from_status` and
`at` no later than this row's), or at submission when the history has no such row (a status set
before the history was kept).

`backfill_stage_entered_at` fills in the rows that have none: the migration
status_change_stage_entered_at calls it with its historical model, so it uses nothing but the
model it is given (no status enums, no managers), and it must keep working for that migration:
change the rule only with a new migration.
"""

from django.db import connections

# ExpressionOfInterest.Status.NEW, written out: the migration's historical model has no enum.
NEW = "new"
# How many expressions' histories the Python backfill reads and writes at a time.
BATCH = 2_000


def stage_entered_from_history(change):
    """The rule for one StatusChange `change` (saved or not), read from the history."""
    expression = change.expression
    if change.from_status == NEW:
        return expression.submitted_at
    earlier = type(change).objects.filter(
        expression_id=change.expression_id, to_status=change.from_status, at__lte=change.at
    )
    if change.pk is not None:
        earlier = earlier.exclude(pk=change.pk)
    entered = earlier.order_by("-at", "-pk").values_list("at", flat=True).first()
    return expression.submitted_at if entered is None else entered


def backfill_stage_entered_at(status_change, using="default"):
    """Set `stage_entered_at` on every row of the StatusChange model `status_change` that has
    none, by the rule above, and return how many rows were set. On PostgreSQL one UPDATE with
    a window function (about a minute for the bench seed's 2.8 million moves, on a busy
    two-core machine); elsewhere (SQLite on a laptop) in Python, a batch of expressions at a
    time."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        return _backfill_in_sql(status_change, connection)
    return _backfill_in_python(status_change, using)


def _backfill_in_sql(status_change, connection):
    qn = connection.ops.quote_name
    meta = status_change._meta
    column = {name: qn(meta.get_field(name).column)
              for name in ("id", "expression", "from_status", "to_status", "at",
                           "stage_entered_at")}
    expression_field = meta.get_field("expression")
    expressions = expression_field.related_model._meta
    submitted_at = qn(expressions.get_field("submitted_at").column)
    expression_pk = qn(expressions.pk.column)
    statuses = [value for value, _ in meta.get_field("from_status").choices if value != NEW]
    # For each status a move can leave, the latest `at` of the expression's other rows that
    # moved into it no later than this row: the window is every row of the expression up to
    # this row's `at`, ties included (RANGE), less this row itself. Each partition is one
    # expression's few rows, so the frame exclusion costs little.
    latest_into = " ".join(
        f"WHEN %s THEN max(c.{column['at']}) FILTER (WHERE c.{column['to_status']} = %s) "
        "OVER earlier"
        for _ in statuses
    )
    sql = f"""
        UPDATE {qn(meta.db_table)} AS change
        SET {column['stage_entered_at']} = entry.entered
        FROM (
            SELECT c.{column['id']} AS id,
                   CASE WHEN c.{column['from_status']} = %s THEN e.{submitted_at}
                        ELSE COALESCE(
                            CASE c.{column['from_status']} {latest_into} END,
                            e.{submitted_at}
                        )
                   END AS entered
            FROM {qn(meta.db_table)} AS c
            JOIN {qn(expressions.db_table)} AS e ON e.{expression_pk} = c.{column['expression']}
            WINDOW earlier AS (
                PARTITION BY c.{column['expression']} ORDER BY c.{column['at']}
                RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE CURRENT ROW
            )
        ) AS entry
        WHERE change.{column['id']} = entry.id AND change.{column['stage_entered_at']} IS NULL
    """
    params = [NEW] + [value for status in statuses for value in (status, status)]
    with connection.cursor() as cursor:
        # The window sorts every row of the history: in memory rather than on disk.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(sql, params)
        return cursor.rowcount


def _backfill_in_python(status_change, using):
    """The same rule, a batch of expressions at a time (by id), written with one
    executemany per batch."""
    connection = connections[using]
    qn = connection.ops.quote_name
    meta = status_change._meta
    update = "UPDATE {} SET {} = %s WHERE {} = %s".format(
        qn(meta.db_table), qn(meta.get_field("stage_entered_at").column), qn(meta.pk.column)
    )
    changes = status_change._base_manager.using(using)
    missing = changes.filter(stage_entered_at__isnull=True)
    updated = 0
    after = None
    while True:
        ids = missing.order_by("expression_id").values_list("expression_id", flat=True)
        if after is not None:
            ids = ids.filter(expression_id__gt=after)
        # The next BATCH expressions with a row to fill.
        batch = list(ids.distinct()[:BATCH])
        if not batch:
            return updated
        after = batch[-1]
        rows = changes.filter(expression_id__in=batch).order_by("expression_id", "at", "pk")
        values = []
        history = []
        for row in rows.values_list(
            "pk", "expression_id", "from_status", "to_status", "at",
            "expression__submitted_at", "stage_entered_at",
        ):
            if history and history[-1][1] != row[1]:
                values += _entries(history)
                history = []
            history.append(row)
        values += _entries(history)
        with connection.cursor() as cursor:
            cursor.executemany(update, [
                (connection.ops.adapt_datetimefield_value(entered), pk) for pk, entered in values
            ])
        updated += len(values)


def _entries(history):
    """[(pk, entered)] for the rows without one of one expression's history (in order of
    `at`, then pk)."""
    entries = []
    for pk, _, from_status, _, at, submitted_at, stored in history:
        if stored is not None:
            continue
        if from_status == NEW:
            entries.append((pk, submitted_at))
            continue
        into = [
            other_at for other_pk, _, _, to_status, other_at, _, _ in history
            if to_status == from_status and other_at <= at and other_pk != pk
        ]
        entries.append((pk, max(into) if into else submitted_at))
    return entries
