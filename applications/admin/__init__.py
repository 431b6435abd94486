"""The admin the involvement team and programme leads work in all day, a module a concern:

expressions.py    ExpressionOfInterestAdmin: who sees what, the changelist, the change page
actions.py        what staff do to the ticked expressions (assign, move, invite, export)
views.py          the expression admin's own pages: move, invite, record a booking, the
                  "assigned to" autocomplete, the equality monitoring report
forms.py          the forms those use, and the staff picker
filters.py        the changelist's filters
inlines.py        what the change page lists: meeting bookings, staff notes, history
display.py        how a person, a status and a list are shown
personal_data.py  subject access, erasure, their record, and who viewed which expression
preferences.py    each member of staff's choice of emails about the work (and the daily digest)
opportunities.py  the opportunities admin's pages, with this app's rows added to them
register.py       a meeting's register: who is coming and their access needs, attendance
                  for everyone at once, an email to everyone booked, the attendee list
alerts.py         how many people get alerts about new opportunities, and what they chose
claims.py         claims for payments and expenses: the list, deciding, receipts, and
                  the monthly file for payroll

Django's admin autodiscovery imports this package; importing the modules registers their
admins.
"""

from . import alerts, claims, opportunities, personal_data, preferences  # noqa: F401  (they register admins)
from .expressions import ExpressionOfInterestAdmin

__all__ = ["ExpressionOfInterestAdmin"]
