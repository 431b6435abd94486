"""`{% public_form form %}`: `{% crispy form %}` for the public forms, built once while empty.

Why: bench/profile.py showed crispy-forms' rendering of the NHS.UK fields is most of the form
page's time, many times its SQL. An empty form is the same for everyone who opens it apart from
its `submission_key`, so it is rendered once per form and opportunity (or meeting), kept with
the public pages (involvement/page_cache.py, so it is forgotten when staff change the
opportunity, its meetings or their places) and the key is put in on the way out. A form with
answers or errors in it is always rendered for its person.
"""

from crispy_forms.utils import render_crispy_form
from django import template
from django.utils.safestring import mark_safe

from involvement.page_cache import cached_fragment

register = template.Library()

# Stands in for the person's own submission_key in the kept HTML: a UUID no real key will be.
PLACEHOLDER = "00000000-0000-4000-8000-5e1f5e1f5e1f"


@register.simple_tag(takes_context=True)
def public_form(context, form):
    variant = getattr(form, "cache_variant", None)
    if form.is_bound or variant is None:
        return render_crispy_form(form, context=context.flatten())
    key = str(form["submission_key"].value())

    def build():
        html = render_crispy_form(form, context=context.flatten())
        if html.count(key) != 1:
            # Somewhere else the key could appear would not be put back: never keep such a form.
            raise ValueError(f"the submission_key appears {html.count(key)} times in the form")
        return html.replace(key, PLACEHOLDER)

    return mark_safe(cached_fragment(f"form:{variant()}", build).replace(PLACEHOLDER, key))
