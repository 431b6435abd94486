"""`make lighthouse`: Lighthouse 12 (mobile) on four public pages, on the production set-up.

    .venv/bin/python -m bench.lighthouse [--runs 3] [--reports DIR] [--only TEXT]

What a person on a phone gets on a first visit: the home page, the list of opportunities, one
opportunity and the first question of its expression of interest form. The stack is the
bench's (bench/run.py), on loopback: gunicorn with DEBUG off and a generated SECRET_KEY,
whitenoise serving files that collectstatic compressed (brotli) into a temporary folder, Redis
as the cache, PostgreSQL. The database is a small one of its own (LIGHTHOUSE_DATABASE_URL,
default `involvement_lighthouse`) with the trust's own content (load_trust_content, as in
production: no example meetings), not the bench's million rows: Lighthouse measures what the
browser gets, which does not depend on how many expressions staff hold.

Lighthouse comes from npm (a devDependency, its version pinned by package-lock.json) and
drives Debian's chromium (CHROME_PATH, default /usr/bin/chromium, headless). Its mobile preset
is its default: a Moto G Power sized screen, simulated slow 4G and a 4x slower CPU. Each page
is measured `--runs` times (3 by default); the run with the median performance score is the one
reported, with the range of the scores beside it, since one run on a shared machine varies.

The pages use Arial, unless FRUTIGER_FONT is on in the environment (settings.py), as it is in
production only where the trust has turned NHS.UK's Frutiger on. Then the font comes from
assets.nhs.uk, which this machine cannot reach: its requests fail at once, so the figures leave
out the font's download (about 20-25 KB a weight, once per visitor, cached by the browser after
that) that a real phone makes, though Lighthouse's simulation still counts the connection to
that host. The report says which font was measured.
"""

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from bench.run import (
    HOST,
    ROOT,
    Gunicorn,
    configure_environment,
    ensure_database,
    ensure_services,
    free_port,
    request,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/involvement_lighthouse"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/2"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"

TARGETS = {"performance": 100, "lcp_ms": 1500, "kib": 40, "accessibility": 100}


def log(message):
    print(f"[lighthouse {time.strftime('%H:%M:%S')}] {message}", flush=True)


def pages():
    """The four pages, by their names in the report. The opportunity is the first open lay
    partner role: the trust's main way in, and a page with the whole form behind it."""
    from django.urls import reverse

    from applications.forms import INTEREST_STEPS
    from opportunities.models import Opportunity

    opportunity = (
        Opportunity.objects.open().filter(kind=Opportunity.Kind.LAY_PARTNER).order_by("pk")
        .first()
    )
    if opportunity is None:
        sys.exit("lighthouse: the trust's content has no open lay partner role")
    return [
        ("home", reverse("opportunities:home")),
        ("opportunity list", reverse("opportunities:list")),
        ("opportunity page", opportunity.get_absolute_url()),
        # The form's first question page itself: its start address only redirects there.
        ("form, first question",
         reverse("applications:interest_step", args=[opportunity.slug, INTEREST_STEPS[0][0]])),
    ]


def lighthouse(url, output, chrome, attempts=3):
    """One Lighthouse run (mobile preset) of `url`; returns its JSON report. Lighthouse now and
    then fails to record the trace (NO_NAVSTART, NO_FCP on a busy machine): tried again."""
    for attempt in range(1, attempts + 1):
        try:
            return _lighthouse(url, output, chrome)
        except RuntimeError as error:
            if attempt == attempts:
                raise
            log(f"{error} (trying again)")


def _lighthouse(url, output, chrome):
    command = [
        str(LIGHTHOUSE), url, "--output=json", f"--output-path={output}", "--quiet",
        "--only-categories=performance,accessibility",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run "
        "--disable-background-networking --disable-component-update --disable-sync",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "CHROME_PATH": chrome})
    if result.returncode != 0 or not Path(output).exists():
        raise RuntimeError(f"lighthouse failed for {url}:\n{result.stdout}\n{result.stderr}")
    report = json.loads(Path(output).read_text())
    if report.get("runtimeError"):
        raise RuntimeError(f"lighthouse could not load {url}: {report['runtimeError']}")
    return report


