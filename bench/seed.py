"""Seed the bench database: 30 programmes, 1,000 opportunities, 20,000 meetings and 1,000,000
expressions of interest with their history, with COPY (psycopg2's `copy_expert`).

The data is realistic in shape rather than in detail: a growing number of expressions over five
years, popular and quiet opportunities, statuses that depend on how long ago the person wrote
(recent ones are new or contacted, old ones have mostly ended), age bands that fit each
opportunity's audience, about two history rows (StatusChange) per expression.

A `bench_seed` table in the bench database records what was seeded. A later run reuses the data
when the record and the row counts match, and deletes only what earlier bench runs added (the
expressions the POST test created, sessions, queued email tasks). `fresh=True` reseeds.

Every fresh seed runs in one transaction: the secondary indexes and unique constraints of the two
big tables are dropped, the rows copied in, and the indexes rebuilt, so a failure leaves the
database as it was.

The seed empties only the tables it fills, so the database is as the migrations left it plus the
seed's rows: the privacy notice involvement's migrations publish (which the form records the
version of) and the staff groups stay.

Its length (over 600 lines) is one table after another, each seeded as its own function in
the order of their foreign keys; nothing else imports it but the bench and its test.
"""

import base64
import datetime
import importlib
import io
import json
import random
import re
import time
import uuid
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from applications.models import REFERENCE_ALPHABET, ExpressionOfInterest, StatusChange
from opportunities.models import GlossaryTerm, Meeting, Opportunity, Programme

SPEC = {"programmes": 30, "opportunities": 1_000, "meetings": 20_000, "expressions": 1_000_000}
# Bump when the generated data changes shape, so old seeds are not reused.
SEED_VERSION = 1
YEARS = 5
BATCH = 50_000
BENCH_STAFF = "bench-admin"

CONTENT = Path(__file__).resolve().parent.parent / "opportunities" / "content" / "trust.json"

Status = ExpressionOfInterest.Status
AgeBand = ExpressionOfInterest.AgeBand


# COPY text format ----------------------------------------------------------------------------

NULL = "\\N"


def esc(value):
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return NULL
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        value = json.dumps(value)
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = (
            text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _columns(model, supplied):
    """The columns to COPY: those the seeder supplies, then every other concrete column with
    its model default (so a field added later with a default does not break the seed)."""
    fields = {f.column: f for f in model._meta.concrete_fields}
    unknown = set(supplied) - set(fields)
    if unknown:
        raise RuntimeError(f"{model.__name__} has no columns {sorted(unknown)}")
    extra_columns, extra_values = [], []
    now = timezone.now()
    for column, field in fields.items():
        if column in supplied:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        elif field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        elif field.blank and field.get_internal_type() in ("CharField", "TextField"):
            value = ""  # what a blank text field holds when the form leaves it empty
        else:
            raise RuntimeError(
                f"bench/seed.py does not know how to fill {model.__name__}.{field.name}: "
                "give it a value in the seeder"
            )
        extra_columns.append(column)
        extra_values.append(esc(value))
    columns = list(supplied) + extra_columns
    suffix = ("\t" + "\t".join(extra_values)) if extra_values else ""
    return columns, suffix


def _copy(cursor, model, supplied, rows, after_batch=None):
    """COPY rows (tuples of already-escaped strings, in `supplied` order) in batches.

    `after_batch` runs after each batch is copied (the expressions' history is copied there, so
    it never piles up in memory)."""
    columns, suffix = _columns(model, supplied)
    sql = _copy_sql(model, columns)
    total = 0
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join(row))
        buffer.write(suffix)
        buffer.write("\n")
        count += 1
        if count == BATCH:
            buffer.seek(0)
            cursor.copy_expert(sql, buffer)
            total += count
            buffer = io.StringIO()
            count = 0
            if after_batch:
                after_batch()
    if count:
        buffer.seek(0)
        cursor.copy_expert(sql, buffer)
        total += count
    if after_batch:
        after_batch()
    return total


def _copy_sql(model, columns):
    return "COPY {} ({}) FROM STDIN".format(
        connection.ops.quote_name(model._meta.db_table),
        ", ".join(connection.ops.quote_name(c) for c in columns),
    )


