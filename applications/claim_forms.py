"""The forms of a lay partner's claim (applications/claims.py holds every rule; these forms only
turn what was typed into values, call the rules, and put their messages by the right box).

The claim page is one form of several parts, so it works on a phone without JavaScript:
`ClaimForm` (the payment, the declaration, the form's key and how many expense rows it shows)
and one `ExpenseForm` a row, each with the prefix "expense-<n>". A row left empty is not an
expense. A receipt, once uploaded and found good, is kept (claims.Receipt with no expense yet)
and named in its row's hidden "kept" box, so a mistake elsewhere never loses it.
"""

import re
from decimal import Decimal

from django import forms
from django.conf import settings

from .claims import WRONG_KIND, ClaimError, Expense, check_receipt_upload, payment_for

MOST_EXPENSE_ROWS = 12
DECIMAL_INPUT = {"inputmode": "decimal", "class": "nhsuk-input--width-5", "autocomplete": "off"}


class PoundsField(forms.DecimalField):
    """Money as people write it: 4.50, £4.50, £1,200."""

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[£,\s]", "", value)
        return super().to_python(value)


class ReceiptField(forms.FileField):
    """A receipt or ticket: cleaned to what its content really is (`check_receipt_upload`, a
    CheckedUpload), or None when no file was chosen."""

    default_error_messages = {
        "invalid": WRONG_KIND,
        "empty": "The file is empty: choose the photo or PDF again",
    }

    def __init__(self, **kwargs):
        super().__init__(
            required=False,
            widget=forms.FileInput(
                attrs={"class": "nhsuk-file-upload__input",
                       "accept": "image/jpeg,image/png,application/pdf"}
            ),
            **kwargs,
        )

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload:
            return None
        try:
            return check_receipt_upload(upload)
        except ClaimError as error:
            raise forms.ValidationError(error.messages) from None


class HoursField(forms.DecimalField):
    """Hours as a number: 2, 1.5, 0.75. "1h 30" and "90 minutes" are not understood, and the
    error says so with an example."""

    def __init__(self, **kwargs):
        super().__init__(
            max_digits=4, decimal_places=2, min_value=0, required=False,
            widget=forms.TextInput(attrs=DECIMAL_INPUT), **kwargs,
        )


def _claim_errors(form, error):
    """Put a rule's ClaimError({field: message}) by the boxes it names."""
    for field, messages in error.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class ClaimForm(forms.Form):
    """The payment and the declaration. `meeting` says which questions are asked: the hours
    only if the level pays by the hour, preparation only if it pays for it, the payment only
    if there is one."""

    submission_key = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"required": "Something went wrong with this form. Send it again."},
    )
    expense_rows = forms.IntegerField(
        widget=forms.HiddenInput, min_value=0, max_value=MOST_EXPENSE_ROWS, required=False
    )
    decline_payment = forms.BooleanField(
        label="I do not want the involvement payment",
        help_text="You can still claim your expenses.",
        required=False,
    )
    hours = HoursField(
        label="How many hours were you at the meeting?",
        help_text="For example, 2 or 1.5. Count from when it started to when you left.",
        error_messages={
            "invalid": "Enter the hours as a number, for example 2 or 1.5",
            "min_value": "Enter the hours as a number, for example 2 or 1.5",
            "max_digits": "Enter the hours as a number, for example 2 or 1.5",
            "max_decimal_places": "Enter the hours to the quarter hour, for example 1.25",
        },
    )
    preparation_hours = HoursField(
        label="How many hours did you spend preparing? (optional)",
        help_text="For example, reading the papers. Leave empty if you did not prepare.",
        error_messages={
            "invalid": "Enter the preparation hours as a number, for example 1 or 0.5",
            "min_value": "Enter the preparation hours as a number, for example 1 or 0.5",
            "max_digits": "Enter the preparation hours as a number, for example 1 or 0.5",
            "max_decimal_places": (
                "Enter the preparation hours to the quarter hour, for example 0.75"
            ),
        },
    )
    declaration = forms.BooleanField(
        label="I declare that the information I have given is correct and complete, that I "
        "was at this meeting, and that I have not claimed for these costs anywhere else.",
        error_messages={"required": "Tick the box to confirm the declaration"},
    )
    declaration_name = forms.CharField(
        label="Your full name",
        help_text="Typing your name here signs the declaration.",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your full name to sign the declaration",
            "max_length": "Your name must be 200 characters or fewer",
        },
    )

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.level = meeting.opportunity.payment_level
        self.pays = bool(self.level and self.level.pays)
        self.asks_hours = self.pays and bool(self.level.rate_per_hour)
        self.asks_preparation = self.asks_hours and self.level.preparation_paid
        if not self.pays:
            del self.fields["decline_payment"]
        if not self.asks_hours:
            del self.fields["hours"]
        if not self.asks_preparation:
            del self.fields["preparation_hours"]

    def clean_declaration_name(self):
        return " ".join(self.cleaned_data["declaration_name"].split())

    def clean(self):
        data = super().clean()
        declined = data.get("decline_payment", False)
        if any(name in self.errors for name in ("hours", "preparation_hours")):
            return data
        try:
            data["payment"] = payment_for(
                self.meeting, hours=data.get("hours"),
                preparation_hours=data.get("preparation_hours"), declined=declined,
            )
        except ClaimError as error:
            _claim_errors(self, error)
        if declined:
            # Not paid, so not kept: the hours were only for working the payment out.
            data["hours"] = data["preparation_hours"] = None
        return data


