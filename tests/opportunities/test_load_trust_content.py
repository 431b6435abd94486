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
                "site": "to be confirmed",
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
    # The trust says there are lay partners, not how many: no count is made up.
    assert role.lay_partners_in_post is None
    assert role.lay_partners_filled is None
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
    assert group.site is None  # the trust has not said where it meets


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
    # Opportunity's minimum age is 25 at most; the programme before it in the same file must
    # not be left behind.
    with pytest.raises(CommandError, match="test-opportunity.*minimum_age"):
        load(write(tmp_path, minimal_content(audience="everyone", minimum_age=30)))
    assert counts() == (0, 0, 0)


def test_a_valid_small_file_loads(tmp_path):
    output = load(write(tmp_path, minimal_content()))
    assert "1 programmes (1 created" in output
    assert Opportunity.objects.get(slug="test-opportunity").programme.slug == "test-programme"


# Only what the trust has said -------------------------------------------------------------


def test_the_real_file_loads_clean_and_says_no_more_than_the_trust():
    output = load()
    assert "11 opportunities (11 created" in output
    opportunities = Opportunity.objects.all()
    # Several hospitals, and the trust names none for any of these: none is named here.
    assert not opportunities.exclude(site=None).exists()
    # "There are lay partners" is not a number: no role claims a count in post.
    assert not opportunities.exclude(lay_partners_in_post=None).exists()
    # Who can take part only where the trust said: children's services and iQI Sprints.
    stated = set(opportunities.exclude(audience="").values_list("slug", flat=True))
    assert stated == {*CHILDRENS, "iqi-sprint-events"}
    assert not opportunities.exclude(minimum_age=None).exists()
    # Every page has its review dates.
    assert not opportunities.filter(last_reviewed=None).exists()
    assert not opportunities.filter(next_review_due=None).exists()


def test_each_kind_takes_its_own_route():
    load()
    routes = dict(Opportunity.objects.values_list("slug", "next_steps"))
    assert routes["patient-flow"] == Opportunity.NextSteps.BRIEFING_AND_TASTER
    assert routes["patient-communications-reference-group"] == Opportunity.NextSteps.WELCOME
    assert routes["iqi-sprint-events"] == Opportunity.NextSteps.REGISTER


def test_the_iqi_sprint_offers_one_route_and_one_schedule():
    load()
    sprint = Opportunity.objects.get(slug="iqi-sprint-events")
    assert sprint.frequency == Opportunity.Frequency.REGULAR
    assert "One-off" not in sprint.get_frequency_display()
    assert "sign up" not in sprint.what_you_would_do
    assert "QI hub" not in sprint.when


def test_patient_flow_gives_the_day_and_time_the_trust_gave():
    load()
    flow = Opportunity.objects.get(slug="patient-flow")
    assert (flow.meeting_day, flow.meeting_time, flow.meeting_length) == (
        "Tuesday", "Morning", ""
    )


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"site": None}, "in person.*say which site.*to be confirmed"),
        ({"on_site": False, "online": True, "site": "st-marys"}, "names site 'st-marys'"),
        ({"lay_partners_in_post": 1}, "only lay partner roles have lay partners in post"),
        ({"kind": "lay_partner", "lay_partners_in_post": "some"}, "must be the number"),
        ({"minimum_age": 16}, "gives a minimum age but not who can take part"),
        ({"site": "nowhere"}, "no site with slug 'nowhere'"),
        ({"next_review_due": "soon"}, "'next_review_due' is not valid"),
    ],
)
def test_an_entry_saying_more_than_the_trust_gave_is_refused_by_name(tmp_path, entry, message):
    named = r"opportunities\[0\] \(slug 'test-opportunity'\)"
    with pytest.raises(CommandError, match=f"{named}.*{message}"):
        load(write(tmp_path, minimal_content(**entry)))
    assert counts() == (0, 0, 0)


def test_a_site_named_in_the_file_is_loaded_and_shown(tmp_path, client):
    data = minimal_content(site="st-marys", meeting_day="Tuesday")
    data["sites"] = [{
        "slug": "st-marys", "name": "St Mary's Hospital",
        "address": ["Praed Street", "London", "W2 1NY"],
    }]

    load(write(tmp_path, data))

    opportunity = Opportunity.objects.get(slug="test-opportunity")
    assert opportunity.site.name == "St Mary's Hospital"
    page = client.get(opportunity.get_absolute_url()).content.decode()
    assert "In person at St Mary&#x27;s Hospital" in page
    assert "Praed Street<br>London<br>W2 1NY" in page


def test_what_a_new_entry_leaves_out_is_not_known(tmp_path):
    load(write(tmp_path, minimal_content(kind="lay_partner")))
    opportunity = Opportunity.objects.get(slug="test-opportunity")
    assert opportunity.audience == Opportunity.Audience.TO_BE_CONFIRMED
    assert opportunity.lay_partners_in_post is None
    assert opportunity.next_steps == Opportunity.NextSteps.BRIEFING_AND_TASTER
