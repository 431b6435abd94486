"""The small, safe text format staff write the privacy notice in.

    ## A heading

    A paragraph. Its lines are joined into one, so staff can wrap them as they like.
    Email involvement@example.nhs.uk and it becomes a link.

    - a bullet
    - another bullet

Blank lines separate paragraphs; a line starting "## " is a heading (<h2>: the page's title is
the only <h1>); lines starting "- " make a bulleted list. Nothing else is markup: every character
staff type is escaped, so a notice can never carry HTML or a script, whatever is pasted into it.
"""

import re

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

# Deliberately simple: enough for the addresses a notice gives (a team, a data protection
# officer), not every address RFC 5322 allows. \w includes letters of any script.
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

HEADING = "## "
BULLET = "- "


def to_html(text):
    """The notice's text as HTML: headings, paragraphs and bulleted lists, all else escaped."""
    html = []
    kind, run = None, []  # the paragraph ("p") or list ("ul") being gathered, and its lines

    def finish(kind, run):
        if kind == "p":
            html.append(f"<p>{_inline(' '.join(run))}</p>")
        elif kind == "ul":
            items = "".join(f"<li>{_inline(item)}</li>" for item in run)
            html.append(f'<ul class="nhsuk-list nhsuk-list--bullet">{items}</ul>')

    for line in (text or "").splitlines():
        line = line.strip()
        if line.startswith(HEADING):
            line_kind, content = "h2", line[len(HEADING):].strip()
        elif line.startswith(BULLET):
            line_kind, content = "ul", line[len(BULLET):].strip()
        elif line:
            line_kind, content = "p", line
        else:
            line_kind, content = None, ""  # a blank line ends whatever came before
        if line_kind != kind or line_kind == "h2":
            finish(kind, run)
            kind, run = line_kind, []
        if line_kind == "h2":
            html.append(f"<h2>{_inline(content)}</h2>")
            kind = None
        elif line_kind:
            run.append(content)
    finish(kind, run)
    return mark_safe("\n".join(html))


def _inline(text):
    """One line of text, escaped, with its email addresses as mailto: links."""
    parts, start = [], 0
    for match in EMAIL.finditer(text):
        parts.append(escape(text[start:match.start()]))
        address = match.group(0)
        parts.append(format_html('<a href="mailto:{}">{}</a>', address, address))
        start = match.end()
    parts.append(escape(text[start:]))
    return "".join(parts)
