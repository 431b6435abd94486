"""The page a parent's or carer's consent link opens, in a browser: axe-core on each of its
states (the question, the question with its error, each answer, a link that does not work),
and the answer sent without JavaScript on a phone. The young person's manage page saying
whether their parent or carer has agreed is scanned too."""

import pytest
from django.urls import reverse

from tests.browser.test_accessibility import assert_no_violations

pytestmark = pytest.mark.django_db(transaction=True)


def under_16(**fields):
    from applications.models import ExpressionOfInterest
    from tests.factories import ExpressionOfInterestFactory

    return ExpressionOfInterestFactory(**{
        "full_name": "Aoife O'Brien",
        "age_band": ExpressionOfInterest.AgeBand.UNDER_16,
        "parent_carer_name": "Mary O'Brien",
        "parent_carer_contact": "mary@example.com",
        "parent_carer_confirmed": True,
        **fields,
    })


QUESTION = "Do you agree to Aoife O'Brien taking part?"


def answer_on(page, answer):
    """Send the question with no answer (it comes back with its error), then with `answer`."""
    page.get_by_role("button", name="Send my answer").click()
    assert page.title().startswith("Error: ")
    assert page.get_by_role(
        "link", name="Select whether you agree to Aoife O'Brien taking part"
    ).is_visible()
    page.get_by_role("group", name=QUESTION).get_by_label(answer).check()
    page.get_by_role("button", name="Send my answer").click()


@pytest.mark.parametrize(
    ("answer", "heading", "stored"),
    [
        ("Yes, I agree", "You have agreed", "confirmed"),
        ("No, I do not agree", "You have told us you do not agree", "refused"),
    ],
)
def test_the_consent_page_has_no_violations_in_each_state(
    live_server, phone, answer, heading, stored
):
    from applications.models import ExpressionOfInterest

    expression = under_16()
    phone.goto(live_server.url + expression.parent_consent_path())
    assert phone.get_by_role("heading", level=1).inner_text() == (
        "Do you agree to Aoife O'Brien getting involved?"
    )
    assert_no_violations(phone, "consent question")

    phone.get_by_role("button", name="Send my answer").click()
    assert phone.title().startswith("Error: ")
    assert_no_violations(phone, "consent question with its error")

    phone.get_by_role("group", name=QUESTION).get_by_label(answer).check()
    phone.get_by_role("button", name="Send my answer").click()
    assert phone.get_by_role("heading", level=1).inner_text() == heading
    assert_no_violations(phone, f"consent answered: {heading}")
    assert ExpressionOfInterest.objects.get(pk=expression.pk).parent_consent == stored


def test_the_consent_page_works_without_javascript(live_server, phone_without_js):
    from applications.models import ExpressionOfInterest

    expression = under_16()
    phone_without_js.goto(live_server.url + expression.parent_consent_path())
    answer_on(phone_without_js, "Yes, I agree")

    assert phone_without_js.get_by_role("heading", level=1).inner_text() == "You have agreed"
    assert ExpressionOfInterest.objects.get(pk=expression.pk).parent_consent == "confirmed"


def test_a_consent_link_that_does_not_work_has_no_violations(live_server, phone):
    phone.goto(live_server.url + reverse("applications:parent_consent", args=["not-a-token"]))
    assert phone.get_by_role("heading", level=1).inner_text() == "This link does not work"
    assert_no_violations(phone, "consent link invalid")


def test_the_manage_page_waiting_for_a_parent_has_no_violations(live_server, phone):
    expression = under_16()
    phone.goto(live_server.url + expression.manage_path())
    assert phone.get_by_role("heading", name="Your parent or carer").is_visible()
    assert_no_violations(phone, "manage, waiting for a parent or carer")
