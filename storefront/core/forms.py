"""Form fields every owner screen shares: amounts of money and percentages typed as text."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError

from ..domain import DomainError
from ..money import parse_amount

# Amounts are stored in 32-bit integer columns (minor units): anything larger fails on PostgreSQL.
MAX_AMOUNT_MINOR = 2**31 - 1


class MoneyField(StringField):
    """An amount typed as "12.50"; `.minor` holds integer minor units after validation."""

    minor: int | None = None

    def pre_validate(self, form) -> None:
        text = (self.data or "").strip()
        if not text:
            self.minor = None
            return
        try:
            self.minor = parse_amount(text, current_app.config["SHOP_CURRENCY"])
        except ValueError as exc:
            raise ValidationError(_l("Enter an amount like 12.50.")) from exc
        if self.minor > MAX_AMOUNT_MINOR:
            self.minor = None
            raise ValidationError(_l("This amount is too large."))


class RateField(StringField):
    """A percentage like "7.5"; `.basis_points` holds the value after validation.

    `parse` is the pure rule of the feature that owns the rate (text -> basis points, a
    DomainError saying what is wrong), so core knows the field and the feature its numbers.
    """

    basis_points: int | None = None

    def __init__(self, label=None, validators=None, *, parse: Callable[[str], int], **kwargs) -> None:
        super().__init__(label, validators, **kwargs)
        self.parse = parse

    def pre_validate(self, form) -> None:
        self.basis_points = None
        if not (self.data or "").strip():
            return
        try:
            self.basis_points = self.parse(self.data)
        except DomainError as err:
            raise ValidationError(err.message) from err