class _History:
    """The expressions' StatusChange rows, as COPY text, copied after each batch."""

    def __init__(self, cursor):
        self.cursor = cursor
        columns, self.suffix = _columns(StatusChange, CHANGE_COLUMNS)
        self.sql = _copy_sql(StatusChange, columns)
        self.buffer = io.StringIO()
        self.count = 0
        self.total = 0

    def add(self, row):
        self.buffer.write("\t".join(row))
        self.buffer.write(self.suffix)
        self.buffer.write("\n")
        self.count += 1

    def flush(self):
        if self.count:
            self.buffer.seek(0)
            self.cursor.copy_expert(self.sql, self.buffer)
            self.total += self.count
        self.buffer = io.StringIO()
        self.count = 0


# Realistic values ----------------------------------------------------------------------------

PROGRAMME_NAMES = [
    "Maternity services", "Cancer services", "Renal services", "Stroke care",
    "Mental health liaison", "Outpatients transformation", "Digital patient records",
    "Research and innovation", "Estates and sustainability", "Emergency department",
    "Diabetes care", "Heart and lung services", "Imaging and radiology",
    "Pharmacy and medicines", "Planned surgery", "End of life care",
    "Learning disability and autism", "Health inequalities", "Volunteering",
    "Critical care", "Sexual health", "Blood disorders", "Eye services",
    "Neurosciences",
]
SITES = [
    "St Mary's Hospital", "Charing Cross Hospital", "Hammersmith Hospital",
    "Queen Charlotte's and Chelsea Hospital", "Western Eye Hospital", "online",
]
TOPICS = [
    "Patient experience", "Discharge planning", "Waiting list", "Appointment letters",
    "Care of older people", "Children's wards", "Young people's forum", "Patient safety",
    "Quality improvement", "Hospital food", "Accessible information", "Carers' support",
    "Virtual wards", "Same-day emergency care", "Pain management", "Falls prevention",
    "Dementia care", "Cancer screening", "Kidney dialysis", "Maternity voices",
    "Surgical recovery", "Outpatient redesign", "Digital front door", "Health records",
    "Research priorities", "Clinical trials", "New hospital design", "Wayfinding",
    "Infection prevention", "Medicines at home", "End of life care", "Bereavement support",
]
GROUP_WORDS = {
    "lay_partner": ["lay partner", "lay partner role", "lay partner seat"],
    "reference_group": ["reference group", "patient panel", "readers' panel"],
    "project_group": ["project group", "working group", "steering group"],
    "event": ["workshop", "open event", "listening event", "sprint"],
}
FIRST_NAMES = [
    "Amira", "Siobhán", "Zoë", "Oluwaseun", "Grace", "Mohammed", "Priya", "James", "Chen",
    "Fatima", "Aoife", "Kwame", "Ewa", "Rhys", "Yusuf", "Hannah", "Ines", "Tomasz", "Leila",
    "David", "Nkechi", "Sean", "Mei", "Aisha", "Oliver", "Noor", "Rosa", "Ibrahim", "Margaret",
    "Joseph", "Ayesha", "Kofi", "Bronwen", "Dmitri", "Sofia", "Arjun", "Eleni", "Patrick",
    "Jia", "Maryam", "George", "Ama", "Ruth", "Hamza", "Lucía", "Thomas", "Anjali", "Femi",
]
LAST_NAMES = [
    "O'Brien", "Okafor", "Khan", "Nowak", "Smith", "Patel", "Williams", "Ahmed", "Zhang",
    "Murphy", "Mensah", "Kowalski", "Jones", "Hussain", "García", "Brown", "Ali", "Evans",
    "Adeyemi", "Taylor", "Begum", "Wilson", "Chaudhry", "Davies", "Thompson", "Nguyen",
    "Rossi", "Osei", "Walker", "Singh", "Hughes", "Rahman", "Kelly", "Lewis", "Ivanova",
    "Robinson", "Farah", "Wright", "Papadopoulos", "Clarke", "Mahmood", "Green", "Hall",
]
WHY = [
    "I was a patient on the renal ward last year and want to help others have a better stay.",
    "My mother has dementia and I have seen how hard hospital visits can be for carers.",
    "I care about how the hospital treats older people and want to give something back.",
    "I have used maternity services twice and have ideas about what would help new parents.",
    "I live locally and would like a say in how the new hospital is designed.",
    "I am a carer for my son, who has a learning disability, and want services to listen.",
    "I have had cancer treatment here and want to help make the experience kinder.",
    "I work in IT and think I could help make the digital services easier to use.",
    "I am retired and have time to give. I want to help improve patient safety.",
    "I am 16 and have spent a lot of time on children's wards. I want young people heard.",
    "I speak three languages and want to help make information clearer for everyone.",
    "I think good care starts with listening, and I would like to help the trust listen.",
]
EXPERIENCE = [
    "", "", "",
    "I chair my GP practice's patient participation group.",
    "Ten years as a school governor.",
    "I volunteer at a local carers' centre.",
    "I have been a patient for many years with a long-term condition.",
    "I have sat on a research advisory panel before.",
]
AVAILABILITY = ["", "", "Weekday mornings", "Not on Fridays", "Evenings are best",
                "Any time with two weeks' notice", "Tuesdays and Thursdays"]
