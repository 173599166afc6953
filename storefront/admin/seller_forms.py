"""Owner forms for sellers and payouts; rates are typed as percentages and stored as basis points."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..catalog.models import Category
from ..core.forms import MoneyField, RateField
from ..domain import DomainError
from ..sellers import rules


class SellerForm(FlaskForm):
    """A seller's editable fields."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Please give a name.")), Length(max=120)])
    phone = StringField(_l("Phone (optional; used to spot the seller's own orders)"), validators=[Length(max=24)])
    rate = RateField(
        _l("Commission (%)"),
        validators=[DataRequired(_l("Please give the commission, like 10."))],
        parse=rules.parse_rate_percent,
    )
    password = PasswordField(
        _l("New password (leave empty to keep it)"), validators=[Optional(), Length(min=10, max=200)]
    )
    active = BooleanField(_l("Active (links earn commission)"), default=True)


class NewSellerForm(SellerForm):
    """A new seller: also the sign-in email and the referral code."""

    email = StringField(
        _l("Email (to sign in)"),
        validators=[DataRequired(_l("Please give an email.")), Length(max=254)],
    )
    code = StringField(
        _l("Referral code (optional; 4-12 letters or digits)"),
        validators=[Optional(), Length(max=12)],
    )
    password = PasswordField(
        _l("Password (leave empty to generate one)"), validators=[Optional(), Length(min=10, max=200)]
    )

    def validate_code(self, field) -> None:
        if field.data and rules.normalise_code(field.data) is None:
            raise ValidationError(_l("A referral code has 4 to 12 letters or digits, like ANNA24."))


class PayoutForm(FlaskForm):
    """Money paid to a seller."""

    amount = MoneyField(_l("Amount paid"), validators=[DataRequired(_l("Please give the amount paid."))])
    note = StringField(_l("Note (e.g. bank transfer reference)"), validators=[Length(max=200)])


def rate_field_name(category_id: int) -> str:
    """The form field of a category's rate override."""
    return f"rate_{category_id}"


def parse_overrides(
    formdata: Mapping[str, str], categories: Iterable[Category]
) -> tuple[dict[int, int], dict[int, str]]:
    """Category rate overrides from the form: ({category id: basis points}, {category id: error})."""
    overrides: dict[int, int] = {}
    errors: dict[int, str] = {}
    for category in categories:
        raw = (formdata.get(rate_field_name(category.id)) or "").strip()
        if not raw:
            continue
        try:
            overrides[category.id] = rules.parse_rate_percent(raw[:20])
        except DomainError as err:
            errors[category.id] = err.message
    return overrides, errors
