"""The fault drill: the production shape on loopback, broken on purpose, part by part.

It builds what deploy/ describes, in a temporary folder: a PostgreSQL cluster and a Redis of its
own, an SMTP server counting what each address receives, two gunicorn instances started with
deploy/systemd's command line and production settings, nginx running deploy/nginx/involvement.conf
(only its ports, certificate and paths changed) with a throwaway TLS certificate, and the email
worker under a small supervisor that restarts it as systemd would. Then, with visitors arriving
through nginx from their own loopback addresses (127.0.0.2, 127.0.0.3, ...: Linux routes all of
127.0.0.0/8 to loopback, so nginx sees each as a different visitor):

  proxy  no instance up: the NHS error page (502); HTTP redirected, /healthz answered over HTTP;
         bodies over 1 MB refused; later, one instance killed: nobody notices.
  a.     rate limits by the visitor's real address: 20 visitors, none refused; one visitor
         sending 11 (each claiming another X-Forwarded-For), the 11th refused; 20 copies of
         one form at once, one expression of interest and no refusal.
  b.     PostgreSQL restarted under load, then stopped for 5 s: no 500, 503 only while it is
         down (/healthz too), 200 again within 5 s, every email delivered exactly once after.
  c.     Redis stopped under load: pages and forms still answer, /healthz names the cache as
         down; started again, the cache is used again.
  d.     2,000 requests with made-up query parameters do not fill Redis with copies of pages.
  e.     the email worker killed with kill -9 twice in a queue of 30 emails, while a
         confirmation and then a notification is being sent: every email delivered exactly
         once after it is restarted and the stale period has passed.

Each figure is printed as it is measured and again in a table at the end; the test fails, after
the table, listing every figure out of bounds. `make drill` runs it alone, with its output.
About 2-3 minutes on 2 cores. Every process is stopped whatever happens; the logs are kept, and
their folder named, when the drill fails.

Over 600 lines: one feature, as the house style keeps one test file per feature.
"""

import collections
import json
import random
import shutil
import string
import tempfile
import threading
import time

import pytest

from tests.deployment.stack import (
    Stack,
    Visitor,
    form_post_headers,
    interest_form_body,
    interest_step_path,
)

SLUG = "patient-flow"  # open, for adults, from opportunities/content/trust.json
# The interest form's first question page.
FORM = f"/opportunities/{SLUG}/interest/name/"
# The public pages, each served from the page cache to visitors who are not signed in.
PUBLIC_PAGES = [
    "/", "/opportunities/", f"/opportunities/{SLUG}/", "/opportunities/patient-safety/",
    "/events/", "/lay-partners/", "/glossary/",
]
LOAD_SECONDS = 60  # step b
OUTAGE_SECONDS = 5  # step b's second outage: PostgreSQL stopped this long
STALE_SECONDS = 10  # EMAIL_WORKER_STALE_SECONDS in the drill's environment
OK = {200, 301, 302}


class Drill:
    """Collects the figures: each printed when measured, all in a table at the end."""

    def __init__(self):
        self.started = time.monotonic()
        self.figures = []

    def say(self, message):
        print(f"[drill {time.monotonic() - self.started:6.1f}s] {message}", flush=True)

    def figure(self, step, what, value, bound, ok):
        self.figures.append((step, what, str(value), bound, ok))
        self.say(f"{step}: {what}: {value} (bound: {bound}) {'ok' if ok else 'OUT OF BOUNDS'}")
        return ok

    def table(self):
        width = max(len(what) for _, what, *_ in self.figures)
        value_width = max(len(value) for _, _, value, *_ in self.figures)
        lines = [
            f"{'step':<6} {'figure':<{width}} {'value':<{value_width}} {'bound':<24} ok",
            "-" * (width + value_width + 40),
        ]
        for step, what, value, bound, ok in self.figures:
            lines.append(f"{step:<6} {what:<{width}} {value:<{value_width}} {bound:<24} "
                         f"{'yes' if ok else 'NO'}")
        return "\n".join(lines)

    def failures(self):
        return [f"{step}: {what} = {value} (bound: {bound})"
                for step, what, value, bound, ok in self.figures if not ok]