CONNECTIONS = [
    '["patient"]', '["patient"]', '["carer"]', '["resident"]', '["patient", "carer"]',
    '["patient", "resident"]', '["carer", "resident"]', '["resident"]',
]
ACCESS_NEEDS = ['["step_free"]', '["large_print"]', '["bsl"]', '["easy_read"]',
                '["hearing_loop"]', '["step_free", "large_print"]']
NOT_PROGRESSED = [
    "The group was full when we spoke.", "They could not make the meeting times.",
    "They decided a different opportunity suited them better.",
    "We could not reach them after three tries.",
]
STAFF_REASONS = ["", "", "", "Spoke on the phone.", "Emailed the briefing pack."]

# Final status by how many days ago the person wrote (weights add up to 100).
STATUS_BY_AGE = [
    (14, {Status.NEW: 68, Status.CONTACTED: 25, Status.WITHDRAWN: 5, Status.NOT_PROGRESSED: 2}),
    (60, {Status.NEW: 10, Status.CONTACTED: 25, Status.BRIEFING: 20, Status.TASTER: 10,
          Status.NOT_PROGRESSED: 20, Status.WITHDRAWN: 15}),
    (None, {Status.NEW: 1, Status.CONTACTED: 2, Status.BRIEFING: 2, Status.TASTER: 2,
            Status.JOINED: 18, Status.NOT_PROGRESSED: 45, Status.WITHDRAWN: 30}),
]
PIPELINE = [Status.NEW, Status.CONTACTED, Status.BRIEFING, Status.TASTER, Status.JOINED]
BANDS_FOR = {
    Opportunity.Audience.ADULTS: ([AgeBand.AGE_18_24, AgeBand.AGE_25_64, AgeBand.AGE_65_PLUS,
                                   AgeBand.PREFER_NOT_TO_SAY], [10, 58, 27, 5]),
    Opportunity.Audience.YOUNG_PEOPLE: ([AgeBand.UNDER_16, AgeBand.AGE_16_17], [45, 55]),
    Opportunity.Audience.EVERYONE: (list(AgeBand.values), [6, 8, 12, 45, 24, 5]),
}


def ascii_name(text):
    return re.sub(r"[^a-z]", "", slugify(text))


# The seed --------------------------------------------------------------------------------------


def _marker(cursor):
    cursor.execute(
        "CREATE TABLE IF NOT EXISTS bench_seed (id int PRIMARY KEY, spec text NOT NULL, "
        "max_expression_id bigint NOT NULL, seconds real NOT NULL, seeded_at timestamptz "
        "NOT NULL)"
    )
    cursor.execute("SELECT spec, max_expression_id FROM bench_seed WHERE id = 1")
    return cursor.fetchone()


def seeded_counts(cursor, max_expression_id):
    counts = {}
    for key, model in [("programmes", Programme), ("opportunities", Opportunity),
                       ("meetings", Meeting)]:
        cursor.execute(f"SELECT count(*) FROM {model._meta.db_table}")
        counts[key] = cursor.fetchone()[0]
    cursor.execute(
        f"SELECT count(*) FROM {ExpressionOfInterest._meta.db_table} WHERE id <= %s",
        [max_expression_id],
    )
    counts["expressions"] = cursor.fetchone()[0]
    return counts


