"""The emails sent when someone expresses interest: what they say, to whom, and when.

These run with the laptop's immediate task backend, so the task runs as soon as it is queued;
tests/applications/test_email_worker.py runs the production path (database queue and worker).
"""

import datetime
import re

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from applications.models import ExpressionOfInterest
from applications.tasks import queue_expression_emails, send_expression_emails
from opportunities.models import Opportunity
from tests.factories import ExpressionOfInterestFactory, OpportunityFactory


@pytest.fixture(autouse=True)
def _trust(settings, immediate_tasks):
    settings.TRUST_NAME = "Anytown Hospitals NHS Foundation Trust"


def html_of(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def manage_link(text):
    match = re.search(r"https://involve\.example\.nhs\.uk/interest/manage/[^/\s\"]+/", text)
    assert match, text
    return match.group(0)


def by_recipient(outbox, address):
    [message] = [message for message in outbox if message.to == [address]]
    return message


@pytest.fixture
def opportunity():
    return OpportunityFactory(
        kind=Opportunity.Kind.LAY_PARTNER,  # the briefing and taster route
        title="Maternity voices group",
        programme__name="Women's and children's services",
        contact_name="Priya Shah",
        contact_email="maternity.involvement@example.nhs.uk",
        contact_phone="020 7946 0000",
    )


@pytest.mark.django_db(transaction=True)
def test_both_emails_go_after_the_transaction_commits(opportunity, mailoutbox):
    with transaction.atomic():
        expression = ExpressionOfInterestFactory(
            opportunity=opportunity, full_name="Siobhán O'Brien", email="siobhan@example.com"
        )
        queue_expression_emails(expression)
        assert mailoutbox == []  # nothing goes while the transaction is open

    assert len(mailoutbox) == 2
    confirmation = by_recipient(mailoutbox, "siobhan@example.com")
    notification = by_recipient(mailoutbox, "maternity.involvement@example.nhs.uk")

    assert confirmation.subject == "We have your expression of interest: Maternity voices group"
    assert confirmation.from_email == settings.DEFAULT_FROM_EMAIL
    assert confirmation.reply_to == ["maternity.involvement@example.nhs.uk"]
    assert notification.subject == (
        f"New expression of interest: Maternity voices group ({expression.reference})"
    )
    assert notification.from_email == settings.DEFAULT_FROM_EMAIL

    for message in (confirmation, notification):
        for body in (message.body, html_of(message)):
            assert expression.reference in body
            assert "Maternity voices group" in body
            assert "Anytown Hospitals NHS Foundation Trust" in body


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_when_the_transaction_rolls_back(opportunity, mailoutbox):
    class Oops(Exception):
        pass

    with pytest.raises(Oops), transaction.atomic():
        expression = ExpressionOfInterestFactory(opportunity=opportunity)
        queue_expression_emails(expression)
        raise Oops

    assert not ExpressionOfInterest.objects.exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_queueing_an_unsaved_expression_is_refused():
    with pytest.raises(ValueError):
        queue_expression_emails(ExpressionOfInterest())


@pytest.mark.django_db
def test_each_queued_task_sends_only_the_email_it_names(opportunity, mailoutbox):
    # The worker runs one task per email (queue_expression_emails), so a task run again after
    # its worker died sends only its own email.
    expression = ExpressionOfInterestFactory(opportunity=opportunity, email="amina@example.com")

    assert send_expression_emails.call(expression.pk, ["notification"]) == 1
    assert [message.to for message in mailoutbox] == [["maternity.involvement@example.nhs.uk"]]
    assert send_expression_emails.call(expression.pk, ["confirmation"]) == 1
    assert [message.to for message in mailoutbox][1:] == [["amina@example.com"]]
    with pytest.raises(ValueError):
        send_expression_emails.call(expression.pk, ["reminder"])
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_the_confirmation_says_what_happens_next_in_plain_english(opportunity, mailoutbox):
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity,
        full_name="Siobhán O'Brien",
        preferred_contact=ExpressionOfInterest.ContactMethod.PHONE,
        phone="07700 900123",
    )

    assert send_expression_emails.call(expression.pk) == 2

    confirmation = by_recipient(mailoutbox, expression.email)
    text = confirmation.body
    assert "Dear Siobhán O'Brien," in text  # plain text is not HTML-escaped
    assert f"Your reference is {expression.reference}" in text
    assert "We will contact you by phone" in text
    assert "briefing meeting" in text
    assert "A taster meeting. You come to a meeting of the group to see what it is like. " \
        "There is no obligation to join." in text
    assert "withdraw at any time" in text
    assert "Check or withdraw your expression of interest" in text
    assert "This link works for 180 days" in text
    assert "Priya Shah" in text
    assert "maternity.involvement@example.nhs.uk" in text
    assert "020 7946 0000" in text
    assert "parent or carer" not in text

    html = html_of(confirmation)
    assert "Dear Siobhán O&#x27;Brien," in html
    assert "We will contact you by phone" in html
    assert "Check or withdraw your expression of interest</a>" in html
    assert '<html lang="en">' in html
    assert "<title>We have your expression of interest – Anytown Hospitals NHS Foundation Trust" \
        "</title>" in html
    assert "#005eb8" in html  # the NHS blue header bar


