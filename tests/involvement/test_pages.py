"""Every public page: renders, has one h1, a skip link and a title of its own."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import path, reverse

from opportunities.models import Opportunity
from tests.factories import GlossaryTermFactory, ImpactRecordFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


class Outline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.h1 = 0
        self.title = ""
        self._in_title = False
        self.skip_link = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h1":
            self.h1 += 1
        if tag == "title":
            self._in_title = True
        if tag == "a" and "nhsuk-skip-link" in (attrs.get("class") or ""):
            self.skip_link = attrs.get("href") == "#maincontent"

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def public_urls():
    """Every page in the sitemap, so a page added to it is checked without anyone remembering."""
    response = Client().get(reverse("sitemap"))
    assert response.status_code == 200
    return re.findall(r"<loc>https?://[^/]+(/[^<]*)</loc>", response.content.decode())


def test_every_public_page_has_one_h1_a_skip_link_and_a_unique_title(client):
    GlossaryTermFactory(term="QI", slug="qi")
    OpportunityFactory(title="Digital reference group", kind=Opportunity.Kind.REFERENCE_GROUP)
    OpportunityFactory(title="Patient flow", kind=Opportunity.Kind.LAY_PARTNER)
    ImpactRecordFactory(title="Clearer letters").publish()
    ImpactRecordFactory(title="A draft nobody sees")

    urls = public_urls()
    # Nine pages (with /events/, /alerts/ and /impact/), two opportunities, one published record.
    assert len(urls) == 12
    titles = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        outline = Outline()
        outline.feed(response.content.decode())
        assert outline.h1 == 1, url
        assert outline.skip_link, url
        assert 'id="maincontent"' in response.content.decode(), url
        titles[url] = " ".join(outline.title.split())
    assert len(set(titles.values())) == len(titles), titles


def test_the_sitemap_leaves_out_drafts(client):
    OpportunityFactory(slug="secret-draft", status=Opportunity.Status.DRAFT)
    ImpactRecordFactory(slug="secret-change")

    sitemap = client.get(reverse("sitemap")).content.decode()
    assert "secret-draft" not in sitemap
    assert "secret-change" not in sitemap


def test_home_shows_why_the_ways_in_and_how_it_works(client, settings):
    settings.TRUST_NAME = "Anytown Hospitals NHS Trust"
    OpportunityFactory(kind=Opportunity.Kind.LAY_PARTNER)
    OpportunityFactory(kind=Opportunity.Kind.LAY_PARTNER)
    OpportunityFactory(kind=Opportunity.Kind.EVENT)

    html = client.get(reverse("opportunities:home")).content.decode()

    assert "Help shape Anytown Hospitals NHS Trust" in html
    assert "Why get involved" in html
    assert "Become a lay partner" in html
    assert "2 roles open now" in html
    assert "Join a group" in html
    assert "Come to an event" in html
    # How it works, by kind: the lay partner process is promised to lay partners only.
    assert "<strong>Lay partner roles:</strong> we contact you, then you have a briefing " \
        "meeting, and you can come to a taster meeting with no obligation to join." in html
    assert "<strong>Reference groups:</strong> we contact you to welcome you" in html
    assert "<strong>Events:</strong> you register for a date. If there is no date yet, you " \
        "can ask us to tell you when the next one is." in html
    # The NHS organisation header splits the name at its descriptor.
    assert '<span class="nhsuk-header__organisation-name">Anytown Hospitals</span>' in html
    assert "NHS Trust</span>" in html


def test_lay_partners_page_has_the_principles_and_open_roles(client):
    OpportunityFactory(
        title="Patient flow", kind=Opportunity.Kind.LAY_PARTNER, lay_partners_in_post=0
    )
    OpportunityFactory(title="Comms group", kind=Opportunity.Kind.REFERENCE_GROUP)

    html = client.get(reverse("opportunities:lay_partners")).content.decode()

    assert "critical friend" in html
    assert "Briefing meeting." in html
    assert "Taster meeting." in html
    assert "Patient flow" in html
    assert "0 of 2 places filled" in html
    assert "Comms group" not in html


def test_glossary_lists_terms_with_anchors(client):
    GlossaryTermFactory(term="QI", slug="qi", meaning="Quality improvement.")

    html = client.get(reverse("opportunities:glossary")).content.decode()

    assert 'id="qi"' in html
    assert "Quality improvement." in html


def test_privacy_notice_states_lawful_basis_and_retention(client):
    html = client.get(reverse("privacy")).content.decode()

    assert "lawful basis" in html.lower()
    assert "12 months" in html
    assert "6 years" in html


def test_accessibility_statement_says_how_it_was_tested(client):
    html = client.get(reverse("accessibility")).content.decode()

    assert "How we test this website" in html
    assert "WCAG" in html
    # The staff pages are covered by the same law, and the statement says how they are tested
    # (tests/browser/test_admin_accessibility.py and test_admin_keyboard.py).
    assert "The pages our staff use" in html
    assert "only a keyboard" in html


def broken_view(request):
    raise RuntimeError("something went wrong")


urlpatterns = [path("broken/", broken_view)]


def test_a_server_error_shows_the_nhs_styled_500_page(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    client = Client(raise_request_exception=False)

    response = client.get("/broken/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "Sorry, there is a problem with the service" in html
    assert "nhsuk-header" in html
    assert "something went wrong" not in html


def test_healthz_answers_when_the_database_does(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_robots_keeps_crawlers_out_of_the_admin(client):
    response = client.get(reverse("robots"))

    assert "Disallow: /admin/" in response.content.decode()
