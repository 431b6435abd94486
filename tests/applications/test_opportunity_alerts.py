"""The alerts about new opportunities: `manage.py send_opportunity_alerts` sends each confirmed
person ONE email listing what opened since their last, matching their choices, never twice;
each alert has the one-click unsubscribe headers (RFC 8058). And the admin's counts."""

import datetime
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from applications.models import AlertSubscription
from opportunities.models import Opportunity
from tests.factories import OpportunityFactory, ProgrammeFactory

# Alerts are queued when the claiming transaction commits, so these tests commit for real.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("immediate_tasks")]

Kind = Opportunity.Kind
HOUR = datetime.timedelta(hours=1)


def subscriber(email="siobhan@example.com", *, kinds=(), programmes=(), confirmed=True,
               since=None):
    """A sign-up, confirmed (by default) a day ago."""
    since = since or timezone.now() - 24 * HOUR
    subscription = AlertSubscription.objects.create(
        email=email, kinds=list(kinds), requested_at=since,
        confirmed_at=since if confirmed else None, sent_up_to=since if confirmed else None,
    )
    subscription.programmes.set(programmes)
    return subscription


def opened(ago=2 * HOUR, **fields):
    """An open opportunity that opened `ago` (the command leaves the last minute's for the
    next run)."""
    opportunity = OpportunityFactory(status=Opportunity.Status.OPEN, **fields)
    Opportunity.objects.filter(pk=opportunity.pk).update(opened_at=timezone.now() - ago)
    return opportunity


def send_alerts():
    out = StringIO()
    call_command("send_opportunity_alerts", stdout=out)
    return out.getvalue()


def alerts_to(address):
    return [message for message in mail.outbox if message.to == [address]]


def test_two_new_opportunities_make_one_email():
    subscriber()
    first = opened(title="Patient flow", ago=3 * HOUR, closing_date=datetime.date(2099, 3, 9))
    second = opened(title="Digital reference group", ago=2 * HOUR)

    output = send_alerts()

    [message] = mail.outbox
    assert "Queued 1 alert(s)" in output
    assert message.to == ["siobhan@example.com"]
    assert message.subject == "2 new opportunities to get involved"
    body = message.body
    assert body.index("Patient flow") < body.index("Digital reference group")
    assert f"https://involve.example.nhs.uk{first.get_absolute_url()}" in body
    assert f"https://involve.example.nhs.uk{second.get_absolute_url()}" in body
    assert "Closing date: 9 March 2099" in body
    html = message.alternatives[0][0]
    assert "Patient flow" in html and "Digital reference group" in html


def test_the_alert_has_one_click_unsubscribe_headers_that_work():
    subscription = subscriber()
    opened(title="Patient flow")
    send_alerts()
    [message] = mail.outbox

    # The links are signed with the time they were made, so they are read, not compared.
    unsubscribe = re.fullmatch(
        r"<https://involve\.example\.nhs\.uk(/[^>]+)>", message.extra_headers["List-Unsubscribe"]
    )[1]
    landed = resolve(unsubscribe)
    assert landed.view_name == "applications:alerts_unsubscribe"
    assert AlertSubscription.key_from_manage_token(landed.kwargs["token"]) == subscription.key
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    headers = message.message()
    assert headers["List-Unsubscribe"].startswith("<https://")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    manage = re.search(r"https://involve\.example\.nhs\.uk(/alerts/manage/[^/]+/)", message.body)[1]
    assert AlertSubscription.key_from_manage_token(resolve(manage).kwargs["token"]) == (
        subscription.key
    )
    assert "Change what you get, or unsubscribe" in message.alternatives[0][0]

    # The mail program's POST: no cookies, no CSRF token.
    url = re.search(r"<https://[^/]+(/[^>]+)>", headers["List-Unsubscribe"])[1]
    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not AlertSubscription.objects.exists()


