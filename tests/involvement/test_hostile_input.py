"""Hostile input on every public form and filter: never a 500, never an unescaped script,
nothing saved that should not be.

Payloads: a script tag, SQL metacharacters, a 1 MB answer, NUL bytes, invalid UTF-8 (in the
query string, the path and the form body), unexpected HTTP methods and missing CSRF tokens.
"""

import re
import uuid

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from applications.forms import CHECK_ANSWERS
from applications.models import ExpressionOfInterest
from opportunities.models import Opportunity
from tests.factories import ExpressionOfInterestFactory, OpportunityFactory
from tests.public_forms import answer_questions, send_data, send_interest
from tests.public_forms import interest_answers as answers

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
SQL_OR = "' OR 1=1 --"
SQL_DROP = '"; DROP TABLE applications_expressionofinterest; --'
NUL = "Siobhán\x00O'Brien"
ONE_MB = "x" * (1024 * 1024)
PAYLOADS = {"script": SCRIPT, "sql-or": SQL_OR, "sql-drop": SQL_DROP, "nul": NUL, "1mb": ONE_MB}
ESCAPED = {
    "script": ESCAPED_SCRIPT,
    "sql-or": "&#x27; OR 1=1 --",
    "sql-drop": "&quot;; DROP TABLE",
}


def form_url(opportunity, step="name"):
    """A question page of the interest form: the first unless said."""
    return reverse("applications:interest_step", args=[opportunity.slug, step])


# Answers that make a text box count: "other" boxes only when "Other" is chosen, the parent or
# carer's boxes only for an under-16.
NEEDS = {
    "connection_other": {"connections": ["patient", "other"]},
    "access_needs_other": {"access_needs": ["other"]},
    "parent_carer_name": {
        "age_band": "under_16", "parent_carer_contact": "parent@example.com",
        "parent_carer_confirmed": "on",
    },
    "parent_carer_contact": {
        "age_band": "under_16", "parent_carer_name": "Áine O'Brien",
        "parent_carer_confirmed": "on",
    },
}
FREE_TEXT = [
    "full_name", "connection_other", "why_interested", "experience", "access_needs_other",
    "availability", "parent_carer_name", "parent_carer_contact",
]
FORMATTED = ["email", "phone"]
CHOICES = ["preferred_contact", "age_band", "connections", "access_needs", "submission_key"]


def assert_safe(response):
    assert response.status_code < 500, response.status_code
    body = response.content.decode("utf-8", errors="replace")
    assert SCRIPT not in body
    assert "<script>alert" not in body.lower()
    return body


@pytest.fixture
def opportunity():
    # Everyone, so the form asks for a parent or carer too.
    return OpportunityFactory(
        title="Patient flow", slug="patient-flow", audience=Opportunity.Audience.EVERYONE
    )


# --- The interest form -------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("field", FREE_TEXT + FORMATTED + CHOICES + ["website"])
def test_the_interest_form_survives_hostile_answers(client, opportunity, field, payload):
    value = PAYLOADS[payload]
    data = answers(**NEEDS.get(field, {}))
    data[field] = [value] if field in ("connections", "access_needs") else value

    if field == "submission_key":
        # Not a question: the key is the server's, on "Check your answers". Any other key
        # is a page from before the answers changed, shown again as they are now.
        check = answer_questions(client, opportunity, data)
        response = client.post(form_url(opportunity, CHECK_ANSWERS),
                               {**send_data(check, data), "submission_key": value})
        assert_safe(response)
        assert response["Location"] == form_url(opportunity, CHECK_ANSWERS)
        assert not ExpressionOfInterest.objects.exists()
        return
    # Each answer on its question page, as a person would; the refused one comes back there.
    response = send_interest(client, opportunity, data)

    body = assert_safe(response)
    refused = (
        payload in ("nul", "1mb") or field in FORMATTED + CHOICES + ["website"]
    )
    if refused:
        assert response.status_code == 400
        assert not ExpressionOfInterest.objects.exists()
        if field != "website":  # the honeypot refuses before the form is checked
            assert response.context["form"].errors[field], field
        if payload in ESCAPED and field in FREE_TEXT + FORMATTED:
            # Shown again, so the person can correct it: escaped.
            assert ESCAPED[payload] in body
    else:
        # A script or SQL in a free-text answer is just text: kept exactly as written, never
        # run, and escaped wherever it is shown.
        assert response.status_code == 302, response.context["form"].errors
        saved = ExpressionOfInterest.objects.get()
        assert getattr(saved, field) == value


