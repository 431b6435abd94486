"""Parent or carer consent for under-16s: the email with its link, the page the link opens,
consent taken by phone in the admin, and the pipeline holding an under-16 at "Contacted" until
their parent or carer agrees."""

import csv
import io
import re
import time
import zipfile
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.forms import CHECK_ANSWERS
from applications.models import ExpressionOfInterest, InvalidMove, contact_kind
from applications.personal_data import Person, anonymise, erase
from applications.tasks import send_parent_consent_email
from opportunities.models import Opportunity
from tests.factories import ExpressionOfInterestFactory, MeetingFactory, OpportunityFactory
from tests.public_forms import answer_questions, interest_answers, interest_url, send_data

pytestmark = pytest.mark.django_db

Status = ExpressionOfInterest.Status
UNDER_16 = ExpressionOfInterest.AgeBand.UNDER_16
CHANGELIST = "admin:applications_expressionofinterest_changelist"


@pytest.fixture(autouse=True)
def _tasks(immediate_tasks, settings):
    settings.TRUST_NAME = "Anytown Hospitals NHS Foundation Trust"


@pytest.fixture
def staff_user(staff_client, django_user_model):
    return django_user_model.objects.get(username="staff")


def under_16(**fields):
    return ExpressionOfInterestFactory(**{
        "full_name": "Aoife O'Brien",
        "email": "aoife@example.com",
        "age_band": UNDER_16,
        "parent_carer_name": "Mary O'Brien",
        "parent_carer_contact": "mary@example.com",
        "parent_carer_confirmed": True,
        "opportunity__title": "Young people's reference group",
        "opportunity__summary": "Help us make the children's wards better.",
        **fields,
    })


def consent_url(expression):
    return expression.parent_consent_path()


def html_of(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def link_in(text):
    match = re.search(r"https://involve\.example\.nhs\.uk(/interest/consent/[^/\s\"]+/)", text)
    assert match, text
    return match.group(1)


def consent_emails(outbox):
    return [message for message in outbox if message.to == ["mary@example.com"]]


# Telling an email address from a phone number ------------------------------------------------


@pytest.mark.parametrize(
    ("contact", "kind"),
    [
        ("mary@example.com", "email"),
        ("  Mary.OBrien+school@example.co.uk ", "email"),
        ("07700 900123", "phone"),
        ("+44 (0)20 7946 0000", "phone"),
        ("020-7946-0000 ext 12", "phone"),
        ("+353 1 234 5678", "phone"),
        ("mary at example dot com", ""),
        ("Mum", ""),
        ("12345", ""),
        ("", ""),
    ],
)
def test_it_tells_an_email_address_from_a_phone_number(contact, kind):
    assert contact_kind(contact) == kind


# The email --------------------------------------------------------------------------------------


def test_an_under_16s_form_sends_their_parent_one_consent_email(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    opportunity = OpportunityFactory(
        title="Young people's reference group", slug="young-people",
        contact_email="yp@example.nhs.uk", audience=Opportunity.Audience.EVERYONE,
    )
    answers = interest_answers(
        full_name="Aoife O'Brien", email="aoife@example.com", age_band="under_16",
        parent_carer_name="Mary O'Brien", parent_carer_contact="mary@example.com",
        parent_carer_confirmed="on",
    )
    check_answers = answer_questions(client, opportunity, answers)
    url = interest_url(opportunity, CHECK_ANSWERS)
    sent = send_data(check_answers, answers)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, sent)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, sent)  # the same form sent again: a double click

    expression = ExpressionOfInterest.objects.get()
    [message] = consent_emails(mailoutbox)
    assert message.subject == (
        "Do you agree to Aoife O'Brien getting involved with Anytown Hospitals NHS Foundation "
        "Trust?"
    )
    assert message.reply_to == ["yp@example.nhs.uk"]
    for body in (message.body, html_of(message)):
        assert "Mary O" in body
        assert "Young people's reference group" in body or "Young people&#x27;s" in body
        assert "we need you to agree before they take part" in body
        assert expression.reference in body
        # Nothing the young person told us about themselves.
        assert "children's ward with my son" not in body
    # The link (the same in both parts) opens this expression's consent page. Links made in
    # different seconds differ, so it is compared by what it opens.
    assert link_in(message.body) == link_in(html_of(message))
    opened = client.get(link_in(message.body))
    assert "Do you agree to Aoife O&#x27;Brien getting involved?" in opened.content.decode()
    assert ExpressionOfInterest.from_parent_consent_token(
        link_in(message.body).split("/")[-2]
    ) == expression
    expression.refresh_from_db()
    assert expression.parent_consent_requested_at is not None
    assert expression.parent_consent_state == ExpressionOfInterest.ConsentState.WAITING


