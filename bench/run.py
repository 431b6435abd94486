"""`make bench`: the portal's performance benchmark, in one rerunnable command.

1. PostgreSQL (DATABASE_URL, a separate bench database: its name must contain "bench") is
   migrated and seeded with 1,000,000 expressions of interest (bench/seed.py), then VACUUMed
   and ANALYZEd.
2. The production stack starts on loopback: gunicorn with DEBUG off, a generated SECRET_KEY,
   Redis as the cache and whitenoise serving files collected into a temporary STATIC_ROOT.
3. wrk saturates each page (throughput and latency at saturation), then wrk again, paced at
   70% of that throughput (bench/wrk.lua's delay(); latency at a realistic load). A Python
   client sending evenly spaced requests was used before: it could not keep up with a page
   served from the cache. The form POST uses wrk with a Lua script, with a new submission_key
   per request. The admin changelist is loaded as a signed-in member of staff.
4. It prints a table, the gunicorn workers' peak memory, the targets, and one line per page:
   `<page>: <req/s> req/s, p95 <ms> ms, <ratio> of baseline`.

gunicorn is stopped whatever happens (finally, and on SIGINT/SIGTERM).

Its length (over 600 lines) is one command told in order, start to table: splitting it would
make the order of the steps harder to follow, not easier.
"""

import argparse
import contextlib
import http.client
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/involvement_bench"
# Redis database 2 unless BENCH_CACHE_URL says otherwise: on a machine shared by several
# checkouts, another bench (or Lighthouse) emptying database 2 mid-run would make every page
# here a cache miss.
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/2")
HOST = "127.0.0.1"

# The filtered list the issue names: lay partner roles, at the hospital, mentioning care.
LIST_FILTERS = "?kind=lay_partner&where=on_site&q=care"

TARGETS = {
    "list_ratio": 0.30,
    "detail_ratio": 0.40,
    "public_p95_ms": 50.0,
    "admin_p95_ms": 300.0,
    "worker_mb": 150.0,
}


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# Set-up ----------------------------------------------------------------------------------------


def database_url():
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    parsed = urllib.parse.urlparse(url)
    name = parsed.path.lstrip("/")
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(f"bench: DATABASE_URL must be PostgreSQL, not {parsed.scheme!r}")
    if "bench" not in name:
        sys.exit(
            f"bench: refusing to use database {name!r}: the bench empties and reseeds its "
            "database, so its name must contain 'bench' (default: involvement_bench)"
        )
    return url, parsed


def ensure_services():
    """Start PostgreSQL and Redis if they are not running, as .ci/run does."""
    if subprocess.run(["pg_isready", "-h", HOST, "-p", "5432", "-q"]).returncode != 0:
        clusters = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") \
            else []
        if clusters:
            log("starting PostgreSQL")
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1], "main",
                            "start"], check=False)
            for _ in range(30):
                if subprocess.run(["pg_isready", "-h", HOST, "-q"]).returncode == 0:
                    break
                time.sleep(1)
    ping = subprocess.run(["redis-cli", "-h", HOST, "-p", "6379", "ping"],
                          capture_output=True, text=True)
    if "PONG" not in ping.stdout:
        log("starting Redis")
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", HOST, "--port", "6379",
                        "--save", "", "--appendonly", "no"], check=True)
        time.sleep(1)


