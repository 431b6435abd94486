"""Content health on the opportunity admin: each public text's reading grade against the goal of
grade 8, and the glossary terms it uses."""

import re

import pytest
from django.urls import reverse

from opportunities.content_health import as_sentences, reading_grade
from tests.factories import GlossaryTermFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def health_rows(response):
    """The reading table's rows as (text, grade cell, terms cell), tags removed."""
    html = response.content.decode()
    table = re.search(r'<table class="content-health">.*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th><td>(.*?)</td><td>(.*?)</td></tr>", table)
    return [tuple(re.sub(r"<[^>]+>", "", cell).strip() for cell in row) for row in rows]


def test_the_change_page_shows_each_public_texts_reading_grade_and_glossary_terms(staff_client):
    GlossaryTermFactory(term="QI", slug="qi", meaning="Quality improvement.")
    GlossaryTermFactory(term="board round", slug="board-round", meaning="A daily meeting.")
    opportunity = OpportunityFactory(
        summary="We meet once a month. You can tell us what you think.",
        description=(
            "The multidisciplinary improvement programme encompasses comprehensive "
            "organisational transformation initiatives using QI methodology."
        ),
        what_you_would_do="You would:\n- read the papers\n- come to a board round",
        preparation="",
    )

    response = staff_client.get(
        reverse("admin:opportunities_opportunity_change", args=[opportunity.pk])
    )

    rows = health_rows(response)
    assert rows[:4] == [
        ("Summary", "-1.5", "None"),
        ("Description", "28.0 above the goal: try shorter sentences and everyday words", "QI"),
        ("What you would do", f"{reading_grade(opportunity.what_you_would_do)}", "board round"),
        ("Preparation expected", "Nothing written", "None"),
    ]
    assert "the goal is 8 or below" in response.content.decode()


def test_a_list_is_read_a_line_at_a_time():
    text = "You would:\n- read the papers\n- come to the meetings\n- tell us what you think"

    assert as_sentences(text) == (
        "You would: read the papers. come to the meetings. tell us what you think."
    )
    # As one run-on sentence it would score 2.9.
    assert reading_grade(text) == -0.9


def test_the_grade_is_shown_not_enforced(staff_client):
    opportunity = OpportunityFactory()
    url = reverse("admin:opportunities_opportunity_change", args=[opportunity.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {
        name: value for name, value in form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data.update({
        "description": "The multidisciplinary improvement programme encompasses comprehensive "
        "organisational transformation initiatives.",
        "meetings-TOTAL_FORMS": "0", "meetings-INITIAL_FORMS": "0",
        "programme": opportunity.programme.pk,
    })

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    opportunity.refresh_from_db()
    assert opportunity.description.startswith("The multidisciplinary")


def test_a_new_opportunity_has_no_reading_table_yet(staff_client):
    response = staff_client.get(reverse("admin:opportunities_opportunity_add"))

    assert response.status_code == 200
    assert "content-health" not in response.content.decode()
