"""The expression of interest, a question a page (applications.views.InterestWizard): each page
and its mistakes, the pages asked only when an answer needs them, back links, "Check your
answers" and its "Change" links, the session (answers never in an address, expiry), "Send"
with its protections, and what is saved."""

import pytest
from django.urls import reverse

from applications.forms import CHECK_ANSWERS
from applications.models import ExpressionOfInterest
from applications.views import ANSWERS_NOT_KEPT
from opportunities.models import Opportunity
from tests.factories import OpportunityFactory
from tests.public_forms import (
    answer_questions,
    assert_sent_back,
    interest_url,
    page_answers,
    send_data,
    send_interest,
)
from tests.public_forms import interest_answers as answers

pytestmark = pytest.mark.django_db


def form_url(opportunity, step=None):
    return interest_url(opportunity, step)


@pytest.fixture
def opportunity():
    return OpportunityFactory(
        title="Patient flow", slug="patient-flow", kind=Opportunity.Kind.LAY_PARTNER
    )


@pytest.fixture
def for_everyone():
    return OpportunityFactory(
        title="Young people's forum", slug="forum", audience=Opportunity.Audience.EVERYONE
    )


def steps_visited(client, opportunity, data):
    """The question pages a person is shown, in order, answering with `data`."""
    visited = []
    response = client.get(form_url(opportunity))
    while True:
        url = response["Location"]
        step = url.rstrip("/").rsplit("/", 1)[1]
        visited.append(step)
        if step == CHECK_ANSWERS:
            return visited
        response = client.post(url, page_answers(step, data))
        assert response.status_code == 302, response.content.decode()[:3000]


def back_link(html):
    import re

    return re.search(r'<a class="nhsuk-back-link" href="([^"]+)">', html).group(1)


# The pages -----------------------------------------------------------------------------


def test_the_form_starts_at_the_first_question(client, opportunity):
    response = client.get(form_url(opportunity))

    assert response.status_code == 302
    assert response["Location"] == form_url(opportunity, "name")


