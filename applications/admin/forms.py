"""The forms of the expression of interest's own pages and actions: a move through the
pipeline, "not progressed" with a reason, the invitation to a meeting, and who handles it."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from involvement.formats import staff_name
from opportunities.models import Meeting

from ..models import ExpressionOfInterest

Status = ExpressionOfInterest.Status


class MoveForm(forms.Form):
    status = forms.ChoiceField(
        choices=Status.choices,
        error_messages={
            "required": "Choose where to move this expression of interest.",
            "invalid_choice": "Choose one of the moves offered.",
        },
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Required for “Not progressed”. Kept in the history.",
    )


class NotProgressedForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        error_messages={"required": "Give a reason why these are not progressing."},
        help_text="One sentence is enough. It is kept in each expression's history.",
    )


class NotProgressedEmailForm(forms.Form):
    """The review before one person is marked not progressed: the reason (for the history)
    and the email to them, prefilled from it, which staff may edit or choose not to send."""

    SEND, DO_NOT_SEND = "send", "do_not_send"

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={
            "required": "Give a reason why this expression of interest is not progressing."
        },
        help_text="Kept in the history with your name. The person does not see it.",
    )
    send_email = forms.ChoiceField(
        label="Email them?",
        widget=forms.RadioSelect,
        choices=[(SEND, "Yes, send the email below"), (DO_NOT_SEND, "No, do not email them")],
        error_messages={"required": "Choose whether to email them."},
    )
    email_text = forms.CharField(
        label="The email to them",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "cols": 70}),
        help_text="Check it reads kindly and says nothing they should not read. It starts "
        "“Dear” and their name, and ends with how to contact us and their reference.",
    )

    def __init__(self, *args, can_email=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_email:
            del self.fields["send_email"]
            del self.fields["email_text"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("send_email") == self.SEND and not cleaned.get("email_text", "").strip():
            self.add_error("email_text", "Write the email to them, or choose not to email them.")
        return cleaned

    def email_to_send(self):
        """The text to email, or None when staff chose not to (or cannot) email them."""
        if self.cleaned_data.get("send_email") != self.SEND:
            return None
        return self.cleaned_data["email_text"]


# Meetings people are invited to from an expression of interest.
INVITE_KINDS = [Meeting.Kind.BRIEFING, Meeting.Kind.TASTER]


def invitable_meetings():
    """Upcoming briefing and taster meetings, with the places each has taken."""
    return (
        Meeting.objects.upcoming()
        .filter(kind__in=INVITE_KINDS)
        .select_related("opportunity")
        .with_places()
    )


def places_in_words(meeting):
    if meeting.capacity is None:
        return f"{meeting.places_taken()} booked, no limit"
    left = meeting.places_left()
    if left == 0:
        waiting = f", {meeting.waiting_count} waiting" if meeting.waiting_count else ""
        return f"full ({meeting.capacity} places{waiting}): they will go on the waiting list"
    return f"{left} of {meeting.capacity} place{'' if meeting.capacity == 1 else 's'} left"


def meeting_label(meeting, *, with_opportunity):
    parts = [meeting.display_title]
    if with_opportunity:
        parts.append(meeting.opportunity.title)
    parts += [meeting.when, meeting.place, places_in_words(meeting)]
    return " – ".join(parts)


def meeting_groups(meetings, opportunity_ids):
    """Meetings grouped by opportunity: the expressions' own opportunities first, then every
    other upcoming briefing or taster meeting. A list of (heading, meetings, is_own)."""
    own, other = {}, []
    for meeting in meetings:
        if meeting.opportunity_id in opportunity_ids:
            own.setdefault(meeting.opportunity.title, []).append(meeting)
        else:
            other.append(meeting)
    groups = [(f"For {title}", its_meetings, True) for title, its_meetings in own.items()]
    if other:
        groups.append(("Other opportunities" if own else "Upcoming meetings", other, False))
    return groups


class InviteForm(forms.Form):
    meeting = forms.ChoiceField(
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the meeting to invite them to.",
            "invalid_choice": "Choose one of the upcoming meetings offered.",
        },
    )

    def __init__(self, *args, opportunity_ids, booked=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.meetings = {meeting.pk: meeting for meeting in invitable_meetings()}
        self.booked = booked or {}
        self.groups = meeting_groups(self.meetings.values(), set(opportunity_ids))
        self.fields["meeting"].choices = [
            (heading, [
                (str(meeting.pk), meeting_label(meeting, with_opportunity=not own))
                for meeting in its_meetings
            ])
            for heading, its_meetings, own in self.groups
        ]

    def table(self):
        """The choices as the page shows them: a table per group, a radio button per row."""
        radios = {str(radio.data["value"]): radio for radio in self["meeting"]}
        return [
            {
                "heading": heading,
                "own": own,
                "rows": [
                    {
                        "meeting": meeting,
                        "radio": radios[str(meeting.pk)],
                        "places": places_in_words(meeting),
                        "booked": self.booked.get(meeting.pk),
                    }
                    for meeting in its_meetings
                ],
            }
            for heading, its_meetings, own in self.groups
        ]

    def clean_meeting(self):
        return self.meetings[int(self.cleaned_data["meeting"])]


class ParentConsentForm(forms.Form):
    """Consent a parent or carer gave the team (by phone, say), as staff record it."""

    answer = forms.ChoiceField(
        label="Their answer",
        widget=forms.RadioSelect,
        choices=[
            (ExpressionOfInterest.ParentConsent.CONFIRMED, "They agree"),
            (ExpressionOfInterest.ParentConsent.REFUSED, "They do not agree"),
        ],
        error_messages={"required": "Choose whether they agree."},
    )
    given_by = forms.CharField(
        label="Who gave it",
        max_length=200,
        help_text="The parent's or carer's name, as they gave it.",
        error_messages={"required": "Enter the name of the parent or carer who answered."},
    )
    method = forms.ChoiceField(
        label="How",
        widget=forms.RadioSelect,
        # The link is the parent's or carer's own way: staff record the others.
        choices=[
            choice for choice in ExpressionOfInterest.ConsentMethod.choices
            if choice[0] != ExpressionOfInterest.ConsentMethod.LINK
        ],
        initial=ExpressionOfInterest.ConsentMethod.PHONE,
        error_messages={"required": "Choose how they gave their answer."},
    )
    at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="UK time.",
        error_messages={
            "required": "Enter when they gave their answer.",
            "invalid": "Enter the date and time they gave their answer.",
        },
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="For example, the number you called, or anything they asked for.",
    )

    def clean_at(self):
        at = self.cleaned_data["at"]
        if at > timezone.now():
            raise forms.ValidationError("When they answered cannot be in the future.")
        return at

    def clean_given_by(self):
        return " ".join(self.cleaned_data["given_by"].split())


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return staff_name(user)


class StaffAutocomplete(AutocompleteSelect):
    """Django's autocomplete box, searching staff through this admin rather than the user
    admin, so leads and the team can assign without permission to see every user account."""

    def get_url(self):
        return reverse(f"{self.admin_site.name}:applications_expressionofinterest_assignees")


def assignable_staff():
    return get_user_model().objects.filter(is_staff=True, is_active=True)

