"""The project's "nhsuk" crispy-forms template pack renders NHS.UK frontend markup.

Reference markup is the fixture HTML shipped with nhsuk-frontend
(node_modules/nhsuk-frontend/dist/nhsuk/components/<name>/fixtures.json). Each comparison
takes a fixture's html, substitutes the ids, names and texts that necessarily differ from
the Django form (asserting every substituted string is really in the fixture), and
compares the two structurally with django.test.html.parse_html (attribute order, class
order and whitespace between tags do not matter; everything else does).

Over 600 lines because it checks each NHS.UK component the pack renders against its
fixture, one short test each.
"""

import json
import re
from pathlib import Path

import pytest
from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from crispy_forms.utils import render_crispy_form
from django import forms
from django.conf import settings
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test.html import Element, RootElement, parse_html
from django.utils.safestring import mark_safe

from involvement.crispy_nhsuk import NHSField, NHSFieldset

COMPONENTS = Path(settings.BASE_DIR) / "node_modules/nhsuk-frontend/dist/nhsuk/components"

# The NHS number hint of the input "with hint" fixtures; deliberate HTML, so the form
# marks it safe (the pack itself never does).
NHS_NUMBER_HINT = (
    'This is a 10 digit number (like <span class="nhsuk-u-nowrap">999 123 4567</span>) '
    "that you can find on an NHS letter, prescription or in the NHS App"
)
RADIO_CHOICES = [("email", "Email"), ("phone", "Phone"), ("text", "Text message")]
CHECKBOX_CHOICES = [("email", "Email"), ("phone", "Phone"), ("text message", "Text message")]
SORT_CHOICES = [
    ("published", "Recently published"),
    ("updated", "Recently updated"),
    ("views", "Most views"),
    ("comments", "Most comments"),
]