@pytest.mark.parametrize(
    "fields",
    [
        {"parent_carer_contact": "07700 900123"},  # a phone number: staff ring them
        {"age_band": ExpressionOfInterest.AgeBand.AGE_16_17, "parent_carer_contact": ""},
    ],
)
def test_no_consent_email_without_an_address_or_for_anyone_16_or_over(
    mailoutbox, django_capture_on_commit_callbacks, fields
):
    from applications.tasks import queue_expression_emails

    with django_capture_on_commit_callbacks(execute=True):
        queue_expression_emails(under_16(**fields))

    assert len(mailoutbox) == 2  # the confirmation and the staff notification
    assert consent_emails(mailoutbox) == []


def test_no_consent_email_goes_once_their_details_are_removed(mailoutbox):
    expression = under_16()
    anonymise(ExpressionOfInterest.objects.filter(pk=expression.pk))

    assert send_parent_consent_email.enqueue(expression.pk).return_value == 0
    assert mailoutbox == []


def test_no_consent_email_goes_once_they_have_answered(mailoutbox):
    expression = under_16()
    expression.record_parent_consent("confirmed", method="phone")

    assert send_parent_consent_email.enqueue(expression.pk).return_value == 0
    assert mailoutbox == []


# The page the link opens ------------------------------------------------------------------------


