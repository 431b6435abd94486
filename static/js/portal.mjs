// NHS.UK frontend's JavaScript for the components the portal's pages use, and only those:
// the header's "More" menu, the skip link, error summary focus, notification banner focus,
// conditional "Other" boxes in radios and checkboxes, and the button's double-click guard.
// Everything works without JavaScript; this only enhances.
//
// `make static-build` bundles this file with esbuild into static/js/portal.js (built, never
// committed), so a page loads one small script instead of NHS.UK frontend's whole bundle
// (58 KB, 12.6 KB compressed) fetched after this one. A template that adds another
// data-module="nhsuk-..." needs its component here: tests/involvement/test_scripts.py names it.
import {
  Button,
  Checkboxes,
  createAll,
  ErrorSummary,
  Header,
  NotificationBanner,
  Radios,
  SkipLink,
} from "nhsuk-frontend";

for (const Component of [
  Button, Checkboxes, ErrorSummary, Header, NotificationBanner, Radios, SkipLink,
]) {
  createAll(Component);
}
