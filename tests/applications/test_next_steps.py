"""What happens next, by kind of opportunity: the opportunity's page, the confirmation page and
the confirmation email say the same steps, because all three read Opportunity.steps."""

import datetime
import html as html_module
import re

import pytest
from django.urls import reverse

from opportunities.models import Meeting, Opportunity
from tests.factories import MeetingFactory, OpportunityFactory
from tests.public_forms import interest_answers, send_interest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _emails(immediate_tasks):
    pass


def text_of(html):
    """What a person reads: tags gone, entities decoded, spaces collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def step_lines(opportunity):
    return [f"{step.title}. {step.text}" for step in opportunity.steps]


def assert_says_the_steps_in_order(text, opportunity):
    positions = []
    for line in step_lines(opportunity):
        assert line in text, f"{line!r} missing from:\n{text}"
        positions.append(text.index(line))
    assert positions == sorted(positions)


def html_of(message):
    [(html, _)] = message.alternatives
    return html


KINDS = {
    Opportunity.Kind.LAY_PARTNER: ["A briefing meeting", "A taster meeting"],
    Opportunity.Kind.REFERENCE_GROUP: ["A welcome", "How the group works"],
    Opportunity.Kind.PROJECT_GROUP: ["We contact you", "You decide"],
    Opportunity.Kind.EVENT: ["Register for a date", "Come to the event"],
}


def _send_expression(client, opportunity, django_capture_on_commit_callbacks):
    # One question a page, then "Send" on "Check your answers" (tests/public_forms.py).
    with django_capture_on_commit_callbacks(execute=True):
        response = send_interest(client, opportunity, interest_answers(), follow=True)
    assert response.status_code == 200
    return response


def _register(client, meeting, django_capture_on_commit_callbacks):
    url = reverse("applications:register_for_event", args=[meeting.pk])
    answers = interest_answers()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {
            name: answers[name]
            for name in ("full_name", "email", "age_band", "privacy_consent", "submission_key")
        }, follow=True)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_page_the_confirmation_and_the_email_say_the_same_steps(
    client, mailoutbox, django_capture_on_commit_callbacks, kind
):
    opportunity = OpportunityFactory(
        kind=kind, title="Way in", from_home=True, on_site=False,
        frequency=Opportunity.Frequency.QUARTERLY,
        when="Every three months, with emails between meetings.",
    )
    for title in KINDS[kind]:
        assert title in [step.title for step in opportunity.steps]

    if kind == Opportunity.Kind.EVENT:
        meeting = MeetingFactory(
            opportunity=opportunity, kind=Meeting.Kind.EVENT, public_registration=True
        )
        page = client.get(opportunity.get_absolute_url()).content.decode()
        confirmation = _register(client, meeting, django_capture_on_commit_callbacks)
    else:
        page = client.get(opportunity.get_absolute_url()).content.decode()
        confirmation = _send_expression(client, opportunity, django_capture_on_commit_callbacks)

    assert_says_the_steps_in_order(text_of(page), opportunity)
    assert_says_the_steps_in_order(text_of(confirmation.content.decode()), opportunity)
    [email] = [m for m in mailoutbox if m.to == ["siobhan@example.com"]]
    assert_says_the_steps_in_order(" ".join(email.body.split()), opportunity)
    assert_says_the_steps_in_order(text_of(html_of(email)), opportunity)

    everywhere = page + confirmation.content.decode() + email.body + html_of(email)
    if kind != Opportunity.Kind.LAY_PARTNER:
        # The lay partner process is promised to lay partners only.
        assert "taster meeting" not in everywhere
        assert "briefing meeting" not in everywhere


def test_a_reference_group_says_how_it_works_from_its_own_fields():
    group = OpportunityFactory(
        kind=Opportunity.Kind.REFERENCE_GROUP, on_site=False, from_home=True,
        frequency=Opportunity.Frequency.OCCASIONAL,
        when="From time to time, when we have something for you to look at.",
    )

    [welcome, how] = group.steps

    assert welcome.title == "A welcome"
    assert how.text == (
        "You take part from home, by email. How often: now and then. "
        "From time to time, when we have something for you to look at."
    )


def test_staff_can_choose_another_route_than_the_kinds(client):
    # A reference group that does take people through a briefing and a taster.
    group = OpportunityFactory(
        kind=Opportunity.Kind.REFERENCE_GROUP,
        next_steps=Opportunity.NextSteps.BRIEFING_AND_TASTER,
    )

    text = text_of(client.get(group.get_absolute_url()).content.decode())

    assert "A briefing meeting." in text and "A taster meeting." in text
    assert "A welcome." not in text


def test_an_under_16_and_the_way_to_contact_them_are_in_the_confirmation(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    opportunity = OpportunityFactory(audience=Opportunity.Audience.EVERYONE)
    answers = interest_answers(
        age_band="under_16", preferred_contact="phone", phone="07700 900982",
        parent_carer_name="Aoife O'Brien", parent_carer_contact="aoife@example.com",
        parent_carer_confirmed="on",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = send_interest(client, opportunity, answers, follow=True)

    wording = "We will contact you by phone. Because you are under 16, we will contact your " \
        "parent or carer too."
    assert wording in text_of(response.content.decode())
    [email] = [m for m in mailoutbox if m.to == ["siobhan@example.com"]]
    assert wording in " ".join(email.body.split())


# Events: one route ------------------------------------------------------------------------


@pytest.fixture
def sprint():
    return OpportunityFactory(
        kind=Opportunity.Kind.EVENT, title="iQI Sprint events", slug="iqi-sprint-events",
        frequency=Opportunity.Frequency.REGULAR,
    )


def test_an_event_with_a_date_offers_registering_only(client, sprint):
    MeetingFactory(opportunity=sprint, kind=Meeting.Kind.EVENT, public_registration=True)

    html = client.get(sprint.get_absolute_url()).content.decode()

    assert "Register" in html
    assert "Tell us you are interested" not in html
    assert "Tell me when the next one is" not in html
    assert reverse("applications:express_interest", args=[sprint.slug]) not in html


def test_an_event_with_no_date_offers_tell_me_when_the_next_one_is(client, sprint):
    html = client.get(sprint.get_absolute_url()).content.decode()

    assert "Tell me when the next one is" in html
    assert reverse("applications:next_date", args=[sprint.slug]) in html
    assert "Tell us you are interested" not in html
    assert "One-off" not in html


def test_an_expression_of_interest_is_not_a_way_into_an_event(client, sprint):
    url = reverse("applications:express_interest", args=[sprint.slug])

    assert client.get(url).url == sprint.get_absolute_url()
    response = client.post(url, interest_answers())
    assert response.url == sprint.get_absolute_url()
    assert not sprint.expressions.exists()


def test_a_past_event_date_is_no_date(client, sprint):
    MeetingFactory(
        opportunity=sprint, kind=Meeting.Kind.EVENT, public_registration=True,
        starts_at=datetime.datetime(2020, 3, 10, 10, 0, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2020, 3, 10, 13, 0, tzinfo=datetime.UTC),
    )

    html = client.get(sprint.get_absolute_url()).content.decode()

    assert "Tell me when the next one is" in html
