import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.core.validators import MaxLengthValidator
from django.urls import reverse
from django.utils.html import format_html

from involvement.crispy_nhsuk import NHSField
from involvement.models import PrivacyNotice
from opportunities.models import Programme

from .alerts import AlertSubscription
from .equality import EqualityResponse
from .models import ExpressionOfInterest, NextDateRequest, choice_labels

AgeBand = ExpressionOfInterest.AgeBand

UK_PHONE = re.compile(r"^(?:\+44|0044|0)(\d{9,10})$")


def public_form_helper(*sections):
    """crispy-forms' helper for a public form: the page's template writes the <form> tag, the
    CSRF token and the error summary, so crispy only lays out the fields. A section given as
    None is left out."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.show_error_summary = False
    helper.layout = Layout(*[section for section in sections if section is not None])
    return helper


def fieldset(legend, fields):
    return Fieldset(legend, *[NHSField(name) for name in fields])


def normalise_uk_phone(value):
    """A UK number in the forms people write it: 020 3312 5259, (020) 3312-5259, +44 7700 900982.

    Returns the number as written (tidied of doubled spaces) or None if it is not a UK number.
    """
    digits = re.sub(r"[\s().\-]", "", value)
    if not UK_PHONE.match(digits):
        return None
    return " ".join(value.split())


def connections_field():
    return forms.MultipleChoiceField(
        label="How are you connected to the trust?",
        help_text="Select all that apply.",
        choices=ExpressionOfInterest.Connection.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Select how you are connected to the trust",
            "invalid_choice": "Select how you are connected to the trust",
        },
    )


def access_needs_field():
    return forms.MultipleChoiceField(
        label="Do you need anything to help you take part? (optional)",
        help_text="Select all that apply. We will talk with you about anything you need.",
        choices=ExpressionOfInterest.AccessNeed.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "Select the help you need from the list"},
    )


def privacy_consent_field():
    return forms.BooleanField(
        error_messages={"required": "Confirm that you have read the privacy notice and agree"},
    )


class InterestQuestionsForm(forms.ModelForm):
    """The questions of an expression of interest: their wording and their checks, shared by
    the whole form (ExpressionOfInterestForm, which saves, and event registrations) and by
    the question pages (one step each, InterestStepForm). Validates and converts; never acts.
    A form names the questions it asks in Meta.fields; each check here looks only at the
    questions its form has."""

    class Meta:
        model = ExpressionOfInterest
        fields = []
        labels = {
            "full_name": "Full name",
            "email": "Email address",
            "phone": "UK phone number",
            "preferred_contact": "How would you like us to contact you?",
            "age_band": "How old are you?",
            "parent_carer_name": "Your parent or carer's full name",
            "parent_carer_contact": "Your parent or carer's email address or phone number",
            "parent_carer_confirmed": "I have told my parent or carer about this",
            "connection_other": "If other, tell us how you are connected",
            "why_interested": "Why are you interested?",
            "experience": "Is there anything else you would like us to know? (optional)",
            "access_needs_other": "If something else, tell us what you need",
            "availability": "When can you usually take part? (optional)",
        }
        help_texts = {
            "full_name": "The name you would like us to use.",
            "email": "We will send a confirmation to this address. If you would rather we "
            "phoned you, you can leave it empty and choose phone.",
            "phone": "We need this if you would like us to phone you. For example, "
            "07700 900 982 or +44 20 3312 5259.",
            "age_band": "Some opportunities are for adults, some for young people, "
            "and some for both.",
            "parent_carer_contact": (
                "We will email them a link to tell us whether they agree, or phone them if you "
                "give a number."
            ),
            "why_interested": "A few sentences is plenty. You do not need any experience.",
            "experience": "For example, your experience as a patient or carer, or skills you "
            "would like to use. You do not need any.",
            "availability": "For example, weekday mornings, or not on Fridays.",
        }
        error_messages = {
            "full_name": {
                "required": "Enter your full name",
                "max_length": "Full name must be 200 characters or fewer",
            },
            "email": {
                "required": "Enter your email address, or choose phone and give your phone "
                "number",
                "invalid": "Enter an email address in the correct format, like name@example.com",
                "max_length": "Email address must be 254 characters or fewer",
            },
            "phone": {"max_length": "Phone number must be 40 characters or fewer"},
            "preferred_contact": {
                "required": "Select how you would like us to contact you",
                "invalid_choice": "Select how you would like us to contact you",
            },
            "age_band": {
                "required": "Select how old you are",
                "invalid_choice": "Select how old you are",
            },
            "why_interested": {"required": "Tell us why you are interested"},
            "parent_carer_name": {
                "max_length": "Your parent or carer's name must be 200 characters or fewer",
            },
            "parent_carer_contact": {
                "max_length": "Your parent or carer's email address or phone number must be "
                "200 characters or fewer",
            },
            "connection_other": {
                "max_length": "How you are connected must be 200 characters or fewer",
            },
            "access_needs_other": {
                "max_length": "What you need must be 500 characters or fewer",
            },
        }
        widgets = {
            "full_name": forms.TextInput(
                attrs={"autocomplete": "name", "spellcheck": "false",
                       "class": "nhsuk-u-width-two-thirds"}
            ),
            "email": forms.EmailInput(
                attrs={"autocomplete": "email", "spellcheck": "false",
                       "class": "nhsuk-u-width-two-thirds"}
            ),
            "phone": forms.TextInput(
                attrs={"type": "tel", "autocomplete": "tel", "class": "nhsuk-input--width-20"}
            ),
            "preferred_contact": forms.RadioSelect,
            "age_band": forms.RadioSelect,
            "why_interested": forms.Textarea(attrs={"rows": 5}),
            "experience": forms.Textarea(attrs={"rows": 4}),
            "availability": forms.Textarea(attrs={"rows": 3}),
            "parent_carer_name": forms.TextInput(attrs={"spellcheck": "false"}),
        }

    # Long answers are welcome, but not unbounded.
    TEXT_LIMITS = {"why_interested": 5000, "experience": 5000, "availability": 1000}

    PRIVACY_CONSENT_LABEL = (
        "I have read the privacy notice and agree to the trust using my information "
        "to contact me about getting involved"
    )

    def __init__(self, *args, opportunity, **kwargs):
        super().__init__(*args, **kwargs)
        self.opportunity = opportunity
        for name, limit in self.TEXT_LIMITS.items():
            if name not in self.fields:
                continue
            self.fields[name].max_length = limit
            self.fields[name].widget.attrs.pop("maxlength", None)
            self.fields[name].validators.append(MaxLengthValidator(limit))
            self.fields[name].error_messages["max_length"] = (
                f"{self.fields[name].label.removesuffix(' (optional)')} must be "
                f"{limit:,} characters or fewer"
            )
        if "preferred_contact" in self.fields:
            self.fields["preferred_contact"].choices = ExpressionOfInterest.ContactMethod.choices
            # No answer is chosen for the person: they pick one.
            self.fields["preferred_contact"].initial = None
        if "age_band" in self.fields:
            self.fields["age_band"].choices = AgeBand.choices
        if "privacy_consent" in self.fields:
            self.fields["privacy_consent"].label = self.PRIVACY_CONSENT_LABEL
            self.fields["privacy_consent"].help_text = format_html(
                '<a href="{}">Read the privacy notice</a> (opens in the same tab).',
                reverse("privacy"),
            )
        if "submission_key" in self.fields:
            self.fields["submission_key"].error_messages["required"] = (
                "Something went wrong with this form. Send it again."
            )
        if "parent_carer_confirmed" in self.fields:
            # Required only of under-16s (`_check_parent_carer`).
            self.fields["parent_carer_confirmed"].required = False
        if "email" in self.fields:
            # Someone who would rather be phoned need not give an email address: whether it
            # is needed depends on how they want to be contacted (`_check_contact`).
            self.fields["email"].required = False

    def clean_full_name(self):
        # Any script, apostrophes and hyphens are all names: only surrounding space is removed.
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_email(self):
        return self.cleaned_data["email"].strip()

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if not phone:
            return ""
        normalised = normalise_uk_phone(phone)
        if normalised is None:
            raise forms.ValidationError(
                "Enter a UK phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"
            )
        return normalised

    PHONE_NEEDED = "Enter a phone number, like 01632 960 001 or 07700 900 982"

    def _check_contact(self, data):
        """Email is needed unless they chose phone; a phone number when they chose phone or
        either. A person who wants a phone call can leave only their phone number."""
        Method = ExpressionOfInterest.ContactMethod
        method = data.get("preferred_contact")
        if method != Method.PHONE and not data.get("email") and "email" not in self.errors:
            self.add_error("email", self.fields["email"].error_messages["required"])
        wants_phone = method in (Method.PHONE, Method.EITHER)
        if wants_phone and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", self.PHONE_NEEDED)

    def _refuse_age(self, data):
        """Whether the age band given is one this opportunity cannot take (said on the
        question)."""
        band = data.get("age_band")
        if not band:
            return True
        refusal = self.opportunity.age_refusal(*AgeBand(band).ages)
        if refusal:
            self.add_error("age_band", refusal)
            return True
        return False

    def _check_parent_carer(self, data):
        if not data.get("parent_carer_name", "").strip():
            self.add_error("parent_carer_name", "Enter your parent or carer's full name")
        if not data.get("parent_carer_contact", "").strip():
            self.add_error(
                "parent_carer_contact",
                "Enter your parent or carer's email address or phone number",
            )
        if not data.get("parent_carer_confirmed"):
            self.add_error(
                "parent_carer_confirmed",
                "Tell your parent or carer about this, then tick the box to say you have",
            )

    # Choosing "Other" asks for the box beside it; without that choice the box is not kept.
    # (question, its "Other" choice, the box, the error when the box is empty)
    OTHER_ANSWERS = [
        ("connections", ExpressionOfInterest.Connection.OTHER, "connection_other",
         "Tell us how you are connected to the trust"),
        ("access_needs", ExpressionOfInterest.AccessNeed.OTHER, "access_needs_other",
         "Tell us what you need to take part"),
    ]

    def _check_other_answers(self, data):
        for question, other, box, error in self.OTHER_ANSWERS:
            if box not in self.fields:
                continue
            if other in (data.get(question) or []):
                if not data.get(box, "").strip():
                    self.add_error(box, error)
            else:
                data[box] = ""


class ExpressionOfInterestForm(InterestQuestionsForm):
    """Everything a person tells us when they are interested, checked together and saved.

    The question pages (InterestStepForm) ask it a page at a time; at "Send" the answers of
    every page are put into this form, so the record saved has passed every check at once.
    """

    # A box people are told to leave empty, hidden from sight and from the keyboard: bots that
    # fill in every box fill it in. Rendered by the template, outside crispy's layout.
    website = forms.CharField(label="Leave this box empty", required=False)
    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    connections = connections_field()
    access_needs = access_needs_field()
    privacy_consent = privacy_consent_field()

    class Meta(InterestQuestionsForm.Meta):
        fields = [
            "full_name", "email", "phone", "preferred_contact", "age_band",
            "parent_carer_name", "parent_carer_contact", "parent_carer_confirmed",
            "connections", "connection_other", "why_interested", "experience",
            "access_needs", "access_needs_other", "availability", "privacy_consent",
        ]

    # The questions in the order they are asked, under their headings. The parent or carer's
    # questions come after the first section, where under-16s can take part.
    SECTIONS = [
        ("About you", ["full_name", "email", "phone", "preferred_contact", "age_band"]),
        ("Your interest", ["connections", "connection_other", "why_interested", "experience"]),
        ("Taking part", ["access_needs", "access_needs_other", "availability"]),
    ]

    def __init__(self, *args, opportunity, **kwargs):
        super().__init__(*args, opportunity=opportunity, **kwargs)
        about_you, *the_rest = self.SECTIONS
        self.helper = public_form_helper(
            fieldset(*about_you),
            self.under_16_section(),
            *[fieldset(*section) for section in the_rest],
            NHSField("privacy_consent"),
            "submission_key",
        )

    def under_16_section(self):
        # Only asked where under-16s can take part.
        if not self.opportunity.welcomes_under_16s:
            return None
        return fieldset(
            "If you are under 16",
            ["parent_carer_name", "parent_carer_contact", "parent_carer_confirmed"],
        )

    def clean(self):
        data = super().clean()
        self._check_contact(data)
        self._check_age(data)
        self._check_other_answers(data)
        return data

    def _check_age(self, data):
        if self._refuse_age(data):
            return
        if data["age_band"] == AgeBand.UNDER_16:
            self._check_parent_carer(data)
        else:
            # Only under-16s are asked for a parent or carer: keep nothing we did not need.
            data["parent_carer_name"] = ""
            data["parent_carer_contact"] = ""
            data["parent_carer_confirmed"] = False

    @staticmethod
    def privacy_notice_version():
        """The version of the privacy notice in force as they send the form: the one the
        consent box's link (/privacy/) shows. One query, made only when saving."""
        version = PrivacyNotice.objects.current_version()
        if version is None:
            # involvement's migrations publish the first notice and a published one cannot be
            # deleted, so this is a database set up wrongly: better no expression than one
            # that records agreeing to nothing.
            raise ImproperlyConfigured("No privacy notice is published for people to agree to.")
        return version

    def save(self, commit=True):
        expression = super().save(commit=False)
        expression.opportunity = self.opportunity
        expression.submission_key = self.cleaned_data["submission_key"]
        expression.privacy_notice_version = self.privacy_notice_version()
        if commit:
            expression.save()
        return expression


