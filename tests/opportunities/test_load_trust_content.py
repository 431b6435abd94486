import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opportunities.management.commands.load_trust_content import DEFAULT_PATH
from opportunities.models import GlossaryTerm, Opportunity, Programme

pytestmark = pytest.mark.django_db

# In the order the trust's page lists them.
TITLES = [
    "Hammersmith and Fulham integrated care",
    "Patient experience group",
    "Children's quality and safety",
    "Children's directorate board",
    "St Mary's Hospital redevelopment – phase one",
    "Patient flow",
    "Care of older people with frailty",
    "Patient communications reference group",
    "Digital reference group",
    "Patient safety",
    "iQI Sprint events",
]

CHILDRENS = [
    "childrens-patient-experience-group",
    "childrens-quality-and-safety",
    "childrens-directorate-board",
]


def load(*args):
    out = StringIO()
    call_command("load_trust_content", *args, stdout=out)
    return out.getvalue()


def counts():
    return (
        Programme.objects.count(),
        Opportunity.objects.count(),
        GlossaryTerm.objects.count(),
    )


def write(tmp_path, data, name="content.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def minimal_content(**opportunity):
    return {
        "programmes": [{"slug": "test-programme", "name": "Test programme", "summary": "A test."}],
        "opportunities": [
            {
                "slug": "test-opportunity",
                "programme": "test-programme",
                "kind": "project_group",
                "title": "Test opportunity",
                "summary": "A test.",
                "description": "A test.",
                "frequency": "occasional",
                "status": "open",
                "on_site": True,
                **opportunity,
            }
        ],
    }


# The content ------------------------------------------------------------------------------


def test_loads_all_eleven_open_opportunities_in_page_order():
    load()
    opportunities = list(Opportunity.objects.all())
    assert [o.title for o in opportunities] == TITLES
    assert all(o.status == Opportunity.Status.OPEN for o in opportunities)
    assert all(o.closing_date is None for o in opportunities)
    assert Opportunity.objects.open().count() == 11


def test_every_programme_and_opportunity_has_a_summary_and_description():
    load()
    assert Programme.objects.count() >= 5
    for item in [*Programme.objects.all(), *Opportunity.objects.all()]:
        assert item.summary.strip(), item
        assert len(item.summary) <= 300, item
        assert item.description.strip(), item
    for opportunity in Opportunity.objects.all():
        assert opportunity.what_you_would_do.strip(), opportunity
        assert opportunity.when.strip(), opportunity


def test_programmes_keep_the_page_order_and_lay_partner_ones_are_key():
    load()
    names = list(Programme.objects.values_list("name", flat=True))
    assert (
        names.index("Hammersmith and Fulham integrated care")
        < names.index("Children's services")
        < names.index("St Mary's Hospital redevelopment")
        < names.index("Quality Improvement")
    )
    lay_partner_programmes = Programme.objects.filter(
        opportunities__kind=Opportunity.Kind.LAY_PARTNER
    ).distinct()
    assert lay_partner_programmes.exists()
    assert all(programme.is_key for programme in lay_partner_programmes)
    assert not Programme.objects.get(slug="quality-improvement").is_key


def test_lay_partner_roles_aim_for_two_lay_partners():
    load()
    roles = Opportunity.objects.filter(kind=Opportunity.Kind.LAY_PARTNER)
    assert roles.count() == 7
    assert all(role.lay_partner_target == 2 for role in roles)
    assert all(role.preparation.strip() for role in roles)


def test_hammersmith_and_fulham_already_has_lay_partners_but_wants_more():
    load()
    role = Opportunity.objects.get(slug="hammersmith-and-fulham-integrated-care")
    assert role.lay_partners_in_post >= 1
    assert role.lay_partners_needed >= 1
    assert "already lay partners" in role.description


def test_childrens_services_are_open_to_adults_and_young_people():
    load()
    for slug in CHILDRENS:
        opportunity = Opportunity.objects.get(slug=slug)
        assert opportunity.audience == Opportunity.Audience.EVERYONE
        assert opportunity.open_to_young_people
        assert opportunity.minimum_age is None
        assert opportunity.programme.slug == "childrens-services"
    assert Opportunity.objects.get(slug="childrens-quality-and-safety").frequency == "monthly"
    assert Opportunity.objects.get(slug="childrens-directorate-board").frequency == "monthly"


def test_patient_flow_meets_every_two_weeks_on_tuesday_mornings():
    load()
    flow = Opportunity.objects.get(title="Patient flow")
    assert flow.kind == Opportunity.Kind.LAY_PARTNER
    assert flow.frequency == Opportunity.Frequency.FORTNIGHTLY
    assert "Tuesday" in flow.when
    assert flow.on_site
    for bullet in ["board rounds", "ward rounds", "patient handover", "multi-disciplinary"]:
        assert f"- {bullet}" in flow.description


def test_communications_group_is_done_from_home():
    load()
    group = Opportunity.objects.get(slug="patient-communications-reference-group")
    assert group.kind == Opportunity.Kind.REFERENCE_GROUP
    assert group.from_home
    assert not group.on_site
    assert "experience of editing or writing" in group.description


def test_digital_group_meets_every_three_months():
    load()
    group = Opportunity.objects.get(slug="digital-reference-group")
    assert group.kind == Opportunity.Kind.REFERENCE_GROUP
    assert group.frequency == Opportunity.Frequency.QUARTERLY
    assert group.on_site and group.from_home


def test_iqi_sprints_are_open_to_everyone_and_name_the_qi_hub():
    load()
    sprint = Opportunity.objects.get(slug="iqi-sprint-events")
    assert sprint.kind == Opportunity.Kind.EVENT
    assert sprint.audience == Opportunity.Audience.EVERYONE
    assert sprint.contact()["email"] == "Imperial.hub.quality@nhs.net"
    assert sprint.contact()["phone"] == "020 3312 5259"


def test_other_opportunities_use_the_involvement_team_email():
    load()
    for opportunity in Opportunity.objects.exclude(slug="iqi-sprint-events"):
        assert opportunity.contact()["email"] == "imperial.involvement@nhs.net"


def test_nothing_is_invented_about_payment_or_expenses():
    load()
    assert not Opportunity.objects.exclude(involvement_payment="").exists()
    assert not Opportunity.objects.exclude(expenses="").exists()


def test_glossary_explains_the_page_terms():
    load()
    terms = set(GlossaryTerm.objects.values_list("term", flat=True))
    assert {"QI", "iQI", "iQI Sprint", "GP", "IT", "board round"} <= terms
    assert "board rounds" in GlossaryTerm.objects.get(term="board round").forms
    assert "GPs" in GlossaryTerm.objects.get(term="GP").forms
    assert all(term.meaning.strip() and term.slug for term in GlossaryTerm.objects.all())


def test_prints_a_one_line_summary():
    output = load()
    assert output.strip().count("\n") == 0
    assert "11 opportunities (11 created, 0 updated, 0 unchanged)" in output
    assert "programmes (" in output and "glossary terms (" in output


def test_default_path_is_the_trust_content_file():
    assert Path(DEFAULT_PATH).is_file()
    load(str(DEFAULT_PATH))
    assert Opportunity.objects.count() == 11


# Running again ----------------------------------------------------------------------------


def test_running_twice_creates_no_duplicates():
    load()
    first = counts()
    output = load()
    assert counts() == first
    assert "11 opportunities (0 created, 0 updated, 11 unchanged)" in output


def test_a_rerun_leaves_records_it_does_not_own_alone():
    load()
    programme = Programme.objects.create(
        name="Staff programme", slug="staff-programme", summary="Added by staff."
    )
    own = Opportunity.objects.create(
        programme=programme,
        kind=Opportunity.Kind.PROJECT_GROUP,
        title="Staff group",
        slug="staff-group",
        summary="Added by staff.",
        description="Added by staff.",
        frequency=Opportunity.Frequency.MONTHLY,
        status=Opportunity.Status.DRAFT,
        online=True,
    )
    term = GlossaryTerm.objects.create(term="ICB", slug="icb", meaning="Staff meaning.")

    load()

    own.refresh_from_db()
    assert own.title == "Staff group" and own.status == Opportunity.Status.DRAFT
    assert Programme.objects.get(slug="staff-programme").summary == "Added by staff."
    term.refresh_from_db()
    assert term.meaning == "Staff meaning."
    assert Opportunity.objects.count() == 12


def test_a_rerun_restores_a_changed_field_on_a_record_it_owns():
    load()
    flow = Opportunity.objects.get(slug="patient-flow")
    original = flow.summary
    flow.summary = "Changed by hand."
    flow.save()
    GlossaryTerm.objects.filter(term="QI").update(meaning="Changed.")

    output = load()

    flow.refresh_from_db()
    assert flow.summary == original
    assert GlossaryTerm.objects.get(term="QI").meaning != "Changed."
    assert "11 opportunities (0 created, 1 updated, 10 unchanged)" in output
    assert "glossary terms (0 created, 1 updated," in output


def test_a_rerun_never_reopens_an_opportunity_staff_closed():
    load()
    Opportunity.objects.filter(slug="patient-flow").update(status=Opportunity.Status.CLOSED)

    load()

    assert Opportunity.objects.get(slug="patient-flow").status == Opportunity.Status.CLOSED


# Bad files --------------------------------------------------------------------------------


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="not found"):
        load(str(tmp_path / "no-such-file.json"))
    assert counts() == (0, 0, 0)


