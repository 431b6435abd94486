"""Layout objects for the project's "nhsuk" crispy-forms template pack.

The pack itself is templates only (``templates/nhsuk/``); plain ``"field_name"`` strings,
``crispy_forms.layout.Fieldset`` and ``Submit`` work as they are. These two objects only
add the NHS.UK label / legend options that crispy's own objects have no place for:

* ``NHSField("name", size="l", heading=True)``: label (or legend, for radios and
  checkboxes) size ``"s" | "m" | "l" | "xl"``; ``heading=True`` wraps it in an ``h1``
  (one question per page, the label is the page heading).
* ``NHSFieldset("Legend", "field", ..., legend_size="m", heading=False)``.

The same sizes can be set for every field of a form on the helper:
``helper.label_size = "m"`` / ``helper.legend_size = "m"``.
"""

from crispy_forms import layout
from crispy_forms.utils import TEMPLATE_PACK

SIZES = ("s", "m", "l", "xl")


def _check_size(size):
    if size is not None and size not in SIZES:
        raise ValueError(f"size must be one of {SIZES} or None, not {size!r}")
    return size


class NHSField(layout.Field):
    """A field with NHS.UK label / legend options (see module docstring)."""

    def __init__(self, *fields, size=None, heading=False, **kwargs):
        super().__init__(*fields, **kwargs)
        self.size = _check_size(size)
        self.heading = heading

    def render(self, form, context, template_pack=TEMPLATE_PACK, extra_context=None, **kwargs):
        extra_context = dict(extra_context or {})
        if self.size:
            extra_context["label_size"] = self.size
            extra_context["legend_size"] = self.size
        if self.heading:
            extra_context["label_is_heading"] = True
        return super().render(
            form, context, template_pack=template_pack, extra_context=extra_context, **kwargs
        )


class NHSFieldset(layout.Fieldset):
    """A fieldset grouping several questions, with an NHS.UK legend size / heading."""

    def __init__(self, legend, *fields, legend_size=None, heading=False, **kwargs):
        super().__init__(legend, *fields, **kwargs)
        self.legend_size = _check_size(legend_size)
        self.heading = heading