@pytest.mark.parametrize("field", FREE_TEXT + FORMATTED)
def test_nul_bytes_give_a_clear_error_not_a_crash(client, opportunity, field):
    data = answers(**NEEDS.get(field, {}))
    data[field] = NUL

    response = send_interest(client, opportunity, data)

    assert response.status_code == 400
    assert "Null characters are not allowed." in response.context["form"].errors[field]
    body = response.content.decode()
    assert 'class="nhsuk-error-summary' in body
    assert "Null characters are not allowed." in body
    assert not ExpressionOfInterest.objects.exists()


def test_a_one_megabyte_answer_is_refused_with_its_limit(client, opportunity):
    response = send_interest(client, opportunity, answers(why_interested=ONE_MB))

    assert response.status_code == 400
    [error] = response.context["form"].errors["why_interested"]
    assert error.endswith("must be 5,000 characters or fewer")
    assert error in response.content.decode()
    assert not ExpressionOfInterest.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"full_name=%FF%FE",
        b"full_name=\xff\xfe\xfd",
        b"why_interested=%C0%AF%ED%A0%80",  # overlong and surrogate encodings
        b"%FF%FE=value",
        b"\xff\xfe\x00\x01",
    ],
    ids=["percent-encoded", "raw", "overlong", "in-a-name", "no-fields"],
)
def test_invalid_utf8_in_the_form_body_is_not_a_crash(client, opportunity, body):
    # Sent from the page that asks why, whose answer is missing from every body but one.
    answer_questions(client, opportunity, answers(why_interested=""))
    valid = "&".join(
        f"{name}={value}"
        for name, value in [
            ("email", "siobhan%40example.com"), ("preferred_contact", "email"),
            ("age_band", "25_64"), ("connections", "patient"), ("privacy_consent", "on"),
            ("submission_key", str(uuid.uuid4())),
        ]
    ).encode()

    response = client.generic(
        "POST", form_url(opportunity, "why"), data=body + b"&" + valid,
        content_type="application/x-www-form-urlencoded",
    )

    assert_safe(response)
    # Undecodable bytes become U+FFFD: an answer, if an odd one, which "Check your answers"
    # would show them before anything is sent.
    assert response.status_code == (302 if body.startswith(b"why_interested") else 400)
    assert not ExpressionOfInterest.objects.exists()


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded; charset=no-such-charset",
        "application/x-www-form-urlencoded; charset=utf-16",
        "multipart/form-data; boundary=nothing-like-the-body",
        "multipart/form-data",
        "application/json",
        "text/plain",
    ],
)
def test_a_strange_body_is_not_a_crash(client, opportunity, content_type):
    answer_questions(client, opportunity, answers())
    response = client.generic(
        "POST", form_url(opportunity, "why"), data=b"full_name=\xff&why_interested=%00",
        content_type=content_type,
    )

    assert_safe(response)
    assert response.status_code == 400
    assert not ExpressionOfInterest.objects.exists()