def test_running_it_again_sends_nothing_twice():
    subscriber()
    opened(title="Patient flow")
    send_alerts()

    output = send_alerts()

    assert len(mail.outbox) == 1
    assert "Queued 0 alert(s)" in output
    # Something new opening later is sent, alone: as if that run was an hour ago.
    AlertSubscription.objects.update(sent_up_to=F("sent_up_to") - HOUR)
    opened(title="Young people's forum", ago=HOUR / 2)
    send_alerts()
    assert len(mail.outbox) == 2
    assert "Young people's forum" in mail.outbox[1].subject
    assert "Patient flow" not in mail.outbox[1].body


def test_matching_by_kind_and_programme():
    children = ProgrammeFactory(name="Children's services")
    surgery = ProgrammeFactory(name="Surgery")
    opened(title="Children's lay partner", kind=Kind.LAY_PARTNER, programme=children)
    opened(title="Surgery lay partner", kind=Kind.LAY_PARTNER, programme=surgery)
    opened(title="Children's event", kind=Kind.EVENT, programme=children)
    subscriber("lay@example.com", kinds=[Kind.LAY_PARTNER])
    subscriber("children@example.com", programmes=[children])
    subscriber("both@example.com", kinds=[Kind.LAY_PARTNER], programmes=[children])
    subscriber("reference@example.com", kinds=[Kind.REFERENCE_GROUP])
    subscriber("everything@example.com")

    send_alerts()

    def titles(address):
        [message] = alerts_to(address)
        return {title for title in ("Children's lay partner", "Surgery lay partner",
                                    "Children's event") if title in message.body}

    assert titles("lay@example.com") == {"Children's lay partner", "Surgery lay partner"}
    assert titles("children@example.com") == {"Children's lay partner", "Children's event"}
    assert titles("both@example.com") == {"Children's lay partner"}
    assert titles("everything@example.com") == {
        "Children's lay partner", "Surgery lay partner", "Children's event"
    }
    assert alerts_to("reference@example.com") == []
    assert len(mail.outbox) == 4


def test_nothing_about_closed_draft_or_past_closing_opportunities_or_those_open_before():
    subscriber(since=timezone.now() - 5 * HOUR)
    closed = opened(title="Closed one")
    Opportunity.objects.filter(pk=closed.pk).update(status=Opportunity.Status.CLOSED)
    OpportunityFactory(title="Draft one", status=Opportunity.Status.DRAFT)
    opened(title="Past its closing date", closing_date=datetime.date(2020, 1, 1))
    opened(title="Open before they signed up", ago=6 * HOUR)
    opened(title="Opened seconds ago", ago=datetime.timedelta(seconds=5))

    send_alerts()

    assert mail.outbox == []
    # The one opened seconds ago is sent by the next run, a little later.
    AlertSubscription.objects.update(sent_up_to=timezone.now() - 5 * HOUR)
    Opportunity.objects.filter(title="Opened seconds ago").update(
        opened_at=timezone.now() - 2 * HOUR
    )
    send_alerts()
    [message] = mail.outbox
    assert "Opened seconds ago" in message.subject


def test_nothing_before_confirmation_and_nothing_after_unsubscribing():
    subscriber("waiting@example.com", confirmed=False)
    gone = subscriber("gone@example.com")
    opened(title="Patient flow")
    Client().post(reverse("applications:alerts_unsubscribe", args=[gone.manage_token()]))

    send_alerts()

    assert mail.outbox == []


def test_an_opportunity_closed_before_the_email_goes_is_left_out():
    subscription = subscriber()
    still_open = opened(title="Still open")
    closed_since = opened(title="Closed since")
    from applications.tasks import send_opportunity_alert

    Opportunity.objects.filter(pk=closed_since.pk).update(status=Opportunity.Status.CLOSED)
    sent = send_opportunity_alert.call(subscription.pk, [still_open.pk, closed_since.pk])

    assert sent == 1
    [message] = mail.outbox
    assert message.subject == "New opportunity to get involved: Still open"
    assert "Closed since" not in message.body
    Opportunity.objects.filter(pk=still_open.pk).update(status=Opportunity.Status.CLOSED)
    assert send_opportunity_alert.call(subscription.pk, [still_open.pk]) == 0