def test_the_page_says_what_they_signed_up_for_and_what_we_will_do(client):
    expression = under_16()

    response = client.get(consent_url(expression))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Do you agree to Aoife O&#x27;Brien getting involved?</h1>" in html
    assert "Young people&#x27;s reference group" in html
    assert "Help us make the children&#x27;s wards better." in html
    assert "What we will do" in html
    assert "Until you agree, we will not invite them to any meeting" in html
    assert 'class="nhsuk-radios' in html
    assert "novalidate" in html
    assert 'name="robots" content="noindex"' in html
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize(
    ("answer", "state", "heading"),
    [
        ("confirmed", "confirmed", "You have agreed"),
        ("refused", "refused", "You have told us you do not agree"),
    ],
)
def test_the_parent_answers_by_the_link(client, answer, state, heading):
    expression = under_16()
    url = consent_url(expression)

    response = client.post(url, {"answer": answer}, follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert heading in response.content.decode()
    expression.refresh_from_db()
    assert expression.parent_consent_state == state
    assert expression.parent_consent_method == ExpressionOfInterest.ConsentMethod.LINK
    assert expression.parent_consent_given_by == "Mary O'Brien"
    assert expression.parent_consent_recorded_by is None
    assert (timezone.now() - expression.parent_consent_at).total_seconds() < 60


def test_no_answer_comes_back_with_an_error_summary(client):
    expression = under_16()

    response = client.post(consent_url(expression), {})

    html = response.content.decode()
    assert response.status_code == 400
    assert "<title>Error: Do you agree" in html
    assert 'class="nhsuk-error-summary"' in html
    assert "Select whether you agree to Aoife O&#x27;Brien taking part" in html
    assert 'href="#id_answer"' in html
    expression.refresh_from_db()
    assert expression.parent_consent == ""


def test_a_used_link_shows_the_answer_and_changes_nothing(client):
    expression = under_16()
    client.post(consent_url(expression), {"answer": "refused"})

    again = client.post(consent_url(expression), {"answer": "confirmed"})
    opened = client.get(consent_url(expression))

    assert again.status_code == 409
    assert opened.status_code == 200
    for response in (again, opened):
        html = response.content.decode()
        assert "You have told us you do not agree" in html
        assert "If you change your mind" in html
        assert 'name="answer"' not in html
    expression.refresh_from_db()
    assert expression.parent_consent == "refused"


def assert_link_does_not_work(response):
    assert response.status_code == 404
    html = response.content.decode()
    assert "This link does not work" in html
    assert "whether you agree to your child getting involved" in html


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_link_does_not_work(client, settings, method):
    expression = under_16()
    made = time.time() - settings.PARENT_CONSENT_LINK_MAX_AGE - 60
    with mock.patch("django.core.signing.time.time", return_value=made):
        url = consent_url(expression)

    assert_link_does_not_work(getattr(client, method)(url, {"answer": "confirmed"}))
    expression.refresh_from_db()
    assert expression.parent_consent == ""


def test_a_link_still_in_time_works(client, settings):
    expression = under_16()
    made = time.time() - settings.PARENT_CONSENT_LINK_MAX_AGE + 60
    with mock.patch("django.core.signing.time.time", return_value=made):
        url = consent_url(expression)

    assert client.get(url).status_code == 200


def test_a_tampered_link_does_not_work(client):
    expression = under_16()
    token = expression.parent_consent_token()
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    assert_link_does_not_work(client.post(
        reverse("applications:parent_consent", args=[tampered]), {"answer": "confirmed"}
    ))
    expression.refresh_from_db()
    assert expression.parent_consent == ""


def test_the_young_persons_manage_link_is_not_a_consent_link(client):
    """The links sign the same reference with different salts: one never opens the other."""
    expression = under_16()
    manage_token = expression.manage_token()

    assert_link_does_not_work(
        client.get(reverse("applications:parent_consent", args=[manage_token]))
    )
    assert client.get(
        reverse("applications:manage", args=[expression.parent_consent_token()])
    ).status_code == 404


def test_the_link_stops_working_once_their_details_are_removed(client):
    expression = under_16()
    url = consent_url(expression)
    anonymise(ExpressionOfInterest.objects.filter(pk=expression.pk))

    assert_link_does_not_work(client.get(url))


# The pipeline ----------------------------------------------------------------------------------


def test_an_under_16_cannot_move_past_contacted_until_their_parent_agrees(staff_user):
    expression = under_16(status=Status.CONTACTED)

    assert Status.BRIEFING not in expression.allowed_moves()
    with pytest.raises(InvalidMove) as refused:
        expression.move_to(
            Status.BRIEFING, by=staff_user, reason="Had their briefing meeting by phone"
        )
    assert "their parent or carer has not agreed" in refused.value.messages[0]
    assert "resend the email, or record consent they gave by phone" in refused.value.messages[0]

    expression.record_parent_consent("confirmed", method="phone", by=staff_user)

    assert Status.BRIEFING in expression.allowed_moves()
    expression.move_to(
        Status.BRIEFING, by=staff_user, reason="Had their briefing meeting by phone"
    )
    expression.refresh_from_db()
    assert expression.status == Status.BRIEFING


def test_refused_consent_stops_it_progressing_and_says_what_to_do(staff_user):
    expression = under_16(status=Status.CONTACTED, parent_consent="refused")

    assert expression.allowed_moves() == [Status.NOT_PROGRESSED, Status.WITHDRAWN]
    with pytest.raises(InvalidMove) as refused:
        expression.move_to(
            Status.BRIEFING, by=staff_user, reason="Had their briefing meeting by phone"
        )
    assert "does not agree to them taking part" in refused.value.messages[0]
    assert "Move it to “Not progressed”" in refused.value.messages[0]


def test_consent_given_after_the_page_was_loaded_counts(staff_user):
    loaded = under_16(status=Status.CONTACTED)
    ExpressionOfInterest.objects.get(pk=loaded.pk).record_parent_consent(
        "confirmed", method="link"
    )

    loaded.move_to(Status.BRIEFING, by=staff_user, reason="Had their briefing meeting by phone")

    assert ExpressionOfInterest.objects.get(pk=loaded.pk).status == Status.BRIEFING


def test_new_to_contacted_and_the_ways_out_need_no_consent(staff_user):
    expression = under_16()

    expression.move_to(Status.CONTACTED, by=staff_user)
    expression.move_to(Status.WITHDRAWN, by=staff_user)

    assert ExpressionOfInterest.objects.get(pk=expression.pk).status == Status.WITHDRAWN


def test_an_under_16_is_not_invited_to_a_meeting_without_consent(staff_user):
    from applications.bookings import BookingError

    expression = under_16(status=Status.CONTACTED)
    meeting = MeetingFactory(opportunity=expression.opportunity, kind="briefing")

    with pytest.raises(BookingError) as refused:
        expression.invite_to(meeting, by=staff_user)
    assert "their parent or carer has not agreed" in refused.value.messages[0]
    assert not expression.bookings.exists()

    expression.record_parent_consent("confirmed", method="phone", by=staff_user)
    expression.invite_to(meeting, by=staff_user)
    assert expression.bookings.count() == 1


def test_the_change_page_refuses_the_move_with_the_message(staff_client):
    expression = under_16(status=Status.CONTACTED)
    move = reverse("admin:applications_expressionofinterest_move", args=[expression.pk])

    response = staff_client.post(move, {"status": "briefing", "reason": ""}, follow=True)

    html = response.content.decode()
    assert "their parent or carer has not agreed" in html
    assert 'value="briefing"' not in html  # the button is not offered
    assert ExpressionOfInterest.objects.get(pk=expression.pk).status == Status.CONTACTED


# The admin -------------------------------------------------------------------------------------


def change_url(expression):
    return reverse("admin:applications_expressionofinterest_change", args=[expression.pk])


def record_url(expression):
    return reverse("admin:applications_expressionofinterest_parent_consent", args=[expression.pk])


def resend_url(expression):
    return reverse("admin:applications_expressionofinterest_resend_consent", args=[expression.pk])


def summary_of(html):
    return html[html.index('class="eoi-summary"'):html.index('class="eoi-others"')]


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({}, "Waiting"),
        ({"parent_consent": "confirmed"}, "Confirmed"),
        ({"parent_consent": "refused"}, "Refused"),
    ],
)
def test_the_change_page_shows_the_consent(staff_client, fields, shown):
    expression = under_16(**fields)

    html = summary_of(staff_client.get(change_url(expression)).content.decode())

    assert re.search(
        rf"<dt>Parent or carer consent</dt><dd><strong class=\"eoi-tag[^\"]*\">{shown}</strong>",
        html,
    )