# The question pages of an expression of interest -------------------------------------------
#
# One question a page (the NHS service manual's question pages), shown by
# applications.views.InterestWizard; "If other", "If something else" and the parent or carer's
# page are steps of their own, asked only when an earlier answer needs them. Each step's
# `rows()` says its answers in words for "Check your answers".

def answer_labels(values, choices):
    return "\n".join(choice_labels(values, choices))


class InterestStepForm(InterestQuestionsForm):
    """One question page. `question` is the field whose label is the page's heading (h1);
    a page of several questions has `heading` instead, which the template shows as its h1."""

    question = None
    heading = None
    # Where its answers are listed on "Check your answers".
    section = "About you"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = public_form_helper(*self.layout())

    def layout(self):
        return [NHSField(self.question, heading=True)]

    @property
    def title(self):
        """The page's title: its heading, without "(optional)"."""
        if self.heading:
            return self.heading
        return self.fields[self.question].label.removesuffix(" (optional)")

    def rows(self):
        """(what was asked, the answer in words) for each answer, from cleaned_data."""
        raise NotImplementedError


class NameStep(InterestStepForm):
    heading = "Tell us you are interested"

    class Meta(InterestQuestionsForm.Meta):
        fields = ["full_name"]

    def layout(self):
        return [NHSField("full_name", size="m")]

    def rows(self):
        return [("Name", self.cleaned_data["full_name"])]