def test_a_file_that_is_not_json_is_a_command_error(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        load(str(path))


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "expected an object"),
        ({"programmes": {}}, "must be a list"),
        ({"events": []}, "unknown section"),
        ({"programmes": [{"name": "No slug"}]}, "has no 'slug'"),
    ],
)
def test_a_badly_shaped_file_is_a_command_error(tmp_path, data, message):
    with pytest.raises(CommandError, match=message):
        load(write(tmp_path, data))


def test_an_unknown_field_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="unknown field.*colour"):
        load(write(tmp_path, minimal_content(colour="blue")))


def test_an_unknown_programme_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="no programme with slug 'nowhere'"):
        load(write(tmp_path, minimal_content(programme="nowhere")))


def test_invalid_data_fails_loudly_and_changes_nothing(tmp_path):
    # Opportunity.clean() needs at least one place to take part; the programme before it in
    # the same file must not be left behind.
    with pytest.raises(CommandError, match="test-opportunity.*on_site"):
        load(write(tmp_path, minimal_content(on_site=False)))
    assert counts() == (0, 0, 0)


def test_a_valid_small_file_loads(tmp_path):
    output = load(write(tmp_path, minimal_content()))
    assert "1 programmes (1 created" in output
    assert Opportunity.objects.get(slug="test-opportunity").programme.slug == "test-programme"
