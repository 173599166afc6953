"""Owner forms for stores and revenue shares."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..core.forms import RateField
from ..domain import DomainError
from ..sellers.rules import parse_rate_percent
from ..stores import rules


class StoreForm(FlaskForm):
    """A store's fields; latitude and longitude are checked together."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Please give the store a name.")), Length(max=120)])
    address = StringField(_l("Street address"), validators=[Length(max=200)])
    city = StringField(_l("City"), validators=[Length(max=100)])
    postcode = StringField(_l("Postcode"), validators=[Length(max=20)])
    latitude = StringField(_l("Latitude (e.g. 51.5074)"), validators=[DataRequired(_l("Please give the latitude."))])
    longitude = StringField(_l("Longitude (e.g. -0.1278)"), validators=[DataRequired(_l("Please give the longitude."))])
    opening_hours = TextAreaField(_l("Opening hours"), validators=[Length(max=1000)])
    pickup = BooleanField(_l("Customers can pick up orders here"), default=True)
    active = BooleanField(_l("Open (shown to shoppers)"), default=True)

    def validate_longitude(self, field) -> None:
        try:
            rules.parse_coordinates(self.latitude.data, field.data)
        except DomainError as err:
            raise ValidationError(err.message) from err


class SharesForm(FlaskForm):
    """The owner's revenue-share percentages."""

    store_share = RateField(
        _l("Store share of its customers' turnover (%)"), validators=[DataRequired()], parse=parse_rate_percent
    )
    seller_share = RateField(
        _l("Seller share of the turnover from their links (%)"), validators=[DataRequired()], parse=parse_rate_percent
    )
