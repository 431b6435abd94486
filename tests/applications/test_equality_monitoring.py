"""Equality monitoring: optional questions after an expression of interest, answers kept with no
link to the person or their expression, and a report of counts with small numbers hidden.

Over 600 lines: one feature, as the house style keeps one test file per feature.
"""

import re
import uuid

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from applications.equality import EqualityResponse, suppress_small_numbers
from applications.models import ExpressionOfInterest
from tests.factories import EqualityResponseFactory, MeetingFactory, OpportunityFactory
from tests.public_forms import send_interest

pytestmark = pytest.mark.django_db

EQUALITY_URL = "applications:equality"
THANKS_URL = "applications:equality_thanks"
REPORT_URL = "admin:applications_equality_report"


def answers(**overrides):
    data = {
        "sex": "female",
        "gender_same_as_birth": "yes",
        "sexual_orientation": "bisexual",
        "ethnic_group": "white_irish",
        "religion": "prefer_not_to_say",
        "disability": "yes",
        "caring": "no",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def checked(html, name, value):
    """Whether the radio for this answer is ticked on the page."""
    return re.search(rf'name="{name}" type="radio" value="{value}"[^>]*\bchecked\b', html)


# The public form ----------------------------------------------------------------------------


def test_it_shows_every_question_with_prefer_not_to_say(client):
    response = client.get(reverse(EQUALITY_URL))

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    html = response.content.decode()
    assert "<h1>Help us check we are fair to everyone</h1>" in html
    assert "cannot be linked to you or to your expression of interest" in html
    assert "novalidate" in html
    assert 'name="csrfmiddlewaretoken"' in html
    for legend in [
        "What is your sex?",
        "Is the gender you identify with the same as your sex registered at birth?",
        "Which of these best describes your sexual orientation?",
        "What is your ethnic group?",
        "What is your religion or belief?",
        "Do you have a disability or a long-term health condition?",
        "Do you look after or support someone because of illness, disability or old age?",
    ]:
        assert re.search(rf"<legend[^>]*>\s*{re.escape(legend)}\s*</legend>", html), legend
    for question in EqualityResponse.QUESTIONS:
        assert checked(html, question, "prefer_not_to_say") is None
        assert f'name="{question}" type="radio" value="prefer_not_to_say"' in html
    # Not asked: the expression of interest has an age band, and asking again would help link.
    assert "How old are you" not in html
    assert 'name="age' not in html


def test_the_ethnic_groups_sit_under_their_headings(client):
    html = client.get(reverse(EQUALITY_URL)).content.decode()

    for heading in [
        "Asian or Asian British", "Black, Black British, Caribbean or African",
        "Mixed or multiple ethnic groups", "White", "Other ethnic group",
    ]:
        assert re.search(
            rf'<fieldset class="nhsuk-fieldset nhsuk-u-margin-bottom-4">\s*'
            rf'<legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">'
            rf"{re.escape(heading)}</legend>",
            html,
        ), heading
    # The first answer takes the field's id, so the error summary's link lands on it.
    assert 'id="id_ethnic_group" name="ethnic_group" type="radio" value="asian_indian"' in html
    white = html.index(">White</legend>")
    assert white < html.index("Gypsy or Irish Traveller") < html.index(">Other ethnic group<")


def test_it_has_a_way_to_skip_the_questions(client):
    html = client.get(reverse(EQUALITY_URL)).content.decode()

    assert f'<a href="{reverse("opportunities:home")}">Skip these questions</a>' in html


def test_it_works_without_javascript(client):
    """A plain HTML form: the browser posts it, the server answers with a redirect."""
    html = client.get(reverse(EQUALITY_URL)).content.decode()

    assert f'<form method="post" action="{reverse(EQUALITY_URL)}" novalidate>' in html
    assert '<button class="nhsuk-button"' in html and 'type="submit">Send my answers' in html
    response = client.post(reverse(EQUALITY_URL), answers())
    assert response.status_code == 302
    assert response["Location"] == reverse(THANKS_URL)


def test_it_saves_the_answers_and_says_thank_you(client):
    response = client.post(reverse(EQUALITY_URL), answers(), follow=True)

    row = EqualityResponse.objects.get()
    assert (row.sex, row.gender_same_as_birth, row.sexual_orientation) == (
        "female", "yes", "bisexual"
    )
    assert (row.ethnic_group, row.religion, row.disability, row.caring) == (
        "white_irish", "prefer_not_to_say", "yes", "no"
    )
    assert row.year == timezone.localdate().year
    assert response.redirect_chain == [(reverse(THANKS_URL), 302)]
    assert "Thank you for answering" in response.content.decode()


def test_questions_left_blank_are_saved_as_not_answered(client):
    client.post(reverse(EQUALITY_URL), answers(sex=None, religion=None, caring=""))

    row = EqualityResponse.objects.get()
    assert (row.sex, row.religion, row.caring) == ("", "", "")
    assert row.ethnic_group == "white_irish"


def test_no_answers_at_all_keeps_nothing_and_still_says_thank_you(client):
    response = client.post(reverse(EQUALITY_URL), {}, follow=True)

    assert EqualityResponse.objects.count() == 0
    assert response.redirect_chain == [(reverse(THANKS_URL), 302)]
    html = response.content.decode()
    assert "<h1>Thank you</h1>" in html
    assert "so we have not kept anything" in html
    assert "equality_answered" not in client.session


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("sex", "Select your sex from the answers given"),
        ("gender_same_as_birth",
         "Select whether your gender is the same as your sex registered at birth from the "
         "answers given"),
        ("sexual_orientation", "Select your sexual orientation from the answers given"),
        ("ethnic_group", "Select your ethnic group from the answers given"),
        ("religion", "Select your religion or belief from the answers given"),
        ("disability",
         "Select whether you have a disability or long-term health condition from the "
         "answers given"),
        ("caring", "Select whether you look after or support someone from the answers given"),
    ],
)
def test_an_answer_not_offered_gets_a_specific_message_and_keeps_the_other_answers(
    client, question, message
):
    response = client.post(reverse(EQUALITY_URL), answers(**{question: "made_up"}))

    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: Help us check we are fair to everyone" in html
    assert 'class="nhsuk-error-summary"' in html
    assert f'<a href="#id_{question}">{message}</a>' in html
    assert f'<span class="nhsuk-u-visually-hidden">Error: </span>{message}' in html
    for other, value in answers().items():
        if other != question:
            assert checked(html, other, value), other
    assert EqualityResponse.objects.count() == 0


