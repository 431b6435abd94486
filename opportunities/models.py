"""What people can join: programmes, opportunities, their meetings, and the glossary.

Counts this app shows but does not hold
---------------------------------------
Opportunity and meeting pages show counts of rows that belong to the app built on this one
(applications): the places taken at a meeting and the people waiting for one (Booking rows), and
the lay partners who joined through the portal (ExpressionOfInterest rows). Only applications
knows which of its rows count (which booking statuses hold a place, which status means
"joined"), and opportunities never imports applications: the dependency runs one way, from
applications to here. So applications tells this module how to count, once, when Django starts
(`ApplicationsConfig.ready()` calls `count_with()` with an aggregate for each count), and the
QuerySets here annotate with whatever was registered: `MeetingQuerySet.with_places()`,
`OpportunityQuerySet.with_lay_partner_counts()`. With nothing registered, every count is 0.
"""

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import SearchQueryField, SearchRank, SearchVector
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import BooleanField, F, Func, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from involvement.formats import record_time, time_span

# The counts other apps register (see the module docstring): annotation name -> aggregate.
COUNTS = ("taken_count", "waiting_count", "joined_count")
_counted = {}


def count_with(**aggregates):
    """Register how to count places taken (`taken_count`) and people waiting (`waiting_count`)
    at a meeting, and lay partners joined through the portal (`joined_count`) on an
    opportunity: one aggregate expression each, over the registering app's relation."""
    unknown = set(aggregates) - set(COUNTS)
    if unknown:
        raise ValueError(f"Nothing here counts {sorted(unknown)}: only {COUNTS}.")
    _counted.update(aggregates)


def counted(name):
    """The aggregate registered for `name`, or 0 for every row while nothing is registered."""
    return _counted.get(name, models.Value(0))


def count_one(queryset, name):
    """A registered count for the one row of `queryset`, in one query."""
    if name not in _counted:
        return 0
    return queryset.aggregate(count=_counted[name])["count"]


