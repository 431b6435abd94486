"""What people send on the public forms, and how a form with a mistake comes back: shared by
the tests of each form."""

import uuid


def interest_answers(**overrides):
    """A filled-in expression of interest form, as a browser sends it. An override of None
    leaves that answer out."""
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


def assert_sent_back(response, *, title, message, field):
    """The form came back (400) to be put right: "Error:" before its title, an error summary
    whose message links to the field, and the name typed still in its box (unless the name was
    the mistake). Returns the page's HTML."""
    assert response.status_code == 400
    html = response.content.decode()
    assert f"<title>Error: {title}" in html
    assert 'class="nhsuk-error-summary"' in html
    assert message in html
    assert f'href="#id_{field}"' in html
    if field != "full_name":
        assert 'value="Siobhán O&#x27;Brien"' in html
    return html