class ContactStep(InterestStepForm):
    question = "preferred_contact"

    class Meta(InterestQuestionsForm.Meta):
        fields = ["preferred_contact", "email", "phone"]

    def layout(self):
        return [NHSField("preferred_contact", heading=True), "email", "phone"]

    def clean(self):
        data = super().clean()
        self._check_contact(data)
        return data

    def rows(self):
        data = self.cleaned_data
        return [
            ("How we contact you",
             ExpressionOfInterest.ContactMethod(data["preferred_contact"]).label),
            ("Email address", data["email"] or "Not given"),
            ("Phone number", data["phone"] or "Not given"),
        ]


class AgeStep(InterestStepForm):
    question = "age_band"

    class Meta(InterestQuestionsForm.Meta):
        fields = ["age_band"]

    def clean(self):
        data = super().clean()
        if "age_band" not in self.errors:
            self._refuse_age(data)
        return data

    def rows(self):
        return [("Age", AgeBand(self.cleaned_data["age_band"]).label)]


class ParentCarerStep(InterestStepForm):
    heading = "Your parent or carer"

    class Meta(InterestQuestionsForm.Meta):
        fields = ["parent_carer_name", "parent_carer_contact", "parent_carer_confirmed"]

    def layout(self):
        return ["parent_carer_name", "parent_carer_contact", NHSField("parent_carer_confirmed")]

    def clean(self):
        data = super().clean()
        self._check_parent_carer(data)
        return data

    def rows(self):
        data = self.cleaned_data
        return [
            ("Your parent or carer", data["parent_carer_name"]),
            ("Their email address or phone number", data["parent_carer_contact"]),
            ("They know about this and agree", "Yes"),
        ]


