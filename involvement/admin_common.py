"""What the portal's admin modules share: read-only records, and custom admin pages."""

from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse


class LabelledInputsMixin:
    """Gives a name to the inputs Django's admin draws with no label of their own, which a
    screen reader announces as an unnamed "edit text" (axe `label`, WCAG 4.1.2):

    - a date and time field's two boxes, labelled only by the words "Date:" and "Time:" beside
      them (one box also has the field's <label>);
    - every input of a tabular inline, whose only label is the column's heading;
    - the inputs a list edits in place (`list_editable`), which have none at all.

    Each gets the field's own label (`aria-label`), with "date" or "time" for the two boxes.
    For a ModelAdmin or an inline; put it before the Django class."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is None:
            return None
        label = str(formfield.label or db_field.verbose_name).capitalize()
        widget = formfield.widget
        if isinstance(widget, AdminSplitDateTime):
            for box, part in zip(widget.widgets, ("date", "time"), strict=True):
                box.attrs["aria-label"] = f"{label}: {part}"
        elif isinstance(self, admin.TabularInline) or db_field.name in getattr(
            self, "list_editable", ()
        ):
            widget.attrs.setdefault("aria-label", label)
        return formfield

    def get_formset(self, request, obj=None, **kwargs):
        """An inline's "Delete?" boxes, one a row, have only the column's heading too."""
        formset = super().get_formset(request, obj, **kwargs)

        class LabelledFormSet(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                if "DELETE" in form.fields:
                    form.fields["DELETE"].widget.attrs["aria-label"] = (
                        f"Delete {form.instance}" if form.instance.pk else "Delete"
                    )

        return LabelledFormSet


class ReadOnlyMixin:
    """For a ModelAdmin or inline showing records nobody edits (history, bookings, the record
    of personal data requests): they are made by the portal and kept as they were. Viewing
    stays with the usual view permission."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    """A table of records nobody edits, on another record's page. Each subclass names its
    columns in `fields`, and repeats them as `readonly_fields` (Django's checks need both)."""

    extra = 0
    can_delete = False
    empty_value_display = "–"


class ReadOnlyInlineFormSet(BaseInlineFormSet):
    """An inline that only lists rows: it never reads the POST, so saving the page does not
    need (or trust) anything from it, and forms posted without it still save."""

    def __init__(self, data=None, files=None, **kwargs):
        super().__init__(None, None, **kwargs)

    def is_valid(self):
        return True

    def save(self, commit=True):
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        self.save_m2m = lambda: None
        return []


def render_admin_page(request, template, context, *, model_admin=None, site=None, status=200):
    """A page of the admin's own that is not one of Django's (a confirmation, a report, a
    sign-in step), with what every admin page has: the site's context (its titles, the
    navigation, the user's permissions), links pointing at this site, and, for a page about a
    model's records, the model's `opts` (breadcrumbs) and its admin's media (styles)."""
    site = model_admin.admin_site if model_admin is not None else site
    page = {**site.each_context(request), "subtitle": None}
    if model_admin is not None:
        page.update(opts=model_admin.opts, media=model_admin.media)
    page.update(context)
    request.current_app = site.name
    return TemplateResponse(request, template, page, status=status)