def ensure_tools():
    """wrk comes from Debian's packages; install it if it is missing."""
    missing = [tool for tool in ("wrk",) if shutil.which(tool) is None]
    if not missing:
        return
    log(f"installing {' '.join(missing)} from Debian's packages")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def ensure_database(parsed):
    import psycopg2

    name = parsed.path.lstrip("/")
    conn = psycopg2.connect(
        dbname="postgres", user=parsed.username or "postgres", password=parsed.password,
        host=parsed.hostname or HOST, port=parsed.port or 5432,
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            log(f"creating database {name}")
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def configure_environment(url, static_root, secret_key):
    """The production configuration, on loopback. Shared by gunicorn and this process."""
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_STATIC_ROOT": str(static_root),
        "DATABASE_URL": url,
        "CACHE_URL": CACHE_URL,
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "REQUIRE_STAFF_TWO_FACTOR": "false",
        # Every POST comes from 127.0.0.1: lift the per-address limit for the bench only.
        "EXPRESSION_RATE_LIMIT": "1000000000",
        "TASKS_BACKEND": "django_tasks_db.backend.DatabaseBackend",
        "EMAIL_URL": "consolemail://",
        "LOG_LEVEL": "WARNING",
    })
    os.environ.pop("STATICFILES_BACKEND", None)
    os.environ.pop("CONN_MAX_AGE", None)
    sys.path.insert(0, str(ROOT))


def django_setup():
    import django

    django.setup()


def make_staff_session(username):
    """A signed-in session for the bench's member of staff, made directly in the session store
    (as django.contrib.auth.login would), so django-axes and two-factor sign-in are not
    involved. Returns (cookie name, session key)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )

    user = get_user_model().objects.get(username=username)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["last_activity"] = int(time.time())
    store.create()
    return settings.SESSION_COOKIE_NAME, store.session_key


def pick_opportunity():
    """An open opportunity for adults with no minimum age (the POST body is a 25-64 adult),
    with a typical number of expressions: the same one on every run of the same seed."""
    from opportunities.models import Opportunity

    opportunity = (
        Opportunity.objects.open()
        .filter(audience=Opportunity.Audience.ADULTS, minimum_age__isnull=True)
        .order_by("pk")
        .first()
    )
    if opportunity is None:
        sys.exit("bench: the seed has no open opportunity for adults")
    return opportunity.slug


# gunicorn --------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, port, workers, logfile):
        self.port = port
        self.workers = workers
        self.logfile = logfile
        self.process = None

    def start(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn), "involvement.wsgi", "--bind", f"{HOST}:{self.port}",
            "--workers", str(self.workers), "--worker-class", "sync", "--timeout", "60",
            "--log-level", "warning", "--chdir", str(ROOT),
        ]
        self.log = open(self.logfile, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.tail()}")
            with contextlib.suppress(OSError):
                status, _, _ = request("GET", self.port, "/healthz")
                if status == 200 and len(self.worker_pids()) == self.workers:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"gunicorn did not answer in 90 s:\n{self.tail()}")

    def worker_pids(self):
        if self.process is None:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def memory(self):
        """Each worker's peak resident memory (VmHWM) and current (VmRSS), in MB."""
        result = {}
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            values = dict(re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", status, re.M))
            result[pid] = {k: int(v) / 1024 for k, v in values.items()}
        return result

    def tail(self, lines=30):
        try:
            return "\n".join(Path(self.logfile).read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self.log.close()


# HTTP helpers and load tools -------------------------------------------------------------------


def request(method, port, path, body=None, headers=None, timeout=30):
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def csrf_for(port, path):
    """A CSRF cookie and matching form token, from the form page as a browser gets them."""
    status, headers, body = request("GET", port, path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    cookie = None
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("csrftoken="):
            cookie = value.split(";", 1)[0]
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not cookie or not match:
        raise RuntimeError("the form page gave no CSRF cookie or token")
    return cookie, match.group(1).decode()


def form_body(token, website=""):
    fields = [
        ("csrfmiddlewaretoken", token), ("website", website),
        ("full_name", "Bench Mark"), ("email", "bench.mark@example.com"), ("phone", ""),
        ("preferred_contact", "email"), ("age_band", "25_64"), ("connections", "patient"),
        ("connection_other", ""),
        ("why_interested", "I was a patient here and want to help make things better."),
        ("experience", ""), ("access_needs_other", ""), ("availability", "Weekday mornings"),
        ("privacy_consent", "on"),
    ]
    return urllib.parse.urlencode(fields)


def wrk(port, path, duration, connections, threads=2, headers=None, env=None):
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
               "--timeout", "10s", "-s", str(BENCH / "wrk.lua")]
    for header in headers or []:
        command += ["-H", header]
    command.append(f"http://{HOST}:{port}{path}")
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**os.environ, **(env or {})}, timeout=duration + 60)
    match = re.search(r"^BENCH_JSON (.*)$", result.stdout, re.M)
    if result.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed for {path}:\n{result.stdout}\n{result.stderr}")
    data = json.loads(match.group(1))
    seconds = data["duration_us"] / 1e6
    errors = sum(data[k] for k in ("connect_errors", "read_errors", "write_errors",
                                   "timeouts", "status_errors"))
    return {
        "rps": data["requests"] / seconds, "requests": data["requests"], "errors": errors,
        "p50": data["p50_us"] / 1000, "p95": data["p95_us"] / 1000,
        "p99": data["p99_us"] / 1000,
    }


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, math.ceil(p / 100 * len(values)) - 1))
    return values[k]


