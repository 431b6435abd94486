"""Equality monitoring: the answers, and the report staff see.

After sending an expression of interest a person may answer the trust's equality questions.
The answers are kept apart from everything else, and nothing here can link them back to the
person or to their expression of interest:

* the primary key is a random UUID, not a number counting up, whose order would match the
  order of the expressions of interest;
* there is no foreign key or reference, no name, email, session key, IP address or browser,
  and no time of day: only the calendar year, so reports can be by year;
* there is no ModelAdmin, and no default add/change/delete/view permissions, so no one, not
  even a superuser, can browse the rows in the admin: staff see only the counts in the equality
  monitoring report, with small numbers hidden (`EqualityResponseQuerySet.report`).

Age is not asked: the expression of interest already has an age band, and asking it again
would help match the two. Nor is pregnancy: the form is kept short for people who are not
confident online, and in a local involvement programme the numbers would always be too small
to show.
"""

import uuid

from django.db import models
from django.utils import timezone

# Counts from 1 to 4 are hidden in the report ("Fewer than 5").
SMALL_NUMBER = 5
PREFER_NOT_TO_SAY = ("prefer_not_to_say", "Prefer not to say")
NOT_ANSWERED = "Not answered"


def current_year():
    return timezone.localdate().year


class EqualityResponseQuerySet(models.QuerySet):
    def years(self):
        """The years that have answers, the latest first."""
        return list(
            self.order_by("-year").values_list("year", flat=True).distinct()
        )

    @staticmethod
    def _answer_aggregates():
        """The counts answer_counts() asks for, by alias, and what each alias counts."""
        aliases = {}
        aggregates = {"responses": models.Count("pk")}
        for question in EqualityResponse.QUESTIONS:
            for answer in [*EqualityResponse.answers(question), ""]:
                alias = f"count_{len(aliases)}"
                aliases[alias] = (question, answer)
                aggregates[alias] = models.Count("pk", filter=models.Q(**{question: answer}))
        return aliases, aggregates

    @staticmethod
    def _counts(aliases, totals):
        counts = {question: {} for question in EqualityResponse.QUESTIONS}
        for alias, (question, answer) in aliases.items():
            counts[question][answer] = totals[alias]
        return counts, totals["responses"]

    def answer_counts(self):
        """How many people gave each answer to each question, and how many left it blank, in
        one query whatever the number of rows: ({question: {answer: count}}, number of rows).
        A question left blank counts under the answer ""."""
        aliases, aggregates = self._answer_aggregates()
        return self._counts(aliases, self.aggregate(**aggregates))

    def report(self):
        """The equality monitoring report for these answers: `EqualityReport`."""
        counts, responses = self.answer_counts()
        return EqualityReport(counts, responses)

    def reports_by_year(self, years):
        """[(year, EqualityReport)] for each of `years`, in one query: each year's report on its
        own, never added up across years (see the equality report's view)."""
        aliases, aggregates = self._answer_aggregates()
        by_year = {
            row["year"]: row
            for row in self.filter(year__in=years).values("year").annotate(**aggregates)
            .order_by()
        }
        empty = dict.fromkeys(aggregates, 0)
        return [
            (year, EqualityReport(*self._counts(aliases, by_year.get(year, empty))))
            for year in years
        ]


