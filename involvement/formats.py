"""How the portal writes dates, times and the names of staff: each format once.

Every function takes an aware datetime (or None where it says so) and writes it in UK time, so a
page, an email and a spreadsheet say the same moment the same way, whatever the server's clock
or the active time zone. Templates use the same functions as filters (`{% load formats %}`,
involvement/templatetags/formats.py).

Three audiences, three styles:
- the public and their emails, in the NHS style: "Tuesday 9 March 2027, 10am to 1pm";
- staff in the admin, short and scannable: "9 Mar 2027, 10:00", with "–" for no value;
- spreadsheets, as Excel reads them: "09/03/2027 10:00", empty for no value.
"""

import datetime
import re
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.formats import date_format

UK_TIME = ZoneInfo("Europe/London")

# What the admin shows where there is no date (or no name) to show.
NOTHING = "–"


def uk(moment):
    return timezone.localtime(moment, UK_TIME)


# For the public and their emails (NHS style) ---------------------------------------------------


def clock(moment):
    """'10am', '10:30am', 'midday': the NHS style for times."""
    moment = uk(moment)
    if moment.hour == 12 and moment.minute == 0:
        return "midday"
    if moment.hour == 0 and moment.minute == 0:
        return "midnight"
    hour = moment.hour % 12 or 12
    minutes = f":{moment:%M}" if moment.minute else ""
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"


def long_date(value):
    """'9 March 2027', for a date or a moment (its day in the UK); '' for none."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = uk(value)
    return f"{value.day} {value:%B %Y}"


def long_day(moment):
    """'Tuesday 9 March 2027'."""
    moment = uk(moment)
    return f"{moment:%A} {long_date(moment)}"


def time_span(start, end):
    """'Tuesday 9 March 2027, 10am to 1pm'; the day again when it ends on another day."""
    if uk(start).date() == uk(end).date():
        return f"{long_day(start)}, {clock(start)} to {clock(end)}"
    return f"{long_day(start)}, {clock(start)} to {long_day(end)}, {clock(end)}"


def uk_time(moment):
    """'14 November 2026 at 2:05pm', as the emails to staff write when something came in."""
    local = uk(moment)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{long_date(local)} at {hour}:{local:%M}{suffix}"


def days_from_today(days):
    """The date `days` days after today in the UK."""
    return uk(timezone.now()).date() + datetime.timedelta(days=days)


# For staff, in the admin ---------------------------------------------------------------------


def short_date(value):
    """'9 Mar 2027', or '–' for none."""
    return date_format(uk(value), "j M Y") if value else NOTHING


def date_and_time(value):
    """'9 Mar 2027, 10:00', or '–' for none."""
    return date_format(uk(value), "j M Y, H:i") if value else NOTHING


def day_date_and_time(value):
    """'Tue 9 Mar 2027, 10:00', or '–' for none: where the day of the week helps (meetings)."""
    return date_format(uk(value), "D j M Y, H:i") if value else NOTHING


def time_range(start, end):
    """'Tue 9 Mar 2027, 10:00 to 13:00'; the day again when it ends on another day."""
    ends = date_format(uk(end), "H:i") if uk(start).date() == uk(end).date() else (
        day_date_and_time(end)
    )
    return f"{day_date_and_time(start)} to {ends}"


def numeric_date(value):
    """'09/03/2027'."""
    return f"{uk(value):%d/%m/%Y}"


def record_time(value):
    """'09 Mar 2027 10:00': how a record names itself (`__str__`) in lists and messages."""
    return f"{uk(value):%d %b %Y %H:%M}"


def staff_name(user):
    """A member of staff as others see them: their full name, or their username; '' for none."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# For spreadsheets ----------------------------------------------------------------------------


def spreadsheet_time(value):
    """'09/03/2027 10:00', or '' for none."""
    return f"{uk(value):%d/%m/%Y %H:%M}" if value else ""


def tel_href(number):
    """A phone number as a `tel:` link's target: its digits, and a leading + if it has one.
    "020 3312 5259" becomes "02033125259" and "+44 (0)20 3312 5259" "+442033125259": the
    "(0)" is how people write it, not a digit to dial from abroad."""
    number = (number or "").strip().replace("(0)", "")
    digits = re.sub(r"\D", "", number)
    return f"+{digits}" if number.startswith("+") else digits


def pounds_and_pence(amount):
    """£12.50, £1,200.00: money claimed or paid, always with its pence, as on a payslip."""
    return f"£{amount:,.2f}"