# Connections for the paced test. Far more than the requests in flight at 70% (about 1.4 on 2
# workers), so a slow response rarely holds back the next request on its connection.
PACED_CONNECTIONS = 16


def paced(port, path, rate, duration, saturation, workers, headers=None, env=None):
    """wrk at a steady `rate`, evenly spread: each connection sends a request, waits, and sends
    the next (BENCH_DELAY_MS in bench/wrk.lua), the connections starting at random points of
    their period. wrk waits after each response, so a connection's cycle is its wait plus the
    response time; the wait is shortened by the page's service time measured at saturation
    (workers / throughput) so the cycles add up to `rate`. The rate reached is measured and
    reported. Latency is wrk's, from each request being sent.

    A Python client sending evenly spaced requests was used first; it could not send more than
    about 1,300 requests a second on this machine, far below 70% of a page served from the
    cache, so its own lateness swamped what it measured. Random (Poisson-like) gaps were tried
    too: 16 connections then often send together, and p95 measured those bursts, at three to
    four times the p95 at saturation, rather than the page at 70% of its rate."""
    rate = max(rate, 0.1)
    service_ms = 1000 * workers / max(saturation["rps"], 0.1)
    connections, threads = PACED_CONNECTIONS, 2
    period_ms = 1000 * connections / rate
    delay_ms = max(period_ms - service_ms, 0.0)
    result = wrk(port, path, duration, connections, threads=threads, headers=headers, env={
        **(env or {}),
        "BENCH_DELAY_MS": f"{delay_ms:.3f}",
        "BENCH_PERIOD_MS": f"{period_ms:.3f}",
        "BENCH_CONNECTIONS_PER_THREAD": str(connections // threads),
    })
    result["target_rps"] = rate
    return result


# Checks made in this process (Django test client against the same database) -------------------


def changelist_count_queries(username):
    """The admin changelist's SQL at 1,000,000 rows: does any query COUNT the table?"""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from applications.models import ExpressionOfInterest

    table = ExpressionOfInterest._meta.db_table
    client = Client()
    name, key = make_staff_session(username)
    client.cookies[name] = key
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/applications/expressionofinterest/", HTTP_HOST=HOST)
    counts = [
        q["sql"] for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() and f'FROM "{table}"' in q["sql"]
    ]
    return response.status_code, counts, len(queries.captured_queries)


# The run ---------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", choices=["reuse", "fresh"], default="reuse")
    parser.add_argument("--duration", type=int, default=10, help="seconds per load test")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--only", help="measure only the pages whose names contain this "
                        "(the baseline is always measured; the targets then show what ran)")
    args = parser.parse_args(argv)

    started = time.monotonic()
    url, parsed = database_url()
    ensure_services()
    ensure_tools()
    ensure_database(parsed)

    workdir = Path(tempfile.mkdtemp(prefix="involvement-bench-"))
    configure_environment(url, workdir / "static", secrets.token_urlsafe(64))
    server = None

    def stop_on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        django_setup()
        from django.core.cache import cache
        from django.core.management import call_command
        from django.db import connection

        from bench import seed

        log(f"database {parsed.path.lstrip('/')}: migrate")
        call_command("migrate", interactive=False, verbosity=0)
        seeded = seed.seed(fresh=args.seed == "fresh", log=log)
        t = time.monotonic()
        with connection.cursor() as cursor:
            # VACUUM as well: production's autovacuum keeps each table's visibility map, which
            # index-only scans need (the team's home counts from its indexes alone). This
            # machine's PostgreSQL runs with autovacuum off, and a seed's COPY leaves the map
            # empty, so without it those counts read the table instead (bench/README.md).
            # Seconds on a seed already vacuumed.
            cursor.execute("VACUUM ANALYZE")
        log(f"VACUUM ANALYZE in {time.monotonic() - t:.0f} s")
        t = time.monotonic()
        call_command("collectstatic", interactive=False, verbosity=0)
        log(f"collectstatic (whitenoise, compressed manifest) in {time.monotonic() - t:.0f} s")
        cache.clear()
        slug = pick_opportunity()
        cookie_name, session_key = make_staff_session(seed.BENCH_STAFF)
        staff_cookie = f"Cookie: {cookie_name}={session_key}"
        admin_status, count_queries, admin_queries = changelist_count_queries(seed.BENCH_STAFF)
        connection.close()

        port = free_port()
        server = Gunicorn(port, args.workers, workdir / "gunicorn.log")
        server.start()
        log(f"gunicorn: {args.workers} sync workers on {HOST}:{port} "
            f"(pids {server.worker_pids()})")

        # The interest form's first question page. Its POST, answering it, is what wrk can
        # repeat (each without a session, so each starts one); "Send" needs a session that has
        # answered every page, so it is not measured here (tests/test_bench_seed.py sends one).
        form_path = f"/opportunities/{slug}/interest/name/"
        pages = [
            ("baseline (robots.txt)", "/robots.txt", "baseline", []),
            ("opportunity list", "/opportunities/", "public", []),
            ("opportunity list, filtered", "/opportunities/" + LIST_FILTERS, "public", []),
            ("opportunity page", f"/opportunities/{slug}/", "public", []),
            # The same pages when every request misses the public page cache: what building
            # them costs (a search nobody made before, or the first visit after staff edit).
            ("opportunity list, not cached", "/opportunities/", "miss", []),
            ("opportunity page, not cached", f"/opportunities/{slug}/", "miss", []),
            ("form page (GET)", form_path, "public", []),
            ("question page answered (POST)", form_path, "post", []),
            ("admin changelist (1M)", "/admin/applications/expressionofinterest/", "admin",
             [staff_cookie]),
            ("admin changelist, status=new", "/admin/applications/expressionofinterest/"
             "?status__exact=new", "admin", [staff_cookie]),
            # This month's figures, kept in the cache for five minutes once worked out (the
            # checks before measuring work them out; applications/team_home.py).
            ("team's home (this month)", "/admin/applications/expressionofinterest/team-home/",
             "admin", [staff_cookie]),
        ]
        if args.only:
            pages = [page for page in pages if page[2] == "baseline" or args.only in page[0]]
        # Every page answers as expected before it is measured.
        for name, path, kind, headers in pages:
            if kind == "post":
                continue
            for _ in range(5):
                status, _, _ = request("GET", port, path,
                                       headers=dict(h.split(": ", 1) for h in headers))
            if status != 200:
                raise RuntimeError(f"{name}: GET {path} answered {status}\n{server.tail()}")

        from applications.models import ExpressionOfInterest

        results = {}
        for name, path, kind, headers in pages:
            log(f"{name}: saturation ({args.duration} s, {args.connections} connections)")
            if kind == "post":
                csrf_cookie, token = csrf_for(port, form_path)
                before = ExpressionOfInterest.objects.count()
                nonce = secrets.randbelow(2**31)
                # A warm-up POST that must redirect to the confirmation page.
                status, _, _ = request("POST", port, form_path, body=form_body(token) +
                                       f"&submission_key={nonce:08x}-eeee-4000-8000-"
                                       f"{0:012x}", headers={
                                           "Content-Type": "application/x-www-form-urlencoded",
                                           "Cookie": csrf_cookie})
                if status != 302:
                    raise RuntimeError(f"the form POST answered {status}\n{server.tail()}")
                saturation = wrk(port, form_path, args.duration, args.connections, env={
                    "BENCH_POST_BODY": form_body(token), "BENCH_CSRF_COOKIE": csrf_cookie,
                    "BENCH_NONCE": str(nonce),
                })
                connection.close()
                created = ExpressionOfInterest.objects.count() - before
                saturation["created"] = created
                log(f"  {saturation['rps']:.1f} req/s; {created:,} expressions created for "
                    f"{saturation['requests']:,} POSTs")
                steady = paced(
                    port, form_path, 0.7 * saturation["rps"], args.duration, saturation,
                    args.workers, env={
                        "BENCH_POST_BODY": form_body(token), "BENCH_CSRF_COOKIE": csrf_cookie,
                        # Another nonce: the paced test's submission keys are new ones too.
                        "BENCH_NONCE": str((nonce + 1) % 2**31),
                    },
                )
            else:
                # A short warm-up, then saturation, then 70% of it.
                def miss(kind=kind):
                    return {"BENCH_CACHE_MISS": secrets.token_hex(4)} if kind == "miss" else None

                wrk(port, path, 2, args.connections, headers=headers, env=miss())
                saturation = wrk(port, path, args.duration, args.connections, headers=headers,
                                 env=miss())
                log(f"  {saturation['rps']:.1f} req/s, p95 {saturation['p95']:.1f} ms")
                steady = paced(port, path, 0.7 * saturation["rps"], args.duration, saturation,
                               args.workers, headers=headers, env=miss())
            log(f"  at 70% ({steady['rps']:.1f} of {steady['target_rps']:.1f} req/s, paced): "
                f"p95 {steady['p95']:.1f} ms")
            results[name] = {"path": path, "kind": kind, "saturation": saturation,
                             "steady": steady}
            if server.process.poll() is not None:
                raise RuntimeError(f"gunicorn died:\n{server.tail()}")

        memory = server.memory()
        report(results, memory, args, seeded, admin_status, count_queries, admin_queries,
               time.monotonic() - started)
    finally:
        if server is not None:
            server.stop()
            log("gunicorn stopped")
        shutil.rmtree(workdir, ignore_errors=True)


