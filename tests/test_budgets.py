"""Page-weight budget and static-file caching, checked against a real `collectstatic`.

The static files are collected once for this module, with the production settings (DEBUG off,
so the production storage: whitenoise's compressed manifest storage), into a temporary
STATIC_ROOT. Then each public page is
rendered with that storage, and everything a browser fetches on a first visit is added up:
the HTML, the stylesheets and the images they use, the scripts and the modules they import,
and the icons. Static files count at the size whitenoise serves them (the smallest of the
brotli, gzip and plain file); the HTML counts uncompressed, though Django gzips it for browsers
that accept it (GZipMiddleware), so the budget errs high.
The pages use Arial unless FRUTIGER_FONT is on; NHS.UK's Frutiger web fonts would then come from
assets.nhs.uk, not from the portal, and are not counted.

Budget: at most 150 KB in all, and at most 60 KB of JavaScript, on a first visit.
"""

import os
import re
import secrets
import subprocess
import sys
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.urls import reverse
from django.utils.module_loading import import_string

from tests.factories import GlossaryTermFactory, MeetingFactory, OpportunityFactory

ROOT = Path(__file__).resolve().parent.parent
PAGE_BUDGET = 150 * 1024
SCRIPT_BUDGET = 60 * 1024
ONE_YEAR = 365 * 24 * 60 * 60
HASHED = re.compile(r"\.[0-9a-f]{12}\.[^./]+$")

