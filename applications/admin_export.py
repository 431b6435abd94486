"""The CSV export of expressions of interest, for staff who work in Excel.

Kept apart from admin.py because it is about the spreadsheet (its columns, labels and safety),
not about the admin screens.
"""

import csv

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import capfirst

from involvement.formats import spreadsheet_time, staff_name
from involvement.security import current_admin_request, log_export

from .models import ExpressionOfInterest

# A spreadsheet treats a cell starting with one of these as a formula, so a person typing
# "=HYPERLINK(...)" into the public form could otherwise run it on a member of staff's computer.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """The cell as text, with a leading quote if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def choice_labels(values, choices):
    """The labels of a list of stored choice values, in the order the form lists them."""
    labels = dict(choices.choices)
    known = [choice.value for choice in choices if choice.value in values]
    unknown = [value for value in values if value not in labels]
    return [labels[value] for value in known] + unknown


def yes_no(value):
    return "Yes" if value else "No"


def _label(field_name):
    return capfirst(ExpressionOfInterest._meta.get_field(field_name).verbose_name)


def _answer(field_name):
    return (_label(field_name), lambda expression: getattr(expression, field_name))


def _choice(field_name):
    return (_label(field_name), lambda e: getattr(e, f"get_{field_name}_display")())


# (column heading, how to read it from an expression of interest), in the order staff read a
# record: who and what, then every answer the person gave, then how it is being handled.
COLUMNS = [
    ("Reference", lambda e: e.reference),
    ("Submitted", lambda e: spreadsheet_time(e.submitted_at)),
    ("Status", lambda e: e.get_status_display()),
    ("Opportunity", lambda e: e.opportunity.title),
    ("Programme", lambda e: e.opportunity.programme.name),
    ("Meeting", lambda e: str(e.meeting) if e.meeting_id else ""),
    _answer("full_name"),
    _answer("email"),
    _answer("phone"),
    _choice("preferred_contact"),
    _choice("age_band"),
    _answer("parent_carer_name"),
    _answer("parent_carer_contact"),
    (_label("parent_carer_confirmed"), lambda e: yes_no(e.parent_carer_confirmed)),
    (
        _label("connections"),
        lambda e: "; ".join(choice_labels(e.connections, ExpressionOfInterest.Connection)),
    ),
    ("Other connection", lambda e: e.connection_other),
    _answer("why_interested"),
    _answer("experience"),
    (
        _label("access_needs"),
        lambda e: "; ".join(choice_labels(e.access_needs, ExpressionOfInterest.AccessNeed)),
    ),
    _answer("access_needs_other"),
    _answer("availability"),
    ("Agreed to the privacy notice", lambda e: yes_no(e.privacy_consent)),
    ("Privacy notice version", lambda e: e.privacy_notice_version),
    ("First contacted", lambda e: spreadsheet_time(e.first_contacted_at)),
    ("Status changed", lambda e: spreadsheet_time(e.status_changed_at)),
    ("Why not progressed", lambda e: e.not_progressed_reason),
    ("Assigned to", lambda e: staff_name(e.assigned_to)),
]


def export_csv(queryset):
    """A CSV download of the expressions, UTF-8 with a byte order mark so Excel reads Siobhán."""
    filename = f"expressions-of-interest-{timezone.localdate():%Y-%m-%d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([heading for heading, _ in COLUMNS])
    rows = queryset.select_related("opportunity__programme", "meeting", "assigned_to")
    count = 0
    for expression in rows:
        writer.writerow([spreadsheet_safe(read(expression)) for _, read in COLUMNS])
        count += 1
    # The security log records who exported how many, and with which filters: never the rows.
    log_export(current_admin_request(), "expressions-of-interest", count)
    return response
