"""Spreadsheets of what the portal holds: the staff export of expressions of interest (the admin's
CSV action) and the files of a subject access request (personal_data.py) both come from here.

- Every cell goes through `spreadsheet_safe`, so nothing a person typed runs as a formula.
- An expression of interest's facts are each read once (`FACTS`); the staff export and the
  subject access file list which they show, in their own order and under their own headings.
- CSV files are UTF-8 with a byte order mark, so Excel shows names such as Siobhán correctly.
"""

import csv

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import capfirst

from involvement.formats import spreadsheet_time, staff_name
from involvement.security import log_export

from .models import ExpressionOfInterest

# A spreadsheet treats a cell starting with one of these as a formula, so a person typing
# "=HYPERLINK(...)" into the public form could otherwise run it on a member of staff's computer.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

BYTE_ORDER_MARK = "\ufeff"


def spreadsheet_safe(value):
    """The cell as text, with a leading quote if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def yes_no(value):
    return "Yes" if value else "No"


def write_csv(file, headings, rows):
    """Write a heading row, then each row's cells made safe. Returns how many rows."""
    writer = csv.writer(file)
    writer.writerow(headings)
    count = 0
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
        count += 1
    return count


# An expression of interest ------------------------------------------------------------------

# Each fact a spreadsheet may show about an expression of interest, and how it reads.
FACTS = {
    "reference": lambda e: e.reference,
    "submitted": lambda e: spreadsheet_time(e.submitted_at),
    "status": lambda e: e.get_status_display(),
    "opportunity": lambda e: e.opportunity.title,
    "programme": lambda e: e.opportunity.programme.name,
    "meeting": lambda e: str(e.meeting) if e.meeting_id else "",
    "full_name": lambda e: e.full_name,
    "email": lambda e: e.email,
    "phone": lambda e: e.phone,
    "preferred_contact": lambda e: e.get_preferred_contact_display(),
    "age_band": lambda e: e.get_age_band_display(),
    "parent_carer_name": lambda e: e.parent_carer_name,
    "parent_carer_contact": lambda e: e.parent_carer_contact,
    "parent_carer_confirmed": lambda e: yes_no(e.parent_carer_confirmed),
    "parent_consent": lambda e: (
        e.parent_consent_state.label if e.parent_consent_state else ""
    ),
    "parent_consent_method": lambda e: e.get_parent_consent_method_display(),
    "parent_consent_at": lambda e: spreadsheet_time(e.parent_consent_at),
    "parent_consent_given_by": lambda e: e.parent_consent_given_by,
    # Staff are named by role only: their names are their own personal data.
    "parent_consent_recorded_by": lambda e: (
        "A member of the involvement team" if e.parent_consent_recorded_by_id else ""
    ),
    "parent_consent_note": lambda e: e.parent_consent_note,
    "parent_consent_requested": lambda e: spreadsheet_time(e.parent_consent_requested_at),
    "connections": lambda e: "; ".join(e.connection_labels()),
    "connection_other": lambda e: e.connection_other,
    "why_interested": lambda e: e.why_interested,
    "experience": lambda e: e.experience,
    "access_needs": lambda e: "; ".join(e.access_need_labels()),
    "access_needs_other": lambda e: e.access_needs_other,
    "availability": lambda e: e.availability,
    "privacy_consent": lambda e: yes_no(e.privacy_consent),
    "hears_about_impact": lambda e: yes_no(e.hears_about_impact),
    "privacy_notice_version": lambda e: e.privacy_notice_version,
    "first_contacted": lambda e: spreadsheet_time(e.first_contacted_at),
    "status_changed": lambda e: spreadsheet_time(e.status_changed_at),
    "not_progressed_reason": lambda e: e.not_progressed_reason,
    "assigned_to": lambda e: staff_name(e.assigned_to),
}


def _label(field_name):
    """The model field's own name for it, as the admin shows it."""
    return capfirst(ExpressionOfInterest._meta.get_field(field_name).verbose_name)


def _labelled(*field_names):
    return [(_label(name), name) for name in field_names]


