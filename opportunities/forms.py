import re

from django import forms

from .models import Opportunity

SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,100}$")


def ticked(label, choices=()):
    """A filter of checkboxes: any number ticked, none needed."""
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class OpportunityFilterForm(forms.Form):
    """The list page's filters, read from the query string so every result page has a URL.

    Unknown values are dropped rather than shown as errors: a mistyped or outdated link still
    shows opportunities, never an error page. The one error shown is a search longer than the
    box takes: dropping it silently looked like a search that found everything.
    """

    q = forms.CharField(
        label="Search opportunities",
        required=False,
        max_length=200,
        strip=True,
        error_messages={"max_length": "Search must be 200 characters or fewer"},
    )
    kind = ticked("Type of involvement", Opportunity.Kind.choices)
    programme = ticked("Area of work")  # its choices are the programmes with open opportunities
    frequency = ticked("How often", Opportunity.Frequency.choices)
    where = ticked("Where", list(Opportunity.PLACES.items()))
    who = forms.ChoiceField(
        label="Who can join",
        choices=[
            ("", "Anyone"),
            (Opportunity.Audience.ADULTS.value, "Adults (18 and over)"),
            (Opportunity.Audience.YOUNG_PEOPLE.value, "Young people (under 18)"),
        ],
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, data=None, *, options):
        """`options`: what the filters can offer (OpportunityQuerySet.filter_options()). A
        type, schedule or place no open opportunity has is not shown, unless it is chosen
        (from an old link, say), so it can be unticked; it is still understood."""
        super().__init__(data)
        self.fields["programme"].choices = options["programme"]
        for name in ("kind", "frequency", "where"):
            chosen = set(self.data.getlist(name)) if self.data else set()
            offered = options[name] | chosen
            self.fields[name].widget.choices = [
                (value, label) for value, label in self.fields[name].choices if value in offered
            ]

    @classmethod
    def page_cache_query(cls, query):
        """The filters in `query` as the public page cache keys the list by (page_cache.py):
        each parameter the list understands, with only values that can be right, in a fixed
        order, so nothing else in an address can make another page to keep. A search is kept
        as typed (less the spaces around it); one longer than the box allows is not kept
        (None). Programmes are checked only for their form here: the view keeps out a page
        whose programme does not exist."""
        search = query.get("q", "").strip()
        if len(search) > cls.base_fields["q"].max_length:
            return None
        pairs = [("q", search)] if search else []
        for name in ("kind", "programme", "frequency", "where", "who"):
            field = cls.base_fields[name]
            allowed = {value for value, _ in field.choices if value} if field.choices else None
            for value in sorted(set(query.getlist(name))):
                if (value in allowed) if allowed is not None else SLUG.match(value):
                    pairs.append((name, value))
        page = query.get("page", "")
        if page.isascii() and page.isdigit() and 0 < int(page) < 10_000:
            pairs.append(("page", str(int(page))))
        return pairs

    def filter(self, queryset):
        """Apply the valid filters; ignore the invalid ones."""
        self.is_valid()  # fills cleaned_data with the fields that are valid
        data = self.cleaned_data
        if data.get("q"):
            queryset = queryset.search(data["q"])
        if data.get("kind"):
            queryset = queryset.filter(kind__in=data["kind"])
        if data.get("programme"):
            queryset = queryset.filter(programme__slug__in=data["programme"])
        if data.get("frequency"):
            queryset = queryset.filter(frequency__in=data["frequency"])
        if data.get("where"):
            queryset = queryset.where(data["where"])
        if data.get("who"):
            queryset = queryset.for_people(data["who"])
        return queryset

    def active_filters(self):
        """The chosen filters in words, each with a link that removes it."""
        self.is_valid()
        chosen = []
        for name in ("kind", "programme", "frequency", "where"):
            labels = dict(self.fields[name].choices)
            for value in self.cleaned_data.get(name) or []:
                chosen.append((name, value, labels[value]))
        who = self.cleaned_data.get("who")
        if who:
            chosen.append(("who", who, dict(self.fields["who"].choices)[who]))
        return chosen

    @property
    def search_error(self):
        """What is wrong with the search, if anything: the only error the page shows."""
        self.is_valid()
        errors = self.errors.get("q")
        return errors[0] if errors else None

    @property
    def has_filters(self):
        return bool(self.active_filters())


class ImpactFilterForm(forms.Form):
    """The "you said, we did" list's filters, from the query string. As on the opportunities
    list, unknown values are dropped, and the one error shown is an over-long search."""

    q = forms.CharField(
        label="Search what changed",
        required=False,
        max_length=200,
        strip=True,
        error_messages={"max_length": "Search must be 200 characters or fewer"},
    )
    programme = forms.ChoiceField(label="Area of work", required=False)
    status = forms.ChoiceField(label="Progress", required=False)
    year = forms.TypedChoiceField(label="Year", required=False, coerce=int, empty_value=None)

    def __init__(self, data, *, programmes, years):
        from .impact import ImpactRecord

        super().__init__(data)
        self.fields["programme"].choices = [("", "All areas"), *programmes]
        self.fields["status"].choices = [("", "Any"), *ImpactRecord.Status.choices]
        self.fields["year"].choices = [("", "Any year"), *[(year, year) for year in years]]

    def full_clean(self):
        super().full_clean()
        # A filter value that is not offered (an old link) is dropped, not shown as an error.
        for name in ("programme", "status", "year"):
            if name in self._errors:
                del self._errors[name]
                self.cleaned_data[name] = None
