"""The admin the involvement team and programme leads work in all day."""

from . import personal_data  # noqa: F401  (registers its admins)
from .expressions import ExpressionOfInterestAdmin, ReadOnlyInlineFormSet

__all__ = ["ExpressionOfInterestAdmin", "ReadOnlyInlineFormSet"]