COLLECT = """
import sys
import django
from django.conf import settings
django.setup()
settings.STATIC_ROOT = sys.argv[1]
from django.core.management import call_command
call_command("collectstatic", interactive=False, verbosity=0)
print(settings.STORAGES["staticfiles"]["BACKEND"])
"""


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """collectstatic with the production settings (DEBUG off, so the production storage), in
    its own process as a deploy runs it. Returns the STATIC_ROOT and the storage used."""
    root = tmp_path_factory.mktemp("staticfiles")
    env = {
        key: value for key, value in os.environ.items()
        if key not in ("STATICFILES_BACKEND", "DATABASE_URL")
    }
    env.update({
        "DJANGO_SETTINGS_MODULE": "involvement.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "testserver",
    })
    result = subprocess.run(
        [sys.executable, "-c", COLLECT, str(root)], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    backend = result.stdout.strip().splitlines()[-1]
    assert issubclass(import_string(backend), ManifestFilesMixin), (
        f"the production static storage, {backend}, does not give files hashed names"
    )
    return root, backend


@pytest.fixture(scope="module")
def static_root(collected):
    return collected[0]


@pytest.fixture
def production_static(settings, collected):
    root, backend = collected
    settings.STATIC_ROOT = str(root)
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": backend}}
    return root


class _Assets(HTMLParser):
    """The URLs a browser fetches from a page's HTML on a first visit."""

    def __init__(self):
        super().__init__()
        self.styles, self.scripts, self.images = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        rel = (attrs.get("rel") or "").split()
        if tag == "link" and "stylesheet" in rel:
            self.styles.append(attrs["href"])
        elif tag == "link" and "icon" in rel:
            # Counted though a browser fetches only one of the icons: the budget errs high.
            self.images.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        elif tag == "img" and attrs.get("src") and not attrs["src"].startswith("data:"):
            self.images.append(attrs["src"])


def _static_file(root, url):
    path = urllib.parse.urlparse(url).path
    assert path.startswith("/static/"), f"{url} is not a static file"
    return root / path.removeprefix("/static/")


def served_size(file):
    """The bytes whitenoise sends to a browser that accepts brotli and gzip."""
    sizes = [file.stat().st_size]
    for suffix in (".br", ".gz"):
        compressed = file.with_name(file.name + suffix)
        if compressed.exists():
            sizes.append(compressed.stat().st_size)
    return min(sizes)


CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
JS_IMPORT = re.compile(
    r"""(?:\bimport\s*(?:[\w*{}\s,]+from\s*)?|\bexport\s*[\w*{}\s,]+from\s*|\bimport\s*\()\s*"""
    r"""['"]([^'"]+)['"]"""
)


def _css_images(root, css_url, file):
    """Images a stylesheet uses from the portal itself (fonts from assets.nhs.uk excluded)."""
    urls = []
    for ref in CSS_URL.findall(file.read_text(encoding="utf-8", errors="replace")):
        if ref.startswith(("data:", "http:", "https:", "#")):
            continue
        absolute = urllib.parse.urljoin(css_url, ref)
        if absolute.startswith("/assets/"):
            # NHS.UK frontend's icons: /assets/... redirects to the static copy.
            absolute = "/static/nhsuk/assets/" + absolute.removeprefix("/assets/")
        urls.append(absolute)
    return urls


def _js_imports(js_url, file):
    return [
        urllib.parse.urljoin(js_url, ref)
        for ref in JS_IMPORT.findall(file.read_text(encoding="utf-8", errors="replace"))
        if ref.startswith((".", "/"))
    ]


def first_visit(client, root, path):
    """{url: (kind, bytes)} for everything a first visit to `path` fetches."""
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    parser = _Assets()
    parser.feed(html)
    fetched = {path: ("html", len(response.content))}
    queue = [(url, "css") for url in parser.styles]
    queue += [(url, "js") for url in parser.scripts]
    queue += [(url, "image") for url in parser.images]
    while queue:
        url, kind = queue.pop()
        url = urllib.parse.urlparse(url).path
        if url in fetched:
            continue
        file = _static_file(root, url)
        assert file.exists(), f"{path} refers to {url}, which collectstatic did not write"
        fetched[url] = (kind, served_size(file))
        if kind == "css":
            queue += [(u, "image") for u in _css_images(root, url, file)]
        elif kind == "js":
            queue += [(u, "js") for u in _js_imports(url, file)]
    return fetched


@pytest.fixture
def public_pages(db):
    opportunity = OpportunityFactory(
        title="Patient flow", summary="Help us improve how patients move through the hospital.",
        description="We look at discharge, QI and board rounds.\n\n- One\n- Two",
    )
    MeetingFactory(opportunity=opportunity, public_registration=True)
    GlossaryTermFactory(term="QI", slug="qi", meaning="Quality improvement.")
    return {
        "home": reverse("opportunities:home"),
        "opportunity list": reverse("opportunities:list"),
        "opportunity page": opportunity.get_absolute_url(),
        # The interest form's first question page (its start address redirects there).
        "form page": reverse("applications:interest_step", args=[opportunity.slug, "name"]),
    }


PAGES = ["home", "opportunity list", "opportunity page", "form page"]


@pytest.mark.parametrize("page", PAGES)
def test_a_first_visit_stays_within_the_page_weight_budget(
    client, production_static, public_pages, page
):
    fetched = first_visit(client, production_static, public_pages[page])

    total = sum(size for _, size in fetched.values())
    scripts = sum(size for kind, size in fetched.values() if kind == "js")
    breakdown = "\n".join(
        f"  {kind:<5} {size / 1024:7.1f} KB  {url}" for url, (kind, size) in fetched.items()
    )
    print(f"\n{page}: {total / 1024:.1f} KB, {scripts / 1024:.1f} KB of it JavaScript\n{breakdown}")
    assert total <= PAGE_BUDGET, f"{page}: {total / 1024:.1f} KB\n{breakdown}"
    assert scripts <= SCRIPT_BUDGET, f"{page}: {scripts / 1024:.1f} KB of JavaScript\n{breakdown}"


def test_collectstatic_writes_hashed_gzipped_files(static_root):
    manifest = static_root / "staticfiles.json"
    assert manifest.exists()
    for name in ["css/portal.css", "css/frutiger.css", "js/portal.js", "js/js-enabled.js"]:
        stem, suffix = name.rsplit(".", 1)
        hashed = list(static_root.glob(f"{stem}.*.{suffix}"))
        hashed = [f for f in hashed if HASHED.search(f.name)]
        assert hashed, f"no hashed copy of {name}"
        big = hashed[0].stat().st_size > 1024
        if big:
            # whitenoise keeps a compressed copy only when it saves space (small files may
            # have none).
            assert hashed[0].with_name(hashed[0].name + ".gz").exists(), f"{name}: no .gz"


def test_collectstatic_writes_brotli_files(static_root):
    css = [f for f in static_root.glob("css/portal.*.css") if HASHED.search(f.name)]
    assert css and css[0].with_name(css[0].name + ".br").exists()


def test_whitenoise_serves_hashed_files_compressed_and_cached_for_a_year(
    client, production_static
):
    css = next(
        f for f in production_static.glob("css/portal.*.css")
        if HASHED.search(f.name)
    )
    url = "/static/" + css.relative_to(production_static).as_posix()

    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, br")

    assert response.status_code == 200
    assert response["Content-Encoding"] in ("gzip", "br")
    cache_control = [part.strip() for part in response["Cache-Control"].split(",")]
    max_age = int(next(p for p in cache_control if p.startswith("max-age=")).split("=")[1])
    assert max_age >= ONE_YEAR
    assert "public" in cache_control
    assert "immutable" in cache_control


@pytest.mark.parametrize("page", PAGES)
def test_every_file_a_page_loads_is_hashed_so_it_can_be_cached_for_a_year(
    client, production_static, public_pages, page
):
    fetched = first_visit(client, production_static, public_pages[page])

    unhashed = [
        url for url, (kind, _) in fetched.items()
        if kind != "html" and not HASHED.search(url)
    ]
    assert not unhashed, (
        f"{page} loads files without a content hash in their name (whitenoise caches them "
        f"for 60 seconds, not a year): {unhashed}"
    )