@pytest.mark.django_db
def test_the_manage_link_opens_this_expression(opportunity, mailoutbox):
    expression = ExpressionOfInterestFactory(opportunity=opportunity)
    other = ExpressionOfInterestFactory(opportunity=opportunity)

    send_expression_emails.call(expression.pk)

    confirmation = by_recipient(mailoutbox, expression.email)
    link = manage_link(confirmation.body)
    assert link == manage_link(html_of(confirmation))
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert link == settings.SITE_URL + reverse("applications:manage", args=[token])
    assert ExpressionOfInterest.from_manage_token(token) == expression
    assert ExpressionOfInterest.from_manage_token(token) != other


@pytest.mark.django_db
def test_the_link_lifetime_follows_the_setting(opportunity, mailoutbox, settings):
    settings.MANAGE_LINK_MAX_AGE = 30 * 24 * 60 * 60
    expression = ExpressionOfInterestFactory(opportunity=opportunity)

    send_expression_emails.call(expression.pk)

    text = by_recipient(mailoutbox, expression.email).body
    expires = timezone.localdate() + datetime.timedelta(days=30)
    assert f"This link works for 30 days, until {expires.day} {expires:%B %Y}." in text


@pytest.mark.django_db
def test_an_under_16_is_told_we_will_contact_their_parent_or_carer(opportunity, mailoutbox):
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity,
        age_band=ExpressionOfInterest.AgeBand.UNDER_16,
        parent_carer_name="Mary O'Brien",
        parent_carer_contact="mary@example.com",
        parent_carer_confirmed=True,
    )

    send_expression_emails.call(expression.pk)

    confirmation = by_recipient(mailoutbox, expression.email)
    wording = "Because you are under 16, we will contact your parent or carer too."
    assert wording in confirmation.body
    assert wording in html_of(confirmation)
    notification = by_recipient(mailoutbox, "maternity.involvement@example.nhs.uk")
    assert "Age band: Under 16" in notification.body
    assert "under 16: contact their parent or carer too" in notification.body
    # Whoever the parent or carer is stays in the admin.
    for message in (confirmation, notification):
        for body in (message.body, html_of(message)):
            assert "Mary" not in body
            assert "mary@example.com" not in body


@pytest.mark.django_db
def test_the_notification_points_staff_to_the_admin(opportunity, mailoutbox):
    submitted = datetime.datetime(2026, 7, 14, 13, 5, tzinfo=datetime.UTC)  # 2:05pm BST
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, submitted_at=submitted, age_band="18_24"
    )

    send_expression_emails.call(expression.pk)

    notification = by_recipient(mailoutbox, "maternity.involvement@example.nhs.uk")
    admin_url = settings.SITE_URL + reverse(
        "admin:applications_expressionofinterest_change", args=[expression.pk]
    )
    assert admin_url == (
        f"https://involve.example.nhs.uk/admin/applications/expressionofinterest/"
        f"{expression.pk}/change/"
    )
    text = notification.body
    assert f"Reference: {expression.reference}" in text
    assert "Opportunity: Maternity voices group" in text
    assert "Programme: Women's and children's services" in text
    assert "Sent: 14 July 2026 at 2:05pm (UK time)" in text
    assert "Age band: 18 to 24" in text
    assert admin_url in text
    html = html_of(notification)
    assert f'href="{admin_url}"' in html
    assert "Women&#x27;s and children&#x27;s services" in html
    assert "14 July 2026 at 2:05pm" in html
    assert notification.reply_to == []


@pytest.mark.django_db
def test_winter_times_are_gmt(opportunity, mailoutbox):
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity,
        submitted_at=datetime.datetime(2026, 12, 1, 0, 30, tzinfo=datetime.UTC),
    )

    send_expression_emails.call(expression.pk)

    notification = by_recipient(mailoutbox, "maternity.involvement@example.nhs.uk")
    assert "Sent: 1 December 2026 at 12:30am (UK time)" in notification.body