class ConnectionStep(InterestStepForm):
    question = "connections"
    section = "Your interest"
    connections = connections_field()

    class Meta(InterestQuestionsForm.Meta):
        fields = ["connections"]

    def rows(self):
        return [(
            "How you are connected to the trust",
            answer_labels(self.cleaned_data["connections"], ExpressionOfInterest.Connection),
        )]


class OtherAnswerStep(InterestStepForm):
    """The page for an "Other" answer's box, asked only when "Other" was chosen, so the box
    is required here, with the message the one-page check gives (OTHER_ANSWERS)."""

    row_label = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields[self.question]
        field.required = True
        field.error_messages["required"] = next(
            error for _, _, box, error in self.OTHER_ANSWERS if box == self.question
        )

    def rows(self):
        return [(self.row_label, self.cleaned_data[self.question])]


class ConnectionOtherStep(OtherAnswerStep):
    question = "connection_other"
    section = "Your interest"
    row_label = "How else you are connected"

    class Meta(InterestQuestionsForm.Meta):
        fields = ["connection_other"]
        labels = {
            **InterestQuestionsForm.Meta.labels,
            "connection_other": "How else are you connected to the trust?",
        }


class WhyStep(InterestStepForm):
    question = "why_interested"
    section = "Your interest"

    class Meta(InterestQuestionsForm.Meta):
        fields = ["why_interested"]

    def rows(self):
        return [("Why you are interested", self.cleaned_data["why_interested"])]