class VolunteerForm(forms.Form):
    full_name = forms.CharField(
        label="What is your full name?", error_messages={"required": "Enter your full name"}
    )
    nhs_number = forms.CharField(
        label="What is your NHS number?",
        help_text=mark_safe(NHS_NUMBER_HINT),
        error_messages={"required": "Enter NHS number"},
        widget=forms.TextInput(
            attrs={
                "class": "nhsuk-input--code nhsuk-input--width-10",
                "spellcheck": "false",
                "inputmode": "numeric",
            }
        ),
    )
    email = forms.EmailField(
        label="Email address",
        error_messages={"required": "Enter your email address"},
        widget=forms.EmailInput(
            attrs={
                "class": "nhsuk-u-width-two-thirds",
                "spellcheck": "false",
                "autocomplete": "email",
            }
        ),
    )
    detail = forms.CharField(
        label="Can you provide more detail?",
        help_text="Do not include personal information like your name, date of birth or NHS number",
        error_messages={"required": "You must provide an explanation"},
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    contact = forms.ChoiceField(
        label="How do you want to be contacted about this?",
        choices=RADIO_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how you want to be contacted"},
    )
    contact_methods = forms.MultipleChoiceField(
        label="How do you want to be contacted about this?",
        help_text="Select all options that are relevant to you",
        choices=CHECKBOX_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select how you want to be contacted"},
    )
    agree = forms.BooleanField(
        label="I agree to the privacy notice",
        error_messages={"required": "Confirm that you agree to the privacy notice"},
    )
    sort = forms.ChoiceField(label="Sort by", choices=SORT_CHOICES)


VALID_DATA = {
    "full_name": "Ada Lovelace",
    "nhs_number": "9991234567",
    "email": "ada@example.com",
    "detail": "I use the outpatient clinic.",
    "contact": "phone",
    "contact_methods": ["email", "text message"],
    "agree": "on",
    "sort": "views",
}


def bound(*missing, **changes):
    """A bound VolunteerForm: valid data, minus the `missing` fields, with `changes`."""
    data = {name: value for name, value in VALID_DATA.items() if name not in missing}
    data.update(changes)
    return VolunteerForm(data=data)


# --- fixtures and comparison -----------------------------------------------------------


def fixture(component, name, where=None):
    entries = json.loads((COMPONENTS / component / "fixtures.json").read_text())["fixtures"]
    matches = [
        entry
        for entry in entries
        if entry["name"] == name
        and not entry["context"].get("small")
        and (where is None or where(entry["context"]))
    ]
    assert len(matches) == 1, f"expected one {component} fixture {name!r}, found {len(matches)}"
    return matches[0]


def expected_html(component, name, replacements=(), where=None):
    """The fixture's html with each (old, new) substituted; every `old` must be there."""
    html = fixture(component, name, where)["html"]
    for old, new in replacements:
        assert old in html, f"{old!r} is not in the {component} fixture {name!r}"
        html = html.replace(old, new)
    return html


def assert_same_html(rendered, expected):
    actual, reference = parse_html(rendered), parse_html(expected)
    assert actual == reference, f"\nrendered:\n{actual}\n\nNHS.UK fixture:\n{reference}"


def legend_size(size):
    return lambda context: (
        isinstance(context["fieldset"]["legend"], dict)
        and context["fieldset"]["legend"].get("size") == size
        and "id" not in context["fieldset"]["legend"]
    )


# The pack's default legend is small ("s"); the "without heading" fixtures set no size.
LEGEND_S = (
    'class="nhsuk-fieldset__legend"',
    'class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s"',
)


# --- rendering -------------------------------------------------------------------------


def render_field(form, name):
    """One field as the pack renders it by default ({{ form|crispy }} does the same)."""
    template = Template("{% load crispy_forms_filters %}{{ field|as_crispy_field }}")
    return template.render(Context({"field": form[name]}))


def render_layout(form, *layout):
    """{% crispy form %} with a layout and no form tag, CSRF token or error summary."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.show_error_summary = False
    helper.layout = Layout(*layout)
    return render_crispy_form(form, helper)


def render_crispy_filter(form):
    return Template("{% load crispy_forms_tags %}{{ form|crispy }}").render(Context({"form": form}))


def elements(html, tag=None, **attrs):
    """Elements of the parsed html, optionally with this tag and these exact attributes."""
    found = []

    def walk(node):
        if not isinstance(node, Element):
            return
        attributes = dict(node.attributes)
        if (
            not isinstance(node, RootElement)
            and (tag is None or node.name == tag)
            and all(attributes.get(key.replace("_", "-")) == value for key, value in attrs.items())
        ):
            found.append(node)
        for child in node.children:
            walk(child)

    walk(parse_html(html))
    return found


def element(html, tag=None, **attrs):
    found = elements(html, tag, **attrs)
    assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)} in:\n{html}"
    return found[0]


def attributes(node):
    return dict(node.attributes)


def classes(node):
    return attributes(node).get("class", "").split()


def text(node):
    return " ".join(
        child if isinstance(child, str) else text(child) for child in node.children
    ).strip()


# --- text inputs and textareas ---------------------------------------------------------


def test_text_input_as_page_heading_matches_the_input_default_fixture():
    rendered = render_layout(VolunteerForm(), NHSField("full_name", size="l", heading=True))

    assert_same_html(
        rendered,
        expected_html(
            "input",
            "default",
            [
                ('for="example"', 'for="id_full_name"'),
                ('id="example"', 'id="id_full_name"'),
                ('name="example"', 'name="full_name"'),
            ],
        ),
    )


def test_email_input_keeps_its_attrs_and_matches_the_email_address_fixture():
    rendered = render_field(VolunteerForm(), "email")

    assert_same_html(
        rendered,
        expected_html(
            "input",
            "example email address",
            [
                ('for="contact-by-email"', 'for="id_email"'),
                ('id="contact-by-email"', 'id="id_email"'),
                ('name="contact-by-email"', 'name="email"'),
                # An EmailField: type="email", Django's maxlength (EmailField's default
                # max_length) and the widget's own autocomplete are all kept.
                ('type="text"', 'type="email" autocomplete="email" maxlength="320"'),
            ],
        ),
    )


def test_input_with_hint_matches_the_input_with_hint_fixture():
    rendered = render_layout(VolunteerForm(), NHSField("nhs_number", size="l", heading=True))

    assert_same_html(
        rendered,
        expected_html(
            "input",
            "with hint",
            [("with-hint", "id_nhs_number"), ('name="example"', 'name="nhs_number"')],
        ),
    )


def test_input_with_error_message_matches_the_input_with_error_message_fixture():
    form = bound("nhs_number")
    form.fields["nhs_number"].help_text = ""

    rendered = render_layout(form, NHSField("nhs_number", size="l", heading=True))

    assert_same_html(
        rendered,
        expected_html(
            "input",
            "with error message",
            [("with-error-message", "id_nhs_number"), ('name="example"', 'name="nhs_number"')],
        ),
    )


def test_input_with_error_and_hint_matches_the_fixture_without_heading():
    rendered = render_field(bound("nhs_number"), "nhs_number")

    assert_same_html(
        rendered,
        expected_html(
            "input",
            "with error message and hint, without heading",
            [("with-hint-error", "id_nhs_number"), ('name="example"', 'name="nhs_number"')],
        ),
    )


def test_textarea_with_hint_matches_the_textarea_default_fixture():
    rendered = render_layout(VolunteerForm(), NHSField("detail", size="l", heading=True))

    assert_same_html(
        rendered,
        expected_html(
            "textarea",
            "default",
            [
                ("example-hint", "id_detail-hint"),
                ('for="example"', 'for="id_detail"'),
                ('id="example"', 'id="id_detail"'),
                ('name="example"', 'name="detail"'),
            ],
        ),
    )


def test_textarea_with_error_message_matches_the_textarea_with_error_message_fixture():
    form = bound("detail")
    form.fields["detail"].help_text = ""

    rendered = render_layout(form, NHSField("detail", size="l", heading=True))

    assert_same_html(
        rendered,
        expected_html(
            "textarea",
            "with error message",
            [("with-error-message", "id_detail"), ('name="example"', 'name="detail"')],
        ),
    )


def test_textarea_with_error_and_hint_matches_the_fixture_without_heading():
    rendered = render_field(bound("detail"), "detail")

    assert_same_html(
        rendered,
        expected_html(
            "textarea",
            "with error message and hint, without heading",
            [("with-hint-error", "id_detail"), ('name="example"', 'name="detail"')],
        ),
    )


def test_select_as_page_heading_matches_the_select_default_fixture():
    rendered = render_layout(VolunteerForm(), NHSField("sort", size="l", heading=True))

    assert_same_html(
        rendered,
        expected_html(
            "select",
            "default",
            [
                ('for="example"', 'for="id_sort"'),
                ('id="example"', 'id="id_sort"'),
                ('name="example"', 'name="sort"'),
            ],
        ),
    )


# --- radios and checkboxes -------------------------------------------------------------


def test_radios_match_the_radios_fixture_with_a_small_legend():
    rendered = render_field(VolunteerForm(), "contact")

    assert_same_html(
        rendered,
        expected_html(
            "radios",
            "legend",
            [("custom-size", "id_contact"), ('name="example"', 'name="contact"')],
            where=legend_size("s"),
        ),
    )


def test_radios_as_page_heading_match_the_radios_default_fixture():
    rendered = render_layout(VolunteerForm(), NHSField("contact", heading=True))

    assert_same_html(
        rendered,
        expected_html(
            "radios",
            "default",
            [('name="example"', 'name="contact"'), ("example", "id_contact")],
        ),
    )


def test_radios_with_error_and_hint_match_the_fixture_without_heading():
    form = bound("contact")
    form.fields["contact"].help_text = "Select 1 option"

    rendered = render_field(form, "contact")

    assert_same_html(
        rendered,
        expected_html(
            "radios",
            "with error message and hint, without heading",
            [("with-hint-error", "id_contact"), ('name="example"', 'name="contact"'), LEGEND_S],
        ),
    )


def test_checkboxes_match_the_checkboxes_fixture_with_a_small_legend():
    rendered = render_field(VolunteerForm(), "contact_methods")

    assert_same_html(
        rendered,
        expected_html(
            "checkboxes",
            "legend",
            [("custom-size", "id_contact_methods"), ('name="example"', 'name="contact_methods"')],
            where=legend_size("s"),
        ),
    )


def test_checkboxes_as_page_heading_match_the_checkboxes_default_fixture():
    rendered = render_layout(VolunteerForm(), NHSField("contact_methods", heading=True))

    assert_same_html(
        rendered,
        expected_html(
            "checkboxes",
            "default",
            [
                ('name="example"', 'name="contact_methods"'),
                ("example", "id_contact_methods"),
                # This form's third value is the one the other checkboxes fixtures use.
                ('value="text"', 'value="text message"'),
            ],
        ),
    )


def test_checkboxes_with_error_and_hint_match_the_fixture_without_heading():
    rendered = render_field(bound("contact_methods"), "contact_methods")

    assert_same_html(
        rendered,
        expected_html(
            "checkboxes",
            "with error message and hint, without heading",
            [
                ("with-hint-error", "id_contact_methods"),
                ('name="example"', 'name="contact_methods"'),
                LEGEND_S,
            ],
        ),
    )


def test_single_checkbox_matches_the_checkboxes_without_fieldset_fixture_with_one_item():
    html = fixture("checkboxes", "without fieldset")["html"]
    # Keep the fixture's first item only: cut from the second item to the end of the third.
    second_item = html.index('<div class="nhsuk-checkboxes__item">', html.index('value="red"'))
    end_of_third_item = html.index("</div>", html.index('value="blue"')) + len("</div>")
    html = html[:second_item] + html[end_of_third_item:]
    for old, new in [
        ('id="without-fieldset"', 'id="id_agree"'),
        ('for="without-fieldset"', 'for="id_agree"'),
        ('name="colours"', 'name="agree"'),
        # A Django CheckboxInput sends the browser's default "on".
        (' value="red"', ""),
        ("Red", "I agree to the privacy notice"),
    ]:
        assert old in html
        html = html.replace(old, new)

    assert_same_html(render_field(VolunteerForm(), "agree"), html)


def test_single_checkbox_with_error_links_its_message_and_keeps_the_tick():
    unticked = render_field(bound("agree"), "agree")

    group = parse_html(unticked)
    assert classes(group) == ["nhsuk-form-group", "nhsuk-form-group--error"]
    message = element(unticked, "span", id="id_agree-error")
    assert text(message) == "Error: Confirm that you agree to the privacy notice"
    checkbox = element(unticked, "input", id="id_agree")
    assert attributes(checkbox)["aria-describedby"] == "id_agree-error"
    assert "checked" not in attributes(checkbox)

    # Re-shown because another answer is wrong: the tick is still there.
    ticked = render_field(bound("full_name"), "agree")
    assert "checked" in attributes(element(ticked, "input", id="id_agree"))
    assert "nhsuk-form-group--error" not in classes(parse_html(ticked))


# --- a bound form with errors ----------------------------------------------------------


def test_fields_with_errors_get_error_classes_messages_and_describedby():
    form = bound("nhs_number", "detail", "contact", "contact_methods", "sort")
    html = render_crispy_filter(form)

    nhs_number = element(html, "input", id="id_nhs_number")
    assert "nhsuk-input--error" in classes(nhs_number)
    assert attributes(nhs_number)["aria-describedby"] == "id_nhs_number-hint id_nhs_number-error"
    assert text(element(html, "span", id="id_nhs_number-error")) == "Error: Enter NHS number"
    # As in the fixture, the space after "Error:" is inside the visually hidden span.
    assert '<span class="nhsuk-u-visually-hidden">Error: </span>Enter NHS number' in html

    detail = element(html, "textarea", id="id_detail")
    assert "nhsuk-textarea--error" in classes(detail)
    assert attributes(detail)["aria-describedby"] == "id_detail-hint id_detail-error"

    select = element(html, "select", id="id_sort")
    assert "nhsuk-select--error" in classes(select)
    assert attributes(select)["aria-describedby"] == "id_sort-error"

    checkboxes = element(
        html, "fieldset", aria_describedby="id_contact_methods-hint id_contact_methods-error"
    )
    assert text(checkboxes.children[0]) == "How do you want to be contacted about this?"
    assert elements(html, "fieldset", aria_describedby="id_contact-error")

    groups = [node for node in elements(html, "div") if "nhsuk-form-group" in classes(node)]
    in_error = [node for node in groups if "nhsuk-form-group--error" in classes(node)]
    assert len(groups) == 8
    assert len(in_error) == 5

    # A field without errors has no error markup.
    full_name = element(html, "input", id="id_full_name")
    assert "nhsuk-input--error" not in classes(full_name)
    assert "aria-describedby" not in attributes(full_name)
    assert not elements(html, "span", id="id_full_name-error")


def test_answers_are_kept_when_the_form_is_shown_again_with_errors():
    form = bound("full_name", email="not an email")
    html = render_crispy_filter(form)

    assert not form.is_valid()
    email = element(html, "input", id="id_email")
    assert attributes(email)["value"] == "not an email"
    assert "nhsuk-input--error" in classes(email)
    assert attributes(element(html, "input", id="id_nhs_number"))["value"] == "9991234567"
    assert text(element(html, "textarea", id="id_detail")) == "I use the outpatient clinic."

    radios = {
        attributes(node)["value"]: attributes(node)
        for node in elements(html, "input", type="radio")
    }
    assert [value for value, attrs in radios.items() if "checked" in attrs] == ["phone"]

    ticked = [
        attributes(node)["value"]
        for node in elements(html, "input", type="checkbox", name="contact_methods")
        if "checked" in attributes(node)
    ]
    assert ticked == ["email", "text message"]

    selected = [text(node) for node in elements(html, "option") if "selected" in attributes(node)]
    assert selected == ["Most views"]
    assert "checked" in attributes(element(html, "input", id="id_agree"))


def test_first_radio_and_checkbox_take_the_field_id_the_others_are_numbered():
    html = render_crispy_filter(VolunteerForm())

    radio_ids = [attributes(node)["id"] for node in elements(html, "input", type="radio")]
    assert radio_ids == ["id_contact", "id_contact-2", "id_contact-3"]
    labels = [
        attributes(node)["for"]
        for node in elements(html, "label")
        if "nhsuk-radios__label" in classes(node)
    ]
    assert labels == radio_ids
    checkbox_ids = [
        attributes(node)["id"] for node in elements(html, "input", name="contact_methods")
    ]
    assert checkbox_ids == ["id_contact_methods", "id_contact_methods-2", "id_contact_methods-3"]


def test_html5_required_and_django_aria_attributes_are_left_out():
    form = bound("full_name", "contact")
    html = render_crispy_filter(form)

    assert form.fields["full_name"].required
    controls = [node for node in elements(html) if node.name in ("input", "textarea", "select")]
    assert len(controls) == 12  # 4 text controls, 3 radios, 4 checkboxes, 1 select
    for control in controls:
        names = attributes(control)
        assert "required" not in names
        assert "aria-invalid" not in names
        assert "cols" not in names
        assert "_helptext" not in names.get("aria-describedby", "")


# --- error summary ---------------------------------------------------------------------


def test_error_summary_matches_the_error_summary_default_fixture():
    rendered = render_to_string("includes/error_summary.html", {"form": bound("full_name")})

    assert_same_html(
        rendered,
        expected_html(
            "error-summary",
            "default",
            [
                ('href="#example-day"', 'href="#id_full_name"'),
                ("Date of birth must be in the past", "Enter your full name"),
            ],
        ),
    )


def test_error_summary_with_two_errors_matches_the_multiple_errors_fixture():
    rendered = render_to_string(
        "includes/error_summary.html", {"form": bound("full_name", "nhs_number")}
    )

    assert_same_html(
        rendered,
        expected_html(
            "error-summary",
            "with multiple errors",
            [
                ('href="#example-first-name"', 'href="#id_full_name"'),
                ("Enter your first name", "Enter your full name"),
                ('href="#example-last-name"', 'href="#id_nhs_number"'),
                ("Enter your last name", "Enter NHS number"),
            ],
        ),
    )


def test_non_field_error_is_listed_without_a_link_as_in_the_fixture():
    form = bound()
    assert form.is_valid()
    form.add_error(None, "Invalid username or password")

    rendered = render_to_string("includes/error_summary.html", {"form": form})

    assert_same_html(rendered, expected_html("error-summary", "without error link"))


def test_error_summary_links_every_field_error_in_field_order_to_a_real_control():
    form = VolunteerForm(data={})
    html = render_crispy_filter(form)

    summary = element(html, "div", data_module="nhsuk-error-summary")
    links = [attributes(node)["href"] for node in elements(str(summary), "a")]
    assert links == [
        "#id_full_name",
        "#id_nhs_number",
        "#id_email",
        "#id_detail",
        "#id_contact",
        "#id_contact_methods",
        "#id_agree",
        "#id_sort",
    ]
    messages = [text(node) for node in elements(str(summary), "a")]
    assert messages[:2] == ["Enter your full name", "Enter NHS number"]
    # Each link lands on a control: an input, textarea or select with that id.
    ids = {
        attributes(node).get("id")
        for node in elements(html)
        if node.name in ("input", "textarea", "select")
    }
    assert {link[1:] for link in links} <= ids
    # The summary comes before the first question.
    assert html.index("nhsuk-error-summary") < html.index("nhsuk-form-group")


def test_there_is_no_error_summary_without_errors():
    assert "nhsuk-error-summary" not in render_crispy_filter(VolunteerForm())
    valid = bound()
    assert valid.is_valid()
    assert "nhsuk-error-summary" not in render_crispy_filter(valid)
    assert render_to_string("includes/error_summary.html", {"form": valid}).strip() == ""
    assert "nhsuk-error-message" not in render_crispy_filter(valid)


@pytest.mark.parametrize("with_layout", [False, True], ids=["fields", "layout"])
def test_helper_can_leave_the_error_summary_to_the_page(with_layout):
    form = bound("full_name")
    # FormHelper(form) builds a layout of every field (display_form's layout branch).
    form.helper = FormHelper(form) if with_layout else FormHelper()
    form.helper.form_tag = False

    assert len(elements(render_crispy_form(form), "div", data_module="nhsuk-error-summary")) == 1

    form.helper.show_error_summary = False
    without = render_crispy_form(form)
    assert "nhsuk-error-summary" not in without
    # The inline error is still shown next to the question.
    assert element(without, "span", id="id_full_name-error")


# --- escaping --------------------------------------------------------------------------


def test_user_input_labels_hints_and_errors_are_escaped():
    form = bound(full_name='"><script>alert(1)</script>', contact="<script>alert(2)</script>")
    form.fields["email"].label = "<b>Email</b>"
    form.fields["email"].help_text = "<i>We will not share it</i>"

    html = render_crispy_filter(form)

    assert "<script>" not in html
    assert not elements(html, "script")
    assert not elements(html, "b")
    assert not elements(html, "i")
    assert attributes(element(html, "input", id="id_full_name"))["value"] == (
        '"><script>alert(1)</script>'
    )
    assert "&lt;b&gt;Email&lt;/b&gt;" in html
    assert "&lt;i&gt;We will not share it&lt;/i&gt;" in html
    # Django's invalid-choice message quotes the submitted value: it is shown as text,
    # escaped, both next to the radios and in the error summary.
    assert text(element(html, "span", id="id_contact-error")) == (
        "Error: Select a valid choice. <script>alert(2)</script> is not one of the available"
        " choices."
    )
    assert html.count("&lt;script&gt;alert(2)&lt;/script&gt;") == 2


# --- the whole form, buttons, fieldsets ------------------------------------------------


def test_submit_is_an_nhs_button_matching_the_button_default_fixture():
    rendered = render_to_string(
        "nhsuk/layout/baseinput.html", {"input": Submit("submit", "Save and continue")}
    )

    assert_same_html(
        rendered,
        expected_html(
            "button",
            "default",
            [
                # crispy's Submit posts its name and value, and has an id.
                (
                    'type="submit"',
                    'type="submit" name="submit" value="Save and continue" id="submit-id-submit"',
                ),
            ],
        ),
    )


def test_crispy_tag_renders_form_csrf_summary_fields_and_button_in_order():
    form = bound("full_name")
    form.helper = FormHelper()
    form.helper.add_input(
        Submit("submit", "Save and continue", css_class="nhsuk-button--secondary")
    )

    html = render_crispy_form(form, context={"csrf_token": "token123"})

    form_element = element(html, "form")
    assert attributes(form_element)["method"] == "post"
    assert "novalidate" in attributes(form_element)
    assert attributes(element(html, "input", name="csrfmiddlewaretoken"))["value"] == "token123"
    button = element(html, "button")
    assert classes(button) == ["nhsuk-button", "nhsuk-button--secondary"]
    assert attributes(button)["data-module"] == "nhsuk-button"
    assert "btn" not in html
    order = [
        html.index(marker) for marker in ("nhsuk-error-summary", 'id="id_full_name"', "<button")
    ]
    assert order == sorted(order)


def test_nhs_fieldset_as_page_heading_matches_the_fieldset_default_fixture():
    rendered = render_layout(VolunteerForm(), NHSFieldset("What is your address?", heading=True))

    assert_same_html(rendered, expected_html("fieldset", "default"))


def test_crispy_fieldset_groups_questions_under_a_medium_legend():
    rendered = render_layout(VolunteerForm(), Fieldset("Your details", "full_name", "email"))

    fieldset = parse_html(rendered)
    assert fieldset.name == "fieldset"
    assert classes(fieldset) == ["nhsuk-fieldset"]
    legend = fieldset.children[0]
    assert classes(legend) == ["nhsuk-fieldset__legend", "nhsuk-fieldset__legend--m"]
    assert text(legend) == "Your details"
    assert [attributes(node)["id"] for node in elements(rendered, "input")] == [
        "id_full_name",
        "id_email",
    ]


def test_nhs_field_rejects_an_unknown_size():
    with pytest.raises(ValueError, match="size must be one of"):
        NHSField("full_name", size="huge")


@pytest.mark.parametrize("name", list(VolunteerForm.base_fields))
def test_every_field_is_in_one_nhs_form_group(name):
    html = render_field(VolunteerForm(), name)

    group = parse_html(html)
    assert group.name == "div"
    assert classes(group) == ["nhsuk-form-group"]
    assert re.search(rf'name="{name}"', html)


def test_crispy_inline_radios_become_nhs_inline_radios():
    rendered = render_layout(VolunteerForm(), InlineRadios("contact"))

    radios = element(rendered, "div", data_module="nhsuk-radios")
    assert classes(radios) == ["nhsuk-radios", "nhsuk-radios--inline"]
    assert len(elements(rendered, "input", type="radio")) == 3