def tidy_after_earlier_runs(cursor, max_expression_id, log):
    """Remove what earlier bench runs added, so every run starts from the same data."""
    eoi = ExpressionOfInterest._meta.db_table
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is ExpressionOfInterest:
                cursor.execute(
                    f"DELETE FROM {model._meta.db_table} WHERE {field.column} > %s",
                    [max_expression_id],
                )
    cursor.execute(f"DELETE FROM {eoi} WHERE id > %s", [max_expression_id])
    removed = cursor.rowcount
    for table in _transient_tables():
        cursor.execute(f"TRUNCATE {table}")
    if removed:
        log(f"removed {removed:,} expressions added by earlier bench runs")
    return removed


def _transient_tables():
    """Sessions and queued tasks: bench runs add them; nothing in the seed depends on them."""
    tables = [apps.get_model("sessions", "Session")._meta.db_table]
    for model in apps.get_models():
        if model.__module__.startswith("django_tasks_db"):
            tables.append(model._meta.db_table)
    return tables


def _spec_text(spec):
    return json.dumps({"version": SEED_VERSION, **spec}, sort_keys=True)


def seed(fresh=False, log=print, spec=SPEC):
    """Make sure the bench data is there. Returns a dict describing it.

    `spec` is how many rows to make; the bench always uses SPEC, a test a few rows."""
    _put_back_privacy_notices(log)
    with connection.cursor() as cursor:
        marker = _marker(cursor)
        if marker and not fresh and marker[0] == _spec_text(spec):
            counts = seeded_counts(cursor, marker[1])
            if counts == spec:
                log("reusing the seeded data (make bench SEED=fresh to reseed): " + ", ".join(
                    f"{v:,} {k}" for k, v in counts.items()))
                tidy_after_earlier_runs(cursor, marker[1], log)
                return {"reused": True, "seconds": 0.0, **counts}
            log(f"seeded data incomplete ({counts}); reseeding")
    started = time.monotonic()
    _seed_fresh(log, spec)
    seconds = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute("UPDATE bench_seed SET seconds = %s WHERE id = 1", [seconds])
    log(f"seeded in {seconds:.0f} s")
    return {"reused": False, "seconds": seconds, **spec}


def _put_back_privacy_notices(log):
    """Earlier versions of this seed emptied the privacy notices along with the users (TRUNCATE
    ... CASCADE: a notice refers to who wrote and published it), and later runs reuse such a
    seed. Put back what involvement's migrations made there, through the migrations' own
    functions, as tests/conftest.py does. A table with any notice in it is left as it is."""
    PrivacyNotice = apps.get_model("involvement", "PrivacyNotice")
    if PrivacyNotice.objects.exists():
        return
    first = importlib.import_module("involvement.migrations.0002_first_privacy_notice")
    draft = importlib.import_module(
        "involvement.migrations.0004_draft_notice_with_equality_monitoring"
    )
    with connection.schema_editor() as schema_editor:
        first.create_first_notice(apps, schema_editor)
        draft.create_draft(apps, schema_editor)
    log("put back the privacy notices involvement's migrations make (an earlier seed had "
        "emptied their table)")


def _content_tables():
    """The tables the seed empties and fills, but for the users (see _empty_content_tables):
    every table of opportunities and applications, the users' groups and permissions, the admin
    log, sessions and tasks."""
    models = [
        *apps.get_app_config("opportunities").get_models(),
        *apps.get_app_config("applications").get_models(),
        apps.get_model("admin", "LogEntry"),
    ]
    tables = {m._meta.db_table for m in models}
    for model in [*models, get_user_model()]:
        for field in model._meta.local_many_to_many:
            tables.add(field.remote_field.through._meta.db_table)
    return sorted(tables | set(_transient_tables()))


def _empty_content_tables(cursor):
    """Empty what the seed fills and nothing else: what the migrations made elsewhere (the
    privacy notices, the staff groups) stays as it is.

    No CASCADE, which would also empty every table referring to one of these: the privacy
    notices refer to users. Without it PostgreSQL refuses, naming the table, if a new table
    outside the list refers to one in it, for someone to decide whether the bench owns it. The
    users are not truncated, because the privacy notices refer to them, but deleted as the
    portal deletes a user: a notice one of them had written or published (no migration makes
    one) would stay, without who did it (on_delete=SET_NULL)."""
    cursor.execute(f"TRUNCATE {', '.join(_content_tables())} RESTART IDENTITY")
    User = get_user_model()
    User.objects.all().delete()
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{User._meta.db_table}', 'id'), 1, false)"
    )


