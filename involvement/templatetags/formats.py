"""The portal's date and time formats as template filters: `{% load formats %}`, then
`{{ expression.submitted_at|date_and_time }}`. The formats are in involvement/formats.py."""

from django import template

from involvement import formats

register = template.Library()

# Each writes in UK time itself, so none needs the template engine to convert its value first.
register.filter("short_date", formats.short_date)
register.filter("date_and_time", formats.date_and_time)
register.filter("day_date_and_time", formats.day_date_and_time)
register.filter("long_date", formats.long_date)
register.filter("long_day", formats.long_day)
register.filter("clock", formats.clock)
register.filter("uk_time", formats.uk_time)
register.filter("tel_href", formats.tel_href)
