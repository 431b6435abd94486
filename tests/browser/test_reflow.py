"""Reflow and resized text (WCAG 1.4.10 and 1.4.4), and colour never the only signal (1.4.1).

Every public page in the sitemap, and the first question page of two expression of interest
forms empty and with its error showing (tests/browser/test_accessibility.py goes through every
question page), with every <details> opened so its content is
checked too, in three ways:

* ``reflow-320``: 320 CSS pixels wide, what a 1280-pixel screen shows at 400% zoom.
* ``text-200-root``: 1280 wide with the root font size at 200%. NHS.UK frontend sets every size
  in rem, so this doubles all the text while the desktop layout (its media queries are in em of
  the browser's default size, not of the root element) stays: the hardest case for text in
  columns.
* ``text-200-browser``: 1280 wide in a Chromium whose own font size setting is doubled, from 16
  to 32 pixels: what a person sets in chrome://settings/fonts, written into a fresh profile's
  Preferences before it starts. The browser's em media queries see it too, so the page takes
  its small-screen layout, with its small-screen type doubled. (The DevTools protocol's
  Page.setFontSizes does the same for layout, but Playwright's full-page screenshots reset it,
  so the pictures would not show what was checked.)

Playwright's emulate_media has no text size, and browser zoom is the same as a narrower
viewport, which reflow-320 covers.

On each page nothing may scroll sideways, nothing may stick out past the edge of the screen, and
no heading, label, button or other text may be cut off by its box. Full-page screenshots are
kept in test-artifacts/reflow/<mode>/ for a person to look at, with report-*.txt listing anything
wider than the screen that is allowed to be (content visually hidden on purpose).
"""

import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.browser.test_accessibility import sitemap_paths

pytestmark = pytest.mark.django_db(transaction=True)

REFLOW = ARTIFACTS / "reflow"
FORMS = ["patient-flow", "childrens-quality-and-safety"]

# Present in the page but out of sight on purpose, so allowed past the screen's edge:
# screen-reader-only text, the skip link until it has focus, and the box bots fill in.
ALLOWED_OUTSIDE = [".nhsuk-u-visually-hidden", ".nhsuk-skip-link", ".app-honeypot"]

# Text that must never be cut off by its own box.
TEXT = (
    "h1, h2, h3, h4, h5, h6, p, li, dt, dd, th, td, label, legend, summary, button, "
    ".nhsuk-button, .nhsuk-tag, .nhsuk-hint, .nhsuk-error-message, .nhsuk-caption-l, "
    ".nhsuk-caption-m, .nhsuk-action-link, .nhsuk-back-link, .nhsuk-breadcrumb__link, "
    ".nhsuk-header__navigation-link, .nhsuk-footer__list-item-link, .nhsuk-card__link"
)

MEASURE = r"""
([allowed, textSelector]) => {
  const width = window.innerWidth;
  const describe = (el) => {
    const classes = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\s+/).join(".") : "";
    const text = (el.innerText || el.value || "").trim().replace(/\s+/g, " ").slice(0, 40);
    return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${classes} "${text}"`;
  };
  const shown = (el) => {
    const style = getComputedStyle(el);
    return style.display !== "none" && style.visibility !== "hidden"
      && el.getClientRects().length > 0;
  };
  const result = {scrollWidth: document.documentElement.scrollWidth, width,
                  outside: [], allowedOutside: [], clipped: []};
  for (const el of document.body.querySelectorAll("*")) {
    if (!shown(el) || el.closest("svg") && el.tagName.toLowerCase() !== "svg") continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right > width + 1 || box.left < -1) {
      const entry = `${describe(el)} from ${Math.round(box.left)} to ${Math.round(box.right)}px`;
      (allowed.some((selector) => el.closest(selector)) ? result.allowedOutside : result.outside)
        .push(entry);
    }
  }
  // Cut off: the element's own text (not its decoration, such as a button's shadow) reaches
  // past the sides of its box, or past its top or bottom where the box hides what overflows.
  for (const el of document.body.querySelectorAll(textSelector)) {
    if (!shown(el) || allowed.some((selector) => el.closest(selector))) continue;
    const style = getComputedStyle(el);
    if (style.display === "inline") continue;
    const box = el.getBoundingClientRect();
    const hidesOverflow = ["hidden", "clip", "scroll", "auto"].includes(style.overflowY);
    const lines = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.data.trim() || allowed.some((selector) => node.parentElement.closest(selector))) {
        continue;
      }
      const range = document.createRange();
      range.selectNodeContents(node);
      lines.push(...[...range.getClientRects()].filter((r) => r.width && r.height));
    }
    const spill = lines.find((r) =>
      r.left < box.left - 1 || r.right > box.right + 1
      || hidesOverflow && (r.top < box.top - 1 || r.bottom > box.bottom + 1));
    if (spill || style.textOverflow === "ellipsis" && el.scrollWidth > el.clientWidth) {
      result.clipped.push(
        `${describe(el)}: text ${Math.round(spill.left)} to ${Math.round(spill.right)}px `
        + `in a box ${Math.round(box.left)} to ${Math.round(box.right)}px`
      );
    }
  }
  return result;
}
"""


@pytest.fixture
def trust_content():
    call_command("load_trust_content", verbosity=0)


OPPORTUNITY_PAGE = re.compile(r"^/opportunities/[^/]+/$")
# Each check is split in three, to keep every test well under a minute on a busy 2-core machine:
# full-page screenshots of pages with their text doubled take most of the time.
PARTS = ["pages-and-forms", "opportunities-1", "opportunities-2"]


