"""How the admin shows a person, a status and a list: the same wherever it shows them."""

from django.utils.html import format_html, format_html_join

from involvement.formats import numeric_date


def person_name(expression):
    """The person's name, or what became of it once their details were removed."""
    if expression.anonymised_at:
        return f"Details removed {numeric_date(expression.anonymised_at)}"
    return expression.full_name


def status_tag(expression):
    # The status is always written in the tag, so colour is never the only signal.
    return format_html(
        '<strong class="eoi-tag eoi-tag--{}">{}</strong>',
        expression.status_colour,
        expression.get_status_display(),
    )


# A parent's or carer's consent, as a tag; the state is always written in it too.
CONSENT_COLOURS = {"waiting": "yellow", "confirmed": "green", "refused": "red"}


def consent_tag(expression):
    """"Confirmed", "Waiting" or "Refused" for an under-16; "" for anyone else."""
    state = expression.parent_consent_state
    if state is None:
        return ""
    return format_html(
        '<strong class="eoi-tag eoi-tag--{}">{}</strong>', CONSENT_COLOURS[state], state.label
    )


def bulleted(items):
    if not items:
        return "None given"
    return format_html("<ul class=\"eoi-list\">{}</ul>", format_html_join("", "<li>{}</li>", (
        (item,) for item in items
    )))