def test_an_adults_change_page_says_nothing_of_consent(staff_client):
    expression = ExpressionOfInterestFactory()

    html = staff_client.get(change_url(expression)).content.decode()

    assert "Parent or carer consent" not in html


def test_staff_record_consent_taken_by_phone(staff_client, staff_user):
    expression = under_16(parent_carer_contact="07700 900123", status=Status.CONTACTED)
    page = staff_client.get(change_url(expression)).content.decode()
    assert "Record consent taken by phone" in page
    assert "Resend the consent email" not in page  # there is no address to send it to

    form = staff_client.get(record_url(expression))
    assert form.status_code == 200
    assert 'value="Mary O&#x27;Brien"' in form.content.decode()

    response = staff_client.post(record_url(expression), {
        "answer": "confirmed", "given_by": "Mary O'Brien", "method": "phone",
        "at": "2026-11-02T14:30", "note": "Rang 07700 900123; she asked for the dates.",
    }, follow=True)

    assert "Parent or carer consent for" in response.content.decode()
    expression.refresh_from_db()
    assert expression.parent_consent_state == "confirmed"
    assert expression.parent_consent_method == "phone"
    assert expression.parent_consent_recorded_by == staff_user
    assert timezone.localtime(expression.parent_consent_at).strftime("%Y-%m-%d %H:%M") == (
        "2026-11-02 14:30"
    )
    assert expression.parent_consent_note == "Rang 07700 900123; she asked for the dates."
    summary = summary_of(staff_client.get(change_url(expression)).content.decode())
    assert "by phone, 2 Nov 2026, 14:30, from Mary O&#x27;Brien; recorded by staff." in summary
    assert "Note: Rang 07700 900123; she asked for the dates." in summary
    # And now it can move on.
    assert 'value="briefing"' in summary


