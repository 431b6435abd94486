
import pytest
from django.urls import reverse

from applications.models import ExpressionOfInterest
from opportunities.models import Opportunity
from tests.factories import OpportunityFactory
from tests.public_forms import assert_sent_back
from tests.public_forms import interest_answers as answers

pytestmark = pytest.mark.django_db


def form_url(opportunity):
    return reverse("applications:express_interest", args=[opportunity.slug])


@pytest.fixture
def opportunity():
    return OpportunityFactory(
        title="Patient flow", slug="patient-flow", kind=Opportunity.Kind.LAY_PARTNER
    )


def test_it_shows_the_form_with_nhs_markup(client, opportunity):
    response = client.get(form_url(opportunity))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Tell us you are interested</h1>" in html
    assert "novalidate" in html
    assert 'class="nhsuk-input' in html
    assert 'class="nhsuk-radios' in html
    assert 'name="submission_key"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_saves_an_expression_and_shows_the_confirmation(client, opportunity):
    response = client.post(form_url(opportunity), answers(), follow=True)

    expression = ExpressionOfInterest.objects.get()
    assert expression.opportunity == opportunity
    assert expression.full_name == "Siobhán O'Brien"
    assert expression.status == ExpressionOfInterest.Status.NEW
    assert expression.privacy_consent is True
    assert expression.privacy_notice_version == "2026-11"
    assert response.redirect_chain == [
        (reverse("applications:interest_sent", args=["patient-flow"]), 302)
    ]
    html = response.content.decode()
    assert expression.reference in html
    assert "What happens next" in html
    assert "taster meeting" in html
    # No personal data, nor the reference, in any URL.
    for url, _ in response.redirect_chain:
        assert "siobhan" not in url.lower()
        assert expression.reference not in url


@pytest.mark.parametrize(
    "name", ["O'Brien", "Siobhán Ní Bhriain", "Nguyễn Văn An", "李小龙", "Jean-Luc Picard", "X"]
)
def test_it_accepts_real_names(client, opportunity, name):
    client.post(form_url(opportunity), answers(full_name=name))

    assert ExpressionOfInterest.objects.get().full_name == name


@pytest.mark.parametrize(
    "phone",
    ["020 3312 5259", "07700 900982", "+44 7700 900982", "+44 (0)20 3312 5259".replace("(0)", ""),
     "(020) 3312-5259", "0044 7700 900982"],
)
def test_it_accepts_uk_phone_formats(client, opportunity, phone):
    client.post(form_url(opportunity), answers(phone=phone, preferred_contact="phone"))

    assert ExpressionOfInterest.objects.get().phone == " ".join(phone.split())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("full_name", "", "Enter your full name"),
        ("full_name", "x" * 201, "Full name must be 200 characters or fewer"),
        ("email", "", "Enter your email address, or choose phone and give your phone number"),
        ("email", "not-an-email",
         "Enter an email address in the correct format, like name@example.com"),
        ("phone", "12345", "Enter a UK phone number, like 01632 960 001"),
        ("preferred_contact", None, "Select how you would like us to contact you"),
        ("age_band", None, "Select how old you are"),
        ("age_band", "ancient", "Select how old you are"),
        ("connections", None, "Select how you are connected to the trust"),
        ("why_interested", "", "Tell us why you are interested"),
        ("why_interested", "x" * 5001, "Why are you interested? must be 5,000 characters or fewer"),
        ("privacy_consent", None, "Confirm that you have read the privacy notice and agree"),
    ],
)
def test_each_mistake_gets_a_specific_message_and_keeps_the_other_answers(
    client, opportunity, field, value, message
):
    data = answers(**{field: value})
    if value is None:
        data.pop(field, None)

    response = client.post(form_url(opportunity), data)

    html = assert_sent_back(
        response, title="Tell us you are interested", message=message, field=field
    )
    # The other answers are still there.
    if field != "why_interested":
        assert "I was a patient on the children&#x27;s ward" in html
    assert ExpressionOfInterest.objects.count() == 0