def test_too_many_fields_or_too_big_a_body_is_a_400(client, opportunity):
    many = "&".join(f"f{i}=x" for i in range(2000)).encode()
    huge = b"why_interested=" + b"x" * (3 * 1024 * 1024)

    for body in (many, huge):
        response = client.generic(
            "POST", form_url(opportunity), data=body,
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 400
    assert not ExpressionOfInterest.objects.exists()


def test_a_saved_script_is_escaped_in_the_email_and_for_staff(
    client, opportunity, django_user_model, settings, django_capture_on_commit_callbacks
):
    # Whatever TASKS_BACKEND the environment sets, the emails are sent once the save commits.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        send_interest(client, opportunity, answers(full_name=SCRIPT, why_interested=SCRIPT))
    expression = ExpressionOfInterest.objects.get()
    assert expression.full_name == SCRIPT

    [confirmation] = [m for m in mail.outbox if m.to == ["siobhan@example.com"]]
    [(html, mimetype)] = confirmation.alternatives
    assert mimetype == "text/html"
    assert SCRIPT not in html
    assert f"Dear {ESCAPED_SCRIPT}," in html

    staff = django_user_model.objects.create_superuser(
        "staff", "staff@example.nhs.uk", "a-long-test-password"
    )
    client.force_login(staff)
    for url in [
        reverse("admin:applications_expressionofinterest_changelist"),
        reverse("admin:applications_expressionofinterest_changelist") + "?q=" + SCRIPT,
        reverse("admin:applications_expressionofinterest_change", args=[expression.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        body = assert_safe(response)
        assert ESCAPED_SCRIPT in body, url


# --- Manage my interest ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [SCRIPT, SQL_OR, SQL_DROP, NUL, "x" * 100_000, "%FF%FE", ".eJwrSS0u", "a:b:c"],
    ids=["script", "sql-or", "sql-drop", "nul", "long", "bad-utf8", "truncated", "colons"],
)
def test_a_hostile_manage_link_is_a_404(client, token):
    expression = ExpressionOfInterestFactory()
    url = "/interest/manage/" + token.replace("/", "%2F").replace("\x00", "%00") + "/"

    withdraw = url + "withdraw/"
    for response in (
        client.get(url), client.get(withdraw), client.post(withdraw, {"full_name": SCRIPT})
    ):
        assert_safe(response)
        assert response.status_code == 404

    expression.refresh_from_db()
    assert expression.status == ExpressionOfInterest.Status.NEW


def test_the_withdraw_post_ignores_whatever_else_is_sent(client):
    expression = ExpressionOfInterestFactory()

    response = client.generic(
        "POST", expression.withdraw_path(),
        data=b"status=joined&reference=%FF%00&" + SCRIPT.encode(),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 302
    expression.refresh_from_db()
    assert expression.status == ExpressionOfInterest.Status.WITHDRAWN


# --- The list's filters and search ------------------------------------------------------------


FILTERS = ["q", "kind", "programme", "frequency", "where", "who", "page"]


@pytest.fixture
def many_opportunities():
    # More than a page, so the pagination links (which carry the query string) are shown.
    return OpportunityFactory.create_batch(25, summary="Help us improve something.")


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("name", FILTERS)
def test_the_list_survives_hostile_filters(client, many_opportunities, name, payload):
    value = PAYLOADS[payload]

    response = client.get(reverse("opportunities:list"), {name: value})

    assert response.status_code == 200
    body = assert_safe(response)
    if name == "q" and payload in ESCAPED:
        assert ESCAPED[payload] in body  # shown back in the search box, escaped
    assert Opportunity.objects.count() == 25


@pytest.mark.parametrize(
    "query",
    [
        "q=%FF%FE", "kind=%C0%AF", "page=%FF", "%FF=%FE", "q=\xff\xfe", "q=%00",
        "page=99999999999999999999999", "page=-1", "page=1e9", "q=" + "%25" * 5000,
        "who=adults&who=" + SCRIPT, "where=on_site&where[]=x&programme=..%2F..%2F",
    ],
)
def test_invalid_utf8_and_odd_query_strings_are_not_a_crash(client, many_opportunities, query):
    for url in [
        reverse("opportunities:list"),
        reverse("opportunities:home"),
        form_url(many_opportunities[0]),
    ]:
        response = client.get(url, QUERY_STRING=query)
        assert response.status_code == 200, (url, query)
        assert_safe(response)


@pytest.mark.parametrize(
    "path",
    [
        "/opportunities/%FF%FE/", "/opportunities/%3Cscript%3Ealert(1)%3C%2Fscript%3E/",
        "/opportunities/%00/interest/", "/opportunities/x'%20OR%201=1%20--/",
        "/%FF/", "/interest/manage/%FF/",
    ],
)
def test_hostile_paths_are_a_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert_safe(response)


# --- Unexpected methods -----------------------------------------------------------------------


def public_urls():
    opportunity = Opportunity.objects.get(slug="patient-flow")
    expression = ExpressionOfInterestFactory(opportunity=opportunity)
    return {
        "home": reverse("opportunities:home"),
        "list": reverse("opportunities:list"),
        "detail": reverse("opportunities:detail", args=[opportunity.slug]),
        "interest": form_url(opportunity),
        "interest_sent": reverse("applications:interest_sent", args=[opportunity.slug]),
        "manage": expression.manage_path(),
        "lay_partners": reverse("opportunities:lay_partners"),
        "glossary": reverse("opportunities:glossary"),
        "privacy": reverse("privacy"),
        "accessibility": reverse("accessibility"),
        "healthz": reverse("healthz"),
        "robots": reverse("robots"),
        "sitemap": reverse("sitemap"),
    }


# Read-only pages whose views take any method (a PUT is answered like a GET). Not a crash, but
# not a 405 either: the fix is `@require_safe` on each view (see the report in the issue).
ANSWERS_ANY_METHOD = set()


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(
                strict=True,
                reason="the view takes any HTTP method: it needs @require_safe "
                "(django.views.decorators.http)",
            ),
        )
        if name in ANSWERS_ANY_METHOD
        else name
        for name in [
            "home", "list", "detail", "interest", "interest_sent", "manage", "lay_partners",
            "glossary", "privacy", "accessibility", "healthz", "robots", "sitemap",
        ]
    ],
)
def test_put_patch_and_delete_are_a_405(client, opportunity, name):
    url = public_urls()[name]

    for method in ("PUT", "PATCH", "DELETE"):
        response = client.generic(method, url, data=b"full_name=" + SCRIPT.encode())
        assert_safe(response)
        assert response.status_code == 405, (method, url, response.status_code)
    assert ExpressionOfInterest.objects.count() == 1  # only the one made for the manage link


@pytest.mark.parametrize("name", ["interest", "manage", "healthz", "home"])
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"])
def test_unexpected_methods_are_never_a_500(client, opportunity, name, method):
    response = client.generic(method, public_urls()[name], data=SCRIPT.encode())

    assert_safe(response)
    assert ExpressionOfInterest.objects.count() == 1


# --- Missing or wrong CSRF tokens -------------------------------------------------------------


def csrf_token_from(response):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[1]


def assert_expired_form_page(response):
    assert response.status_code == 403
    body = response.content.decode()
    assert body.count("<h1") == 1
    assert "Your form has expired" in body
    assert 'class="nhsuk-header' in body
    assert "CSRF" not in body  # says what happened in plain words, no jargon
    return body


def test_a_form_without_its_csrf_token_is_refused_on_an_nhs_page(opportunity):
    client = Client(enforce_csrf_checks=True)

    response = client.post(form_url(opportunity), answers())

    body = assert_expired_form_page(response)
    assert 'href="/opportunities/patient-flow/interest/name/"' in body
    assert not ExpressionOfInterest.objects.exists()


def test_a_wrong_csrf_token_is_refused(opportunity):
    client = Client(enforce_csrf_checks=True)
    client.get(form_url(opportunity))  # sets the CSRF cookie

    response = client.post(form_url(opportunity), answers(csrfmiddlewaretoken="x" * 64))

    assert_expired_form_page(response)
    assert not ExpressionOfInterest.objects.exists()


def test_the_token_from_the_form_works(opportunity):
    """The refusals above are about the token: with the form's own token, the form is sent."""
    client = Client(enforce_csrf_checks=True)
    token = csrf_token_from(client.get(form_url(opportunity)))

    response = client.post(form_url(opportunity), answers(csrfmiddlewaretoken=token))
    assert response.status_code == 302
    # ...and so are the pages after it, to "Send".
    check = answer_questions(client, opportunity, answers(csrfmiddlewaretoken=token))
    sent = client.post(form_url(opportunity, CHECK_ANSWERS),
                       {**send_data(check, answers()), "csrfmiddlewaretoken": token})

    assert sent.status_code == 302
    assert ExpressionOfInterest.objects.count() == 1


def test_a_withdrawal_without_its_csrf_token_is_refused():
    expression = ExpressionOfInterestFactory()
    client = Client(enforce_csrf_checks=True)

    response = client.post(expression.withdraw_path())

    assert_expired_form_page(response)
    expression.refresh_from_db()
    assert expression.status == ExpressionOfInterest.Status.NEW
