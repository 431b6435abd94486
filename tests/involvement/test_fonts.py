"""The portal's font: Arial, NHS.UK's own fallback for Frutiger, unless the trust turns on
NHS.UK's Frutiger web font (settings.FRUTIGER_FONT, static/scss/_fonts.scss says why).

Off, a page must ask no other host for anything: a font request to assets.nhs.uk is a new
connection that a phone's text waits for. On, a page links Frutiger's own stylesheet
(static/scss/frutiger.scss), preloads the two files it declares, and the
Content-Security-Policy lets the browser fetch them. tests/browser/test_fonts.py watches what
Chromium itself asks for.
"""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from tests.involvement.test_security_headers import policy_of, run_production

CSS = Path(django_settings.BASE_DIR) / "static" / "css"
PRELOAD = re.compile(r'<link rel="preload" href="([^"]+)" as="font"')
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')


def built(name):
    path = CSS / name
    assert path.exists(), f"static/css/{name} has not been built: run `make static-build`"
    return path.read_text(encoding="utf-8")


def font_family(css, selector):
    rules = re.findall(rf"(?:^|[}}]){re.escape(selector)}\{{([^}}]*)\}}", css)
    families = [m for rule in rules for m in re.findall(r"font-family:([^;]+)", rule)]
    assert len(families) == 1, f"{selector}: {families}"
    return families[0]


def test_the_stylesheet_every_page_links_declares_no_font():
    css = built("portal.css")

    # NHS.UK frontend's stack without its first font. Chromium fetches a declared font that
    # the Content-Security-Policy refuses even when no text uses it: no @font-face at all.
    assert font_family(css, "html") == "arial,sans-serif"
    assert "@font-face" not in css
    assert "Frutiger" not in css


def test_the_frutiger_stylesheet_declares_both_weights_and_puts_frutiger_first():
    css = built("frutiger.css")

    font_faces = re.findall(r"@font-face\{[^}]*\}", css)
    assert len(font_faces) == 2
    assert {re.search(r"font-weight:(\d+)", face).group(1) for face in font_faces} == {"400", "600"}
    # woff2 only: a failed woff2 must not send the browser to a woff file as well.
    assert all("woff\"" not in face and ".woff)" not in face for face in font_faces)
    assert font_family(css, "html") == '"Frutiger W01",arial,sans-serif'


@pytest.mark.django_db
def test_by_default_a_page_asks_no_other_host_for_a_font(client):
    response = client.get(reverse("opportunities:home"))

    html = response.content.decode()
    assert STYLESHEET.findall(html) == [f"{django_settings.STATIC_URL}css/portal.css"]
    assert PRELOAD.findall(html) == []
    assert "assets.nhs.uk" not in html
    # Nor may the browser: the policy allows fonts from the portal alone.
    assert policy_of(response)["font-src"] == ["'self'"]


@pytest.mark.django_db
def test_with_frutiger_on_a_page_preloads_the_fonts_the_stylesheet_declares(client, settings):
    settings.FRUTIGER_FONT = True
    font_faces = re.findall(r"@font-face\{[^}]*\}", built("frutiger.css"))

    response = client.get(reverse("opportunities:home"))

    html = response.content.decode()
    # After portal.css, so its font wins.
    assert STYLESHEET.findall(html) == [
        f"{settings.STATIC_URL}css/portal.css", f"{settings.STATIC_URL}css/frutiger.css",
    ]
    preloaded = PRELOAD.findall(html)
    assert len(preloaded) == 2
    for url in preloaded:
        # The same URL as the @font-face's first (woff2) source, or the browser fetches twice.
        assert any(re.search(rf"src:url\(['\"]?{re.escape(url)}['\"]?\)", face)
                   for face in font_faces), url


FONT_SOURCES = """
import json
import django
django.setup()
from django.conf import settings
print(json.dumps(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["font-src"]))
"""


@pytest.mark.parametrize("frutiger, sources", [
    (None, ["'self'"]),
    ("false", ["'self'"]),
    ("true", ["'self'", "https://assets.nhs.uk"]),
])
def test_the_policy_allows_the_font_host_only_with_frutiger_on(tmp_path, frutiger, sources):
    # The policy is built when the settings are read: read in a process of its own.
    result = run_production(tmp_path, ["-c", FONT_SOURCES], FRUTIGER_FONT=frutiger)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == sources
