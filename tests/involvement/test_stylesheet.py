"""The portal's stylesheet, built by `make static-build` from NHS.UK frontend's Sass with only
the components the templates use (static/scss/portal.scss).

A component missing from the build would leave its markup unstyled with nothing else failing,
so every NHS.UK class the portal writes (in templates/, and in the few places Python writes
markup) must have a rule in the built file; and a component nothing uses must stay out of it.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from opportunities.models import Opportunity

ROOT = Path(settings.BASE_DIR)
STYLESHEET = ROOT / "static" / "css" / "portal.css"
SOURCES = ROOT / "static" / "scss"
COMPONENTS = ROOT / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk" / "components"
# Python that writes NHS.UK markup: form widgets' classes, glossary and plain-text lists.
PYTHON_WITH_MARKUP = [
    ROOT / "applications" / "forms.py",
    ROOT / "opportunities" / "glossary.py",
    ROOT / "involvement" / "plain_text.py",
]

# NHS.UK frontend's own compiled stylesheet, all of it: what the portal linked before.
FULL = ROOT / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk" / "nhsuk-frontend.min.css"

CLASS_ATTRIBUTE = re.compile(r"""class\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.S)
PYTHON_CLASS = re.compile(r"""["']class["']\s*:\s*["']([^"']*)["']""")
TEMPLATE_CODE = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.S)


def _classes(text):
    """The nhsuk- classes in the class attributes of `text`. Template code is taken out
    first; a class finished by a template variable (`nhsuk-tag--{{ colour }}`) is then left
    out, its values being checked below."""
    found = set()
    text = TEMPLATE_CODE.sub(" ", text)
    values = [a or b for a, b in CLASS_ATTRIBUTE.findall(text)] + PYTHON_CLASS.findall(text)
    for value in values:
        for name in value.split():
            if name.startswith("nhsuk-") and not name.endswith(("-", "_")):
                found.add(name)
    return found