def figures(report):
    audits, categories = report["audits"], report["categories"]
    return {
        "performance": round(100 * (categories["performance"]["score"] or 0)),
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "kib": audits["total-byte-weight"]["numericValue"] / 1024,
        "accessibility": round(100 * (categories["accessibility"]["score"] or 0)),
        "requests": len(audits["network-requests"]["details"]["items"]),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs a page")
    parser.add_argument("--reports", type=Path,
                        help="keep each run's JSON report in this folder")
    parser.add_argument("--only", help="measure only the pages whose names contain this "
                        "text (home, list, opportunity page, form)")
    args = parser.parse_args(argv)

    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    if not LIGHTHOUSE.exists():
        sys.exit("lighthouse: node_modules/.bin/lighthouse is missing: run `make deps`")
    if shutil.which(chrome) is None and chrome == "/usr/bin/chromium":
        # As .ci/run does for the browser tests: Debian's chromium, only if it is missing.
        log("installing chromium from Debian's packages")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    if shutil.which(chrome) is None:
        sys.exit(f"lighthouse: no browser at {chrome} (CHROME_PATH)")
    url = os.environ.get("LIGHTHOUSE_DATABASE_URL") or DEFAULT_DATABASE_URL
    ensure_services()
    ensure_database(urllib.parse.urlparse(url))

    workdir = Path(tempfile.mkdtemp(prefix="involvement-lighthouse-"))
    reports = args.reports or workdir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    configure_environment(url, workdir / "static", secrets.token_urlsafe(64))
    os.environ["CACHE_URL"] = os.environ.get("LIGHTHOUSE_CACHE_URL") or DEFAULT_CACHE_URL
    server = None
    try:
        import django

        django.setup()
        from django.core.cache import cache
        from django.core.management import call_command
        from django.db import connection

        log(f"database {urllib.parse.urlparse(url).path.lstrip('/')}: migrate, the trust's "
            "content")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_trust_content", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        cache.clear()
        measured = pages()
        if args.only:
            measured = [page for page in measured if args.only in page[0]]
            if not measured:
                sys.exit(f"lighthouse: no page's name contains {args.only!r}")
        connection.close()

        port = free_port()
        server = Gunicorn(port, 2, workdir / "gunicorn.log")
        server.start()
        log(f"gunicorn (DEBUG off, whitenoise) on {HOST}:{port}")
        for _, path in measured:
            status, _, _ = request("GET", port, path)
            if status != 200:
                raise RuntimeError(f"GET {path} answered {status}\n{server.tail()}")

        results = {}
        for name, path in measured:
            runs = []
            for run in range(args.runs):
                output = reports / f"{name.replace(' ', '-').replace(',', '')}-{run + 1}.json"
                runs.append(figures(lighthouse(f"http://{HOST}:{port}{path}", output, chrome)))
                log(f"{name} ({path}) run {run + 1}: performance {runs[-1]['performance']}, "
                    f"LCP {runs[-1]['lcp_ms'] / 1000:.2f} s, {runs[-1]['kib']:.1f} KiB, "
                    f"accessibility {runs[-1]['accessibility']}")
            scores = [r["performance"] for r in runs]
            median = sorted(runs, key=lambda r: (r["performance"], -r["lcp_ms"]))[len(runs) // 2]
            results[name] = {"path": path, "runs": runs, "median": median,
                             "range": (min(scores), max(scores)),
                             "lcp_median_ms": statistics.median(r["lcp_ms"] for r in runs)}
        from django.conf import settings

        report(results, args.runs, chrome, frutiger=settings.FRUTIGER_FONT)
    finally:
        if server is not None:
            server.stop()
            log("gunicorn stopped")
        shutil.rmtree(workdir, ignore_errors=True)


def report(results, runs, chrome, frutiger):
    version = subprocess.run([str(LIGHTHOUSE), "--version"], capture_output=True,
                             text=True).stdout.strip()
    print()
    print(f"Lighthouse {version}, mobile preset (simulated slow 4G, 4x CPU slowdown), "
          f"{chrome} headless; {runs} runs a page, the median one shown")
    header = (f"{'page':<22} {'performance':>11} {'(range)':>9} {'LCP':>7} {'KiB':>6} "
              f"{'requests':>8} {'accessibility':>13}  path")
    print(header)
    print("-" * len(header))
    for name, result in results.items():
        m = result["median"]
        low, high = result["range"]
        print(f"{name:<22} {m['performance']:>11} {f'{low}-{high}':>9} "
              f"{m['lcp_ms'] / 1000:>6.2f}s {m['kib']:>6.1f} {m['requests']:>8} "
              f"{m['accessibility']:>13}  {result['path']}")
    print()
    print("Targets:")
    for name, result in results.items():
        m = result["median"]
        checks = [
            (f"performance {TARGETS['performance']}",
             m["performance"] >= TARGETS["performance"], m["performance"]),
            (f"LCP <= {TARGETS['lcp_ms'] / 1000:.1f} s", m["lcp_ms"] <= TARGETS["lcp_ms"],
             f"{m['lcp_ms'] / 1000:.2f} s"),
            (f"<= {TARGETS['kib']} KiB", m["kib"] <= TARGETS["kib"], f"{m['kib']:.1f} KiB"),
            (f"accessibility {TARGETS['accessibility']}",
             m["accessibility"] >= TARGETS["accessibility"], m["accessibility"]),
        ]
        for label, ok, value in checks:
            print(f"  [{'ok' if ok else 'MISSED'}] {name}: {label}: {value}")
    if frutiger:
        print("\nFont: NHS.UK's Frutiger (FRUTIGER_FONT on). Its host, assets.nhs.uk, cannot be "
              "reached here: its download is not in the figures, the connection to it is.")
    else:
        print("\nFont: Arial (FRUTIGER_FONT off): the pages ask no other host for anything.")


if __name__ == "__main__":
    main()
