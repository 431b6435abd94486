"""What people send on the public forms, and how a form with a mistake comes back: shared by
the tests of each form.

The expression of interest is asked a question a page (applications.views.InterestWizard):
`send_interest` answers each page the server shows, as a person would, then sends it from
"Check your answers"."""

import re
import uuid

from django.urls import reverse

from applications.forms import CHECK_ANSWERS, INTEREST_STEPS

STEP_FIELDS = {step: list(form.base_fields) for step, form in INTEREST_STEPS}


def interest_answers(**overrides):
    """A filled-in expression of interest, as a browser sends its pages' answers. An
    override of None leaves that answer out. (The submission key is the server's own now: a
    value here is sent only by tests of the event registration form, which still has one.)"""
    data = {
        "full_name": "Siobhán O'Brien",
        "email": "siobhan@example.com",
        "phone": "",
        "preferred_contact": "email",
        "age_band": "25_64",
        "connections": ["patient"],
        "why_interested": "I was a patient on the children's ward with my son.",
        "privacy_consent": "on",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def interest_url(opportunity, step=None):
    if step is None:
        return reverse("applications:express_interest", args=[opportunity.slug])
    return reverse("applications:interest_step", args=[opportunity.slug, step])


def step_of(url):
    """The question page's name in its address, or None when it is not a question page."""
    match = re.search(r"/interest/([\w-]+)/(?:\?change)?$", url)
    return match and match.group(1) not in ("sent",) and match.group(1) or None


def page_answers(step, data):
    """What a browser sends from one question page: that page's answers from `data` (and
    its CSRF token, when `data` has one)."""
    return {
        name: data[name] for name in [*STEP_FIELDS[step], "csrfmiddlewaretoken"] if name in data
    }


def answer_questions(client, opportunity, data, **kwargs):
    """Start the form and answer each question page the server shows with `data`, until
    "Check your answers" (returns its GET response) or a page sent back with a mistake
    (returns that 400 response). `kwargs` go with each request (REMOTE_ADDR, say)."""
    # From the first page, as after "Tell us you are interested" (the start address carries
    # on where a person was, so it is not used here).
    url = interest_url(opportunity, INTEREST_STEPS[0][0])
    for _ in range(len(INTEREST_STEPS) + 2):
        step = step_of(url)
        assert step, url
        if step == CHECK_ANSWERS:
            return client.get(url, **kwargs)
        response = client.post(url, page_answers(step, data), **kwargs)
        if response.status_code != 302:
            return response
        url = response["Location"]
    raise AssertionError("the question pages went round in a circle")


def submission_key(page):
    """The hidden submission key on a "Check your answers" page."""
    html = page.content.decode()
    return re.search(r'name="submission_key" value="([^"]+)"', html).group(1)


def send_data(check_answers_page, data):
    """What "Send" posts from a "Check your answers" page, with `data`'s consent and box
    to leave empty (when given)."""
    sent = {"submission_key": submission_key(check_answers_page)}
    for name in ("privacy_consent", "website"):
        if name in data:
            sent[name] = data[name]
    return sent


def send_interest(client, opportunity, data=None, *, follow=False, **kwargs):
    """Answer every question page with `data` (interest_answers() if not given) and press
    "Send". Returns Send's response, or the question page that came back with a mistake."""
    data = interest_answers() if data is None else data
    page = answer_questions(client, opportunity, data, **kwargs)
    if step_of(page.request["PATH_INFO"]) != CHECK_ANSWERS:
        return page
    return client.post(
        interest_url(opportunity, CHECK_ANSWERS), send_data(page, data), follow=follow,
        **kwargs,
    )


def assert_sent_back(response, *, title, message, field, name_kept=True):
    """The form came back (400) to be put right: "Error:" before its title, an error summary
    whose message links to the field, and the name typed still in its box (when the page
    asks for it; on the other pages see `assert_page_sent_back`). Returns the page's HTML."""
    assert response.status_code == 400
    html = response.content.decode()
    assert f"<title>Error: {title}" in html
    assert 'class="nhsuk-error-summary"' in html
    assert message in html
    assert f'href="#id_{field}"' in html
    if name_kept and field != "full_name":
        assert 'value="Siobhán O&#x27;Brien"' in html
    return html
