"""What Chromium asks for on the four pages a phone is measured on (bench/lighthouse.py): with
the portal's default font (Arial; settings.FRUTIGER_FONT off) nothing from another host. A
request to NHS.UK's font host, even one the Content-Security-Policy refuses, is a connection
that the text waits for in Lighthouse's simulation of a phone. And the one script the pages
load, NHS.UK frontend's components bundled (static/js/portal.mjs), sets up every component
on them."""

import pytest
from django.urls import reverse

from tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_measured_pages_ask_no_other_host_for_anything(live_server, phone):
    opportunity = OpportunityFactory(title="Patient flow", slug="patient-flow")
    requested = []
    phone.on("request", lambda request: requested.append(request.url))

    for path in [
        reverse("opportunities:home"),
        reverse("opportunities:list"),
        opportunity.get_absolute_url(),
        reverse("applications:interest_step", args=[opportunity.slug, "name"]),
    ]:
        phone.goto(live_server.url + path)
        phone.wait_for_load_state("networkidle")

        # Arial, NHS.UK's fallback for Frutiger, from the stylesheet.
        font = phone.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
        assert font.lower().startswith("arial"), (path, font)
        # The portal's script set up every NHS.UK component on the page: each one marks its
        # element data-<module>-init (NHS.UK frontend's Component does).
        not_set_up = phone.evaluate("""[...document.querySelectorAll('[data-module]')]
            .map(e => e.dataset.module)
            .filter(m => !document.querySelector(`[data-module="${m}"][data-${m}-init]`))""")
        assert not_set_up == [], (path, not_set_up)

    assert requested
    elsewhere = [url for url in requested if not url.startswith(live_server.url)]
    assert elsewhere == []
    assert not any("nhsuk-frontend.min.js" in url for url in requested)