def test_other_connection_and_other_access_need_ask_for_details(client, opportunity):
    response = client.post(
        form_url(opportunity), answers(connections=["other"], access_needs=["other"])
    )

    html = response.content.decode()
    assert "Tell us how you are connected to the trust" in html
    assert "Tell us what you need to take part" in html
    # Checked boxes stay checked.
    assert html.count("checked") >= 2


def test_access_needs_and_availability_are_saved(client, opportunity):
    client.post(
        form_url(opportunity),
        answers(
            access_needs=["step_free", "bsl", "other"],
            access_needs_other="Papers a week before meetings",
            availability="Weekday mornings",
            connections=["carer", "resident"],
        ),
    )

    expression = ExpressionOfInterest.objects.get()
    assert expression.access_needs == ["step_free", "bsl", "other"]
    assert expression.access_needs_other == "Papers a week before meetings"
    assert expression.availability == "Weekday mornings"
    assert expression.connections == ["carer", "resident"]


class TestUnder16:
    @pytest.fixture
    def for_everyone(self):
        return OpportunityFactory(audience=Opportunity.Audience.EVERYONE)

    def test_a_parent_or_carer_is_required(self, client, for_everyone):
        response = client.post(form_url(for_everyone), answers(age_band="under_16"))

        html = response.content.decode()
        assert "Enter your parent or carer&#x27;s full name" in html
        assert "Enter your parent or carer&#x27;s email address or phone number" in html
        assert "Your parent or carer needs to know about this and agree to it" in html
        assert ExpressionOfInterest.objects.count() == 0

    def test_with_a_parent_or_carer_it_is_saved(self, client, for_everyone):
        client.post(
            form_url(for_everyone),
            answers(
                age_band="under_16",
                parent_carer_name="Mary O'Brien",
                parent_carer_contact="07700 900123",
                parent_carer_confirmed="on",
            ),
        )

        expression = ExpressionOfInterest.objects.get()
        assert expression.is_under_16
        assert expression.parent_carer_name == "Mary O'Brien"
        assert expression.parent_carer_confirmed is True

    def test_parent_details_are_not_kept_for_an_adult(self, client, for_everyone):
        client.post(
            form_url(for_everyone),
            answers(parent_carer_name="Someone", parent_carer_contact="x", age_band="25_64"),
        )

        expression = ExpressionOfInterest.objects.get()
        assert expression.parent_carer_name == ""
        assert expression.parent_carer_contact == ""


def test_an_adults_only_opportunity_tells_young_people_kindly(client):
    adults = OpportunityFactory(audience=Opportunity.Audience.ADULTS)

    page = client.get(form_url(adults)).content.decode()
    response = client.post(form_url(adults), answers(age_band="16_17"))

    assert "This opportunity is for adults aged 18 or over" in page
    assert "?who=young_people" in page
    assert "This opportunity is for adults aged 18 or over" in response.content.decode()
    assert ExpressionOfInterest.objects.count() == 0


def test_a_young_peoples_opportunity_points_adults_elsewhere(client):
    young = OpportunityFactory(audience=Opportunity.Audience.YOUNG_PEOPLE)

    page = client.get(form_url(young)).content.decode()
    response = client.post(form_url(young), answers(age_band="25_64"))

    assert "?who=adults" in page
    assert "This opportunity is for young people under 18" in response.content.decode()
    assert ExpressionOfInterest.objects.count() == 0


def test_a_minimum_age_is_enforced(client):
    sixteen_plus = OpportunityFactory(audience=Opportunity.Audience.EVERYONE, minimum_age=16)

    response = client.post(
        form_url(sixteen_plus),
        answers(age_band="under_16", parent_carer_name="A", parent_carer_contact="B",
                parent_carer_confirmed="on"),
    )

    assert "This opportunity is for people aged 16 or over" in response.content.decode()
    assert ExpressionOfInterest.objects.count() == 0


