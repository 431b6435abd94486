"""axe-core on an opportunity's page stating its payment level's terms."""

from decimal import Decimal

import pytest

from tests.browser.test_accessibility import assert_no_violations
from tests.factories import OpportunityFactory, PaymentLevelFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_opportunity_with_a_payment_level_has_no_violations(live_server, phone):
    level = PaymentLevelFactory(
        rate_per_hour=Decimal("25"), rate_per_meeting=Decimal("62.50"), preparation_paid=True,
        description="We pay through payroll.\n\nAsk us if you would rather not be paid.",
    )
    opportunity = OpportunityFactory(payment_level=level, expenses="We pay travel expenses.")

    phone.goto(live_server.url + opportunity.get_absolute_url())

    assert "£62.50 for each meeting" in phone.content()
    assert_no_violations(phone, "opportunity with a payment level")