class EqualityResponse(models.Model):
    """One person's answers to the equality questions: see the comment above for why it holds
    nothing that could link it to them."""

    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        PREFER_NOT_TO_SAY = PREFER_NOT_TO_SAY

    class YesNo(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        PREFER_NOT_TO_SAY = PREFER_NOT_TO_SAY

    class SexualOrientation(models.TextChoices):
        STRAIGHT = "straight", "Straight or heterosexual"
        GAY_OR_LESBIAN = "gay_or_lesbian", "Gay or lesbian"
        BISEXUAL = "bisexual", "Bisexual"
        OTHER = "other", "Another sexual orientation"
        PREFER_NOT_TO_SAY = PREFER_NOT_TO_SAY

    class Religion(models.TextChoices):
        NONE = "none", "No religion"
        CHRISTIAN = "christian", "Christian (all denominations)"
        BUDDHIST = "buddhist", "Buddhist"
        HINDU = "hindu", "Hindu"
        JEWISH = "jewish", "Jewish"
        MUSLIM = "muslim", "Muslim"
        SIKH = "sikh", "Sikh"
        OTHER = "other", "Any other religion or belief"
        PREFER_NOT_TO_SAY = PREFER_NOT_TO_SAY

    # The ethnic groups of the 2021 Census in England, under their headings, in the order the
    # government's style guide for ethnicity lists them. No "describe it" box: a written answer
    # could be unusual enough to identify someone, and people write their names in boxes.
    ETHNIC_GROUPS = [
        ("Asian or Asian British", [
            ("asian_indian", "Indian"),
            ("asian_pakistani", "Pakistani"),
            ("asian_bangladeshi", "Bangladeshi"),
            ("asian_chinese", "Chinese"),
            ("asian_other", "Any other Asian background"),
        ]),
        ("Black, Black British, Caribbean or African", [
            ("black_caribbean", "Caribbean"),
            ("black_african", "African"),
            ("black_other", "Any other Black, Black British or Caribbean background"),
        ]),
        ("Mixed or multiple ethnic groups", [
            ("mixed_white_black_caribbean", "White and Black Caribbean"),
            ("mixed_white_black_african", "White and Black African"),
            ("mixed_white_asian", "White and Asian"),
            ("mixed_other", "Any other Mixed or multiple ethnic background"),
        ]),
        ("White", [
            ("white_british", "English, Welsh, Scottish, Northern Irish or British"),
            ("white_irish", "Irish"),
            ("white_gypsy_traveller", "Gypsy or Irish Traveller"),
            ("white_roma", "Roma"),
            ("white_other", "Any other White background"),
        ]),
        ("Other ethnic group", [
            ("other_arab", "Arab"),
            ("other_any", "Any other ethnic group"),
        ]),
        PREFER_NOT_TO_SAY,
    ]

    # A random id: nothing about it says when, or in what order, the answers came.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The only "when": reports are by year.
    year = models.PositiveSmallIntegerField(default=current_year, editable=False)

    # Each question may be left blank ("not answered"), and each has "Prefer not to say".
    sex = models.CharField(max_length=20, choices=Sex.choices, blank=True)
    gender_same_as_birth = models.CharField(
        "gender the same as sex registered at birth", max_length=20, choices=YesNo.choices,
        blank=True,
    )
    sexual_orientation = models.CharField(
        max_length=20, choices=SexualOrientation.choices, blank=True
    )
    ethnic_group = models.CharField(max_length=40, choices=ETHNIC_GROUPS, blank=True)
    religion = models.CharField(
        "religion or belief", max_length=20, choices=Religion.choices, blank=True
    )
    disability = models.CharField(
        "disability or long-term health condition", max_length=20, choices=YesNo.choices,
        blank=True,
    )
    caring = models.CharField(
        "looks after or supports someone", max_length=20, choices=YesNo.choices, blank=True
    )

    QUESTIONS = (
        "sex", "gender_same_as_birth", "sexual_orientation", "ethnic_group", "religion",
        "disability", "caring",
    )

    objects = EqualityResponseQuerySet.as_manager()

    class Meta:
        verbose_name = "equality monitoring response"
        # No add / change / delete / view permissions to grant: the rows are never shown.
        default_permissions = ()
        permissions = [
            ("view_equality_report", "Can view the equality monitoring report"),
        ]

    def __str__(self):
        # Never the answers: this may end up in a log or an error report.
        return "Equality monitoring response"

    @classmethod
    def answers(cls, question):
        """The stored values of a question's answers, in the order the form shows them."""
        return [value for value, _ in cls._meta.get_field(question).flatchoices]

    @property
    def has_answers(self):
        return any(getattr(self, question) for question in self.QUESTIONS)


def suppress_small_numbers(counts):
    """The counts of one question's answers as the report shows them.

    A count from 1 to 4 is shown as "Fewer than 5"; 0 is shown as it is, as it identifies no
    one. The report also shows how many people answered, and each question's counts add up to it,
    so a single hidden count could be worked out by subtraction. Leaving out the totals would
    not stop that (any question with nothing hidden gives the total away), so instead, where
    the hidden counts could be worked out (only one hidden, or several that can only all be 1
    or all be 4), the smallest count of 5 or more is hidden too, as "Not shown".
    """
    small = [index for index, count in enumerate(counts) if 0 < count < SMALL_NUMBER]
    hidden_total = sum(counts[index] for index in small)
    # Knowing their sum gives the small counts away if there is one, or all must be 1 or 4.
    works_out = len(small) == 1 or (
        len(small) > 1 and hidden_total in (len(small), (SMALL_NUMBER - 1) * len(small))
    )
    also_hidden = None
    if works_out:
        shown = [(count, index) for index, count in enumerate(counts) if count >= SMALL_NUMBER]
        if shown:
            also_hidden = min(shown)[1]
    return [
        f"Fewer than {SMALL_NUMBER}" if index in small
        else "Not shown" if index == also_hidden
        else str(count)
        for index, count in enumerate(counts)
    ]


class EqualityReport:
    """The counts of every answer to every question, with small numbers hidden.

    `questions` is a list of {"name", "title", "groups"}; each group is (heading or None,
    [(answer, count shown)]), so the ethnic groups keep their headings. "Not answered" is the
    last row of each question.
    """

    def __init__(self, counts, responses):
        self.responses = responses
        # With fewer than 5 answers every count would be hidden, and "0"s beside them could
        # still say what everyone answered: nothing is shown.
        self.too_few = 0 < responses < SMALL_NUMBER
        self.questions = [] if self.too_few else [
            self._question(name, counts[name]) for name in EqualityResponse.QUESTIONS
        ]

    @staticmethod
    def _question(name, counts):
        field = EqualityResponse._meta.get_field(name)
        groups = []
        for value, label in field.choices:
            if isinstance(label, (list, tuple)):
                groups.append((value, list(label)))
            elif groups and groups[-1][0] is None:
                groups[-1][1].append((value, label))
            else:
                groups.append((None, [(value, label)]))
        if groups[-1][0] is None:
            groups[-1][1].append(("", NOT_ANSWERED))
        else:
            groups.append((None, [("", NOT_ANSWERED)]))
        values = [value for _, answers in groups for value, _ in answers]
        shown = dict(zip(
            values, suppress_small_numbers([counts[value] for value in values]), strict=True
        ))
        return {
            "name": name,
            "title": field.verbose_name[:1].upper() + field.verbose_name[1:],
            "groups": [
                (heading, [(label, shown[value]) for value, label in answers])
                for heading, answers in groups
            ],
        }