def _drop_secondary_indexes(cursor, table):
    """Drop the table's unique constraints and non-primary indexes; return the SQL that puts
    them back."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'u'",
        [table],
    )
    constraints = cursor.fetchall()
    restore = []
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
        [table],
    )
    for name, definition in cursor.fetchall():
        cursor.execute(f'DROP INDEX "{name}"')
        restore.append(definition)
    return restore


def _seed_fresh(log, spec):
    rng = random.Random(20261127)
    now = timezone.now().replace(microsecond=0)
    content = json.loads(CONTENT.read_text())
    with transaction.atomic(), connection.cursor() as cursor:
        _marker(cursor)
        cursor.execute("DELETE FROM bench_seed")
        log("emptying the bench tables")
        _empty_content_tables(cursor)
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            # The generated rows are consistent by construction: skip the per-row foreign key
            # triggers, for this transaction only.
            cursor.execute("SET LOCAL session_replication_role = replica")

        staff = _seed_users(rng, spec)
        programme_ids = _seed_programmes(cursor, content, now, spec)
        opportunities = _seed_opportunities(cursor, rng, content, programme_ids, now, spec)
        _seed_leads(cursor, programme_ids, staff["leads"])
        meetings = _seed_meetings(cursor, rng, opportunities, now, spec)
        _seed_glossary(cursor, content, now)
        log(f"{len(programme_ids)} programmes, {len(opportunities)} opportunities, "
            f"{sum(len(m) for m in meetings.values()):,} meetings")

        restore = []
        for model in (ExpressionOfInterest, StatusChange):
            restore += _drop_secondary_indexes(cursor, model._meta.db_table)
        started = time.monotonic()
        history = _History(cursor)
        count = _copy(
            cursor, ExpressionOfInterest, EOI_COLUMNS,
            _expressions(rng, opportunities, meetings, staff["team"], now, history,
                         spec["expressions"]),
            after_batch=history.flush,
        )
        log(f"{count:,} expressions of interest and {history.total:,} status changes copied "
            f"in {time.monotonic() - started:.0f} s")
        started = time.monotonic()
        for sql in restore:
            cursor.execute(sql)
        log(f"{len(restore)} indexes rebuilt in {time.monotonic() - started:.0f} s")
        for model in (Programme, Opportunity, Meeting, GlossaryTerm, ExpressionOfInterest,
                      StatusChange):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce(max(id), 0) + 1, false) FROM {table}"
            )
        cursor.execute(
            "INSERT INTO bench_seed (id, spec, max_expression_id, seconds, seeded_at) "
            "VALUES (1, %s, %s, 0, now())",
            [_spec_text(spec), count],
        )


def _seed_users(rng, spec):
    User = get_user_model()
    team_group = Group.objects.filter(name="Involvement team").first()
    lead_group = Group.objects.filter(name="Programme lead").first()
    admin = User(username=BENCH_STAFF, first_name="Bench", last_name="Admin",
                 email="bench-admin@example.nhs.uk", is_staff=True, is_superuser=True)
    admin.set_unusable_password()
    admin.save()

    def staff(username, email, group):
        user = User(username=username, first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES), email=email, is_staff=True)
        user.set_unusable_password()
        user.save()
        if group:
            user.groups.add(group)
        return user.pk

    return {
        "team": [
            staff(f"bench-team-{n}", f"team{n}@example.nhs.uk", team_group) for n in range(12)
        ],
        "leads": [
            staff(f"bench-lead-{n}", f"lead{n}@example.nhs.uk", lead_group)
            for n in range(spec["programmes"])
        ],
    }


def _paragraphs(lines):
    return "\n".join(lines) if isinstance(lines, list) else (lines or "")


def _seed_programmes(cursor, content, now, spec):
    names = [p["name"] for p in content["programmes"]]
    names += [n for n in PROGRAMME_NAMES if n not in names]
    names = names[: spec["programmes"]]
    rows = []
    for n, name in enumerate(names, start=1):
        source = content["programmes"][n % len(content["programmes"])]
        rows.append(tuple(esc(v) for v in (
            n, name, slugify(name), source["summary"], _paragraphs(source["description"]),
            "" if n % 3 else f"{slugify(name)}@example.nhs.uk", "", n <= 8, n * 10, now, now,
        )))
    _copy(cursor, Programme, ["id", "name", "slug", "summary", "description", "contact_email",
                              "contact_phone", "is_key", "position", "created_at",
                              "updated_at"], rows)
    return list(range(1, len(rows) + 1))


def _seed_opportunities(cursor, rng, content, programme_ids, now, spec):
    sources = content["opportunities"]
    today = now.date()
    kinds = list(GROUP_WORDS)
    opportunities = []
    rows = []
    programme_weights = [1 / (i + 1) ** 0.7 for i in range(len(programme_ids))]
    for n in range(1, spec["opportunities"] + 1):
        source = sources[n % len(sources)]
        kind = rng.choices(kinds, [35, 25, 25, 15])[0]
        status = rng.choices(["open", "closed", "draft"], [55, 30, 15])[0]
        audience = rng.choices(["adults", "young_people", "everyone"], [75, 10, 15])[0]
        minimum_age = rng.choice([None, None, 11, 13, 16]) if audience != "adults" else None
        on_site, online = rng.random() < 0.6, rng.random() < 0.55
        from_home = rng.random() < 0.2 or not (on_site or online)
        if status == "open":
            closing = None if rng.random() < 0.4 else today + datetime.timedelta(
                days=rng.randint(0, 180))
        elif status == "closed":
            closing = today - datetime.timedelta(days=rng.randint(1, 900))
        else:
            closing = None
        site = rng.choice(SITES)
        topic = rng.choice(TOPICS)
        title = f"{topic} {rng.choice(GROUP_WORDS[kind])}"
        if site != "online":
            title += f" – {site}"
        created = now - datetime.timedelta(days=rng.randint(0, 365 * YEARS))
        opportunity = {"id": n, "kind": kind, "status": status, "audience": audience,
                       "minimum_age": minimum_age}
        opportunities.append(opportunity)
        rows.append(tuple(esc(v) for v in (
            n, rng.choices(programme_ids, programme_weights)[0], kind, title,
            f"{slugify(title)}-{n}",
            source["summary"], _paragraphs(source["description"]),
            _paragraphs(source["what_you_would_do"]), rng.choice(
                [f for f, _ in Opportunity.Frequency.choices]),
            source.get("when") or "", on_site, online, from_home,
            site if on_site and site != "online" else "",
            _paragraphs(source.get("preparation")), audience, minimum_age,
            2 if kind == "lay_partner" else 0, rng.choice([0, 0, 1]) if kind == "lay_partner"
            else 0, source.get("involvement_payment") or "", source.get("expenses") or "",
            "", "", "", status, closing, rng.randint(0, 50), created, created,
        )))
    _copy(cursor, Opportunity, [
        "id", "programme_id", "kind", "title", "slug", "summary", "description",
        "what_you_would_do", "frequency", "when", "on_site", "online", "from_home",
        "location", "preparation", "audience", "minimum_age", "lay_partner_target",
        "lay_partners_in_post", "involvement_payment", "expenses", "contact_name",
        "contact_email", "contact_phone", "status", "closing_date", "position", "created_at",
        "updated_at",
    ], rows)
    return opportunities


def _seed_leads(cursor, programme_ids, leads):
    through = Programme.leads.through
    rows = [(esc(n), esc(p), esc(u)) for n, (p, u) in enumerate(zip(programme_ids, leads,
                                                                     strict=True), start=1)]
    _copy(cursor, through, ["id", "programme_id", "user_id"], rows)


def _seed_meetings(cursor, rng, opportunities, now, spec):
    start = now - datetime.timedelta(days=365 * (YEARS - 1))
    span = 365 * YEARS * 86400
    meetings = {o["id"]: [] for o in opportunities}
    rows = []
    # Drafts have few meetings, busy opportunities many: 20,000 in all.
    weights = [0.2 if o["status"] == "draft" else 1.0 for o in opportunities]
    owners = rng.choices(opportunities, weights, k=spec["meetings"])
    for n, opportunity in enumerate(owners, start=1):
        event = opportunity["kind"] == "event"
        kind = "event" if event else rng.choices(["meeting", "briefing", "taster"],
                                                 [70, 15, 15])[0]
        starts = (start + datetime.timedelta(seconds=rng.randrange(span))).replace(
            minute=0, second=0)
        online = rng.random() < 0.4
        capacity = (rng.choice([30, 50, 80, 120, 200]) if event else
                    rng.choice([10, 12, 20]) if kind != "meeting" else None)
        meetings[opportunity["id"]].append((n, event))
        rows.append(tuple(esc(v) for v in (
            n, opportunity["id"], kind, "", starts,
            starts + datetime.timedelta(hours=rng.choice([1, 2, 3])), online,
            "" if online else f"Meeting room {rng.randint(1, 12)}, {rng.choice(SITES[:5])}",
            "Microsoft Teams: the link is emailed to people booked." if online else "",
            capacity, event and rng.random() < 0.8, False, starts - datetime.timedelta(days=30),
            starts - datetime.timedelta(days=30),
        )))
    _copy(cursor, Meeting, [
        "id", "opportunity_id", "kind", "title", "starts_at", "ends_at", "is_online",
        "location", "joining_details", "capacity", "public_registration", "is_example",
        "created_at", "updated_at",
    ], rows)
    return meetings


def _seed_glossary(cursor, content, now):
    rows = [
        tuple(esc(v) for v in (n, t["term"], t["slug"], t["meaning"], t.get("other_forms", ""),
                               now, now))
        for n, t in enumerate(content["glossary"], start=1)
    ]
    _copy(cursor, GlossaryTerm, ["id", "term", "slug", "meaning", "other_forms", "created_at",
                                 "updated_at"], rows)


EOI_COLUMNS = [
    "id", "reference", "submission_key", "opportunity_id", "meeting_id", "full_name", "email",
    "phone", "preferred_contact", "age_band", "parent_carer_name", "parent_carer_contact",
    "parent_carer_confirmed", "connections", "connection_other", "why_interested",
    "experience", "access_needs", "access_needs_other", "availability", "privacy_consent",
    "privacy_notice_version", "status", "not_progressed_reason", "assigned_to_id",
    "submitted_at", "first_contacted_at", "status_changed_at", "updated_at",
]
CHANGE_COLUMNS = ["id", "expression_id", "from_status", "to_status", "by_id", "at", "reason"]


def _expanded(table):
    """A 100-entry list with each value repeated by its weight (weights add up to 100), so a
    weighted choice is one index: table[int(random() * 100)]."""
    expanded = []
    for value, weight in table.items():
        expanded += [str(value)] * weight
    if len(expanded) != 100:
        raise ValueError("weights must add up to 100")
    return expanded


class _Clock:
    """Timestamps as COPY text, fast: a precomputed string per day and per second of the day
    (datetime.isoformat for three million values is the slowest part of the seed otherwise)."""

    def __init__(self, first_ts, days):
        self.first_day = int(first_ts // 86400)
        epoch = datetime.date(1970, 1, 1)
        self.days = [
            (epoch + datetime.timedelta(days=self.first_day + d)).isoformat() + " "
            for d in range(days + 2)
        ]
        self.seconds = [
            f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(86400)
        ]

    def text(self, ts):
        ts = int(ts)
        return self.days[ts // 86400 - self.first_day] + self.seconds[ts % 86400]


_TO_CROCKFORD = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", REFERENCE_ALPHABET
)


def reference_for(n):
    """A unique, random-looking reference for row n: multiplying by an odd number modulo 2**60
    is a bijection, so no two rows share one. Base32 in C, then Crockford's alphabet."""
    x = (n * 0x9E3779B97F4A7C15 + 0x5DEECE66D) & ((1 << 60) - 1)
    text = base64.b32encode((x << 4).to_bytes(8, "big")).decode()[:12].translate(_TO_CROCKFORD)
    return f"{text[:4]}-{text[4:8]}-{text[8:]}"