def test_the_honeypot_blocks_and_keeps_the_answers(client):
    response = client.post(reverse(EQUALITY_URL), answers(website="http://spam.example"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "Your answers have not been sent yet" in html
    assert checked(html, "ethnic_group", "white_irish")
    assert EqualityResponse.objects.count() == 0


def test_it_needs_the_csrf_token():
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(reverse(EQUALITY_URL), answers())

    assert response.status_code == 403
    assert EqualityResponse.objects.count() == 0


def test_sending_twice_from_the_same_browser_counts_once(client):
    first = client.post(reverse(EQUALITY_URL), answers())
    second = client.post(reverse(EQUALITY_URL), answers(sex="male"))

    assert EqualityResponse.objects.count() == 1
    assert EqualityResponse.objects.get().sex == "female"
    assert first["Location"] == second["Location"] == reverse(THANKS_URL)
    # Coming back to the questions goes to the thank-you page.
    again = client.get(reverse(EQUALITY_URL))
    assert again.status_code == 302
    assert again["Location"] == reverse(THANKS_URL)


def test_the_thank_you_page_stands_alone(client):
    response = client.get(reverse(THANKS_URL))

    assert response.status_code == 200
    assert "<h1>Thank you</h1>" in response.content.decode()


def test_the_session_holds_only_that_they_answered(client):
    client.post(reverse(EQUALITY_URL), answers())

    assert dict(client.session.items()) == {"equality_answered": True}


def test_query_count_of_the_public_page(client, django_assert_max_num_queries):
    EqualityResponseFactory.create_batch(30, sex="male")

    with django_assert_max_num_queries(0):
        client.get(reverse(EQUALITY_URL))
    # Saving: one INSERT for the answers; the rest is the session that remembers they answered
    # (with database sessions: a look-up, then an INSERT inside a savepoint).
    with django_assert_max_num_queries(5):
        client.post(reverse(EQUALITY_URL), answers())


# No link between the answers and the person ----------------------------------------------------


def test_the_model_can_hold_nothing_that_links_to_a_person():
    fields = EqualityResponse._meta.get_fields()

    assert [field for field in fields if field.is_relation] == []
    assert not any(
        isinstance(field, models.DateField | models.DateTimeField | models.TimeField)
        for field in fields
    )
    assert isinstance(EqualityResponse._meta.pk, models.UUIDField)
    # Only the year and the answers: a new field has to be added here on purpose.
    assert {field.name for field in fields} == {"id", "year", *EqualityResponse.QUESTIONS}
    for question in EqualityResponse.QUESTIONS:
        field = EqualityResponse._meta.get_field(question)
        assert field.blank, question
        assert "prefer_not_to_say" in EqualityResponse.answers(question), question


def test_an_expression_then_equality_answers_leave_no_link(client):
    """The same browser sends an expression of interest, then answers the questions."""
    opportunity = OpportunityFactory(slug="patient-flow")
    send_interest(client, opportunity, {
        "full_name": "Amara Okafor", "email": "amara@example.com", "phone": "",
        "preferred_contact": "email", "age_band": "25_64", "connections": ["patient"],
        "why_interested": "I was a patient.", "privacy_consent": "on",
    })
    expression = ExpressionOfInterest.objects.get()
    sent = client.get(reverse("applications:interest_sent", args=[opportunity.slug]))
    assert expression.reference in sent.content.decode()

    client.post(reverse(EQUALITY_URL), answers())

    row = EqualityResponse.objects.get()
    linking = {
        expression.reference, expression.email, expression.full_name, expression.pk,
        str(expression.pk), expression.submission_key, str(expression.submission_key),
        expression.submitted_at,
    }
    linking = {str(value) for value in linking}
    stored = {str(getattr(row, field.attname)) for field in row._meta.concrete_fields}
    assert not linking & stored
    session = dict(client.session.items())
    assert not linking & {str(value) for value in session.values()}
    assert session == {"equality_answered": True}
    # Nor can the answers' id be matched to the expression's by order: it is random.
    assert isinstance(row.pk, uuid.UUID) and row.pk.version == 4


def test_the_equality_view_never_reads_the_expression_reference(client, monkeypatch):
    """Reading the session for the reference would be the first step to linking."""
    reads = []
    session_class = type(client.session)
    original_get = session_class.get
    original_getitem = session_class.__getitem__

    def get(self, key, default=None):
        reads.append(key)
        return original_get(self, key, default)

    def getitem(self, key):
        reads.append(key)
        return original_getitem(self, key)

    session = client.session
    session["sent_expression"] = "K7M3-Q9TX-2PWA"
    session.save()
    monkeypatch.setattr(session_class, "get", get)
    monkeypatch.setattr(session_class, "__getitem__", getitem)

    client.get(reverse(EQUALITY_URL))
    client.post(reverse(EQUALITY_URL), answers())

    assert "sent_expression" not in reads
    assert "sent_registration" not in reads


def test_the_answers_are_not_in_the_admin(staff_client):
    assert not admin.site.is_registered(EqualityResponse)
    with pytest.raises(NoReverseMatch):
        reverse("admin:applications_equalityresponse_changelist")
    EqualityResponseFactory(sex="female")

    assert staff_client.get("/admin/applications/equalityresponse/").status_code == 404
    assert "equalityresponse" not in staff_client.get(reverse("admin:index")).content.decode()


def test_the_only_permission_is_to_see_the_report():
    content_type = ContentType.objects.get_for_model(EqualityResponse)

    codenames = set(
        Permission.objects.filter(content_type=content_type).values_list("codename", flat=True)
    )

    assert codenames == {"view_equality_report"}


# The invitation on the confirmation pages ------------------------------------------------------


def send_expression(client, opportunity):
    return send_interest(client, opportunity, {
        "full_name": "Tomasz Nowak", "email": "tomasz@example.com", "phone": "",
        "preferred_contact": "email", "age_band": "65_plus", "connections": ["carer"],
        "why_interested": "My wife was a patient.", "privacy_consent": "on",
    }, follow=True)


def test_the_confirmation_page_invites_them_with_a_bare_link(client):
    response = send_expression(client, OpportunityFactory())

    html = response.content.decode()
    assert "Help us check we are fair to everyone" in html
    links = re.findall(r'href="([^"]*equality[^"]*)"', html)
    assert links == [reverse(EQUALITY_URL)]
    reference = ExpressionOfInterest.objects.get().reference
    assert all(reference not in link for link in links)


def test_the_event_registration_page_invites_them_too(client):
    event = MeetingFactory(
        kind="event", public_registration=True, capacity=10,
        opportunity__audience="everyone",
    )
    response = client.post(
        reverse("applications:register_for_event", args=[event.pk]),
        {
            "full_name": "Amara Okafor", "email": "amara@example.com", "phone": "",
            "age_band": "25_64", "privacy_consent": "on", "submission_key": str(uuid.uuid4()),
        },
        follow=True,
    )

    html = response.content.decode()
    assert "You are registered" in html
    assert re.findall(r'href="([^"]*equality[^"]*)"', html) == [reverse(EQUALITY_URL)]


def test_no_invitation_once_they_have_answered(client):
    client.post(reverse(EQUALITY_URL), answers())

    response = send_expression(client, OpportunityFactory())

    html = response.content.decode()
    assert "We have your expression of interest" in html
    assert reverse(EQUALITY_URL) not in html


# Hiding small numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "shown"),
    [
        # Either side of 5.
        ([4, 0], ["Fewer than 5", "0"]),
        ([5, 0], ["5", "0"]),
        ([5, 6, 0], ["5", "6", "0"]),
        ([1], ["Fewer than 5"]),
        # One hidden: the next smallest is hidden too, so the total cannot give it away.
        ([4, 12, 7, 0], ["Fewer than 5", "12", "Not shown", "0"]),
        ([9, 2, 30], ["Not shown", "Fewer than 5", "30"]),
        ([2, 6, 6], ["Fewer than 5", "Not shown", "6"]),
        # Two hidden that could be 1 and 3, or 2 and 2: the total does not give them away.
        ([1, 3, 10], ["Fewer than 5", "Fewer than 5", "10"]),
        # Two hidden that can only both be 1 (or both 4): one more is hidden.
        ([1, 1, 10, 20], ["Fewer than 5", "Fewer than 5", "Not shown", "20"]),
        ([4, 4, 10, 8], ["Fewer than 5", "Fewer than 5", "10", "Not shown"]),
        # Nothing else to hide.
        ([3, 0, 0], ["Fewer than 5", "0", "0"]),
    ],
)
def test_small_numbers_are_hidden(counts, shown):
    assert suppress_small_numbers(counts) == shown


# The report -----------------------------------------------------------------------------------


def report_content(html):
    """The report itself, without the admin's navigation (whose app list has tables too)."""
    return html[html.index('<div id="content-main" class="eoi-equality-report">'):]


def report_table(html, caption):
    """A report table as {answer: number shown}."""
    table = re.search(rf"<caption>{re.escape(caption)}</caption>(.*?)</table>", html, re.S)
    assert table, caption
    return dict(re.findall(
        r'<th scope="row"[^>]*>([^<]+)</th><td class="eoi-number">([^<]+)</td>', table.group(1)
    ))


@pytest.fixture
def make_staff(client, django_user_model):
    def make(username, group=None, **extra):
        user = django_user_model.objects.create_user(
            username, f"{username}@example.nhs.uk", is_staff=True, **extra
        )
        if group:
            user.groups.add(Group.objects.get(name=group))
        client.force_login(user)
        return client

    return make


@pytest.fixture
def team_client(make_staff):
    return make_staff("team", "Involvement team")


def test_the_report_counts_each_answer_and_hides_small_numbers(team_client):
    year = timezone.localdate().year
    EqualityResponseFactory.create_batch(4, year=year, sex="female", religion="none")
    EqualityResponseFactory.create_batch(5, year=year, sex="male", religion="none")
    EqualityResponseFactory.create_batch(
        7, year=year, sex="prefer_not_to_say", religion="christian"
    )

    response = team_client.get(reverse(REPORT_URL))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Equality monitoring report</h1>" in html
    assert "16 people answered" in html
    assert report_table(html, "Sex") == {
        "Female": "Fewer than 5", "Male": "Not shown", "Prefer not to say": "7",
        "Not answered": "0",
    }
    religion = report_table(html, "Religion or belief")
    assert religion["No religion"] == "9"
    assert religion["Christian (all denominations)"] == "7"
    assert religion["Not answered"] == "0"
    assert report_table(html, "Ethnic group")["Not answered"] == "16"
    assert report_table(html, "Ethnic group")["Irish"] == "0"
    # The ethnic groups' headings head their rows.
    assert '<th scope="rowgroup" colspan="2">White</th>' in html


def test_the_report_shows_5_but_not_4(team_client):
    EqualityResponseFactory.create_batch(5, disability="yes")
    EqualityResponseFactory.create_batch(5, disability="no")
    EqualityResponseFactory.create_batch(4, disability="prefer_not_to_say")
    EqualityResponseFactory.create_batch(6)

    html = team_client.get(reverse(REPORT_URL)).content.decode()

    assert report_table(html, "Disability or long-term health condition") == {
        "Yes": "Not shown", "No": "5", "Prefer not to say": "Fewer than 5", "Not answered": "6",
    }


def test_the_report_has_accessible_tables(team_client):
    EqualityResponseFactory.create_batch(5, caring="yes")

    html = report_content(team_client.get(reverse(REPORT_URL)).content.decode())

    assert html.count("<caption>") == len(EqualityResponse.QUESTIONS)
    assert html.count('<th scope="col">Answer</th>') == len(EqualityResponse.QUESTIONS)
    assert '<th scope="row">Yes</th><td class="eoi-number">5</td>' in html


def test_with_fewer_than_5_answers_no_numbers_are_shown(team_client):
    EqualityResponseFactory.create_batch(3, sex="female")

    html = report_content(team_client.get(reverse(REPORT_URL)).content.decode())

    assert "Fewer than 5 people answered" in html
    assert "<table" not in html


def test_the_report_is_one_year_at_a_time(team_client):
    this_year = timezone.localdate().year
    EqualityResponseFactory.create_batch(6, year=this_year - 1, caring="yes")
    EqualityResponseFactory.create_batch(8, year=this_year, caring="no")

    latest = team_client.get(reverse(REPORT_URL)).content.decode()
    earlier = team_client.get(reverse(REPORT_URL), {"year": this_year - 1}).content.decode()
    nonsense = team_client.get(reverse(REPORT_URL), {"year": "soon"}).content.decode()

    caring = "Looks after or supports someone"
    assert report_table(latest, caring) == {
        "Yes": "0", "No": "8", "Prefer not to say": "0", "Not answered": "0",
    }
    assert report_table(earlier, caring) == {
        "Yes": "6", "No": "0", "Prefer not to say": "0", "Not answered": "0",
    }
    assert report_table(nonsense, caring) == report_table(latest, caring)
    assert f'<option value="{this_year - 1}" selected>' in earlier
    assert f'<option value="{this_year}">' in earlier
    # No "all years" table, which could give a hidden number away by subtraction.
    assert "14 people" not in latest + earlier + nonsense


def test_the_report_opens_on_the_latest_year_with_answers(team_client):
    last_year = timezone.localdate().year - 1
    EqualityResponseFactory.create_batch(5, year=last_year, sex="male")

    html = team_client.get(reverse(REPORT_URL)).content.decode()

    assert f"<h2>{last_year}</h2>" in html
    assert report_table(html, "Sex")["Male"] == "5"


def test_a_programme_lead_cannot_see_the_report(make_staff):
    EqualityResponseFactory.create_batch(5, sex="female")
    lead = make_staff("lead", "Programme lead")

    response = lead.get(reverse(REPORT_URL))
    changelist = lead.get(reverse("admin:applications_expressionofinterest_changelist"))

    assert response.status_code == 403
    assert "Equality monitoring report" not in changelist.content.decode()


def test_staff_with_no_group_cannot_see_the_report(make_staff):
    assert make_staff("someone").get(reverse(REPORT_URL)).status_code == 403


def test_the_public_cannot_see_the_report(client):
    response = client.get(reverse(REPORT_URL))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_involvement_team_finds_the_report_from_the_expressions_list(team_client):
    changelist = team_client.get(reverse("admin:applications_expressionofinterest_changelist"))

    assert f'<a href="{reverse(REPORT_URL)}">Equality monitoring report</a>' in (
        changelist.content.decode()
    )
    assert team_client.get(reverse(REPORT_URL)).status_code == 200


def test_a_superuser_can_see_the_report(make_staff):
    superuser = make_staff("boss", is_superuser=True)

    assert superuser.get(reverse(REPORT_URL)).status_code == 200


def test_only_the_involvement_team_group_has_the_permission():
    def has_it(name):
        return Group.objects.get(name=name).permissions.filter(
            codename="view_equality_report"
        ).exists()

    assert has_it("Involvement team")
    assert not has_it("Programme lead")


@pytest.mark.parametrize("rows", [1, 60])
def test_query_count_of_the_report(team_client, django_assert_max_num_queries, rows):
    EqualityResponseFactory.create_batch(rows, sex="female", ethnic_group="asian_chinese")

    # Session, user, their own and their groups' permissions, the years, and one query for
    # every count of every answer.
    with django_assert_max_num_queries(6):
        response = team_client.get(reverse(REPORT_URL))
    assert response.status_code == 200


def test_the_report_takes_the_same_queries_for_1_row_or_many(team_client):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            team_client.get(reverse(REPORT_URL))
        return len(captured)

    EqualityResponseFactory(sex="male")
    one = queries()
    EqualityResponseFactory.create_batch(40, sex="female")
    many = queries()

    assert one == many