class ExpenseForm(forms.Form):
    """One expense row. `kept` are the receipts already uploaded for it (claims.Receipt, not
    yet attached), which the page names in a hidden "<prefix>-kept" box and the view checks
    against the browser's draft key, so nobody can name another person's receipt; `receipt`
    is a new upload, checked by its content."""

    kind = forms.ChoiceField(
        label="What was it for?",
        choices=[("", "Choose the kind of expense"), *Expense.Kind.choices],
        required=False,
        error_messages={"invalid_choice": "Choose the kind of expense from the list"},
    )
    description = forms.CharField(
        label="Where from and to, or what it was for (optional)",
        help_text="For example, from home to the hospital and back.",
        max_length=300, required=False,
        error_messages={"max_length": "This must be 300 characters or fewer"},
    )
    amount = PoundsField(
        label="How much did you pay?",
        help_text="In pounds and pence, for example 4.50. Not needed for mileage.",
        max_digits=8, decimal_places=2, min_value=Decimal("0.01"), required=False,
        widget=forms.TextInput(attrs=DECIMAL_INPUT),
        error_messages={
            "invalid": "Enter what you paid, in pounds and pence, for example 4.50",
            "min_value": "Enter what you paid, in pounds and pence, for example 4.50",
            "max_digits": "Enter an amount under £1,000,000",
            "max_decimal_places": "Enter the amount in pounds and pence, for example 4.50",
        },
    )
    miles = forms.DecimalField(
        label="Miles driven, there and back (mileage only)",
        max_digits=6, decimal_places=1, min_value=Decimal("0.1"), required=False,
        widget=forms.TextInput(attrs=DECIMAL_INPUT),
        error_messages={
            "invalid": "Enter the miles as a number, for example 12 or 12.5",
            "min_value": "Enter the miles as a number, for example 12 or 12.5",
            "max_digits": "Enter the miles as a number under 100,000",
            "max_decimal_places": "Enter the miles to one decimal place, for example 12.5",
        },
    )
    reason = forms.CharField(
        label="Why did you need a taxi? (taxi only)",
        max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": "This must be 1,000 characters or fewer"},
    )
    receipt = ReceiptField(label="Photo or PDF of the receipt or ticket")
    def __init__(self, *args, kept=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kept = list(kept)
        self.fields["receipt"].help_text = (
            f"Not needed for mileage. A JPG, PNG or PDF, {settings.RECEIPT_MAX_MB}MB or smaller."
        )
        self.fields["miles"].help_text = (
            f"We pay {settings.EXPENSES_MILEAGE_RATE * 100:.0f}p a mile and work the amount out."
        )

    def is_empty(self):
        """Nothing typed, chosen or uploaded: a row not used."""
        data = getattr(self, "cleaned_data", {})
        typed = any(data.get(name) for name in ("kind", "description", "amount", "miles",
                                                  "reason", "receipt"))
        return not typed and not self.kept and "receipt" not in self.errors

    def clean(self):
        data = super().clean()
        if self.is_empty() or self.errors:
            return data
        if not data.get("kind"):
            self.add_error("kind", "Choose what the expense was for")
            return data
        try:
            data["amount"] = Expense.amount_for(
                data["kind"], amount=data.get("amount"), miles=data.get("miles"),
                reason=data.get("reason", ""),
                receipts=len(self.kept) + (1 if data.get("receipt") else 0),
            )
        except ClaimError as error:
            errors = error.message_dict
            if "receipts" in errors:
                errors["receipt"] = errors.pop("receipts")
            _claim_errors(self, ClaimError(errors))
        if data.get("kind") != Expense.Kind.MILEAGE:
            data["miles"] = None
        if data.get("kind") != Expense.Kind.TAXI:
            data["reason"] = ""
        return data


class AnswerForm(forms.Form):
    """The person's answer to the team's question about their claim, with a receipt if the
    team asked for one (a missing or unreadable receipt is the usual question)."""

    message = forms.CharField(
        label="Your answer",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Enter your answer to the question",
            "max_length": "Your answer must be 3,000 characters or fewer",
        },
    )
    expense = forms.TypedChoiceField(
        label="Which expense is the receipt for?", coerce=int, required=False,
        widget=forms.RadioSelect,
    )
    receipt = ReceiptField(label="Add a photo or PDF of a receipt or ticket (optional)")

    def __init__(self, *args, expenses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.expenses = list(expenses)
        if not self.expenses:
            # A claim for the payment alone has nothing a receipt could be for.
            del self.fields["expense"], self.fields["receipt"]
            return
        self.fields["receipt"].help_text = (
            f"If we asked for one. A JPG, PNG or PDF, {settings.RECEIPT_MAX_MB}MB or smaller."
        )
        if len(self.expenses) == 1:
            del self.fields["expense"]
        else:
            self.fields["expense"].choices = [
                (expense.pk, f"{expense.get_kind_display()}: £{expense.amount}"
                 + (f" ({expense.description})" if expense.description else ""))
                for expense in self.expenses
            ]

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if not message:
            raise forms.ValidationError("Enter your answer to the question")
        return message

    def clean(self):
        data = super().clean()
        if data.get("receipt") and "expense" in self.fields and not data.get("expense"):
            self.add_error("expense", "Choose which expense the receipt is for")
        return data

    def receipt_expense(self):
        """The expense the checked receipt goes on, or None if none was sent."""
        if not self.cleaned_data.get("receipt"):
            return None
        if "expense" not in self.fields:
            return self.expenses[0]
        return next(e for e in self.expenses if e.pk == self.cleaned_data["expense"])
