"""Payment terms as data: the team's table of payment levels (opportunities.PaymentLevel),
and an opportunity's page stating its level's terms in plain English. The rates here are made
up: the trust has published none, so the content loader sets no levels."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from opportunities.models import Opportunity, PaymentLevel
from tests.factories import OpportunityFactory, PaymentLevelFactory

pytestmark = pytest.mark.django_db

BENEFITS = "If you get benefits, an involvement payment may affect them."
ASK_US = "Ask us about payment and expenses before you start."


def page(client, opportunity):
    return client.get(opportunity.get_absolute_url()).content.decode()


def test_a_level_with_both_rates_states_its_terms_and_the_benefits_advice(client):
    level = PaymentLevelFactory(
        name="Level 2: partner in a programme group", rate_per_hour=Decimal("25.00"),
        rate_per_meeting=Decimal("62.50"), preparation_paid=True,
        description="We pay through payroll, within a month of the meeting.",
    )
    opportunity = OpportunityFactory(
        payment_level=level, involvement_payment="Old words nobody should see.",
        expenses="We pay travel expenses.",
    )

    html = page(client, opportunity)

    assert "<p>Level 2: partner in a programme group.</p>" in html
    assert "We pay an involvement payment of £25 an hour." in html
    assert "We pay an involvement payment of £62.50 for each meeting." in html
    assert "Time you spend preparing, such as reading papers, is paid too." in html
    assert "We pay through payroll, within a month of the meeting." in html
    assert "We pay travel expenses." in html
    assert BENEFITS in html
    assert ASK_US not in html
    assert "Old words nobody should see." not in html


def test_preparation_not_paid_is_said(client):
    level = PaymentLevelFactory(rate_per_meeting=Decimal("75"))

    html = page(client, OpportunityFactory(payment_level=level))

    assert "We pay an involvement payment of £75 for each meeting." in html
    assert "an hour" not in html
    assert "Time you spend preparing is not paid." in html
    assert BENEFITS in html


def test_a_level_with_no_payment_says_so_without_benefits_advice_or_ask_us(client):
    level = PaymentLevelFactory(name="Level 1: expenses only")

    html = page(client, OpportunityFactory(payment_level=level))

    assert "There is no involvement payment for this role." in html
    assert "preparing" not in html
    assert BENEFITS not in html
    assert ASK_US not in html


def test_without_a_level_the_free_text_and_ask_us_stay_as_they_were(client):
    with_words = OpportunityFactory(involvement_payment="£25 for each meeting.")
    without = OpportunityFactory()

    assert "£25 for each meeting." in page(client, with_words)
    assert BENEFITS in page(client, with_words)
    assert ASK_US in page(client, without)
    assert BENEFITS not in page(client, without)


def test_changing_a_level_changes_the_kept_page(client):
    level = PaymentLevelFactory(rate_per_hour=Decimal("20"))
    opportunity = OpportunityFactory(payment_level=level)
    assert "£20 an hour" in page(client, opportunity)

    level.rate_per_hour = Decimal("22")
    level.save()

    assert "£22 an hour" in page(client, opportunity)


def test_the_page_makes_no_more_queries_with_a_level(client, django_assert_max_num_queries):
    opportunity = OpportunityFactory(payment_level=PaymentLevelFactory(rate_per_hour=1))

    with django_assert_max_num_queries(4):
        response = client.get(opportunity.get_absolute_url())

    assert response.status_code == 200


def test_the_trusts_content_sets_no_levels():
    call_command("load_trust_content", verbosity=0)

    assert Opportunity.objects.exists()
    assert not PaymentLevel.objects.exists()
    assert not Opportunity.objects.filter(payment_level__isnull=False).exists()


def test_staff_add_a_level_and_give_it_to_an_opportunity(staff_client):
    add = staff_client.get(reverse("admin:opportunities_paymentlevel_add"))
    assert "Rate per hour (£)" in add.content.decode()

    response = staff_client.post(reverse("admin:opportunities_paymentlevel_add"), {
        "name": "Level 3: leading a piece of work", "rate_per_hour": "30",
        "rate_per_meeting": "", "preparation_paid": "on", "description": "", "position": "0",
    })

    assert response.status_code == 302
    level = PaymentLevel.objects.get()
    assert level.rate_per_hour == Decimal("30") and level.rate_per_meeting is None
    assert level.preparation_paid
    opportunity = OpportunityFactory()
    form = staff_client.get(reverse("admin:opportunities_opportunity_change",
                                    args=[opportunity.pk])).content.decode()
    assert 'name="payment_level"' in form


def test_a_negative_rate_is_refused(staff_client):
    response = staff_client.post(reverse("admin:opportunities_paymentlevel_add"), {
        "name": "Level 9", "rate_per_hour": "-5", "position": "0",
    })

    assert response.status_code == 200
    assert not PaymentLevel.objects.exists()


@pytest.mark.parametrize("rows", [1, 20])
def test_the_changelist_query_count(staff_client, django_assert_max_num_queries, rows):
    levels = PaymentLevelFactory.create_batch(rows, rate_per_hour=Decimal("25"))

    with django_assert_max_num_queries(6):
        response = staff_client.get(reverse("admin:opportunities_paymentlevel_changelist"))

    html = response.content.decode()
    for level in levels:
        assert reverse("admin:opportunities_paymentlevel_change", args=[level.pk]) in html


@pytest.mark.parametrize("group, allowed", [("Involvement team", True), ("Programme lead", False)])
def test_the_involvement_team_keeps_the_levels_and_programme_leads_do_not(
    client, django_user_model, group, allowed
):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("someone", "someone@example.nhs.uk",
                                                 is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)

    response = client.get(reverse("admin:opportunities_paymentlevel_add"))

    assert response.status_code == (200 if allowed else 403)