def test_the_first_page_says_what_it_is_with_nhs_markup(client, opportunity):
    response = client.get(form_url(opportunity, "name"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Tell us you are interested – Patient flow" in html
    assert "<h1>Tell us you are interested</h1>" in html
    assert "one question at a time" in html
    assert "novalidate" in html
    assert 'class="nhsuk-input' in html
    assert 'name="full_name"' in html
    assert 'name="email"' not in html  # one thing a page
    assert back_link(html) == opportunity.get_absolute_url()
    assert ">Continue</button>" in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_every_page_is_asked_in_order_and_the_answers_are_saved(client, opportunity):
    data = answers(access_needs=["bsl"], availability="Weekday mornings",
                   experience="I volunteer at the library.")

    assert steps_visited(client, opportunity, data) == [
        "name", "contact", "age", "connection", "why", "anything-else", "access-needs",
        "availability", "check-answers",
    ]
    check = client.get(form_url(opportunity, CHECK_ANSWERS))
    html = check.content.decode()
    for shown in ["Siobhán O&#x27;Brien", "siobhan@example.com", "25 to 64",
                  "I am, or have been, a patient", "children&#x27;s ward",
                  "I volunteer at the library.",
                  "A British Sign Language (BSL) interpreter", "Weekday mornings"]:
        assert shown in html
    assert 'class="nhsuk-summary-list"' in html
    assert html.count(">Change<span") == 10
    assert back_link(html) == form_url(opportunity, "availability")

    response = client.post(form_url(opportunity, CHECK_ANSWERS), send_data(check, data),
                           follow=True)

    expression = ExpressionOfInterest.objects.get()
    assert expression.opportunity == opportunity
    assert expression.full_name == "Siobhán O'Brien"
    assert expression.email == "siobhan@example.com"
    assert expression.age_band == "25_64"
    assert expression.connections == ["patient"]
    assert expression.experience == "I volunteer at the library."
    assert expression.access_needs == ["bsl"]
    assert expression.availability == "Weekday mornings"
    assert expression.status == ExpressionOfInterest.Status.NEW
    assert expression.privacy_consent is True
    assert expression.privacy_notice_version == "2026-11"
    assert response.redirect_chain == [
        (reverse("applications:interest_sent", args=["patient-flow"]), 302)
    ]
    html = response.content.decode()
    assert expression.reference in html
    assert "What happens next" in html


def test_each_page_has_its_back_link(client, for_everyone):
    data = answers(age_band="under_16", parent_carer_name="Mary O'Brien",
                   parent_carer_contact="07700 900123", parent_carer_confirmed="on",
                   connections=["other"], connection_other="School council",
                   access_needs=["other"], access_needs_other="Papers early")
    visited = steps_visited(client, for_everyone, data)

    assert visited == [
        "name", "contact", "age", "parent-carer", "connection", "connection-other", "why",
        "anything-else", "access-needs", "access-needs-other", "availability",
        "check-answers",
    ]
    backs = [back_link(client.get(form_url(for_everyone, step)).content.decode())
             for step in visited]
    assert backs == [for_everyone.get_absolute_url()] + [
        form_url(for_everyone, step) for step in visited[:-1]
    ]


def test_going_back_shows_the_answers_given(client, opportunity):
    data = answers(phone="07700 900 982", preferred_contact="either")
    answer_questions(client, opportunity, data)

    name = client.get(form_url(opportunity, "name")).content.decode()
    contact = client.get(form_url(opportunity, "contact")).content.decode()
    connection = client.get(form_url(opportunity, "connection")).content.decode()

    assert 'value="Siobhán O&#x27;Brien"' in name
    assert 'value="siobhan@example.com"' in contact
    assert 'value="07700 900 982"' in contact
    assert 'value="either" checked' in contact or 'checked value="either"' in contact \
        or _checked(contact, "either")
    assert _checked(connection, "patient")
    # Nothing was lost: the last page is still ready to send.
    assert client.get(form_url(opportunity, CHECK_ANSWERS)).status_code == 200


def _checked(html, value):
    import re

    [control] = re.findall(rf'<input[^>]*value="{value}"[^>]*>', html)
    return "checked" in control


def test_a_refresh_of_a_page_keeps_its_answer(client, opportunity):
    answer_questions(client, opportunity, answers())
    why = form_url(opportunity, "why")
    posted = {"why_interested": "To help other parents."}

    first = client.post(why, posted)
    again = client.post(why, posted)  # the browser sends it again

    assert first["Location"] == again["Location"] == form_url(opportunity, "anything-else")
    assert "To help other parents." in client.get(why).content.decode()


def test_a_later_page_cannot_be_reached_before_the_earlier_ones(client, opportunity):
    client.post(form_url(opportunity, "name"), {"full_name": "Siobhán O'Brien"})

    response = client.get(form_url(opportunity, "why"))
    send = client.get(form_url(opportunity, CHECK_ANSWERS))

    assert response["Location"] == form_url(opportunity, "contact")
    assert send["Location"] == form_url(opportunity, "contact")


def test_an_unknown_page_goes_to_the_first_question_not_answered(client, opportunity):
    client.post(form_url(opportunity, "name"), {"full_name": "Siobhán O'Brien"})

    response = client.get(form_url(opportunity, "no-such-page"))

    assert response.status_code == 302
    assert response["Location"] == form_url(opportunity, "contact")


# Mistakes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "title", "message"),
    [
        ("full_name", "", "Tell us you are interested", "Enter your full name"),
        ("full_name", "x" * 201, "Tell us you are interested",
         "Full name must be 200 characters or fewer"),
        ("email", "", "How would you like us to contact you?",
         "Enter your email address, or choose phone and give your phone number"),
        ("email", "not-an-email", "How would you like us to contact you?",
         "Enter an email address in the correct format, like name@example.com"),
        ("phone", "12345", "How would you like us to contact you?",
         "Enter a UK phone number, like 01632 960 001"),
        ("preferred_contact", None, "How would you like us to contact you?",
         "Select how you would like us to contact you"),
        ("age_band", None, "How old are you?", "Select how old you are"),
        ("age_band", "ancient", "How old are you?", "Select how old you are"),
        ("connections", None, "How are you connected to the trust?",
         "Select how you are connected to the trust"),
        ("why_interested", "", "Why are you interested?", "Tell us why you are interested"),
        ("why_interested", "x" * 5001, "Why are you interested?",
         "Why are you interested? must be 5,000 characters or fewer"),
        ("availability", "x" * 1001, "When can you usually take part?",
         "When can you usually take part? must be 1,000 characters or fewer"),
    ],
)
def test_each_mistake_gets_a_specific_message_on_its_page(
    client, opportunity, field, value, title, message
):
    data = answers(**{field: value})

    response = send_interest(client, opportunity, data)

    html = assert_sent_back(response, title=title, message=message, field=field,
                            name_kept=False)
    if value and field != "age_band":
        assert value in html  # what they typed is still in its box
    assert ExpressionOfInterest.objects.count() == 0
    # The answers before it are kept: putting it right carries on to the next page.
    step = response.request["PATH_INFO"]
    fixed = page_answers(step.rstrip("/").rsplit("/", 1)[1], answers())
    assert client.post(step, fixed).status_code == 302
    assert send_interest(client, opportunity).status_code == 302


def test_the_privacy_notice_must_be_agreed_to_before_sending(client, opportunity):
    response = send_interest(client, opportunity, answers(privacy_consent=None))

    html = assert_sent_back(
        response, title="Check your answers before sending",
        message="Confirm that you have read the privacy notice and agree",
        field="privacy_consent", name_kept=False,
    )
    assert "Siobhán O&#x27;Brien" in html  # every answer still shown
    assert "Your form has not been sent yet" not in html
    assert ExpressionOfInterest.objects.count() == 0


@pytest.mark.parametrize(
    "name", ["O'Brien", "Siobhán Ní Bhriain", "Nguyễn Văn An", "李小龙", "Jean-Luc Picard", "X"]
)
def test_it_accepts_real_names(client, opportunity, name):
    send_interest(client, opportunity, answers(full_name=name))

    assert ExpressionOfInterest.objects.get().full_name == name


@pytest.mark.parametrize(
    "phone",
    ["020 3312 5259", "07700 900982", "+44 7700 900982", "+44 20 3312 5259",
     "(020) 3312-5259", "0044 7700 900982"],
)
def test_it_accepts_uk_phone_formats(client, opportunity, phone):
    send_interest(client, opportunity, answers(phone=phone, preferred_contact="phone"))

    assert ExpressionOfInterest.objects.get().phone == " ".join(phone.split())


# Pages asked only when an answer needs them ---------------------------------------------


def test_other_connection_and_other_access_need_each_ask_a_page_of_their_own(
    client, opportunity
):
    data = answers(connections=["carer", "other"], access_needs=["step_free", "other"])

    visited = steps_visited(client, opportunity, {**data, "connection_other": "x",
                                                  "access_needs_other": "y"})
    assert "connection-other" in visited and "access-needs-other" in visited

    client.get(form_url(opportunity, "connection-other"))
    empty = client.post(form_url(opportunity, "connection-other"), {"connection_other": " "})
    assert_sent_back(empty, title="How else are you connected to the trust?",
                     message="Tell us how you are connected to the trust",
                     field="connection_other", name_kept=False)
    empty = client.post(form_url(opportunity, "access-needs-other"),
                        {"access_needs_other": ""})
    assert_sent_back(empty, title="What else do you need to help you take part?",
                     message="Tell us what you need to take part",
                     field="access_needs_other", name_kept=False)


def test_other_answers_are_saved(client, opportunity):
    send_interest(client, opportunity, answers(
        connections=["carer", "resident", "other"], connection_other="School governor",
        access_needs=["step_free", "bsl", "other"],
        access_needs_other="Papers a week before meetings",
        availability="Weekday mornings",
    ))

    expression = ExpressionOfInterest.objects.get()
    assert expression.connections == ["carer", "resident", "other"]
    assert expression.connection_other == "School governor"
    assert expression.access_needs == ["step_free", "bsl", "other"]
    assert expression.access_needs_other == "Papers a week before meetings"
    assert expression.availability == "Weekday mornings"


def test_without_other_the_other_pages_are_not_asked_nor_reachable(client, opportunity):
    visited = steps_visited(client, opportunity, answers())

    assert "connection-other" not in visited
    assert "access-needs-other" not in visited
    assert client.get(form_url(opportunity, "connection-other"))["Location"] == form_url(
        opportunity, CHECK_ANSWERS
    )


class TestUnder16:
    def under_16(self, **overrides):
        return answers(age_band="under_16", parent_carer_name="Mary O'Brien",
                       parent_carer_contact="07700 900123", parent_carer_confirmed="on",
                       **overrides)

    def test_the_parent_or_carer_page_is_asked_after_the_age(self, client, for_everyone):
        visited = steps_visited(client, for_everyone, self.under_16())

        assert visited[2:5] == ["age", "parent-carer", "connection"]
        html = client.get(form_url(for_everyone, "parent-carer")).content.decode()
        assert "<h1>Your parent or carer</h1>" in html
        assert "needs to know you want to take part" in html

    def test_a_parent_or_carer_is_required(self, client, for_everyone):
        data = answers(age_band="under_16")

        response = send_interest(client, for_everyone, data)

        html = assert_sent_back(response, title="Your parent or carer",
                                message="Enter your parent or carer&#x27;s full name",
                                field="parent_carer_name", name_kept=False)
        assert "Enter your parent or carer&#x27;s email address or phone number" in html
        assert "Tell your parent or carer about this, then tick the box to say you have" in html
        assert ExpressionOfInterest.objects.count() == 0

    def test_with_a_parent_or_carer_it_is_saved(self, client, for_everyone):
        send_interest(client, for_everyone, self.under_16())

        expression = ExpressionOfInterest.objects.get()
        assert expression.is_under_16
        assert expression.parent_carer_name == "Mary O'Brien"
        assert expression.parent_carer_contact == "07700 900123"
        assert expression.parent_carer_confirmed is True

    def test_an_adult_is_not_asked_and_nothing_of_a_parent_is_kept(self, client, for_everyone):
        data = self.under_16()
        steps_visited(client, for_everyone, data)
        # They were under 16 by mistake: they change their age from "Check your answers".
        client.post(form_url(for_everyone, "age") + "?change", {"age_band": "25_64"})

        assert client.get(form_url(for_everyone, "parent-carer")).status_code == 302
        check = client.get(form_url(for_everyone, CHECK_ANSWERS))
        assert "Mary O&#x27;Brien" not in check.content.decode()
        client.post(form_url(for_everyone, CHECK_ANSWERS), send_data(check, data))

        expression = ExpressionOfInterest.objects.get()
        assert expression.age_band == "25_64"
        assert expression.parent_carer_name == ""
        assert expression.parent_carer_contact == ""
        assert expression.parent_carer_confirmed is False

    def test_an_adults_only_opportunity_never_asks(self, client, opportunity):
        visited = steps_visited(client, opportunity, answers())

        assert "parent-carer" not in visited


def test_an_adults_only_opportunity_tells_young_people_kindly(client):
    adults = OpportunityFactory(audience=Opportunity.Audience.ADULTS)

    page = client.get(form_url(adults, "name")).content.decode()
    response = send_interest(client, adults, answers(age_band="16_17"))

    assert "This opportunity is for adults aged 18 or over" in page
    assert "?who=young_people" in page
    assert response.request["PATH_INFO"] == form_url(adults, "age")
    html = response.content.decode()
    assert "This opportunity is for adults aged 18 or over" in html
    assert "?who=young_people" in html
    assert ExpressionOfInterest.objects.count() == 0


def test_a_young_peoples_opportunity_points_adults_elsewhere(client):
    young = OpportunityFactory(audience=Opportunity.Audience.YOUNG_PEOPLE)

    page = client.get(form_url(young, "name")).content.decode()
    response = send_interest(client, young, answers(age_band="25_64"))

    assert "?who=adults" in page
    assert "This opportunity is for young people under 18" in response.content.decode()
    assert ExpressionOfInterest.objects.count() == 0


def test_a_minimum_age_is_enforced(client):
    sixteen_plus = OpportunityFactory(audience=Opportunity.Audience.EVERYONE, minimum_age=16)

    response = send_interest(client, sixteen_plus, answers(
        age_band="under_16", parent_carer_name="A", parent_carer_contact="B",
        parent_carer_confirmed="on",
    ))

    assert "This opportunity is for people aged 16 or over" in response.content.decode()
    assert ExpressionOfInterest.objects.count() == 0


def test_an_involvement_payment_comes_with_benefits_advice(client):
    paid = OpportunityFactory(involvement_payment="£20 an hour")

    html = client.get(form_url(paid, "name")).content.decode()

    assert "£20 an hour" in html
    assert "Accepting it may affect your benefits" in html
    assert "Citizens Advice" in html


# Check your answers and its Change links -------------------------------------------------


def test_change_goes_to_the_question_and_comes_back_to_check_your_answers(
    client, opportunity
):
    answer_questions(client, opportunity, answers())
    change = form_url(opportunity, "name") + "?change"

    page = client.get(change).content.decode()
    response = client.post(change, {"full_name": "Siobhán Ní Bhriain"})

    assert 'value="Siobhán O&#x27;Brien"' in page
    assert back_link(page) == form_url(opportunity, CHECK_ANSWERS)
    assert f'action="{change}"' in page
    assert response["Location"] == form_url(opportunity, CHECK_ANSWERS)
    check = client.get(form_url(opportunity, CHECK_ANSWERS)).content.decode()
    assert "Siobhán Ní Bhriain" in check
    assert "O&#x27;Brien" not in check


def test_a_change_that_needs_another_page_asks_it_then_comes_back(client, opportunity):
    answer_questions(client, opportunity, answers())

    changed = client.post(form_url(opportunity, "connection") + "?change",
                          {"connections": ["patient", "other"]})
    assert changed["Location"] == form_url(opportunity, "connection-other") + "?change"
    other = client.post(changed["Location"], {"connection_other": "School governor"})
    assert other["Location"] == form_url(opportunity, CHECK_ANSWERS)

    check = client.get(form_url(opportunity, CHECK_ANSWERS)).content.decode()
    assert "School governor" in check
    assert f'href="{form_url(opportunity, "connection-other")}?change"' in check


def test_a_change_from_other_forgets_the_other_answer(client, opportunity):
    data = answers(connections=["other"], connection_other="School governor")
    check = answer_questions(client, opportunity, data)

    client.post(form_url(opportunity, "connection") + "?change", {"connections": ["carer"]})
    check = client.get(form_url(opportunity, CHECK_ANSWERS))
    client.post(form_url(opportunity, CHECK_ANSWERS), send_data(check, data))

    expression = ExpressionOfInterest.objects.get()
    assert expression.connections == ["carer"]
    assert expression.connection_other == ""


def test_each_change_link_names_what_it_changes(client, opportunity):
    html = answer_questions(client, opportunity, answers()).content.decode()

    assert ('Change<span class="nhsuk-u-visually-hidden"> why you are interested</span>'
            in html)
    assert f'href="{form_url(opportunity, "contact")}?change"' in html


# The session: answers kept there, never in an address ------------------------------------


def test_answers_are_never_in_an_address(client, opportunity):
    data = answers(phone="07700 900 982", preferred_contact="either")
    addresses = []
    response = client.get(form_url(opportunity))
    while response.status_code == 302:
        addresses.append(response["Location"])
        step = response["Location"].rstrip("/").rsplit("/", 1)[1]
        if step == CHECK_ANSWERS:
            check = client.get(response["Location"])
            response = client.post(response["Location"], send_data(check, data))
            addresses.append(response["Location"])
            break
        response = client.post(response["Location"], page_answers(step, data))

    assert addresses[-1] == reverse("applications:interest_sent", args=["patient-flow"])
    reference = ExpressionOfInterest.objects.get().reference
    for address in addresses:
        for personal in ["siobhan", "Siobh", "O'Brien", "07700", "children", reference]:
            assert personal not in address


def test_answers_are_kept_in_the_session_until_sent(client, opportunity):
    answer_questions(client, opportunity, answers())
    assert "Siobhán O'Brien" in str(dict(client.session))

    send_interest(client, opportunity)

    assert "Siobhán O'Brien" not in str(dict(client.session))


def test_two_opportunities_in_two_tabs_keep_their_own_answers(client, opportunity):
    other = OpportunityFactory(title="Maternity voices", slug="maternity")
    client.post(form_url(opportunity, "name"), {"full_name": "Siobhán O'Brien"})
    client.post(form_url(other, "name"), {"full_name": "Mary O'Brien"})

    assert "Siobhán" in client.get(form_url(opportunity, "name")).content.decode()
    assert "Mary" in client.get(form_url(other, "name")).content.decode()


def test_after_the_session_expires_a_later_page_starts_again_kindly(client, opportunity):
    response = client.get(form_url(opportunity, "why"), follow=True)

    assert response.redirect_chain == [(form_url(opportunity, "name"), 302)]
    html = response.content.decode()
    assert ANSWERS_NOT_KEPT.replace("'", "&#x27;") in html
    assert "Please start again" in html


def test_an_answer_sent_after_the_session_expired_is_kept(client, opportunity):
    response = client.post(form_url(opportunity, "why"),
                           {"why_interested": "To help other parents."}, follow=True)

    assert response.redirect_chain == [(form_url(opportunity, "name"), 302)]
    assert "Please start again" in response.content.decode()
    # Once the pages before it are answered again, their answer is still there.
    data = answers(why_interested="To help other parents.")
    for step in ["name", "contact", "age", "connection"]:
        client.post(form_url(opportunity, step), page_answers(step, data))
    assert "To help other parents." in client.get(form_url(opportunity, "why")).content.decode()


def test_sending_after_the_session_expired_saves_nothing_and_says_why(client, opportunity):
    check = answer_questions(client, opportunity, answers())
    sent = send_data(check, answers())
    client.cookies.clear()  # the session has gone

    response = client.post(form_url(opportunity, CHECK_ANSWERS), sent, follow=True)

    assert ExpressionOfInterest.objects.count() == 0
    assert response.redirect_chain == [(form_url(opportunity, "name"), 302)]
    assert "Please start again" in response.content.decode()


# Send: its protections -------------------------------------------------------------------


def test_the_same_form_sent_twice_makes_one_expression(client, opportunity):
    check = answer_questions(client, opportunity, answers())
    sent = send_data(check, answers())

    first = client.post(form_url(opportunity, CHECK_ANSWERS), sent)
    second = client.post(form_url(opportunity, CHECK_ANSWERS), sent)

    assert ExpressionOfInterest.objects.count() == 1
    assert first["Location"] == second["Location"] == reverse(
        "applications:interest_sent", args=["patient-flow"]
    )


def test_back_after_sending_shows_that_it_was_sent(client, opportunity):
    send_interest(client, opportunity)

    back = client.get(form_url(opportunity, CHECK_ANSWERS))
    again = client.get(form_url(opportunity))

    assert back["Location"] == reverse("applications:interest_sent", args=["patient-flow"])
    # A new expression starts afresh.
    assert again["Location"] == form_url(opportunity, "name")
    assert 'value="Siobhán' not in client.get(again["Location"]).content.decode()


def test_the_honeypot_blocks_with_a_clear_message_and_keeps_the_answers(client, opportunity):
    response = send_interest(client, opportunity, answers(website="http://spam.example"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: Check your answers before sending" in html
    assert "Your form has not been sent yet" in html
    assert "Empty the box labelled" in html
    assert "I was a patient on the children&#x27;s ward" in html
    assert ExpressionOfInterest.objects.count() == 0
    # Emptied, it is sent.
    check = client.get(form_url(opportunity, CHECK_ANSWERS))
    client.post(form_url(opportunity, CHECK_ANSWERS), send_data(check, answers()))
    assert ExpressionOfInterest.objects.count() == 1


def test_the_rate_limit_blocks_a_flood_but_not_a_person(client, opportunity, settings):
    settings.EXPRESSION_RATE_LIMIT = 3
    # A person who makes mistakes several times is never blocked: only sent forms count.
    for _ in range(5):
        assert send_interest(client, opportunity, answers(email="")).status_code == 400
        assert send_interest(
            client, opportunity, answers(privacy_consent=None)
        ).status_code == 400
    for _ in range(3):
        assert send_interest(client, opportunity).status_code == 302

    blocked = send_interest(client, opportunity)

    assert blocked.status_code == 429
    html = blocked.content.decode()
    assert "You have sent a lot of forms from this internet connection" in html
    assert "Siobhán O&#x27;Brien" in html
    assert ExpressionOfInterest.objects.count() == 3


@pytest.mark.parametrize("step", [None, "name", CHECK_ANSWERS])
def test_a_closed_opportunity_has_no_form(client, step):
    closed = OpportunityFactory(status=Opportunity.Status.CLOSED)

    get = client.get(form_url(closed, step))
    post = client.post(form_url(closed, step), answers())

    assert get.status_code == 302
    assert get["Location"] == closed.get_absolute_url()
    assert post.status_code == 302
    assert post["Location"] == closed.get_absolute_url()
    assert ExpressionOfInterest.objects.count() == 0


def test_an_opportunity_that_closes_while_answering_sends_nothing(client, opportunity):
    check = answer_questions(client, opportunity, answers())
    opportunity.status = Opportunity.Status.CLOSED
    opportunity.save()

    response = client.post(form_url(opportunity, CHECK_ANSWERS), send_data(check, answers()),
                           follow=True)

    assert "This opportunity has closed, so your form was not sent." in (
        response.content.decode()
    )
    assert ExpressionOfInterest.objects.count() == 0


@pytest.mark.parametrize("step", [None, "name", CHECK_ANSWERS])
def test_a_draft_opportunity_has_no_form(client, step):
    draft = OpportunityFactory(status=Opportunity.Status.DRAFT)

    assert client.get(form_url(draft, step)).status_code == 404
    assert client.post(form_url(draft, step), answers()).status_code == 404
    assert ExpressionOfInterest.objects.count() == 0


def test_the_confirmation_page_needs_the_session(client, opportunity):
    response = client.get(reverse("applications:interest_sent", args=[opportunity.slug]))

    assert response.status_code == 302
    assert response["Location"] == opportunity.get_absolute_url()


def test_the_detail_page_links_to_the_form(client, opportunity):
    html = client.get(opportunity.get_absolute_url()).content.decode()

    assert f'action="{form_url(opportunity)}"' in html


# Shown or answered: the session, the opportunity, and saving the session (in a savepoint
# here, inside the test's transaction, which counts two more).
STEP_QUERIES = 5


@pytest.mark.parametrize("step", ["name", "contact", "age", "connection", "why",
                                  "anything-else", "access-needs", "availability"])
def test_query_count_of_each_page(client, opportunity, step, django_assert_max_num_queries):
    data = answers()
    answer_questions(client, opportunity, data)

    with django_assert_max_num_queries(STEP_QUERIES):
        assert client.get(form_url(opportunity, step)).status_code == 200
    with django_assert_max_num_queries(STEP_QUERIES):
        assert client.post(form_url(opportunity, step), page_answers(step, data)).status_code \
            == 302


def test_query_count_of_check_your_answers_and_send(
    client, opportunity, django_assert_max_num_queries
):
    check = answer_questions(client, opportunity, answers())

    with django_assert_max_num_queries(STEP_QUERIES):
        assert client.get(form_url(opportunity, CHECK_ANSWERS)).status_code == 200
    with django_assert_max_num_queries(12):
        client.post(form_url(opportunity, CHECK_ANSWERS), send_data(check, answers()))
    assert ExpressionOfInterest.objects.count() == 1


def test_sending_the_form_emails_the_person_and_the_contact(
    client, opportunity, mailoutbox, django_capture_on_commit_callbacks
):
    opportunity.contact_email = "flow-team@example.nhs.uk"
    opportunity.save()

    with django_capture_on_commit_callbacks(execute=True):
        send_interest(client, opportunity)

    expression = ExpressionOfInterest.objects.get()
    recipients = sorted(m.to[0] for m in mailoutbox)
    assert recipients == ["flow-team@example.nhs.uk", "siobhan@example.com"]
    assert all(expression.reference in m.body for m in mailoutbox)


def test_a_failure_while_saving_leaves_nothing_behind_and_keeps_the_answers(
    client, opportunity, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    # Something goes wrong after the row is written but before the transaction commits.
    def fail(expression):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("applications.views.queue_expression_emails", fail)
    client.raise_request_exception = False

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = send_interest(client, opportunity)

    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()
    assert ExpressionOfInterest.objects.count() == 0
    assert callbacks == []
    assert mailoutbox == []
    # Their answers are still there, to send again once it works.
    monkeypatch.undo()
    check = client.get(form_url(opportunity, CHECK_ANSWERS))
    assert "Siobhán O&#x27;Brien" in check.content.decode()
    client.post(form_url(opportunity, CHECK_ANSWERS), send_data(check, answers()))
    assert ExpressionOfInterest.objects.count() == 1


def test_opening_the_first_page_starts_no_session(client, opportunity):
    response = client.get(form_url(opportunity, "name"))

    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert client.post(form_url(opportunity, "name"),
                       {"full_name": "Siobhán O'Brien"}).cookies["sessionid"]


def test_the_question_pages_are_never_kept_in_the_public_page_cache(client, opportunity):
    response = client.get(form_url(opportunity, "name"))

    assert response.keep_out_of_public_cache is True