@pytest.fixture
def stack(request):
    workdir = tempfile.mkdtemp(prefix="involvement-drill-")
    drill = Drill()
    stack = Stack(workdir, log=drill.say)
    stack.drill = drill
    try:
        yield stack
    finally:
        stack.close()
        report = getattr(request.node, "report_call", None)
        passed = report is not None and report.passed
        if passed:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"\nThe drill's logs are kept in {workdir}\n{stack.logs()}", flush=True)


def in_parallel(calls, threads):
    """Run the calls on `threads` threads; their results in order."""
    results = [None] * len(calls)
    queue = collections.deque(enumerate(calls))
    lock = threading.Lock()

    def run():
        while True:
            with lock:
                if not queue:
                    return
                index, call = queue.popleft()
            results[index] = call()

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=300)
    return results


def runs(codes):
    """[302, 302, 429] as '2 x 302, 1 x 429': what happened, in order, in a few words."""
    parts = []
    for code in codes:
        if parts and parts[-1][1] == code:
            parts[-1][0] += 1
        else:
            parts.append([1, code])
    return ", ".join(f"{n} x {code}" for n, code in parts)


def statuses(responses):
    return collections.Counter(r.status if r.status is not None else "no answer"
                               for r in responses)


def tally(counter):
    """Counter({200: 4368, 302: 29}) as '4368 x 200, 29 x 302'."""
    return ", ".join(f"{n} x {key}" for key, n in sorted(counter.items(), key=str)) or "none"


class Load:
    """Steady load through nginx for `seconds`: threads reading public pages (from the cache,
    as most visitors do), one searching (a new search each time, so always from the database),
    and one sending a form every `form_every` seconds, each from a new address and email."""

    def __init__(self, port, seconds, prefix, readers=2, form_every=2.0):
        self.port = port
        self.seconds = seconds
        self.prefix = prefix
        self.readers = readers
        self.form_every = form_every
        self.responses = []  # (kind, Response)
        self.forms = []  # (email, Response)
        self.lock = threading.Lock()
        self.threads = []

    def _record(self, kind, response):
        with self.lock:
            self.responses.append((kind, response))

    def _read(self, index):
        visitor = Visitor(self.port, source=f"127.0.{self.prefix}.{200 + index}", cookies=False)
        pages = PUBLIC_PAGES[:3]
        n = 0
        while time.monotonic() < self.until:
            self._record("page", visitor.get(pages[n % len(pages)]))
            n += 1
            time.sleep(0.02)
        visitor.close()

    def _search(self):
        visitor = Visitor(self.port, source=f"127.0.{self.prefix}.250", cookies=False)
        while time.monotonic() < self.until:
            word = "".join(random.choices(string.ascii_lowercase, k=6))
            self._record("search", visitor.get(f"/opportunities/?q={word}"))
            time.sleep(0.1)
        visitor.close()

    def _send_forms(self):
        n = 0
        while time.monotonic() < self.until and n < 150:
            n += 1
            email = f"drill-{self.prefix}-{n}@example.com"
            visitor = Visitor(self.port, source=f"127.0.{self.prefix}.{n}")
            page = visitor.get(FORM)
            self._record("form page", page)
            if page.status == 200:
                sent = visitor.send_interest_form(SLUG, email, form_page=page)
                self._record("form sent", sent)
                with self.lock:
                    self.forms.append((email, sent))
            visitor.close()
            time.sleep(self.form_every)

    def start(self):
        self.until = time.monotonic() + self.seconds
        targets = [lambda i=i: self._read(i) for i in range(self.readers)]
        targets += [self._search, self._send_forms]
        self.threads = [threading.Thread(target=target, daemon=True) for target in targets]
        for thread in self.threads:
            thread.start()
        return self

    def join(self):
        for thread in self.threads:
            thread.join(timeout=self.seconds + 60)

    def accepted_forms(self):
        return [email for email, response in self.forms if response.status == 302]


# Emails --------------------------------------------------------------------------------------