def test_an_involvement_payment_comes_with_benefits_advice(client):
    paid = OpportunityFactory(involvement_payment="£20 an hour")

    html = client.get(form_url(paid)).content.decode()

    assert "£20 an hour" in html
    assert "Accepting it may affect your benefits" in html
    assert "Citizens Advice" in html


@pytest.mark.parametrize("status", [Opportunity.Status.CLOSED])
def test_a_closed_opportunity_has_no_form(client, status):
    closed = OpportunityFactory(status=status)

    get = client.get(form_url(closed))
    post = client.post(form_url(closed), answers())

    assert get.status_code == 302
    assert get["Location"] == closed.get_absolute_url()
    assert post.status_code == 302
    assert ExpressionOfInterest.objects.count() == 0


def test_a_draft_opportunity_has_no_form(client):
    draft = OpportunityFactory(status=Opportunity.Status.DRAFT)

    assert client.get(form_url(draft)).status_code == 404
    assert client.post(form_url(draft), answers()).status_code == 404
    assert ExpressionOfInterest.objects.count() == 0


def test_the_same_form_sent_twice_makes_one_expression(client, opportunity):
    data = answers()

    first = client.post(form_url(opportunity), data)
    second = client.post(form_url(opportunity), data)

    assert ExpressionOfInterest.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_the_honeypot_blocks_with_a_clear_message_and_keeps_the_answers(client, opportunity):
    response = client.post(form_url(opportunity), answers(website="http://spam.example"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "Your form has not been sent yet" in html
    assert "Empty the box labelled" in html
    assert "I was a patient on the children&#x27;s ward" in html
    assert ExpressionOfInterest.objects.count() == 0


def test_the_rate_limit_blocks_a_flood_but_not_a_person(client, opportunity, settings):
    settings.EXPRESSION_RATE_LIMIT = 3
    # A person who makes mistakes several times is never blocked: only sent forms count.
    for _ in range(5):
        client.post(form_url(opportunity), answers(email=""))
    for _ in range(3):
        assert client.post(form_url(opportunity), answers()).status_code == 302

    blocked = client.post(form_url(opportunity), answers())

    assert blocked.status_code == 429
    html = blocked.content.decode()
    assert "You have sent a lot of forms from this internet connection" in html
    assert "Siobhán O&#x27;Brien" in html
    assert ExpressionOfInterest.objects.count() == 3


def test_the_confirmation_page_needs_the_session(client, opportunity):
    response = client.get(reverse("applications:interest_sent", args=[opportunity.slug]))

    assert response.status_code == 302
    assert response["Location"] == opportunity.get_absolute_url()


def test_the_detail_page_links_to_the_form(client, opportunity):
    html = client.get(opportunity.get_absolute_url()).content.decode()

    assert f'action="{form_url(opportunity)}"' in html


def test_query_count_of_the_form_page(client, opportunity, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        client.get(form_url(opportunity))


def test_sending_the_form_emails_the_person_and_the_contact(
    client, opportunity, mailoutbox, django_capture_on_commit_callbacks
):
    opportunity.contact_email = "flow-team@example.nhs.uk"
    opportunity.save()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(form_url(opportunity), answers())

    expression = ExpressionOfInterest.objects.get()
    recipients = sorted(m.to[0] for m in mailoutbox)
    assert recipients == ["flow-team@example.nhs.uk", "siobhan@example.com"]
    assert all(expression.reference in m.body for m in mailoutbox)


def test_a_failure_while_saving_leaves_nothing_behind_and_sends_nothing(
    client, opportunity, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    # Something goes wrong after the row is written but before the transaction commits.
    def fail(expression):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("applications.views.queue_expression_emails", fail)
    client.raise_request_exception = False

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(form_url(opportunity), answers())

    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()
    assert ExpressionOfInterest.objects.count() == 0
    assert callbacks == []
    assert mailoutbox == []