def public_pages(live_server, page, part=None):
    """(name, path, send the empty form first) for every page to check, or for one part."""
    paths = sitemap_paths(live_server, page)
    assert len(paths) >= 6 + 11, paths
    opportunities = [(path, path, False) for path in paths if OPPORTUNITY_PAGE.match(path)]
    pages = [(path, path, False) for path in paths if not OPPORTUNITY_PAGE.match(path)]
    for slug in FORMS:
        path = reverse("applications:interest_step", args=[slug, "name"])
        pages += [(f"{path} empty", path, False), (f"{path} with errors", path, True)]
    half = (len(opportunities) + 1) // 2
    return {
        "pages-and-forms": pages,
        "opportunities-1": opportunities[:half],
        "opportunities-2": opportunities[half:],
    }.get(part, pages + opportunities)


def open_page(page, url, send_empty_form):
    page.goto(url)
    if send_empty_form:
        with page.expect_navigation():
            page.locator("main button[type=submit]").click()
        assert page.title().startswith("Error: ")
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true })")


def check_every_page(live_server, page, mode, part, prepare=None):
    folder = REFLOW / mode
    folder.mkdir(parents=True, exist_ok=True)
    problems, report = [], []
    for name, path, send_empty_form in public_pages(live_server, page, part):
        open_page(page, live_server.url + path, send_empty_form)
        if prepare:
            prepare(page)
        found = page.evaluate(MEASURE, [ALLOWED_OUTSIDE, TEXT])
        filename = re.sub(r"[^\w-]+", "_", name).strip("_") or "home"
        page.screenshot(path=str(folder / f"{filename}.png"), full_page=True)
        report.append(f"{name}: page {found['scrollWidth']}px wide in {found['width']}px")
        report += [f"    allowed outside the screen: {entry}" for entry in found["allowedOutside"]]
        if found["scrollWidth"] > found["width"]:
            problems.append(
                f"{name}: scrolls sideways ({found['scrollWidth']}px in {found['width']}px)"
            )
        problems += [f"{name}: outside the screen: {entry}" for entry in found["outside"]]
        problems += [f"{name}: cut off: {entry}" for entry in found["clipped"]]
    (folder / f"report-{part}.txt").write_text(
        "\n".join(report + problems) + "\n", encoding="utf-8"
    )
    assert not problems, f"{mode} (screenshots in {folder}):\n" + "\n".join(problems)


@pytest.fixture
def make_page(playwright_browser, request, tmp_path):
    """A page in a new browser context; with `font_size`, in a Chromium of its own whose
    profile has that default font size (Chromium's own is 16 pixels, 13 for monospace)."""
    contexts = []

    def make(viewport, font_size=None):
        if font_size is None:
            context = playwright_browser.new_context(viewport=viewport)
        else:
            (tmp_path / "Default").mkdir()
            (tmp_path / "Default" / "Preferences").write_text(json.dumps({"webkit": {"webprefs": {
                "default_font_size": font_size, "default_fixed_font_size": font_size * 13 // 16,
            }}}), encoding="utf-8")
            context = playwright_browser.browser_type.launch_persistent_context(
                str(tmp_path), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                viewport=viewport,
            )
        contexts.append(context)
        page = context.new_page()
        request.node.browser_page = page
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.mark.parametrize("part", PARTS)
def test_every_page_reflows_at_320_pixels_wide(live_server, make_page, trust_content, part):
    page = make_page({"width": 320, "height": 640})
    check_every_page(live_server, page, "reflow-320", part)


@pytest.mark.parametrize("part", PARTS)
def test_every_page_keeps_its_text_at_200_percent_root_font_size(
    live_server, make_page, trust_content, part
):
    page = make_page({"width": 1280, "height": 900})

    def double_the_text(page):
        before = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        after = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert after == 2 * before, "the text did not double: is a size set in px?"

    check_every_page(live_server, page, "text-200-root", part, prepare=double_the_text)


@pytest.mark.parametrize("part", PARTS)
def test_every_page_keeps_its_text_with_the_browser_font_size_doubled(
    live_server, make_page, trust_content, part
):
    page = make_page({"width": 1280, "height": 900}, font_size=32)

    def check_the_setting_took(page):
        body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert body >= 32, f"body text is {body}px: the browser setting was not applied"

    check_every_page(
        live_server, page, "text-200-browser", part, prepare=check_the_setting_took
    )


def test_colour_is_never_the_only_signal(live_server, desktop, trust_content):
    """Tags always say what they mean in words, and links in the text are underlined, not only
    blue. Buttons (their shape), action links (their arrow) and the header's logo are the
    NHS.UK components that carry their own cue instead of an underline."""
    not_underlined_by_design = ".nhsuk-button, .nhsuk-action-link, .nhsuk-header__service-logo"
    tags_seen = 0
    for name, path, send_empty_form in public_pages(live_server, desktop):
        open_page(desktop, live_server.url + path, send_empty_form)
        tags = desktop.locator(".nhsuk-tag").all_inner_texts()
        assert all(text.strip() for text in tags), f"{name}: a tag with no words: {tags}"
        tags_seen += len(tags)
        plain_links = desktop.evaluate(
            """(exempt) => [...document.querySelectorAll('a[href]')]
                .filter((a) => !a.closest(exempt) && a.getClientRects().length
                        && !a.closest('.nhsuk-u-visually-hidden, .nhsuk-skip-link'))
                .filter((a) => !getComputedStyle(a).textDecorationLine.includes('underline'))
                .map((a) => `${a.className || 'a'} "${a.innerText.trim()}"`)""",
            not_underlined_by_design,
        )
        assert not plain_links, f"{name}: links told apart by colour alone: {plain_links}"
    # The list page and every opportunity show the kind of opportunity as a tag.
    assert tags_seen >= 11 * 2
