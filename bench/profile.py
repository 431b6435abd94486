"""Where a page's time goes: cProfile and the SQL of single requests, against the bench data.

    .venv/bin/python -m bench.profile [--page NAME ...] [--requests N] [--top N]

Run `make bench` once first (it seeds the bench database). Each page is requested through
Django's test client, in this process, with the production settings the bench uses (DEBUG off,
PostgreSQL, Redis); the static files use the plain storage, so no collectstatic is needed.
For each page it prints the time per request, the queries with their time, EXPLAIN ANALYZE of
the slowest queries, and the functions with the most cumulative time.
"""

import argparse
import cProfile
import io
import pstats
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from bench.run import HOST, LIST_FILTERS, configure_environment, database_url


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--page", action="append", help="page names (default: all)")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-explain", action="store_true")
    args = parser.parse_args(argv)

    url, _ = database_url()
    configure_environment(url, Path(tempfile.gettempdir()) / "bench-profile-static",
                          secrets.token_urlsafe(64))
    import os

    os.environ["STATICFILES_BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.run import make_staff_session, pick_opportunity
    from bench.seed import BENCH_STAFF

    slug = pick_opportunity()
    admin = "/admin/applications/expressionofinterest/"
    pages = {
        "robots": "/robots.txt",
        "home": "/",
        "list": "/opportunities/",
        "list-filtered": "/opportunities/" + LIST_FILTERS,
        "detail": f"/opportunities/{slug}/",
        "form": f"/opportunities/{slug}/interest/name/",
        "admin": admin,
        "admin-status": admin + "?status__exact=new",
        "admin-programme": admin + "?opportunity__programme__id__exact=3",
        "admin-opportunity": admin + "?opportunity__id__exact=10",
        "admin-kind": admin + "?opportunity__kind__exact=event",
        "admin-age": admin + "?age_band__exact=16_17",
        "admin-assigned": admin + "?assigned=nobody",
        "admin-waiting": admin + "?waiting=overdue",
        "admin-search": admin + "?q=okafor",
        # This month's figures come from the cache after the first request (the three before
        # the measured one): what staff meet within the five minutes they are kept.
        "admin-team-home": admin + "team-home/",
    }
    chosen = args.page or list(pages)
    public = Client()
    staff = Client()
    cookie, key = make_staff_session(BENCH_STAFF)
    staff.cookies[cookie] = key

    for name in chosen:
        path = pages[name]
        client = staff if name.startswith("admin") else public
        print(f"\n===== {name}: GET {path}")
        for _ in range(3):
            response = client.get(path, HTTP_HOST=HOST)
        assert response.status_code == 200, response.status_code
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            client.get(path, HTTP_HOST=HOST)
            one = time.perf_counter() - started
        sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
        print(f"one request: {one * 1000:.1f} ms, {len(queries.captured_queries)} queries "
              f"taking {sql_ms:.1f} ms")
        for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"])):
            print(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][:220]}")
        if not args.no_explain:
            for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:2]:
                if float(q["time"]) < 0.005 or not q["sql"].lstrip().upper().startswith(
                        "SELECT"):
                    continue
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                    plan = "\n".join("    " + row[0] for row in cursor.fetchall())
                print(f"  EXPLAIN ANALYZE of the {float(q['time']) * 1000:.1f} ms query:\n{plan}")

        # The profiler doubles the time of template-heavy pages, so the time of a request is
        # taken without it first: the median of as many requests as are profiled.
        times = []
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get(path, HTTP_HOST=HOST)
            times.append(time.perf_counter() - started)
        print(f"{args.requests} requests without the profiler: median "
              f"{statistics.median(times) * 1000:.1f} ms, fastest {min(times) * 1000:.1f} ms")

        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(args.requests):
            client.get(path, HTTP_HOST=HOST)
        profiler.disable()
        each = (time.perf_counter() - started) / args.requests
        print(f"profiled {args.requests} requests: {each * 1000:.1f} ms each (with profiler)")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(args.top)
        print("\n".join(out.getvalue().splitlines()[6:]))


if __name__ == "__main__":
    main()