@pytest.mark.django_db
def test_the_notification_goes_to_the_programme_or_team_when_the_opportunity_has_no_contact(
    mailoutbox, settings
):
    settings.TRUST_INVOLVEMENT_EMAIL = "involvement.team@example.nhs.uk"
    with_programme = ExpressionOfInterestFactory(
        opportunity__programme__contact_email="programme@example.nhs.uk"
    )
    with_neither = ExpressionOfInterestFactory()

    send_expression_emails.call(with_programme.pk)
    send_expression_emails.call(with_neither.pk)

    assert by_recipient(mailoutbox, "programme@example.nhs.uk").subject.endswith(
        f"({with_programme.reference})"
    )
    assert by_recipient(mailoutbox, "involvement.team@example.nhs.uk").subject.endswith(
        f"({with_neither.reference})"
    )
    assert by_recipient(mailoutbox, with_neither.email).reply_to == [
        "involvement.team@example.nhs.uk"
    ]


@pytest.mark.django_db
def test_neither_email_repeats_what_the_person_told_us(opportunity, mailoutbox):
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity,
        email="private.person@example.com",
        phone="07700 900456",
        why_interested="My late father was treated on the Wharncliffe ward.",
        experience="Twenty years as a school governor.",
        access_needs=[ExpressionOfInterest.AccessNeed.BSL],
        access_needs_other="I use a wheelchair and need a hoist.",
        availability="Thursday afternoons only.",
        connection_other="Volunteer at the hospital radio.",
    )

    send_expression_emails.call(expression.pk)

    assert len(mailoutbox) == 2
    secrets = [
        "Wharncliffe", "school governor", "British Sign Language", "BSL", "wheelchair",
        "Thursday afternoons", "hospital radio", "07700 900456",
    ]
    for message in mailoutbox:
        for body in (message.subject, message.body, html_of(message)):
            for secret in secrets:
                assert secret not in body
    notification = by_recipient(mailoutbox, "maternity.involvement@example.nhs.uk")
    for body in (notification.subject, notification.body, html_of(notification)):
        assert "private.person@example.com" not in body
        assert "Siobhán" not in body  # staff see the name in the admin


@pytest.mark.django_db
def test_html_escapes_what_people_type(mailoutbox):
    expression = ExpressionOfInterestFactory(
        full_name="<script>alert('hi')</script>",
        opportunity__title="Kids & teens <panel>",
    )

    send_expression_emails.call(expression.pk)

    for message in mailoutbox:
        html = html_of(message)
        assert "<script>" not in html
        assert "<panel>" not in html
        assert "Kids &amp; teens &lt;panel&gt;" in html
        # Plain text and subjects are not HTML, so they are left as typed.
        assert "Kids & teens <panel>" in message.subject
        assert "Kids & teens <panel>" in message.body
    confirmation = by_recipient(mailoutbox, expression.email)
    assert "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;" in html_of(confirmation)
    assert "Dear <script>alert('hi')</script>," in confirmation.body


@pytest.mark.django_db
def test_a_long_title_still_makes_a_one_line_subject(mailoutbox):
    expression = ExpressionOfInterestFactory(opportunity__title="A " * 90 + "group")

    send_expression_emails.call(expression.pk)

    for message in mailoutbox:
        assert "\n" not in message.subject
        message.message()  # a header with a line break would raise BadHeaderError here


@pytest.mark.django_db
def test_nothing_is_sent_for_an_expression_erased_before_the_task_ran(
    opportunity, mailoutbox, caplog
):
    expression = ExpressionOfInterestFactory(opportunity=opportunity, email="gone@example.com")
    pk = expression.pk
    expression.delete()

    with caplog.at_level("INFO", logger="applications.tasks"):
        assert send_expression_emails.call(pk) == 0

    assert mailoutbox == []
    [record] = [r for r in caplog.records if r.name == "applications.tasks"]
    assert record.levelname == "INFO"
    assert f"id={pk} no longer exists" in record.getMessage()
    assert "gone@example.com" not in caplog.text
    assert expression.reference not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_an_expression_erased_before_commit_sends_nothing(opportunity, mailoutbox):
    with transaction.atomic():
        expression = ExpressionOfInterestFactory(opportunity=opportunity)
        queue_expression_emails(expression)
        expression.delete()

    assert mailoutbox == []
