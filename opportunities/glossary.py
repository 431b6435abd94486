"""Explain the trust's terms and acronyms wherever they appear in public text.

Staff write opportunity text as plain text (blank lines between paragraphs, '- ' for bullets).
`Glossary.render()` turns it into HTML and links the first use of each glossary term on the
page to its meaning, so nobody has to know what "QI" or "board round" means already. The terms
come from the GlossaryTerm table: adding a term in the admin explains it everywhere.

Pages built from many short texts (the home page, the lists, the events) explain them in their
templates, in reading order, with the `explain` and `mention` filters (templatetags/glossary.py)
and one `Glossary` for the page; each page ends with the words it used
(opportunities/includes/words_on_this_page.html), as an opportunity's page does.
"""

import re

from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from .models import GlossaryTerm


class Glossary:
    def __init__(self, terms):
        self.terms = list(terms)
        self._by_form = {}
        forms = {}
        for term in self.terms:
            for form in term.forms:
                self._by_form.setdefault(self._key(form), term)
                forms.setdefault(self._key(form), form)
        self._pattern = None
        if forms:
            # Acronyms (QI, IT) match only in capitals, so "it" and "qi" in ordinary words are
            # left alone; phrases ("board round") match in any case. Longest first, so
            # "iQI Sprint" wins over "iQI".
            ordered = sorted(forms.values(), key=len, reverse=True)
            alternatives = [self._regex_for(form) for form in ordered]
            self._pattern = re.compile(r"(?<![\w-])(" + "|".join(alternatives) + r")(?![\w-])")
        self.used = {}
        self.mentioned = {}

    @classmethod
    def load(cls):
        return cls(GlossaryTerm.objects.all())

    @staticmethod
    def _is_acronym(form):
        return form.upper() == form and any(c.isalpha() for c in form)

    def _key(self, form):
        return form if self._is_acronym(form) else form.lower()

    def _regex_for(self, form):
        escaped = re.escape(escape(form))
        return escaped if self._is_acronym(form) else f"(?i:{escaped})"

    def _lookup(self, matched):
        return self._by_form.get(matched) or self._by_form.get(matched.lower())

    def _explain(self, match):
        term = self._lookup(match.group(0))
        if term is None or term.pk in self.used:
            return match.group(0)
        self.used[term.pk] = term
        return format_html(
            '<a class="app-glossary-term" href="{}#{}">{}</a>',
            reverse("opportunities:glossary"),
            term.slug,
            mark_safe(match.group(0)),  # already escaped: the text was escaped before matching
        )

    def explain_inline(self, text):
        """Escape a line of plain text and link the first use of each term on the page."""
        escaped = escape(text)
        if self._pattern is None:
            return mark_safe(escaped)
        return mark_safe(self._pattern.sub(self._explain, escaped))

    def mention(self, text):
        """Escape text that is itself a link (a title in a card), where a second link cannot go.

        Its terms are listed with the words the page used (`used_terms`), and are still linked
        where they next appear in plain text.
        """
        escaped = escape(text)
        if self._pattern is not None:
            for match in self._pattern.finditer(escaped):
                term = self._lookup(match.group(0))
                if term is not None:
                    self.mentioned.setdefault(term.pk, term)
        return mark_safe(escaped)

    def render(self, text):
        """Plain text to paragraphs and bullet lists, with terms explained."""
        blocks = []
        for block in re.split(r"\n\s*\n", text.strip()):
            lines = [line.strip() for line in block.splitlines() if line.strip()]
            if not lines:
                continue
            paragraph, bullets = [], []
            html = []
            for line in lines:
                if line.startswith("- "):
                    if paragraph:
                        html.append(self._paragraph(paragraph))
                        paragraph = []
                    bullets.append(line[2:])
                else:
                    if bullets:
                        html.append(self._bullets(bullets))
                        bullets = []
                    paragraph.append(line)
            if paragraph:
                html.append(self._paragraph(paragraph))
            if bullets:
                html.append(self._bullets(bullets))
            blocks.extend(html)
        return mark_safe("\n".join(blocks))

    def _paragraph(self, lines):
        return f"<p>{self.explain_inline(' '.join(lines))}</p>"

    def _bullets(self, items):
        rendered = "".join(f"<li>{self.explain_inline(item)}</li>" for item in items)
        return f'<ul class="nhsuk-list nhsuk-list--bullet">{rendered}</ul>'

    def used_terms(self):
        terms = {**self.mentioned, **self.used}
        return sorted(terms.values(), key=lambda term: term.term.lower())