class ExperienceStep(InterestStepForm):
    question = "experience"
    section = "Your interest"

    class Meta(InterestQuestionsForm.Meta):
        fields = ["experience"]

    def rows(self):
        return [("Anything else", self.cleaned_data["experience"] or "Nothing added")]


class AccessNeedsStep(InterestStepForm):
    question = "access_needs"
    section = "Taking part"
    access_needs = access_needs_field()

    class Meta(InterestQuestionsForm.Meta):
        fields = ["access_needs"]

    def rows(self):
        needs = self.cleaned_data["access_needs"]
        return [(
            "Help to take part",
            answer_labels(needs, ExpressionOfInterest.AccessNeed) if needs else "None",
        )]


class AccessNeedsOtherStep(OtherAnswerStep):
    question = "access_needs_other"
    section = "Taking part"
    row_label = "Something else you need"

    class Meta(InterestQuestionsForm.Meta):
        fields = ["access_needs_other"]
        labels = {
            **InterestQuestionsForm.Meta.labels,
            "access_needs_other": "What else do you need to help you take part?",
        }


class AvailabilityStep(InterestStepForm):
    question = "availability"
    section = "Taking part"

    class Meta(InterestQuestionsForm.Meta):
        fields = ["availability"]

    def rows(self):
        return [("When you can take part", self.cleaned_data["availability"] or "Not given")]


class CheckAnswersForm(forms.Form):
    """The last page: the privacy notice agreed to, then "Send". Its answers and those of
    every question page (`answers`, as the pages sent them) are checked again together by
    ExpressionOfInterestForm, which saves them (`save()`)."""

    website = forms.CharField(label="Leave this box empty", required=False)
    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    privacy_consent = privacy_consent_field()

    title = "Check your answers before sending"

    SOMETHING_CHANGED = (
        "Some of your answers need to be checked again. Use the “Change” links to check them."
    )

    def __init__(self, *args, opportunity, answers, **kwargs):
        super().__init__(*args, **kwargs)
        self.opportunity = opportunity
        self.answers = answers
        self.fields["privacy_consent"].label = InterestQuestionsForm.PRIVACY_CONSENT_LABEL
        self.fields["privacy_consent"].help_text = format_html(
            '<a href="{}">Read the privacy notice</a> (opens in the same tab).',
            reverse("privacy"),
        )
        self.fields["submission_key"].error_messages["required"] = (
            "Something went wrong with this form. Send it again."
        )
        self.helper = public_form_helper(NHSField("privacy_consent"), "submission_key")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        whole = self.answers.copy()
        whole["privacy_consent"] = "on"
        whole["submission_key"] = str(data["submission_key"])
        self.expression_form = ExpressionOfInterestForm(whole, opportunity=self.opportunity)
        if not self.expression_form.is_valid():
            # The question pages were each checked, so only answers changed behind the
            # person's back (another window, an opportunity changed meanwhile) come here.
            raise forms.ValidationError(self.SOMETHING_CHANGED)
        return data

    def save(self):
        return self.expression_form.save()