def machine():
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        match = re.search(r"^model name\s*:\s*(.*)$", Path("/proc/cpuinfo").read_text(), re.M)
        if match:
            cpu = match.group(1).strip()
    memory = ""
    with contextlib.suppress(OSError):
        match = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        if match:
            memory = f"{int(match.group(1)) / 1024 / 1024:.1f} GiB"
    load = os.getloadavg()
    return f"{os.cpu_count()} cores (nproc), {memory} memory, {cpu}; load average " \
           f"{load[0]:.1f} at the end"


def report(results, memory, args, seeded, admin_status, count_queries, admin_queries, seconds):
    baseline = results["baseline (robots.txt)"]["saturation"]["rps"]
    print()
    print(f"Machine: {machine()}")
    how = "reused" if seeded["reused"] else f"seeded in {seeded['seconds']:.0f} s"
    print(f"Data: {seeded['expressions']:,} expressions of interest, "
          f"{seeded['opportunities']:,} opportunities, {seeded['meetings']:,} meetings ({how})")
    print(f"Server: gunicorn, {args.workers} sync workers, DEBUG off, PostgreSQL, Redis cache; "
          f"wrk ({args.connections} connections) for saturation, then wrk paced at 70% of it "
          f"({PACED_CONNECTIONS} connections); {args.duration} s per test")
    print()
    header = (f"{'page':<30} {'sat. req/s':>10} {'p50':>7} {'p95':>7} {'p99':>7} {'err':>5} "
              f"{'70% target':>10} {'reached':>8} {'p50@70%':>8} {'p95@70%':>8} {'ratio':>6}")
    print(header)
    print("-" * len(header))
    for name, result in results.items():
        sat, steady = result["saturation"], result["steady"]
        print(f"{name:<30} {sat['rps']:>10.1f} {sat['p50']:>7.1f} {sat['p95']:>7.1f} "
              f"{sat['p99']:>7.1f} {sat['errors'] + steady['errors']:>5} "
              f"{steady['target_rps']:>10.1f} {steady['rps']:>8.1f} {steady['p50']:>8.1f} "
              f"{steady['p95']:>8.1f} "
              f"{sat['rps'] / baseline:>6.2f}")
    print("(latencies in ms; p50/p95/p99 at saturation (wrk); p95@70%: wrk paced at 70% of the "
          "saturation rate,\n 'reached' being the rate it reached)")
    print()
    for pid, values in sorted(memory.items()):
        print(f"gunicorn worker {pid}: peak memory (VmHWM) {values.get('VmHWM', 0):.1f} MB, "
              f"now (VmRSS) {values.get('VmRSS', 0):.1f} MB")
    print(f"admin changelist in-process check: HTTP {admin_status}, {admin_queries} queries, "
          f"{len(count_queries)} COUNT queries on the expressions table"
          + (": " + " | ".join(q[:160] for q in count_queries) if count_queries else ""))
    print()
    print("Targets:")

    def ratio(name):
        return results[name]["saturation"]["rps"] / baseline

    checks = [
        (f"{name} >= {TARGETS[target]:.2f} of baseline",
         ratio(name) >= TARGETS[target], f"{ratio(name):.2f}")
        for name, target in (
            ("opportunity list", "list_ratio"),
            ("opportunity list, filtered", "list_ratio"),
            ("opportunity page", "detail_ratio"),
        )
        if name in results  # all of them, unless --only chose some pages
    ]
    for name, result in results.items():
        if result["kind"] in ("public", "miss", "post"):
            p95 = result["steady"]["p95"]
            checks.append((f"{name}: p95 < {TARGETS['public_p95_ms']:.0f} ms at 70% load",
                           p95 < TARGETS["public_p95_ms"], f"{p95:.1f} ms"))
        if result["kind"] == "admin":
            p95 = result["steady"]["p95"]
            # A page so slow that no request finished at 70% load has no p95 to pass with.
            answered = result["steady"]["requests"] > 0
            checks.append((f"{name}: p95 <= {TARGETS['admin_p95_ms']:.0f} ms at 70% load",
                           answered and p95 <= TARGETS["admin_p95_ms"],
                           f"{p95:.1f} ms (saturation {result['saturation']['p95']:.1f} ms)"
                           if answered else "no request finished at 70% load"))
    checks.append(("admin changelist runs no COUNT over the expressions table",
                   not count_queries, f"{len(count_queries)} COUNT queries"))
    peak = max((v.get("VmHWM", 0) for v in memory.values()), default=0)
    checks.append((f"worker peak memory <= {TARGETS['worker_mb']:.0f} MB",
                   peak <= TARGETS["worker_mb"], f"{peak:.1f} MB"))
    errors = sum(r["saturation"]["errors"] + r["steady"]["errors"] for r in results.values())
    checks.append(("no failed requests", errors == 0, f"{errors} failed"))
    for label, ok, value in checks:
        print(f"  [{'ok' if ok else 'MISSED'}] {label}: {value}")
    print(f"\nThe bench took {seconds / 60:.1f} minutes. Figures from a shared, busy machine are "
          "provisional.\n")
    for name, result in results.items():
        rps = result["saturation"]["rps"]
        print(f"{name}: {rps:.1f} req/s, p95 {result['steady']['p95']:.1f} ms, "
              f"{rps / baseline:.2f} of baseline")


if __name__ == "__main__":
    main()
