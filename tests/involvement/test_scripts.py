"""The portal's one script, static/js/portal.js: NHS.UK frontend's JavaScript for the
components the templates use, bundled by `make static-build` (esbuild) from
static/js/portal.mjs.

A component left out of the bundle would leave its markup without its behaviour (the header's
"More" menu, error summary focus, the "Other" boxes) with nothing else failing, so every
data-module a template writes must be set up by portal.mjs; and the bundle must hold only
those, not NHS.UK frontend's whole script.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SOURCE = ROOT / "static" / "js" / "portal.mjs"
BUNDLE = ROOT / "static" / "js" / "portal.js"
COMPONENTS = ROOT / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk" / "components"

DATA_MODULE = re.compile(r'data-module="nhsuk-([^"]+)"')
# data-module values that templates build from a variable, and every value they can take.
BUILT_FROM_VARIABLES = {
    "{% if radios %}radios{% else %}checkboxes{% endif %}": ["radios", "checkboxes"],
    "{{ kind }}": ["radios", "checkboxes"],  # nhsuk/layout/choices.html
}


def modules_the_templates_use():
    used = {}
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for value in DATA_MODULE.findall(path.read_text(encoding="utf-8")):
            if "{" in value:
                assert value in BUILT_FROM_VARIABLES, (
                    f"{path.relative_to(ROOT)} builds data-module from {value!r}: list the "
                    "values it can take in BUILT_FROM_VARIABLES"
                )
                names = BUILT_FROM_VARIABLES[value]
            else:
                names = [value]
            for name in names:
                used.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return used


def class_name(module):
    """NHS.UK frontend's class for a module: error-summary -> ErrorSummary."""
    return "".join(part.capitalize() for part in module.split("-"))


def set_up_by_the_source():
    source = SOURCE.read_text(encoding="utf-8")
    listed = re.search(r"for \(const Component of \[([^\]]*)\]\)", source)
    assert listed, "portal.mjs no longer sets up its components with createAll in a loop"
    return {name.strip() for name in listed.group(1).split(",") if name.strip()}


@pytest.fixture(scope="module")
def bundle():
    assert BUNDLE.exists(), (
        "static/js/portal.js has not been built: run `make static-build` "
        "(`make run` and `make test` build it)"
    )
    return BUNDLE.read_text(encoding="utf-8")


def test_the_scan_finds_the_modules_the_templates_use():
    used = modules_the_templates_use()

    for name in ["header", "skip-link", "error-summary", "button", "radios", "checkboxes"]:
        assert name in used


def test_every_module_a_template_uses_is_set_up_by_the_portals_script():
    set_up = set_up_by_the_source()

    missing = {name: paths for name, paths in modules_the_templates_use().items()
               if class_name(name) not in set_up}
    assert not missing, (
        "Add these NHS.UK frontend components to static/js/portal.mjs:\n"
        + "\n".join(f"  {class_name(name)} (data-module=\"nhsuk-{name}\" in "
                    f"{', '.join(sorted(paths))})" for name, paths in sorted(missing.items()))
    )


def test_the_script_sets_up_no_component_the_templates_do_not_use():
    used = {class_name(name) for name in modules_the_templates_use()}

    assert set_up_by_the_source() - used == set()


def test_the_bundle_is_newer_than_its_source(bundle):
    assert BUNDLE.stat().st_mtime >= SOURCE.stat().st_mtime, (
        "static/js/portal.mjs changed since the script was built: run `make static-build`"
    )


def test_the_bundle_holds_the_components_used_and_no_others(bundle):
    # Each component finds its elements by its module name, a string the bundle keeps.
    used = set(modules_the_templates_use())
    available = {p.name for p in COMPONENTS.iterdir() if any(p.glob("*.mjs"))}
    assert used <= available

    for name in sorted(used):
        assert f'"nhsuk-{name}"' in bundle, name
    for name in sorted(available - used):
        assert f'"nhsuk-{name}"' not in bundle, f"{name} is bundled though no template uses it"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("target", ["run", "test", "collectstatic", "lighthouse"])
def test_make_builds_the_script_again_when_its_source_changes(target):
    # -n prints what make would do; -W treats the source as just edited.
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "-W", "static/js/portal.mjs", target],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    lines = dry_run.stdout.splitlines()
    build = next(i for i, line in enumerate(lines) if "esbuild " in line)

    assert "static/js/portal.mjs" in lines[build]
    assert "--outfile=static/js/portal.js" in " ".join(lines[build:build + 3])
    served = next(i for i, line in enumerate(lines)
                  if "manage.py" in line or "-m pytest" in line or "-m bench" in line)
    assert build < served