def test_recording_consent_needs_each_answer_and_no_future_time(staff_client):
    expression = under_16()
    future = (timezone.localtime() + timezone.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    response = staff_client.post(record_url(expression), {
        "answer": "", "given_by": " ", "method": "phone", "at": future,
    })

    html = response.content.decode()
    assert response.status_code == 400
    assert "<title>Error:" in html
    assert "Choose whether they agree." in html
    assert "Enter the name of the parent or carer who answered." in html
    assert "When they answered cannot be in the future." in html
    expression.refresh_from_db()
    assert expression.parent_consent == ""


def test_a_programme_lead_cannot_record_consent_for_another_programme(client, django_user_model):
    from django.contrib.auth.models import Group

    lead = django_user_model.objects.create_user("lead", is_staff=True)
    lead.groups.add(Group.objects.get(name="Programme lead"))
    client.force_login(lead)
    expression = under_16()

    response = client.post(record_url(expression), {
        "answer": "confirmed", "given_by": "Mary", "method": "phone", "at": "2026-11-02T14:30",
    })

    assert response.status_code == 404
    assert ExpressionOfInterest.objects.get(pk=expression.pk).parent_consent == ""


def test_staff_resend_the_consent_email_from_the_change_page(
    staff_client, mailoutbox, django_capture_on_commit_callbacks
):
    expression = under_16()
    assert "Resend the consent email" in staff_client.get(change_url(expression)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(resend_url(expression), follow=True)

    assert "is on its way to mary@example.com" in response.content.decode()
    [message] = consent_emails(mailoutbox)
    opened = staff_client.get(link_in(message.body))
    assert "Do you agree to Aoife O&#x27;Brien getting involved?" in opened.content.decode()
    assert ExpressionOfInterest.objects.get(pk=expression.pk).parent_consent_requested_at


def test_the_resend_action_sends_only_to_those_still_waiting_with_an_address(
    staff_client, mailoutbox, django_capture_on_commit_callbacks
):
    waiting = under_16()
    answered = under_16(parent_consent="confirmed", parent_carer_contact="other@example.com")
    by_phone = under_16(parent_carer_contact="07700 900123")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse(CHANGELIST), {
            "action": "resend_parent_consent_email",
            "_selected_action": [waiting.pk, answered.pk, by_phone.pk],
        }, follow=True)

    assert [message.to for message in mailoutbox] == [["mary@example.com"]]
    html = response.content.decode()
    assert "Consent email resent to 1 parent(s) or carer(s)." in html
    assert "2 not sent" in html
    assert "already answered" in html
    assert "gave no email address: phone them on 07700 900123" in html


def test_the_changelist_shows_and_filters_by_consent(staff_client):
    waiting = under_16()
    confirmed = under_16(parent_consent="confirmed")
    refused = under_16(parent_consent="refused")
    adult = ExpressionOfInterestFactory()

    everyone = staff_client.get(reverse(CHANGELIST)).content.decode()
    assert everyone.count("Parent or carer consent: <strong") == 3

    def listed(state):
        response = staff_client.get(reverse(CHANGELIST), {"parent_consent": state})
        return {expression.pk for expression in response.context["cl"].result_list}

    assert listed("waiting") == {waiting.pk}
    assert listed("confirmed") == {confirmed.pk}
    assert listed("refused") == {refused.pk}
    assert adult.pk not in listed("waiting")


@pytest.mark.parametrize("rows", [1, 60])
def test_the_consent_column_and_filter_add_no_queries(
    staff_client, django_assert_max_num_queries, rows
):
    opportunity = OpportunityFactory()
    for n in range(rows):
        under_16(opportunity=opportunity, parent_consent=["", "confirmed", "refused"][n % 3])

    with django_assert_max_num_queries(8):
        response = staff_client.get(reverse(CHANGELIST), {"parent_consent": "waiting"})

    assert response.status_code == 200


# The young person's manage page ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({}, "We are waiting for Mary O&#x27;Brien to tell us they agree"),
        ({"parent_consent": "confirmed"}, "Mary O&#x27;Brien has agreed to you taking part."),
        ({"parent_consent": "refused"}, "Mary O&#x27;Brien has told us they do not agree"),
    ],
)
def test_the_manage_page_says_whether_their_parent_has_agreed(client, fields, says):
    expression = under_16(**fields)

    html = client.get(expression.manage_path()).content.decode()

    assert "<h2>Your parent or carer</h2>" in html
    assert says in html


def test_an_adults_manage_page_says_nothing_of_a_parent(client):
    html = client.get(ExpressionOfInterestFactory().manage_path()).content.decode()

    assert "Your parent or carer" not in html


# Subject access and erasure --------------------------------------------------------------------


def test_subject_access_includes_the_consent(staff_user):
    from applications.personal_data import subject_access_zip

    expression = under_16()
    expression.record_parent_consent(
        "confirmed", method="phone", given_by="Mary O'Brien", by=staff_user,
        note="Rang her at work.",
    )

    for address in ("aoife@example.com", "mary@example.com"):
        archive = zipfile.ZipFile(io.BytesIO(subject_access_zip(Person(address), by=staff_user)[0]))
        [row] = csv.DictReader(
            io.StringIO(archive.read("expressions_of_interest.csv").decode("utf-8-sig"))
        )
        assert row["parent_or_carer_consent"] == "Confirmed"
        assert row["parent_or_carer_consent_how"] == "By phone"
        assert row["parent_or_carer_consent_given_by"] == "Mary O'Brien"
        assert row["parent_or_carer_consent_recorded_by"] == "A member of the involvement team"
        assert row["parent_or_carer_consent_note"] == "Rang her at work."
        assert row["parent_or_carer_consent_when"]


def test_erasure_removes_the_consent(staff_user):
    expression = under_16(parent_consent_requested_at=timezone.now())
    expression.record_parent_consent(
        "refused", method="in_writing", given_by="Mary O'Brien", by=staff_user,
        note="Letter of 2 November.",
    )

    erase(Person("mary@example.com"), by=staff_user, reason="Asked by letter")

    expression.refresh_from_db()
    assert expression.anonymised_at is not None
    assert expression.parent_consent == ""
    assert expression.parent_consent_method == ""
    assert expression.parent_consent_at is None
    assert expression.parent_consent_given_by == ""
    assert expression.parent_consent_recorded_by is None
    assert expression.parent_consent_note == ""
    assert expression.parent_consent_requested_at is None
    assert expression.parent_consent_state is None