def table(model_path):
    """A model's table name, from the models themselves (this process has Django set up)."""
    from django.utils.module_loading import import_string

    return import_string(model_path)._meta.db_table


def queue_state(stack):
    rows = stack.postgres.query(
        f"SELECT status, count(*) FROM {table('django_tasks_db.models.DBTaskResult')} "
        "GROUP BY status"
    )
    return dict(rows)


def expression_emails(stack):
    return [row[0].lower() for row in stack.postgres.query(
        f"SELECT email FROM {table('applications.models.ExpressionOfInterest')} "
        "WHERE email <> ''"
    )]


def person_being_emailed(stack):
    """The address of the person whose expression of interest the task claimed last (the one in
    hand) is about: its first argument is the expression's id."""
    rows = stack.postgres.query(
        f"SELECT e.email FROM {table('django_tasks_db.models.DBTaskResult')} t "
        f"JOIN {table('applications.models.ExpressionOfInterest')} e "
        "ON e.id = (t.args_kwargs -> 'args' ->> 0)::bigint "
        "WHERE t.status = 'RUNNING' ORDER BY t.started_at DESC LIMIT 1"
    )
    return rows[0][0].lower() if rows else None


def check_emails(drill, stack, step, timeout):
    """Wait for the queue to empty and every expression's two emails to arrive, then count what
    each address received: the person's confirmation and the contact's notification, once
    each."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            waiting = {k: v for k, v in queue_state(stack).items() if k in ("READY", "RUNNING")}
            people = expression_emails(stack)
        except Exception:  # the database restarting: ask again
            waiting, people = {"?": 1}, []
        done = not waiting and stack.smtp.mailbox.total() >= 2 * len(people)
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    time.sleep(1.0)  # a duplicate on its way has time to land
    counts = stack.smtp.mailbox.counts()
    people = expression_emails(stack)
    others = {address: n for address, n in counts.items() if address not in set(people)}
    once = sum(1 for address in people if counts[address] == 1)
    missing = sum(1 for address in people if counts[address] == 0)
    duplicated = sum(1 for address in people if counts[address] > 1)
    [contact_count] = list(others.values()) or [0]
    failed = queue_state(stack).get("FAILED", 0)
    drill.figure(
        step, "confirmations delivered exactly once",
        f"{once} of {len(people)} (missing {missing}, duplicated {duplicated})",
        "all, once", once == len(people) and len(people) > 0,
    )
    drill.figure(
        step, "notifications to the contact", f"{contact_count} for {len(people)} expressions"
        + (f", {len(others)} contact addresses" if len(others) > 1 else ""),
        "one each", len(others) == 1 and contact_count == len(people),
    )
    drill.figure(step, "emails waiting / failed tasks",
                 f"{sum(waiting.values()) if waiting else 0} / {failed}", "0 / 0",
                 not waiting and failed == 0)


# The drill -----------------------------------------------------------------------------------


def test_the_portal_survives_its_parts_failing(stack):
    drill = stack.drill
    drill.say(f"building the production shape in {stack.workdir}")
    stack.start_services()
    nginx = stack.nginx
    port = nginx.https_port
    drill.say(f"PostgreSQL :{stack.postgres.port}, Redis :{stack.redis.port}, SMTP "
              f":{stack.smtp.port}, nginx :{nginx.http_port} (HTTP) :{port} (HTTPS)")

    step_proxy_before_the_portal(drill, stack)
    stack.prepare_database_and_static_files()
    drill.say("migrated, content loaded, static files collected")
    stack.start_portal()
    drill.say(f"gunicorn on :{stack.web[0].port} and :{stack.web[1].port}; email worker: "
              f"manage.py {stack.worker_command_name}")
    drill.figure("setup", "email worker command", stack.worker_command_name, "email_worker",
                 stack.worker_command_name == "email_worker")
    step_proxy(drill, stack)
    step_a(drill, stack)
    step_b(drill, stack)
    step_c(drill, stack)
    step_d(drill, stack)
    step_e(drill, stack)
    step_one_instance_down(drill, stack)

    # The worker waits out database outages by itself: it should have exited only when killed.
    codes = [code for _, code in stack.worker.exits]
    drill.figure("all", "email worker exits", tally(collections.Counter(codes)),
                 "only the 2 kills (-9)", codes == [-9, -9])

    seconds = time.monotonic() - drill.started
    drill.figure("all", "drill duration", f"{seconds:.0f} s", "< 300 s", seconds < 300)
    print("\n" + drill.table() + "\n", flush=True)
    failures = drill.failures()
    assert not failures, "Out of bounds:\n" + "\n".join(failures)


def step_proxy_before_the_portal(drill, stack):
    """nginx is up, no gunicorn instance is: the NHS error page, from disk."""
    response = Visitor(stack.nginx.https_port).get("/opportunities/")
    body = response.text()
    page_ok = (
        response.status == 502
        and "Sorry, there is a problem with the service" in body
        and "<script" not in body
    )
    drill.figure("proxy", "no instance answering", f"{response.status}, NHS error page"
                 if page_ok else f"{response.status}: {body[:80]!r}", "502 + the page", page_ok)


def step_proxy(drill, stack):
    plain = Visitor(stack.nginx.http_port, scheme="http", cookies=False)
    redirect = plain.get("/opportunities/?q=flow")
    location = redirect.header("Location") or ""
    drill.figure("proxy", "plain HTTP", f"{redirect.status} to {location}",
                 "301 to https://", redirect.status == 301 and location.startswith("https://"))
    health = plain.get("/healthz")
    drill.figure("proxy", "/healthz over plain HTTP", health.status, "200", health.status == 200)
    big = Visitor(stack.nginx.https_port, cookies=False).request(
        "POST", FORM, body=b"x" * (2 * 1024 * 1024), headers=form_post_headers(SLUG)
    )
    drill.figure("proxy", "a 2 MB form", big.status, "413", big.status == 413)


def step_a(drill, stack):
    port = stack.nginx.https_port

    # 20 visitors, each from its own address, each claiming an address of its own too.
    def visitor(i):
        return Visitor(port, source=f"127.0.0.{2 + i}", forwarded_for=f"203.0.113.{1 + i}") \
            .send_interest_form(SLUG, f"drill-a-{i}@example.com")

    sent = in_parallel([lambda i=i: visitor(i) for i in range(20)], threads=5)
    seen = statuses(sent)
    drill.figure("a", "20 visitors, own addresses: refused (429)", f"{seen[429]} ({tally(seen)})",
                 "0 refused, 20 sent", seen[429] == 0 and seen[302] == 20)

    # One visitor sends 11, claiming another X-Forwarded-For each time: nginx appends the real
    # address, and only that one is trusted.
    one = Visitor(port, source="127.0.0.22")
    codes = []
    for i in range(11):
        one.forwarded_for = f"198.51.100.{1 + i}"
        codes.append(one.send_interest_form(SLUG, f"drill-a-one-{i}@example.com").status)
    drill.figure("a", "one visitor sending 11 (new X-Forwarded-For each)",
                 runs(codes), "10 x 302, 1 x 429",
                 codes == [302] * 10 + [429])

    # The same form sent 20 times at once (a frantic double click, a flaky connection).
    first = Visitor(port, source="127.0.0.23")
    check_answers = first.answer_interest_questions(SLUG, "drill-a-same@example.com")
    same_body = interest_form_body(check_answers)
    send = interest_step_path(SLUG, "check-answers")
    barrier = threading.Barrier(20, timeout=30)

    def send_again():
        copy = Visitor(port, source="127.0.0.23")
        copy.cookies = dict(first.cookies)
        barrier.wait()
        return copy.request("POST", send, body=same_body,
                            headers=form_post_headers(SLUG, "check-answers"))

    copies = in_parallel([send_again] * 20, threads=20)
    [[records]] = stack.postgres.query(
        f"SELECT count(*) FROM {table('applications.models.ExpressionOfInterest')} "
        "WHERE email = %s",
        ["drill-a-same@example.com"],
    )
    seen = statuses(copies)
    drill.figure("a", "20 identical POSTs at once: records", records, "exactly 1", records == 1)
    drill.figure("a", "20 identical POSTs at once: answers", tally(seen), "20 x 302, 0 refused",
                 seen[302] == 20)


def step_b(drill, stack):
    """PostgreSQL restarted under load (`pg_ctl restart -m fast`, down for a fraction of a
    second), then, in the same minute, stopped for OUTAGE_SECONDS and started again: long
    enough for many requests, /healthz and the worker to meet a database that is not there."""
    port = stack.nginx.https_port
    load = Load(port, LOAD_SECONDS, prefix=1).start()
    outages = []  # (what, down at, accepting again at)

    def back_up(down_at, what):
        deadline = time.monotonic() + 60
        while not stack.postgres.accepting() and time.monotonic() < deadline:
            time.sleep(0.05)
        up_at = time.monotonic()
        outages.append((what, down_at, up_at))
        drill.say(f"b: {what}: accepting connections again after {up_at - down_at:.1f} s")

    time.sleep(15)
    down_at = time.monotonic()
    stack.postgres.restart()
    back_up(down_at, "pg_ctl restart -m fast")

    time.sleep(15)
    down_at = time.monotonic()
    stack.postgres.stop_fast()
    time.sleep(1)
    health, body = healthz(Visitor(port, cookies=False))
    time.sleep(OUTAGE_SECONDS - 1)
    stack.postgres.start_again()
    back_up(down_at, f"pg_ctl stop -m fast, {OUTAGE_SECONDS} s, start")
    load.join()

    def in_outage(response, grace=0.0):
        return any(response.ended >= down and response.started <= up + grace
                   for _, down, up in outages)

    responses = [r for _, r in load.responses]
    seen = statuses(responses)
    drill.figure("b", f"requests under load ({LOAD_SECONDS} s)",
                 f"{len(responses)}: {tally(seen)}", "-", True)
    drill.figure("b", "database down for", ", ".join(
        f"{up - down:.1f} s ({what.split(',')[0]})" for what, down, up in outages), "-", True)
    drill.figure("b", "/healthz while it is stopped",
                 f"{health.status}, database {part_state(body, 'database')}",
                 "503, database down",
                 health.status == 503 and part_state(body, "database") == "down")
    errors = [(kind, r) for kind, r in load.responses
              if r.status is None or (r.status >= 500 and r.status != 503)]
    where = collections.Counter(f"{kind} {r.status or 'no answer'}" for kind, r in errors)
    drill.figure("b", "500s and other errors (503 aside)",
                 f"{seen[500]} x 500, {len(errors) - seen[500]} other"
                 + (f" ({', '.join(f'{n} x {k}' for k, n in where.items())})" if where else ""),
                 "0", not errors)
    unavailable = [r for r in responses if r.status == 503]
    outside = [r for r in unavailable if not in_outage(r, grace=5)]
    drill.figure("b", "503s (of them outside an outage)", f"{len(unavailable)} ({len(outside)})",
                 "only while down", not outside)
    # Back to normal: the last failure after each outage, counted from when PostgreSQL
    # accepted connections again; and every search (always from the database) answered 200
    # from 5 s after the last outage on.
    recovered = max(
        (r.ended - up for _, down, up in outages for r in responses
         if r.ended > up and r.started < up + 10 and (r.status is None or r.status >= 500)),
        default=0.0,
    )
    last_up = outages[-1][2]
    searches_after = [r for kind, r in load.responses
                      if kind == "search" and r.started > last_up + 5]
    drill.figure("b", "back to 200 after it accepted connections", f"{recovered:.1f} s",
                 "<= 5 s", recovered <= 5 and bool(searches_after)
                 and all(r.status == 200 for r in searches_after))
    accepted = load.accepted_forms()
    drill.figure("b", "forms sent (302) / refused (429)",
                 f"{len(accepted)} / {sum(1 for _, r in load.forms if r.status == 429)}",
                 ">= 10 sent", len(accepted) >= 10)
    check_emails(drill, stack, "b", timeout=45)


def healthz(visitor):
    response = visitor.get("/healthz")
    try:
        body = json.loads(response.body)
    except ValueError:
        body = None
    return response, body


def part_state(body, part):
    try:
        return body[part]["status"]
    except (TypeError, KeyError):
        return None


def step_c(drill, stack):
    port = stack.nginx.https_port
    load = Load(port, 14, prefix=2, form_every=1.0).start()
    time.sleep(2)
    stopped_at = time.monotonic()
    stack.redis.stop()
    drill.say("c: Redis stopped")
    time.sleep(4)
    response, body = healthz(Visitor(port, cookies=False))
    load.join()
    during = [(kind, r) for kind, r in load.responses if r.started > stopped_at]
    seen = statuses([r for _, r in during])
    broken = [r for kind, r in during
              if r.status not in ({302} if kind == "form sent" else {200})]
    drill.figure("c", "Redis down: answers under load", f"{len(during)}: {tally(seen)}",
                 "pages 200, forms 302", not broken and len(during) > 0)
    sent_while_down = sum(1 for kind, r in during if kind == "form sent" and r.status == 302)
    drill.figure("c", "Redis down: forms sent", sent_while_down, ">= 5", sent_while_down >= 5)
    cache = part_state(body, "cache")
    drill.figure("c", "Redis down: /healthz", f"{response.status}, cache {cache}",
                 "200, cache down", response.status == 200 and cache == "down")

    stack.redis.start()
    drill.say("c: Redis started again")
    reader = Visitor(port, cookies=False)
    deadline = time.monotonic() + 10
    keys = 0
    while time.monotonic() < deadline:
        for page in PUBLIC_PAGES[:3]:
            reader.get(page)
        keys = stack.redis.client().dbsize()
        if keys:
            break
        time.sleep(0.5)
    response, body = healthz(reader)
    cache = part_state(body, "cache")
    drill.figure("c", "Redis back: keys written / /healthz",
                 f"{keys} keys; {response.status}, cache {cache}", "> 0; 200, cache ok",
                 keys > 0 and response.status == 200 and cache == "ok")


def step_d(drill, stack):
    port = stack.nginx.https_port
    redis = stack.redis.client()

    def page_keys():
        return sum(1 for _ in redis.scan_iter(match="*public-page*", count=1000))

    # After step c, each gunicorn worker does without Redis for CACHE_RETRY_SECONDS (5) after
    # it last failed to answer; only after that does the first visit to each real page keep it.
    time.sleep(max(0.0, stack.redis.started_at + 6 - time.monotonic()))
    for page in PUBLIC_PAGES:  # each real page once, as any visitor would
        Visitor(port, cookies=False).get(page)
    before = page_keys()
    memory_before = redis.info("memory")["used_memory"]

    def reader(index):
        visitor = Visitor(port, source=f"127.0.4.{index + 1}", cookies=False)
        rng = random.Random(index)
        answers = []
        for n in range(500):
            value = "".join(rng.choices(string.ascii_lowercase + string.digits, k=10))
            page = PUBLIC_PAGES[(index + n) % len(PUBLIC_PAGES)]
            answers.append(visitor.get(f"{page}?utm_x={value}").status)
        visitor.close()
        return answers

    started = time.monotonic()
    answers = [s for batch in in_parallel([lambda i=i: reader(i) for i in range(4)], 4)
               for s in batch]
    seconds = time.monotonic() - started
    grown = page_keys() - before
    memory_after = redis.info("memory")["used_memory"]
    seen = collections.Counter(answers)
    drill.figure("d", "2,000 requests with made-up parameters", f"{tally(seen)} in {seconds:.0f} s",
                 "all 200", seen[200] == len(answers) == 2000)
    drill.figure("d", "public-page keys added", f"{grown} (Redis memory "
                 f"{memory_before / 2**20:.1f} -> {memory_after / 2**20:.1f} MB)",
                 f"<= {len(PUBLIC_PAGES)} (real pages)", grown <= len(PUBLIC_PAGES))


def step_e(drill, stack):
    """The worker killed twice while sending a queue of 30 emails: once while a confirmation
    (the first of an expression's two tasks) is being handed to the SMTP server, once while a
    notification (the second, its confirmation already sent) is. Chosen moments, not random
    ones, so the drill says the same every run."""
    port = stack.nginx.https_port
    mailbox = stack.smtp.mailbox
    # Each recipient takes 0.3 s: 30 emails take about 10 s, long enough to be killed twice.
    mailbox.delay = 0.3
    before = mailbox.total()

    def visitor(i):
        return Visitor(port, source=f"127.0.3.{1 + i // 3}") \
            .send_interest_form(SLUG, f"drill-e-{i}@example.com")

    sent = in_parallel([lambda i=i: visitor(i) for i in range(15)], threads=5)
    queued = sum(1 for r in sent if r.status == 302)
    people = {f"drill-e-{i}@example.com" for i in range(15)}
    kills = []
    # A notification right after a confirmation: the notification about that same person, as
    # the worker takes each expression's two emails in turn. (Right after the first kill the
    # worker's next email is the notification about the person whose confirmation was cut off,
    # which would test nothing.)
    for which, now in (
        ("a confirmation", lambda address: address in people),
        ("a notification", lambda address: address not in people and mailbox.last_to in people),
    ):
        starts = stack.worker.starts
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            address = mailbox.in_flight
            if mailbox.total() - before >= 2 and address and now(address):
                break
            time.sleep(0.01)
        else:
            drill.figure("e", f"kill -9 while sending {which}", "never saw one being sent",
                         "killed, restarted", False)
            continue
        delivered = mailbox.total() - before
        stack.worker.kill()
        killed_at = time.monotonic()
        # The task the killed worker had claimed stays RUNNING until EMAIL_WORKER_STALE_SECONDS
        # have passed; then it is put back in the queue.
        running = queue_state(stack).get("RUNNING", 0)
        person = person_being_emailed(stack)
        confirmed = mailbox.counts()[person] if person else 0
        try:
            stack.worker.wait_started(after=starts, timeout=15)
            restarted = f"restarted in {time.monotonic() - killed_at:.1f} s"
        except RuntimeError:
            restarted = "not restarted"
        kills.append((which, killed_at, person))
        if which == "a notification":
            # What the kill is for: that person's confirmation has gone, its notification not.
            moment = ("its confirmation delivered" if confirmed == 1
                      else f"its confirmation delivered {confirmed} times")
            right_moment = confirmed == 1
        else:
            moment, right_moment = "nothing delivered for that person", confirmed == 0
        drill.figure("e", f"kill -9 while sending {which}",
                     f"after {delivered} of {2 * queued} emails, {moment}, {running} task "
                     f"running; {restarted}", "killed, restarted",
                     restarted != "not restarted" and queued >= 12 and right_moment)
    check_emails(drill, stack, "e", timeout=2 * STALE_SECONDS + 30)
    counts = mailbox.counts()
    for which, _, person in kills:
        if which == "a notification" and person and counts[person] > 1:
            # What a task sending both emails did when run again after the kill, before each
            # email had a task of its own: named, should it ever come back.
            drill.say(f"e: the confirmation sent just before the kill during {which} arrived "
                      f"{counts[person]} times")
    if kills:
        last = (mailbox.last_at or kills[-1][1]) - kills[-1][1]
        drill.figure("e", "from the last kill to the last email", f"{last:.1f} s", "-", True)
    mailbox.delay = 0.0


def step_one_instance_down(drill, stack):
    port = stack.nginx.https_port
    stack.web[1].stop()
    drill.say(f"proxy: {stack.web[1].name} stopped")
    reader = Visitor(port, cookies=False)
    answers = [reader.get(page).status for page in PUBLIC_PAGES * 3]
    answers += [
        Visitor(port, source=f"127.0.5.{i + 1}")
        .send_interest_form(SLUG, f"drill-f-{i}@example.com").status
        for i in range(3)
    ]
    seen = collections.Counter(answers)
    drill.figure("proxy", "one instance down: answers", tally(seen), "all 200/302",
                 set(seen) <= OK)

