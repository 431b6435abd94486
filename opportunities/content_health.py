"""Content health for editors: how hard each of an opportunity's public texts is to read, and
which glossary terms it uses (the public page explains those where they first appear).

The reading grade is the Flesch-Kincaid grade (textstat 0.7.4, which works offline): roughly
the years of school a reader needs. The trust writes for everyone, and NHS guidance aims for
a reading age of 9 to 11, so the goal is grade 8 or below. It is shown to editors, never
enforced: a short text with one long word can score high and still be clear.
"""

import re
from typing import NamedTuple

import textstat

from .glossary import Glossary

GOAL_GRADE = 8

# The texts the public read on an opportunity's page, in the order the admin shows them.
PUBLIC_TEXTS = [
    "summary", "description", "what_you_would_do", "preparation", "involvement_payment",
    "expenses",
]


class TextHealth(NamedTuple):
    label: str
    grade: float | None  # None: nothing written
    terms: list

    @property
    def above_goal(self):
        return self.grade is not None and self.grade > GOAL_GRADE


def as_sentences(text):
    """The text as a reader meets it: each paragraph line and each "- " bullet point is a
    sentence of its own, even without a full stop, so a list is not scored as one long
    sentence."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    sentences = []
    for line in lines:
        line = re.sub(r"^- ", "", line)
        sentences.append(line if line[-1] in ".!?:;" else f"{line}.")
    return " ".join(sentences)


def reading_grade(text):
    """The Flesch-Kincaid grade of the text, to one decimal place, or None if it is empty."""
    if not text or not text.strip():
        return None
    return round(textstat.flesch_kincaid_grade(as_sentences(text)), 1)


def content_health(opportunity, glossary_terms):
    """[TextHealth] for each of the opportunity's public texts. `glossary_terms` is the
    glossary (GlossaryTerm rows), read once for all of them."""
    terms = list(glossary_terms)
    report = []
    for name in PUBLIC_TEXTS:
        text = getattr(opportunity, name) or ""
        glossary = Glossary(terms)
        glossary.mention(text)
        label = opportunity._meta.get_field(name).verbose_name
        report.append(TextHealth(label[:1].upper() + label[1:], reading_grade(text),
                                 glossary.used_terms()))
    return report
