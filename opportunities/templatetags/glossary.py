"""Explain glossary terms in a template, in the order the page is read: `{% load glossary %}`,
then `{{ opportunity.summary|explain:glossary }}` (links a term's first use on the page) or
`{{ opportunity.title|mention:glossary }}` (for text inside a link), where `glossary` is the
page's `Glossary`. Without one they only escape, so an include works on any page."""

from django import template
from django.utils.html import conditional_escape

register = template.Library()


@register.filter
def explain(text, glossary):
    if not glossary:
        return conditional_escape(text)
    return glossary.explain_inline(str(text))


@register.filter
def mention(text, glossary):
    if not glossary:
        return conditional_escape(text)
    return glossary.mention(str(text))