# The staff export: (column heading, fact), in the order staff read a record: who and what, then
# every answer the person gave, then how it is being handled.
STAFF_EXPORT = [
    ("Reference", "reference"),
    ("Submitted", "submitted"),
    ("Status", "status"),
    ("Opportunity", "opportunity"),
    ("Programme", "programme"),
    ("Meeting", "meeting"),
    *_labelled(
        "full_name", "email", "phone", "preferred_contact", "age_band", "parent_carer_name",
        "parent_carer_contact", "parent_carer_confirmed", "connections",
    ),
    ("Other connection", "connection_other"),
    *_labelled(
        "why_interested", "experience", "access_needs", "access_needs_other", "availability",
    ),
    ("Agreed to the privacy notice", "privacy_consent"),
    ("Privacy notice version", "privacy_notice_version"),
    ("First contacted", "first_contacted"),
    ("Status changed", "status_changed"),
    ("Why not progressed", "not_progressed_reason"),
    ("Assigned to", "assigned_to"),
]

# A subject access request's expressions_of_interest.csv: (column, fact), in words the person
# reads about themselves. "about" says whether the record is theirs or names them as parent or
# carer; it is not a fact of the record alone (see `subject_access_row`).
SUBJECT_ACCESS = [
    ("reference", "reference"),
    ("about", None),
    ("opportunity", "opportunity"),
    ("meeting", "meeting"),
    ("full_name", "full_name"),
    ("email", "email"),
    ("phone", "phone"),
    ("preferred_contact", "preferred_contact"),
    ("age_band", "age_band"),
    ("parent_or_carer_name", "parent_carer_name"),
    ("parent_or_carer_contact", "parent_carer_contact"),
    ("parent_or_carer_agreed", "parent_carer_confirmed"),
    ("parent_or_carer_consent", "parent_consent"),
    ("parent_or_carer_consent_email_sent", "parent_consent_requested"),
    ("parent_or_carer_consent_how", "parent_consent_method"),
    ("parent_or_carer_consent_when", "parent_consent_at"),
    ("parent_or_carer_consent_given_by", "parent_consent_given_by"),
    ("parent_or_carer_consent_recorded_by", "parent_consent_recorded_by"),
    ("parent_or_carer_consent_note", "parent_consent_note"),
    ("connection_to_the_trust", "connections"),
    ("connection_other", "connection_other"),
    ("why_interested", "why_interested"),
    ("relevant_experience", "experience"),
    ("access_needs", "access_needs"),
    ("other_access_needs", "access_needs_other"),
    ("when_you_can_attend", "availability"),
    ("agreed_to_privacy_notice", "privacy_consent"),
    ("emailed_about_what_involvement_changed", "hears_about_impact"),
    ("privacy_notice_version", "privacy_notice_version"),
    ("status", "status"),
    ("reason_not_progressed", "not_progressed_reason"),
    ("sent", "submitted"),
    ("first_contacted", "first_contacted"),
    ("status_changed", "status_changed"),
]


def subject_access_row(expression, email):
    """The expression as the person asking (by `email`) gets it: {column: value}."""
    about = (
        "you" if expression.email.lower() == email.lower() else "you, as parent or carer"
    )
    return {
        column: about if fact is None else FACTS[fact](expression)
        for column, fact in SUBJECT_ACCESS
    }


def export_csv(queryset, request):
    """The staff export of these expressions of interest, as a CSV download for the member of
    staff making `request`, who is named in the security log."""
    filename = f"expressions-of-interest-{timezone.localdate():%Y-%m-%d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write(BYTE_ORDER_MARK)
    expressions = queryset.select_related("opportunity__programme", "meeting", "assigned_to")
    count = write_csv(
        response,
        [heading for heading, _ in STAFF_EXPORT],
        ([FACTS[fact](expression) for _, fact in STAFF_EXPORT] for expression in expressions),
    )
    # The security log records who exported how many, and with which filters: never the rows.
    log_export(request, "expressions-of-interest", count)
    return response