def test_a_dry_run_counts_and_changes_nothing():
    subscription = subscriber()
    opened()
    out = StringIO()

    call_command("send_opportunity_alerts", "--dry-run", stdout=out)

    assert "1 alert(s) to send" in out.getvalue()
    assert mail.outbox == []
    before = subscription.sent_up_to
    subscription.refresh_from_db()
    assert subscription.sent_up_to == before


def test_changing_choices_does_not_send_what_opened_before():
    subscription = subscriber(kinds=[Kind.EVENT])
    opened(title="A lay partner role", kind=Kind.LAY_PARTNER)
    subscription.change_choices(kinds=[Kind.LAY_PARTNER], programmes=[])

    send_alerts()

    assert mail.outbox == []


def test_the_command_makes_the_same_queries_whatever_the_number_of_people():
    for n in range(3):
        subscriber(f"person{n}@example.com", programmes=[ProgrammeFactory()])
    opened()

    def count():
        with CaptureQueriesContext(connection) as queries:
            send_alerts()
        return len(queries)

    # Each person with an alert costs one claim (and their email); the finding does not grow.
    AlertSubscription.objects.update(sent_up_to=timezone.now() - 24 * HOUR)
    few = count()
    for n in range(3, 12):
        subscriber(f"person{n}@example.com", programmes=[ProgrammeFactory()])
    AlertSubscription.objects.update(sent_up_to=timezone.now() - 24 * HOUR)
    mail.outbox.clear()
    many = count()
    assert len(mail.outbox) == 0  # none of them chose the new opportunity's programme
    assert many == few


# The admin ----------------------------------------------------------------------------------


def test_staff_see_how_many_people_get_alerts_without_their_addresses(
    staff_client, django_assert_max_num_queries
):
    children = ProgrammeFactory(name="Children's services")
    subscriber("confirmed@example.com", kinds=[Kind.EVENT], programmes=[children])
    subscriber("waiting@example.com", confirmed=False)
    url = reverse("admin:applications_alertsubscription_changelist")

    with django_assert_max_num_queries(7):
        response = staff_client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "1 person gets emails about new opportunities; 1 more has signed up" in html
    assert "Events" in html and "Children&#x27;s services" in html
    assert "@example.com" not in html
    confirmed_only = staff_client.get(url, {"confirmed": "yes"})
    assert len(confirmed_only.context["cl"].result_list) == 1
    one = AlertSubscription.objects.confirmed().get()
    detail = staff_client.get(
        reverse("admin:applications_alertsubscription_change", args=[one.pk])
    ).content.decode()
    assert "confirmed@example.com" not in detail
    assert "Children&#x27;s services" in detail


def test_the_admin_list_makes_the_same_queries_for_one_row_and_many(staff_client):
    url = reverse("admin:applications_alertsubscription_changelist")
    subscriber("one@example.com", programmes=[ProgrammeFactory()])
    with CaptureQueriesContext(connection) as one:
        staff_client.get(url)
    for n in range(12):
        subscriber(f"person{n}@example.com", programmes=[ProgrammeFactory(), ProgrammeFactory()])
    with CaptureQueriesContext(connection) as many:
        staff_client.get(url)
    assert len(many) == len(one)



def test_the_deploy_check_warns_when_the_unsubscribe_address_would_not_be_https(tmp_path):
    from tests.involvement.test_security_headers import run_production

    result = run_production(
        tmp_path, ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SITE_URL="http://involvement.example.nhs.uk",
    )

    assert result.returncode != 0
    assert "applications.W001" in result.stdout + result.stderr