# The pages in the order they are asked: (the page's name in its address, its form).
CHECK_ANSWERS = "check-answers"
INTEREST_STEPS = [
    ("name", NameStep),
    ("contact", ContactStep),
    ("age", AgeStep),
    ("parent-carer", ParentCarerStep),
    ("connection", ConnectionStep),
    ("connection-other", ConnectionOtherStep),
    ("why", WhyStep),
    ("anything-else", ExperienceStep),
    ("access-needs", AccessNeedsStep),
    ("access-needs-other", AccessNeedsOtherStep),
    ("availability", AvailabilityStep),
    (CHECK_ANSWERS, CheckAnswersForm),
]


class EventRegistrationForm(ExpressionOfInterestForm):
    """Registering for one public event: the short version of the interest form.

    It asks who they are, how old they are (with a parent or carer for under-16s), what would
    help them take part, and for consent. It is saved as an expression of interest tied to the
    meeting; the view books the place.
    """

    # Not asked: coming to an event needs no reasons or history.
    connections = None

    class Meta(ExpressionOfInterestForm.Meta):
        fields = [
            "full_name", "email", "phone", "age_band",
            "parent_carer_name", "parent_carer_contact", "parent_carer_confirmed",
            "access_needs", "access_needs_other", "privacy_consent",
        ]

    TEXT_LIMITS = {}

    SECTIONS = [
        ("About you", ["full_name", "email", "phone", "age_band"]),
        ("Taking part", ["access_needs", "access_needs_other"]),
    ]

    PRIVACY_CONSENT_LABEL = (
        "I have read the privacy notice and agree to the trust using my information "
        "to contact me about this event"
    )

    def cache_variant(self):
        return f"event:{self.meeting.pk}"

    def __init__(self, *args, meeting, **kwargs):
        self.meeting = meeting
        super().__init__(*args, opportunity=meeting.opportunity, **kwargs)
        self.fields["email"].help_text = "We will send your booking to this address."
        # The booking, its joining details and any change are sent by email.
        self.fields["email"].required = True
        self.fields["email"].error_messages["required"] = "Enter your email address"
        self.fields["phone"].label = "UK phone number (optional)"
        self.fields["phone"].help_text = (
            "In case we need to reach you about the event. For example, 07700 900 982."
        )
        self.fields["age_band"].help_text = "So we can check the event is right for you."

    def save(self, commit=True):
        expression = super().save(commit=False)
        expression.meeting = self.meeting
        if commit:
            expression.save()
        return expression