def used_classes():
    classes = {}
    for path in [*sorted((ROOT / "templates").rglob("*.html")), *PYTHON_WITH_MARKUP]:
        text = path.read_text(encoding="utf-8")
        # Django's {% comment %} blocks hold no markup.
        text = re.sub(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", "", text, flags=re.S)
        for name in _classes(text):
            classes.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return classes


def has_rule(css, name):
    return re.search(rf"\.{re.escape(name)}(?![\w-])", css) is not None


@pytest.fixture(scope="module")
def css():
    assert STYLESHEET.exists(), (
        f"{STYLESHEET.relative_to(ROOT)} has not been built: run `make static-build` "
        "(`make run` and `make test` build it)"
    )
    return STYLESHEET.read_text(encoding="utf-8")


def test_the_built_stylesheet_is_newer_than_its_sass(css):
    built = STYLESHEET.stat().st_mtime
    stale = [p.name for p in SOURCES.glob("*.scss") if p.stat().st_mtime > built]
    assert not stale, f"{stale} changed since the stylesheet was built: run `make static-build`"


def test_the_scan_finds_the_classes_the_templates_use():
    classes = used_classes()

    # A check with nothing to check passes for nothing: these are in base.html and the forms.
    for name in ["nhsuk-header", "nhsuk-footer", "nhsuk-width-container", "nhsuk-button",
                 "nhsuk-u-width-two-thirds", "nhsuk-list--bullet"]:
        assert name in classes
    assert "nhsuk-tag--" not in classes


def test_every_nhsuk_class_the_portal_writes_keeps_its_rules(css):
    """Each class that NHS.UK frontend's whole stylesheet styles is styled by the portal's.
    Some classes in NHS.UK's own markup have no rule anywhere (`nhsuk-search-input`,
    `nhsuk-panel--confirmation`, `nhsuk-icon--arrow-left`, `nhsuk-pagination__link--next`):
    they name the element for its JavaScript or for readers, and leaving components out
    cannot lose what was never there. The portal's `nhsuk-back-link-nav` is one of those."""
    full = FULL.read_text(encoding="utf-8")
    used = used_classes()
    styled = {name: paths for name, paths in used.items() if has_rule(full, name)}
    missing = {name: paths for name, paths in styled.items() if not has_rule(css, name)}

    assert len(styled) > 100, f"only {len(styled)} of {len(used)} classes checked"
    assert not missing, (
        "These classes lost their rules: forward their component in static/scss/portal.scss:\n"
        + "\n".join(f"  .{name} (in {', '.join(sorted(set(paths)))})"
                    for name, paths in sorted(missing.items()))
    )


def test_classes_made_from_values_have_rules(css):
    # includes/tag.html: nhsuk-tag--{{ colour }}; the kinds' colours, the example date's yellow.
    colours = {*Opportunity.KIND_COLOURS.values(), "grey", "yellow"}
    # The crispy pack's labels and legends: nhsuk-label--{{ size }}, nhsuk-fieldset__legend--.
    sizes = ["s", "m", "l", "xl"]
    names = [f"nhsuk-tag--{colour}" for colour in colours]
    names += [f"nhsuk-label--{size}" for size in sizes]
    names += [f"nhsuk-fieldset__legend--{size}" for size in sizes]

    assert [name for name in names if not has_rule(css, name)] == []


def _block(component):
    """A component's own class, from its Sass: `.nhsuk-card` for card, `.nhsuk-table` for
    tables."""
    source = (COMPONENTS / component / "_index.scss").read_text(encoding="utf-8")
    match = re.search(r"^\s*\.(nhsuk-[a-z-]+)\s*[{,]", source, re.M)
    return match.group(1) if match else None


def test_components_no_template_uses_are_left_out(css):
    used = used_classes()
    components = sorted(p.name for p in COMPONENTS.iterdir()
                        if (p / "_index.scss").exists())
    blocks = {component: _block(component) for component in components}
    unused = {
        component: block for component, block in blocks.items()
        if block and not any(name == block or name.startswith((f"{block}__", f"{block}--"))
                             for name in used)
    }

    assert len(unused) >= 5, f"the scan found too few unused components to mean much: {unused}"
    # A component a used one builds on comes with it (tables `@use`s scroll): not a waste.
    needed = {
        name
        for component in set(blocks) - set(unused)
        for name in re.findall(
            r'@use "\.\./([a-z-]+)"',
            (COMPONENTS / component / "_index.scss").read_text(encoding="utf-8"),
        )
    }
    unused = {component: block for component, block in unused.items() if component not in needed}
    # The component's own rule, `.nhsuk-tabs{...}`; another's rule may name it in passing
    # (the card's `.nhsuk-card .nhsuk-image`).
    shipped = [f"{component} (.{block})" for component, block in unused.items()
               if re.search(rf"(^|[{{}},])\.{re.escape(block)}[{{,]", css)]
    assert shipped == [], "components no template uses are in the stylesheet"


def test_the_portals_own_styles_come_after_nhsuk_frontend(css):
    # static/scss/_additions.scss: its rules follow NHS.UK frontend's, so they win at equal
    # specificity, as they did in a stylesheet of their own linked second.
    assert has_rule(css, "app-results")
    # (The site's print styles, at its end, name .nhsuk-header too: the header's own rules are
    # the first mention.)
    assert css.index(".nhsuk-header") < css.index(".app-glossary-term")


def test_icons_are_static_files_beside_it(css):
    # Relative to static/css/, so collectstatic gives them hashed names (no /assets/ redirect).
    urls = re.findall(r"url\(([^)]+)\)", css)
    local = [u.strip("'\"") for u in urls if "assets.nhs.uk" not in u and "data:" not in u]
    assert local
    for url in local:
        assert url.startswith("../nhsuk/assets/"), url
        assert (ROOT / "node_modules/nhsuk-frontend/dist/nhsuk"
                / url.removeprefix("../nhsuk/")).exists(), url


@pytest.mark.django_db
def test_every_page_links_the_built_stylesheet_and_only_it(client):
    response = client.get(reverse("opportunities:home"))

    html = response.content.decode()
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert stylesheets == [f"{settings.STATIC_URL}css/portal.css"]
    assert "nhsuk-frontend.min.css" not in html


def test_the_error_page_links_the_built_stylesheet_too():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")

    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) == [
        f"{settings.STATIC_URL}css/portal.css"
    ]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("target", ["run", "test", "collectstatic", "bench", "lighthouse"])
def test_make_builds_the_stylesheet_again_when_its_sass_changes(target):
    # -n prints what make would do; -W treats the Sass as just edited.
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "-W", "static/scss/_additions.scss", target],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    lines = dry_run.stdout.splitlines()
    build = next(i for i, line in enumerate(lines) if "sass " in line)

    assert "static/scss/portal.scss static/css/portal.css" in " ".join(lines[build:build + 2])
    # Before anything that serves, tests or collects the pages.
    served = next(i for i, line in enumerate(lines)
                  if "manage.py" in line or "-m pytest" in line or "-m bench" in line)
    assert build < served