def _expressions(rng, opportunities, meetings, team, now, history, total_rows):
    """Yield the expression rows (escaped), adding their history rows to `history`.

    Random values are drawn a batch at a time and weighted choices are table look-ups: the
    seed has to make a million rows in well under a minute on a busy two-core machine."""
    random_ = rng.random
    now_ts = int(now.timestamp())
    span = 365 * YEARS * 86400
    first_ts = now_ts - span
    clock = _Clock(first_ts, 365 * YEARS)
    ts_text = clock.text
    # Popular and quiet opportunities: a Zipf-like spread over those the public can see.
    public = [o for o in opportunities if o["status"] != "draft"]
    rng.shuffle(public)
    cumulative, total = [], 0.0
    for i in range(len(public)):
        total += 1 / (i + 1) ** 0.6
        cumulative.append(total)
    status_tables = [(limit or 10**9, _expanded(table)) for limit, table in STATUS_BY_AGE]
    bands_for = {
        audience: _expanded(dict(zip(bands, weights, strict=True)))
        for audience, (bands, weights) in BANDS_FOR.items()
    }
    pipeline = [str(s) for s in PIPELINE]
    position = {s: i for i, s in enumerate(pipeline)}
    withdrawn, not_progressed, contacted = "withdrawn", "not_progressed", "contacted"
    names = [(f"{f} {last}", f"{ascii_name(f)}.{ascii_name(last)}") for f in FIRST_NAMES
             for last in LAST_NAMES]
    key_prefix = uuid.UUID(int=rng.getrandbits(128)).hex[:20]
    event_meetings = {o: [str(m) for m, _ in ms] for o, ms in meetings.items()}
    team = [str(t) for t in team]
    change_id = 0
    for start in range(1, total_rows + 1, BATCH):
        k = min(BATCH, total_rows - start + 1)
        batch_opportunities = rng.choices(public, cum_weights=cumulative, k=k)
        batch_names = rng.choices(names, k=k)
        batch_staff = rng.choices(team, k=k)
        batch_why = rng.choices(WHY, k=k)
        batch_experience = rng.choices(EXPERIENCE, k=k)
        batch_availability = rng.choices(AVAILABILITY, k=k)
        batch_connections = rng.choices(CONNECTIONS, k=k)
        batch_access = rng.choices(ACCESS_NEEDS, k=k)
        batch_reason = rng.choices(NOT_PROGRESSED, k=k)
        for i in range(k):
            n = start + i
            opportunity = batch_opportunities[i]
            # More people every year: density rising linearly over the five years.
            submitted_ts = first_ts + int(span * random_() ** 0.5)
            age_days = (now_ts - submitted_ts) / 86400
            for limit, statuses in status_tables:
                if age_days < limit:
                    status = statuses[int(random_() * 100)]
                    break
            band = bands_for[opportunity["audience"]][int(random_() * 100)]
            full_name, email_name = batch_names[i]
            r = random_()
            preferred = "email" if r < 0.7 else "phone" if r < 0.85 else "either"
            phone = (f"07700 900{int(r * 1000) % 1000:03d}"
                     if preferred != "email" or r < 0.28 else "")
            under_16 = band == "under_16"
            meeting_id = NULL
            if opportunity["kind"] == "event" and r < 0.35:
                choices_ = event_meetings[opportunity["id"]]
                if choices_:
                    meeting_id = choices_[int(random_() * len(choices_))]

            # The history: the pipeline up to where it stopped, then the ending if any.
            if status in position:
                path = pipeline[: position[status] + 1]
            else:
                stop = int(random_() * (5 if status == withdrawn else 4))
                path = pipeline[: stop + 1] + [status]
            staff_id = batch_staff[i]
            at_ts = submitted_ts
            first_contacted = NULL
            reason = ""
            previous = path[0]
            for current in path[1:]:
                at_ts = min(at_ts + int(random_() * 21 * 86400) + 3600, now_ts)
                change_id += 1
                at = ts_text(at_ts)
                if current == withdrawn and random_() < 0.7:
                    by, why = NULL, "Withdrawn by the person"
                elif current == not_progressed:
                    by, why = staff_id, batch_reason[i]
                    reason = why
                else:
                    by, why = staff_id, STAFF_REASONS[int(random_() * len(STAFF_REASONS))]
                if current == contacted:
                    first_contacted = at
                history.add((str(change_id), str(n), previous, current, by, at, why))
                previous = current
            changed = ts_text(at_ts)
            assigned = staff_id if (status != "new" or random_() < 0.2) else NULL
            yield (
                str(n), reference_for(n), f"{key_prefix}{n:012x}", str(opportunity["id"]),
                meeting_id, full_name, f"{email_name}{n}@example.com", phone, preferred,
                band, "Parent or carer" if under_16 else "",
                f"parent.{email_name}{n}@example.com" if under_16 else "",
                "t" if under_16 else "f", batch_connections[i], "", batch_why[i],
                batch_experience[i], batch_access[i] if r > 0.85 else "[]", "",
                batch_availability[i], "t", "2026-11", status, reason, assigned,
                ts_text(submitted_ts), first_contacted, changed, changed,
            )