class NextDateRequestForm(forms.ModelForm):
    """ "Tell me when the next one is", for an event with no date yet: a name and a way to
    reach them. Not an expression of interest, so nothing else is asked."""

    website = forms.CharField(label="Leave this box empty", required=False)
    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    privacy_consent = forms.BooleanField(
        label="I have read the privacy notice and agree to the trust using my information "
        "to tell me when the next date is",
        error_messages={"required": "Confirm that you have read the privacy notice and agree"},
    )

    class Meta:
        model = NextDateRequest
        fields = ["full_name", "email", "phone"]
        labels = {
            "full_name": "Full name",
            "email": "Email address",
            "phone": "UK phone number",
        }
        help_texts = {
            "full_name": "The name you would like us to use.",
            "email": "We will email you when there is a date. If you would rather we phoned "
            "you, leave this empty and give your phone number.",
            "phone": "Only if you would rather we phoned you. For example, 07700 900 982.",
        }
        error_messages = {
            "full_name": {
                "required": "Enter your full name",
                "max_length": "Full name must be 200 characters or fewer",
            },
            "email": {
                "invalid": "Enter an email address in the correct format, like name@example.com",
                "max_length": "Email address must be 254 characters or fewer",
            },
            "phone": {"max_length": "Phone number must be 40 characters or fewer"},
        }
        widgets = ExpressionOfInterestForm.Meta.widgets

    CONTACT_NEEDED = "Enter your email address or a phone number, so we can tell you the date"

    def __init__(self, *args, opportunity, **kwargs):
        super().__init__(*args, **kwargs)
        self.opportunity = opportunity
        self.fields["privacy_consent"].help_text = format_html(
            '<a href="{}">Read the privacy notice</a> (opens in the same tab).',
            reverse("privacy"),
        )
        self.fields["submission_key"].error_messages["required"] = (
            "Something went wrong with this form. Send it again."
        )
        self.helper = public_form_helper(
            fieldset("About you", ["full_name", "email", "phone"]),
            NHSField("privacy_consent"),
            "submission_key",
        )

    clean_full_name = ExpressionOfInterestForm.clean_full_name
    clean_email = ExpressionOfInterestForm.clean_email
    clean_phone = ExpressionOfInterestForm.clean_phone

    def clean(self):
        data = super().clean()
        has_errors = "email" in self.errors or "phone" in self.errors
        if not data.get("email") and not data.get("phone") and not has_errors:
            self.add_error("email", self.CONTACT_NEEDED)
        return data

    def save(self, commit=True):
        request = super().save(commit=False)
        request.opportunity = self.opportunity
        request.submission_key = self.cleaned_data["submission_key"]
        request.privacy_notice_version = ExpressionOfInterestForm.privacy_notice_version()
        if commit:
            request.save()
        return request


# Equality monitoring -----------------------------------------------------------------------


class GroupedRadioSelect(forms.RadioSelect):
    """Radios whose choices are grouped under headings (the ethnic groups): each radio knows
    its heading as `data.group`, so a template can put each group in its own fieldset."""

    def optgroups(self, name, value, attrs=None):
        groups = super().optgroups(name, value, attrs)
        for heading, options, _ in groups:
            for option in options:
                option["group"] = heading
        return groups