class Programme(models.Model):
    """A strand of the trust's work that opportunities belong to."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.CharField(
        max_length=300, help_text="One plain-English sentence shown under the programme name."
    )
    description = models.TextField(blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    is_key = models.BooleanField(
        "key programme",
        default=False,
        help_text="Key projects and programmes aim for two lay partners each.",
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Lower numbers are listed first."
    )
    leads = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="led_programmes",
        verbose_name="programme leads",
        help_text="Staff in the 'Programme lead' group see and act on this programme's "
        "expressions of interest.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Site(models.Model):
    """One of the trust's hospitals or other places where meetings and events are held.

    A trust has several: an opportunity or a meeting names its site, so nobody is left to
    guess which hospital "at the hospital" meant. Without a site, pages say the place is to be
    confirmed."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    address = models.TextField(help_text="The postal address, one line per line.")
    directions = models.TextField(
        "map and directions",
        blank=True,
        help_text="Optional: how to get there, where to go once inside, or a link to a map.",
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Lower numbers are listed first."
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    @property
    def address_lines(self):
        return [line.strip() for line in self.address.splitlines() if line.strip()]


SEARCH_CONFIG = "english"


def search_words(text):
    """Text as searches and synonyms compare it: lower case, one kind of apostrophe, and only
    the characters words are made of ("a&e", "children's"), single spaces between words."""
    text = text.lower().replace("\u2019", "'")
    return " ".join(re.sub(r"[^\w&'-]+", " ", text).split())


def _query_with_synonyms(text):
    """A tsquery: the text as typed (web search syntax: "quotes", or, -not) OR the text with
    each synonym found in it replaced by each of the trust's words for it, one at a time
    ("kids art": kids art, or children art). Built in SQL from the SearchSynonym table, so
    the list page reads the synonyms in its own query."""
    padded = f" {search_words(text)} "
    table = SearchSynonym._meta.db_table
    sql = (
        "(websearch_to_tsquery(%s::regconfig, %s) || COALESCE(("
        "SELECT websearch_to_tsquery(%s::regconfig, string_agg("
        "replace(%s, ' ' || s.term || ' ', ' ' || trim(alternative) || ' '), ' or '))"
        f' FROM "{table}" s, unnest(string_to_array(s.words, \',\')) AS alternative'
        " WHERE strpos(%s, ' ' || s.term || ' ') > 0 AND trim(alternative) <> ''"
        "), ''::tsquery))"
    )
    return RawSQL(
        sql, (SEARCH_CONFIG, text, SEARCH_CONFIG, padded, padded),
        output_field=SearchQueryField(),
    )


class OpportunityQuerySet(models.QuerySet):
    def open(self):
        """Open to expressions of interest today: published and not past its closing date."""
        today = timezone.localdate()
        return self.filter(status=Opportunity.Status.OPEN).filter(
            Q(closing_date__isnull=True) | Q(closing_date__gte=today)
        )

    def open_to_public(self, now=None):
        """Open these opportunities, as the admin's "open" action does: each one not open
        already is marked as opened now (`opened_at`), for the alerts to people who asked to
        hear about new ones. Returns how many were opened. (`update()` sends no signals: the
        caller forgets the stored public pages.)"""
        return self.exclude(status=Opportunity.Status.OPEN).update(
            status=Opportunity.Status.OPEN, opened_at=now or timezone.now()
        )

    def public(self):
        """What the public may see: open ones and closed ones (which say they are closed)."""
        return self.exclude(status=Opportunity.Status.DRAFT)

    def visible_to(self, user):
        """Staff can preview drafts on the public page; everyone else sees public ones."""
        if user.is_authenticated and user.is_staff:
            return self.all()
        return self.public()

    def filter_options(self):
        """What the list's filters can offer, in one query: the programmes these opportunities
        belong to, as (slug, name) in the programmes' order, and the types, schedules ("how
        often") and places ("where") at least one of them has. A choice nobody can match
        (no opportunity is online, say) is not worth offering."""
        counts = {f"kind_{value}": models.Count("pk", filter=Q(kind=value))
                  for value in Opportunity.Kind.values}
        counts.update({f"frequency_{value}": models.Count("pk", filter=Q(frequency=value))
                       for value in Opportunity.Frequency.values})
        counts.update({f"where_{place}": models.Count("pk", filter=Q(**{place: True}))
                       for place in Opportunity.PLACES})
        rows = list(
            self.order_by("programme__position", "programme__name")
            .values("programme__slug", "programme__name", "programme__position")
            .annotate(**counts)
        )
        options = {"programme": [(row["programme__slug"], row["programme__name"]) for row in rows]}
        for name in counts:
            field, value = name.split("_", 1)
            if any(row[name] for row in rows):
                options.setdefault(field, set()).add(value)
        for field in ("kind", "frequency", "where"):
            options.setdefault(field, set())
        return options

    def with_lay_partner_counts(self):
        """Annotate how many people have joined through the portal, for `lay_partners_filled`."""
        return self.annotate(joined_count=counted("joined_count"))

    def needing_lay_partners(self):
        """Lay partner roles below their target. A role whose lay partners in post the trust
        has not counted counts as still needing them until those who joined here meet it."""
        return (
            self.with_lay_partner_counts()
            .filter(kind=Opportunity.Kind.LAY_PARTNER)
            .filter(
                lay_partner_target__gt=Coalesce("lay_partners_in_post", 0) + F("joined_count")
            )
        )

    def overdue_for_review(self, today=None):
        """Pages whose next review date has passed: staff should check them against what the
        trust says now."""
        return self.filter(next_review_due__lt=today or timezone.localdate())

    def review_due_soon(self, days=30, today=None):
        today = today or timezone.localdate()
        return self.filter(
            next_review_due__gte=today,
            next_review_due__lte=today + datetime.timedelta(days=days),
        )

    def search(self, text):
        """Opportunities matching what someone typed, best matches first on PostgreSQL.

        PostgreSQL: full-text search in English, so "childrens" finds "Children's services"
        (stems), with the words the trust uses for what people type (SearchSynonym: "kids"
        also searches for "children"). Titles count more than summaries and the programme's
        name, and those more than the rest. The synonyms are read inside the same query, so
        searching costs no query of its own. Elsewhere (SQLite on a laptop), each word must
        appear somewhere, as typed.
        """
        if connections[self.db].vendor != "postgresql":
            return self._search_words(text)
        vector = (
            SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("summary", "programme__name", weight="B", config=SEARCH_CONFIG)
            + SearchVector("description", "what_you_would_do", weight="C", config=SEARCH_CONFIG)
        )
        query = _query_with_synonyms(text)
        return (
            self.filter(Func(vector, query, function="", arg_joiner=" @@ ",
                             output_field=BooleanField()))
            .annotate(rank=SearchRank(vector, query))
            .order_by("-rank", "position", "title")
        )

    def _search_words(self, text):
        query = Q()
        for term in text.split():
            query &= (
                Q(title__icontains=term)
                | Q(summary__icontains=term)
                | Q(description__icontains=term)
                | Q(what_you_would_do__icontains=term)
                | Q(programme__name__icontains=term)
            )
        return self.filter(query)

    def for_people(self, audience):
        """Opportunities a group of people (adults or young people) can join, or may: where
        the trust has not said who can take part, nobody is ruled out."""
        return self.filter(
            audience__in=[
                audience, Opportunity.Audience.EVERYONE, Opportunity.Audience.TO_BE_CONFIRMED
            ]
        )

    def where(self, places):
        """Opportunities that can be done in any of the given ways (on site, online, from home)."""
        query = Q()
        for place in places:
            query |= Q(**{place: True})
        return self.filter(query)


@dataclass(frozen=True)
class Step:
    """One thing that happens after someone says they want to take part."""

    title: str
    text: str


TO_BE_CONFIRMED = "To be confirmed"


def pounds(amount):
    """£25, or £12.50: whole pounds without pence."""
    if amount == amount.to_integral_value():
        return f"£{int(amount):,}"
    return f"£{amount:,.2f}"


class PaymentLevel(models.Model):
    """One of the trust's levels of involvement payment, edited by the team in the admin.

    NHS England's policy for patient and public voice partners pays by the kind of activity;
    a trust sets its own levels and rates. An opportunity may name its level, and its page then
    states the terms from here instead of the free text (or "ask us"). The trust's published
    content gives no rates, so none are loaded: the team adds them."""

    name = models.CharField(
        max_length=200, unique=True,
        help_text="As the trust names it, for example 'Level 2: partner in a programme group'.",
    )
    rate_per_hour = models.DecimalField(
        "rate per hour (£)", max_digits=7, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    rate_per_meeting = models.DecimalField(
        "rate per meeting (£)", max_digits=7, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    preparation_paid = models.BooleanField(
        "preparation time is paid", default=False,
        help_text="Tick if time spent reading papers or preparing is paid at the hourly rate.",
    )
    preparation_hours_limit = models.DecimalField(
        "most preparation hours paid for a meeting", max_digits=4, decimal_places=2,
        null=True, blank=True, validators=[MinValueValidator(0)],
        help_text="Claims for more preparation than this are refused. Leave blank for no limit.",
    )
    description = models.TextField(
        "in plain English", blank=True,
        help_text="Anything else a person should know, in plain English, for example how and "
        "when the payment is made.",
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Lower numbers are listed first."
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    @property
    def pays(self):
        return bool(self.rate_per_hour or self.rate_per_meeting)

    @property
    def terms(self):
        """The terms in plain English, one sentence each, for the opportunity's page."""
        sentences = []
        if self.rate_per_hour:
            sentences.append(f"We pay an involvement payment of {pounds(self.rate_per_hour)} "
                             "an hour.")
        if self.rate_per_meeting:
            sentences.append(f"We pay an involvement payment of {pounds(self.rate_per_meeting)} "
                             "for each meeting.")
        if not self.pays:
            sentences.append("There is no involvement payment for this role.")
        elif self.preparation_paid:
            sentences.append("Time you spend preparing, such as reading papers, is paid too.")
        else:
            sentences.append("Time you spend preparing is not paid.")
        return sentences


class Opportunity(models.Model):
    """One way to get involved: a lay partner seat, a group, or an event series."""

    class Kind(models.TextChoices):
        LAY_PARTNER = "lay_partner", "Lay partner role"
        REFERENCE_GROUP = "reference_group", "Reference group"
        PROJECT_GROUP = "project_group", "Project group"
        EVENT = "event", "Event"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Frequency(models.TextChoices):
        FORTNIGHTLY = "fortnightly", "Every 2 weeks"
        MONTHLY = "monthly", "Every month"
        QUARTERLY = "quarterly", "Every 3 months"
        OCCASIONAL = "occasional", "Now and then"
        ONE_OFF = "one_off", "One-off events"
        # Events the trust holds again and again, without a schedule it has published.
        REGULAR = "regular", "Regular events"
        # The trust's page often gives no schedule; saying so beats guessing.
        TO_BE_AGREED = "to_be_agreed", "To be agreed"

    class Audience(models.TextChoices):
        ADULTS = "adults", "Adults"
        YOUNG_PEOPLE = "young_people", "Young people"
        EVERYONE = "everyone", "Adults and young people"
        # The trust has not said: pages say "to be confirmed" and nobody is turned away.
        TO_BE_CONFIRMED = "", "To be confirmed"

    class NextSteps(models.TextChoices):
        """What happens after someone says they want to take part: one route per opportunity,
        said the same way on its page, the confirmation page and the confirmation email
        (`Opportunity.next_steps`)."""

        BRIEFING_AND_TASTER = (
            "briefing_and_taster",
            "We contact you, then a briefing meeting and a no-obligation taster meeting",
        )
        WELCOME = "welcome", "We contact you to welcome you and say how the group works"
        CONTACT = "contact", "We contact you to tell you more"
        REGISTER = "register", "Register for a date (or ask to be told when the next one is)"

    # The route each kind takes unless staff choose another.
    ROUTE_BY_KIND = {
        Kind.LAY_PARTNER: NextSteps.BRIEFING_AND_TASTER,
        Kind.REFERENCE_GROUP: NextSteps.WELCOME,
        Kind.PROJECT_GROUP: NextSteps.CONTACT,
        Kind.EVENT: NextSteps.REGISTER,
    }

    # The three ways to take part, as the list page's "where" filter names them. "In person",
    # not "at the hospital": the trust has several, and the site is named when it is known.
    PLACES = {
        "on_site": "In person",
        "online": "Online",
        "from_home": "From home, by email",
    }

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="opportunities"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.CharField(
        max_length=300, help_text="One or two plain-English sentences for the list page."
    )
    description = models.TextField(
        help_text="What the project or group is about. Leave a blank line between paragraphs; "
        "start a line with '- ' for a bullet point."
    )
    what_you_would_do = models.TextField(blank=True)

    frequency = models.CharField("how often", max_length=20, choices=Frequency.choices)
    when = models.CharField(
        max_length=200,
        blank=True,
        help_text="When it happens, in words, for example 'Tuesday mornings'.",
    )
    on_site = models.BooleanField("in person", default=False)
    online = models.BooleanField(default=False)
    from_home = models.BooleanField("from home, by email", default=False)
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
        help_text="Which of our sites, for opportunities in person. Leave blank while it is "
        "not known: the page says the place is to be confirmed.",
    )
    location = models.CharField(
        max_length=200, blank=True, help_text="Where meetings are held, if on site."
    )
    meeting_day = models.CharField(
        "day",
        max_length=100,
        blank=True,
        default="",
        help_text="The day meetings are held, for example 'Tuesday'. Blank shows 'to be "
        "confirmed'.",
    )
    meeting_time = models.CharField(
        "time",
        max_length=100,
        blank=True,
        default="",
        help_text="The time meetings are held, for example 'Mornings' or '10am to 12 noon'. "
        "Blank shows 'to be confirmed'.",
    )
    meeting_length = models.CharField(
        "how long",
        max_length=100,
        blank=True,
        default="",
        help_text="How long a meeting lasts, for example '2 hours'. Blank shows 'to be "
        "confirmed'.",
    )
    preparation = models.TextField(
        "preparation expected", blank=True, help_text="Reading or work expected before meetings."
    )

    audience = models.CharField(
        "who can take part",
        max_length=20,
        choices=Audience.choices,
        default=Audience.ADULTS,
        blank=True,
        help_text="Leave as 'To be confirmed' unless the trust has said who can take part.",
    )
    minimum_age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(8), MaxValueValidator(25)]
    )

    lay_partner_target = models.PositiveSmallIntegerField(
        "lay partners wanted",
        default=2,
        help_text="The trust aims for two lay partners on each key project. "
        "Lay partner roles only.",
    )
    lay_partners_in_post = models.PositiveSmallIntegerField(
        "lay partners already in post",
        default=0,
        null=True,
        blank=True,
        help_text="Lay partners recruited before the portal, or outside it. Leave blank if "
        "the number is not known: the page then shows no count of places filled.",
    )

    involvement_payment = models.CharField(
        max_length=300, blank=True, help_text="Leave blank if no involvement payment is offered."
    )
    expenses = models.CharField(max_length=300, blank=True)
    expenses_paid = models.BooleanField(
        "expenses are paid", default=True,
        help_text="Untick if lay partners cannot claim expenses for this opportunity's meetings.",
    )
    budget_code = models.CharField(
        max_length=50, blank=True,
        help_text="The finance budget code its payments and expenses are charged to. Payroll's "
        "monthly file totals claims by it.",
    )
    payment_level = models.ForeignKey(
        PaymentLevel, on_delete=models.PROTECT, null=True, blank=True,
        related_name="opportunities",
        help_text="The page then states the level's terms. Leave blank to use the words "
        "above instead.",
    )

    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(
        blank=True, help_text="Leave blank to use the programme's, or the involvement team's."
    )
    contact_phone = models.CharField(max_length=40, blank=True)

    next_steps = models.CharField(
        "what happens next",
        max_length=30,
        choices=NextSteps.choices,
        blank=True,
        default="",
        help_text="The steps shown on the page, the confirmation page and the email. Leave "
        "blank for the usual steps for its type: lay partner roles a briefing and a taster "
        "meeting, reference groups a welcome, project groups a call, events registering "
        "for a date.",
    )
    last_reviewed = models.DateField(
        "page last reviewed",
        null=True,
        blank=True,
        help_text="When someone last checked this page against what the trust says.",
    )
    next_review_due = models.DateField(
        null=True, blank=True, help_text="When this page should next be checked."
    )

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # When the status last became "open" from anything else (set by `save()` and by
    # `open_to_public()`): the alerts to people who asked to hear about new opportunities are
    # about the ones opened since their last alert. Empty for opportunities opened before it
    # was recorded, and for those never opened.
    opened_at = models.DateTimeField(
        "opened to the public", null=True, blank=True, editable=False, db_index=True
    )
    closing_date = models.DateField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "opportunities"
        ordering = ["position", "title"]
        indexes = [
            models.Index(fields=["status", "position", "title"], name="opportunity_listing"),
            models.Index(fields=["kind", "status"], name="opportunity_kind"),
            models.Index(fields=["frequency", "status"], name="opportunity_frequency"),
            models.Index(fields=["audience", "status"], name="opportunity_audience"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.next_steps:
            self.next_steps = self.ROUTE_BY_KIND.get(self.kind, self.NextSteps.CONTACT)
        was = getattr(self, "_status_in_database", None)
        if was is self._UNREAD:
            was = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
        if self.status == self.Status.OPEN and was != self.Status.OPEN:
            self.opened_at = timezone.now()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "opened_at"}
        super().save(*args, **kwargs)
        self._status_in_database = self.status

    def get_absolute_url(self):
        return reverse("opportunities:detail", args=[self.slug])

    # The status as it was read from the database, so `save()` can tell an opening from a save
    # of something already open. None for a new row; _UNREAD when the status was deferred.
    _UNREAD = object()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._status_in_database = (
            values[field_names.index("status")] if "status" in field_names else cls._UNREAD
        )
        return instance

    def clean(self):
        # With none of in person, online or from home ticked, the page says where is "to be
        # confirmed": better than a guess.
        errors = {}
        if self.site_id and not self.on_site:
            errors["site"] = (
                "Tick 'in person' for an opportunity held at a site, or clear the site."
            )
        if self.minimum_age and not self.audience:
            errors["minimum_age"] = "Say who can take part before giving a minimum age."
        if (
            self.last_reviewed and self.next_review_due
            and self.next_review_due <= self.last_reviewed
        ):
            errors["next_review_due"] = "The next review must be after the last review."
        if self.audience == self.Audience.ADULTS and self.minimum_age and self.minimum_age < 18:
            errors["minimum_age"] = "An adults-only opportunity cannot have a minimum age under 18."
        if errors:
            raise ValidationError(errors)

    # Tag colours on cards; the kind is always written in the tag too, so colour is never the
    # only signal.
    KIND_COLOURS = {
        Kind.LAY_PARTNER: "blue",
        Kind.REFERENCE_GROUP: "purple",
        Kind.PROJECT_GROUP: "aqua-green",
        Kind.EVENT: "orange",
    }

    @property
    def kind_colour(self):
        return self.KIND_COLOURS.get(self.kind, "grey")

    @property
    def is_lay_partner_role(self):
        return self.kind == self.Kind.LAY_PARTNER

    @property
    def is_open(self):
        if self.status != self.Status.OPEN:
            return False
        return self.closing_date is None or self.closing_date >= timezone.localdate()

    @property
    def places(self):
        """The ways to take part, in words, in the order the filter lists them."""
        return [label for field, label in self.PLACES.items() if getattr(self, field)]

    @property
    def where(self):
        """Where people take part, in words, naming the site when it is known: "In person at
        St Mary's Hospital", "In person: place to be confirmed", "From home, by email".
        "To be confirmed" when the trust has not said."""
        ways = []
        if self.on_site:
            ways.append(
                f"In person at {self.site.name}" if self.site_id
                else "In person: place to be confirmed"
            )
        if self.online:
            ways.append(self.PLACES["online"])
        if self.from_home:
            ways.append(self.PLACES["from_home"])
        return ways or [TO_BE_CONFIRMED]

    @property
    def has_regular_meetings(self):
        """Whether it meets on a pattern (in person or online), so day, time and length
        apply. An event's own dates say when each one is."""
        return (self.on_site or self.online) and self.kind != self.Kind.EVENT

    @property
    def schedule(self):
        """Day, time and how long, each "To be confirmed" until staff give it."""
        return [
            ("Day", self.meeting_day or TO_BE_CONFIRMED),
            ("Time", self.meeting_time or TO_BE_CONFIRMED),
            ("How long", self.meeting_length or TO_BE_CONFIRMED),
        ]

    @property
    def who_can_take_part(self):
        if not self.audience:
            return TO_BE_CONFIRMED
        label = self.get_audience_display()
        if self.minimum_age:
            return f"{label}, aged {self.minimum_age} or over"
        return label

    @property
    def joined_through_portal(self):
        # Annotated by with_lay_partner_counts() on list pages; one query otherwise.
        count = getattr(self, "joined_count", None)
        if count is None:
            count = count_one(Opportunity.objects.filter(pk=self.pk), "joined_count")
        return count

    @property
    def lay_partners_counted(self):
        """Whether the trust has said how many lay partners are already in post. Without
        that, no count of places filled is shown: only the target."""
        return self.lay_partners_in_post is not None

    @property
    def lay_partners_filled(self):
        """Places filled, or None when the trust has not said how many are in post."""
        if not self.lay_partners_counted:
            return None
        return self.lay_partners_in_post + self.joined_through_portal

    @property
    def lay_partners_needed(self):
        if not self.lay_partners_counted:
            return None
        return max(self.lay_partner_target - self.lay_partners_filled, 0)

    # What happens next -----------------------------------------------------------------------

    @property
    def route(self):
        return self.next_steps or self.ROUTE_BY_KIND.get(self.kind, self.NextSteps.CONTACT)

    @property
    def takes_registrations(self):
        """Events: people register for a date (or ask to hear about the next one) instead of
        sending an expression of interest."""
        return self.route == self.NextSteps.REGISTER

    @property
    def steps(self):
        """What happens after someone says they want to take part, in order: the one place
        the opportunity's page, the confirmation page and the confirmation email read it
        from (templates/includes/next_steps.html and its text twin)."""
        route = self.route
        if route == self.NextSteps.BRIEFING_AND_TASTER:
            return [
                Step("We contact you", "Someone from the team will contact you to talk it "
                     "through and answer your questions."),
                Step("A briefing meeting", "We explain the project and the group, and what it "
                     "would ask of you: when and where it meets, how often, and what "
                     "preparation is expected."),
                Step("A taster meeting", "You come to a meeting of the group to see what it "
                     "is like. There is no obligation to join."),
            ]
        if route == self.NextSteps.WELCOME:
            return [
                Step("A welcome", "Someone from the team will contact you to welcome you to "
                     "the group and answer your questions."),
                Step("How the group works", self._how_the_group_works()),
            ]
        if route == self.NextSteps.REGISTER:
            return [
                Step("Register for a date", "Choose a date and register for it. If no date "
                     "is set yet, ask us to tell you when the next one is."),
                Step("We confirm your place", "We confirm your place, with the date, time "
                     "and place."),
                Step("Come to the event", "If you cannot come after all, tell us, so "
                     "someone else can have your place."),
            ]
        return [
            Step("We contact you", "Someone from the team will contact you to tell you more "
                 "about what it involves and answer your questions."),
            Step("You decide", "If it is right for you, you take part. There is no "
                 "obligation."),
        ]

    def _how_the_group_works(self):
        """From the opportunity's own fields, never made up: where, how often and when."""
        where = [way[0].lower() + way[1:] for way in self.where if way != TO_BE_CONFIRMED]
        parts = [f"You take part {' and '.join(where)}." if where
                 else "Where you take part is to be confirmed."]
        if self.frequency and self.frequency != self.Frequency.TO_BE_AGREED:
            parts.append(f"How often: {self.get_frequency_display().lower()}.")
        else:
            parts.append("How often: to be agreed.")
        if self.when:
            parts.append(self.when)
        return " ".join(parts)

    # Review ----------------------------------------------------------------------------------

    @property
    def is_overdue_for_review(self):
        return bool(self.next_review_due and self.next_review_due < timezone.localdate())

    @property
    def open_to_young_people(self):
        return self.audience in (self.Audience.YOUNG_PEOPLE, self.Audience.EVERYONE)

    # Who may take part ---------------------------------------------------------------------

    @property
    def welcomes_under_16s(self):
        """Whether people under 16 can take part (with their parent or carer's agreement)."""
        return self.audience != self.Audience.ADULTS and (
            not self.minimum_age or self.minimum_age < 16
        )

    def age_refusal(self, youngest, oldest):
        """Why someone aged from `youngest` to `oldest` cannot take part, in words for them,
        or None when they can. Either age may be None: not known, or no upper limit."""
        if self.audience == self.Audience.ADULTS and oldest is not None and oldest < 18:
            return (
                "This opportunity is for adults aged 18 or over. "
                "You can see the opportunities open to young people instead"
            )
        if (
            self.audience == self.Audience.YOUNG_PEOPLE
            and youngest is not None and youngest >= 18
        ):
            return (
                "This opportunity is for young people under 18. "
                "You can see the opportunities open to adults instead"
            )
        if self.minimum_age and youngest is not None and youngest < self.minimum_age:
            return f"This opportunity is for people aged {self.minimum_age} or over"
        return None

    def contact(self):
        """Who to ask: the opportunity's own contact, else its programme's, else the team's
        (the team's phone number only if it has given one)."""
        email = (
            self.contact_email
            or self.programme.contact_email
            or settings.TRUST_INVOLVEMENT_EMAIL
        )
        phone = (
            self.contact_phone
            or self.programme.contact_phone
            or settings.TRUST_INVOLVEMENT_PHONE
        )
        return {"name": self.contact_name, "email": email, "phone": phone}


class MeetingQuerySet(models.QuerySet):
    def upcoming(self):
        return self.filter(starts_at__gte=timezone.now()).order_by("starts_at")

    def public_events(self):
        """Meetings anyone can come to, on opportunities the public can see."""
        return self.filter(
            public_registration=True, opportunity__status=Opportunity.Status.OPEN
        )

    def with_places(self):
        """Count each meeting's places taken (`taken_count`) and the people waiting for one
        (`waiting_count`) in the same query, for `places_taken()` and `places_left()`."""
        return self.annotate(
            taken_count=counted("taken_count"), waiting_count=counted("waiting_count")
        )


class Meeting(models.Model):
    """A dated occurrence tied to an opportunity: a briefing, a taster, a meeting or an event."""

    class Kind(models.TextChoices):
        BRIEFING = "briefing", "Briefing meeting"
        TASTER = "taster", "Taster meeting"
        MEETING = "meeting", "Meeting"
        EVENT = "event", "Event"

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="meetings"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200, blank=True, help_text="Leave blank to use the kind.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    is_online = models.BooleanField("online", default=False)
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        help_text="Which of our sites, for meetings in person.",
    )
    location = models.CharField(
        max_length=300,
        blank=True,
        help_text="The room or place, for meetings in person, for example 'Meeting room 1'.",
    )
    joining_details = models.TextField(
        blank=True,
        help_text="Online joining details. Only ever sent to people booked, never shown publicly.",
    )
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Blank for no limit.")
    public_registration = models.BooleanField(
        "the public can register", default=False, help_text="For events open to everyone."
    )
    is_example = models.BooleanField(
        default=False, help_text="An example made for demonstrations, not a real meeting."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["starts_at"], name="meeting_starts"),
            models.Index(fields=["public_registration", "starts_at"], name="meeting_public"),
        ]

    def __str__(self):
        return f"{self.display_title} – {record_time(self.starts_at)}"

    def clean(self):
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The end must be after the start."
        if not self.is_online and not (self.site_id or self.location):
            errors["location"] = "Choose the site or enter where the meeting is, or tick 'online'."
        if errors:
            raise ValidationError(errors)

    @property
    def display_title(self):
        return self.title or self.get_kind_display()

    @property
    def in_a_sentence(self):
        """Its title, or "a taster meeting" (and so on) when it has none: for "You are invited
        to ..."."""
        if self.title:
            return self.title
        kind = self.get_kind_display().lower()
        return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"

    @property
    def when(self):
        """'Tuesday 9 March 2027, 10am to 1pm', in UK time (GMT or BST)."""
        return time_span(self.starts_at, self.ends_at)

    @property
    def place(self):
        """Where, as the public may see it: never the online joining details. The room, then
        the site ("Meeting room 1, St Mary's Hospital")."""
        if self.is_online:
            return "Online"
        parts = [self.location] if self.location else []
        if self.site_id and self.site.name not in self.location:
            parts.append(self.site.name)
        return ", ".join(parts) or TO_BE_CONFIRMED

    @property
    def length(self):
        """How long it lasts, in words: "2 hours", "1 hour 30 minutes"."""
        minutes = int((self.ends_at - self.starts_at).total_seconds() // 60)
        hours, minutes = divmod(minutes, 60)
        parts = []
        if hours:
            parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
        if minutes:
            parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
        return " ".join(parts)

    def places_taken(self):
        """Counted by `with_places()` in the same query when the meeting came from one (so as
        it was then); one query otherwise."""
        taken = getattr(self, "taken_count", None)
        if taken is None:
            taken = count_one(Meeting.objects.filter(pk=self.pk), "taken_count")
        return taken

    def places_left(self):
        """Places still free, or None when there is no limit."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.places_taken(), 0)


class GlossaryTerm(models.Model):
    """An acronym or term, and what it means in plain English."""

    term = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    meaning = models.TextField()
    other_forms = models.CharField(
        max_length=300,
        blank=True,
        help_text="Other ways the term is written, separated by commas, "
        "for example 'board rounds'.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["term"]

    def __str__(self):
        return self.term

    @property
    def forms(self):
        """Every way the term may appear in text, longest first so phrases win over parts."""
        extra = [form.strip() for form in self.other_forms.split(",") if form.strip()]
        return sorted({self.term, *extra}, key=len, reverse=True)


class SearchSynonym(models.Model):
    """A word people search with, and the words the trust's pages use for it.

    People search for "kids" or "elderly"; the trust writes "children" and "older people". A
    search for the word also finds opportunities using any of its synonyms (on PostgreSQL:
    OpportunityQuerySet.search). Staff edit these in the admin.
    """

    term = models.CharField(
        "when people search for",
        max_length=100,
        unique=True,
        help_text="A word or short phrase people might type, for example 'kids'. "
        "Capitals do not matter.",
    )
    words = models.CharField(
        "also search for",
        max_length=300,
        help_text="The words the trust's pages use for it, separated by commas, for example "
        "'children, young people'.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["term"]

    def __str__(self):
        return f"{self.term} \u2192 {self.words}"

    def save(self, *args, **kwargs):
        self._normalise()
        super().save(*args, **kwargs)

    def _normalise(self):
        # Written as searches are compared (search_words): "Kids " is "kids", so the admin's
        # check for a term already there sees it too.
        self.term = search_words(self.term)
        self.words = ", ".join(w for w in (search_words(w) for w in self.words.split(",")) if w)

    def clean(self):
        errors = {}
        if self.term and not search_words(self.term):
            errors["term"] = "Enter a word or phrase with letters or numbers in it."
        if self.words and not any(search_words(w) for w in self.words.split(",")):
            errors["words"] = "Enter at least one word to search for instead."
        if errors:
            raise ValidationError(errors)
        self._normalise()


# "You said, we did" lives in its own module (opportunities/impact.py); its models are this app's.
from .impact import ImpactRecord, ImpactUpdate, NamedLayPartner  # noqa: E402, F401