class EqualityMonitoringForm(forms.ModelForm):
    """The trust's equality questions. Every question is optional, and each has "Prefer not to
    say"; an answer that is not one of the choices (only a tampered form sends one) is refused
    with the rest kept."""

    website = forms.CharField(label="Leave this box empty", required=False)

    class Meta:
        model = EqualityResponse
        fields = list(EqualityResponse.QUESTIONS)
        labels = {
            "sex": "What is your sex?",
            "gender_same_as_birth": (
                "Is the gender you identify with the same as your sex registered at birth?"
            ),
            "sexual_orientation": "Which of these best describes your sexual orientation?",
            "ethnic_group": "What is your ethnic group?",
            "religion": "What is your religion or belief?",
            "disability": "Do you have a disability or a long-term health condition?",
            "caring": (
                "Do you look after or support someone because of illness, disability or "
                "old age?"
            ),
        }
        help_texts = {
            "ethnic_group": "Choose the answer that best describes your ethnic group or "
            "background.",
            "disability": "This means a physical or mental health condition that has lasted, "
            "or is likely to last, 12 months or more, and makes it much harder to do everyday "
            "things. This is how the Equality Act 2010 describes disability.",
            "caring": "For example, a family member, partner, friend or neighbour. Do not count "
            "anything you are paid to do.",
        }
        error_messages = {
            "sex": {"invalid_choice": "Select your sex from the answers given"},
            "gender_same_as_birth": {
                "invalid_choice": "Select whether your gender is the same as your sex "
                "registered at birth from the answers given",
            },
            "sexual_orientation": {
                "invalid_choice": "Select your sexual orientation from the answers given",
            },
            "ethnic_group": {"invalid_choice": "Select your ethnic group from the answers given"},
            "religion": {
                "invalid_choice": "Select your religion or belief from the answers given",
            },
            "disability": {
                "invalid_choice": "Select whether you have a disability or long-term health "
                "condition from the answers given",
            },
            "caring": {
                "invalid_choice": "Select whether you look after or support someone from the "
                "answers given",
            },
        }
        widgets = {
            **{question: forms.RadioSelect for question in EqualityResponse.QUESTIONS},
            "ethnic_group": GroupedRadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for question in EqualityResponse.QUESTIONS:
            field = self.fields[question]
            # Radios with no blank "---------" choice: a question is left blank by choosing
            # none of them.
            field.choices = EqualityResponse._meta.get_field(question).choices
            field.required = False

        self.helper = public_form_helper(*[
            NHSField(
                question,
                size="m",
                template="applications/includes/grouped_radios.html"
                if question == "ethnic_group" else None,
            )
            for question in EqualityResponse.QUESTIONS
        ])


# A parent's or carer's consent ----------------------------------------------------------------


class ParentConsentForm(forms.Form):
    """The one question on the page a parent's or carer's consent link opens: do they agree?
    Validates only; the view records the answer."""

    answer = forms.ChoiceField(
        widget=forms.RadioSelect,
        choices=[
            (ExpressionOfInterest.ParentConsent.CONFIRMED, "Yes, I agree"),
            (ExpressionOfInterest.ParentConsent.REFUSED, "No, I do not agree"),
        ],
    )

    def __init__(self, *args, child, **kwargs):
        super().__init__(*args, **kwargs)
        question = self.fields["answer"]
        question.label = f"Do you agree to {child} taking part?"
        question.error_messages = {
            "required": f"Select whether you agree to {child} taking part",
            "invalid_choice": f"Select whether you agree to {child} taking part",
        }
        self.helper = public_form_helper(NHSField("answer", size="m"))

    def clean_answer(self):
        return ExpressionOfInterest.ParentConsent(self.cleaned_data["answer"])


# Alerts about new opportunities ----------------------------------------------------------------


class AlertChoicesForm(forms.Form):
    """Which new opportunities someone wants to hear about. Choosing none of a question means
    all of them, so every question is optional."""

    kinds = forms.MultipleChoiceField(
        label="Which kinds of opportunity would you like to hear about? (optional)",
        help_text="Select all that apply. If you select none, we will tell you about every kind.",
        choices=list(AlertSubscription.KIND_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "Select the kinds of opportunity from the list"},
    )
    programmes = forms.ModelMultipleChoiceField(
        label="Which areas of our work interest you? (optional)",
        help_text="Select all that apply. If you select none, we will tell you about "
        "opportunities in every area.",
        queryset=Programme.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={
            "invalid_choice": "Select the areas of our work from the list",
            "invalid_pk_value": "Select the areas of our work from the list",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = public_form_helper(NHSField("kinds"), NHSField("programmes"))


class AlertSignUpForm(AlertChoicesForm):
    """Signing up for alerts: an email address, and optionally the choices. Validates only;
    `AlertSubscription.objects.sign_up` acts."""

    email = forms.EmailField(
        label="Email address",
        help_text="We will send you an email to check it is yours. We will not send you "
        "anything else until you confirm.",
        max_length=254,
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "spellcheck": "false",
                   "class": "nhsuk-u-width-two-thirds"}
        ),
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
            "max_length": "Email address must be 254 characters or fewer",
        },
    )
    # The box people are told to leave empty (see ExpressionOfInterestForm).
    website = forms.CharField(label="Leave this box empty", required=False)
    submission_key = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"required": "Something went wrong with this form. Send it again."},
    )

    field_order = ["email", "kinds", "programmes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = public_form_helper(
            NHSField("email"), NHSField("kinds"), NHSField("programmes"), "submission_key"
        )

    def clean_email(self):
        return self.cleaned_data["email"].strip()


class MyInvolvementSignInForm(forms.Form):
    """Asking for a sign-in link to a lay partner's own page. Validates only."""

    email = forms.EmailField(
        label="Email address",
        help_text="The email address you gave us when you got involved.",
        max_length=254,
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "spellcheck": "false",
                   "class": "nhsuk-u-width-two-thirds"}
        ),
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
            "max_length": "Email address must be 254 characters or fewer",
        },
    )
    # The box people are told to leave empty (see ExpressionOfInterestForm).
    website = forms.CharField(label="Leave this box empty", required=False)
    submission_key = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"required": "Something went wrong with this form. Send it again."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = public_form_helper(NHSField("email"), "submission_key")

    def clean_email(self):
        return self.cleaned_data["email"].strip()
