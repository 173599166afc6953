"""The checkout form: one short form on a phone, validated on the server."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from babel import Locale
from flask_babel import get_locale
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import Select

from ..core.html_params import html_params
from ..core.numerals import lazy_gettext as _l
from ..orders.rules import Delivery, PaymentMethod, normalise_phone

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
CHECKOUT_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


# CLDR territory codes that are not countries one can ship to (EU, eurozone, UN, pseudo-locales, unknown).
NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}


def country_choices() -> tuple[tuple[str, str], ...]:
    """ISO country codes with names in the shopper's language, sorted by name (accents aside: Bélgica before Bután).

    The same object for every request in a language (built once: sorting 250 names took about
    2 ms per checkout request), which also lets `OptionsOnceSelect` render it once. A tuple,
    because every request and thread shares it.
    """
    return _country_choices(str(get_locale()))


@lru_cache(maxsize=64)
def _country_choices(locale_tag: str) -> tuple[tuple[str, str], ...]:
    """The country list of one language (a Babel locale tag such as "es" or "zh_Hans")."""
    territories = Locale.parse(locale_tag).territories
    names = [
        (code, name)
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    ]
    return tuple(sorted(names, key=lambda pair: (_sort_key(pair[1]), pair[1])))


@lru_cache(maxsize=64)
def _country_codes(locale_tag: str) -> frozenset[str]:
    """The codes of that list, for validation."""
    return frozenset(code for code, _name in _country_choices(locale_tag))


class OptionsOnceSelect(Select):
    """WTForms' select, with the options of a long, shared choices list rendered once.

    Rendering 250 countries option by option cost about 4 ms per checkout page. The markup is
    identical to `Select`'s (a test compares them): the options are built once per choices list
    object, and per request only the selected one is rendered again. Lists not seen before (or
    with groups) are rendered the ordinary way.
    """

    CACHED_LISTS = 64  # one per language in practice; a bound in case a caller builds lists per request

    def __init__(self) -> None:
        super().__init__()
        self._rendered: dict[int, tuple[list | tuple, list[str], dict[str, int]]] = {}

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for name in dir(flags):
            if name in self.validation_attrs and name not in kwargs:
                kwargs[name] = getattr(flags, name)
        # The selected option is the one whose value equals the data as a string: for
        # SelectField's default coerce=str, as here.
        html = self.render(field.name, field.choices, field.data, **kwargs)
        return super().__call__(field, **kwargs) if html is None else html

    def render(self, name: str, choices, selected, /, **attributes) -> Markup | None:
        """The select for these choices, their options written once per list; None for a shape it does not take."""
        entry = self._rendered.get(id(choices))
        if entry is None or entry[0] is not choices:  # the id of a list that is gone may be reused
            # Only a list or tuple of (value, label) pairs: other shapes (dicts for groups,
            # SelectChoice) go to WTForms. (Not field.has_groups(): it converts every choice on
            # each call.)
            if not isinstance(choices, list | tuple) or not all(type(c) is tuple and len(c) == 2 for c in choices):
                return None
            if len(self._rendered) >= self.CACHED_LISTS:
                self._rendered.clear()
            options = [_option(value, label) for value, label in choices]
            entry = (choices, options, {str(value): i for i, (value, _label) in enumerate(choices)})
            self._rendered[id(choices)] = entry
        return select_html(name, choices, selected, _rendered=entry, **attributes)


def select_html(name: str, choices, selected, /, _rendered=None, **attributes) -> Markup:
    """A <select> with `choices` and the option whose value is `selected`, as WTForms' Select writes it.

    `attributes` are the select's own (id, flags); `_rendered` is OptionsOnceSelect's kept
    rendering of a shared choices list (its options written once), else each option is written.
    """
    if _rendered is None:
        options = [_option(value, label) for value, label in choices]
        index = {str(value): i for i, (value, _label) in enumerate(choices)}
    else:
        _choices, options, index = _rendered
    at = index.get(selected) if isinstance(selected, str) else None
    if at is not None:
        options = options.copy()
        options[at] = _option(*choices[at], selected=True)
    # html_params escapes every attribute and _option every label, as WTForms' Select does.
    return Markup(f"<select {html_params(name=name, **attributes)}>{''.join(options)}</select>")  # noqa: S704


def _option(value, label, selected: bool = False) -> str:
    """One <option>, exactly as WTForms' Select.render_option writes it."""
    params = html_params(value=value, selected=True) if selected else html_params(value=value)
    return f"<option {params}>{escape(label or value)}</option>"


def _sort_key(name: str) -> str:
    """A name without accents, case-folded, so that É sorts with E."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)).casefold()


CASH_LABEL = _l("Cash on delivery, or pay at pickup")
CARD_LABEL = _l("Card, on a secure payment page")


def payment_choices(card: bool, transfers) -> list[tuple[str, object]]:
    """The ways to pay: card first when a payment provider is configured, cash, then the owner's transfer methods.

    Transfer methods are the shop currency's ("transfer-<id>", "bKash").
    """
    return [*([(PaymentMethod.CARD, CARD_LABEL)] if card else []), (PaymentMethod.CASH, CASH_LABEL), *transfers]


def _required_for_delivery(form: CheckoutForm, field) -> None:
    """Address fields are required only when the goods are delivered."""
    if form.delivery_method.data == Delivery.DELIVERY and not (field.data or "").strip():
        raise ValidationError(_l("Please fill this in for delivery."))


class CheckoutForm(FlaskForm):
    """Guest checkout: contact, delivery or pickup, payment, note."""

    checkout_key = HiddenField()
    # The total shown for each delivery method (minor units): the order is refused if what it
    # would charge differs (prices or the cart changed since the page was rendered).
    shown_total_delivery = HiddenField()
    shown_total_pickup = HiddenField()
    customer_name = StringField(
        _l("Full name"), validators=[DataRequired(_l("Please tell us your name.")), Length(max=120)]
    )
    phone = StringField(_l("Phone"), validators=[DataRequired(_l("Please give a phone number.")), Length(max=32)])
    email = StringField(_l("Email (optional)"), validators=[Optional(), Length(max=254)])
    delivery_method = RadioField(
        _l("How do you want it?"),
        default=Delivery.DELIVERY,
        choices=[
            (Delivery.DELIVERY, _l("Delivery to my address")),
            (Delivery.PICKUP, _l("Pick up at the shop")),
        ],
        validators=[DataRequired(_l("Please choose delivery or pickup."))],
    )
    pickup_store = SelectField(_l("Pick up at"), validate_choice=False)
    street = StringField(_l("Street and number"), validators=[_required_for_delivery, Length(max=200)])
    city = StringField(_l("City"), validators=[_required_for_delivery, Length(max=100)])
    region = StringField(_l("Region or state (optional)"), validators=[Length(max=100)])
    postcode = StringField(_l("Postcode"), validators=[_required_for_delivery, Length(max=20)])
    country = SelectField(
        _l("Country"), validators=[_required_for_delivery], validate_choice=False, widget=OptionsOnceSelect()
    )
    payment_method = RadioField(
        _l("Payment"),
        default=PaymentMethod.CASH,
        validate_choice=False,  # validate_payment_method says it in the shop's words
        validators=[DataRequired(_l("Please choose how to pay."))],
    )
    note = TextAreaField(_l("Note for the shop (optional)"), validators=[Length(max=1000)])
    # Offers need an explicit tick per channel: unticked by default, never ticked for the shopper.
    offers_email = BooleanField(_l("By email (to the address above)"))
    offers_whatsapp = BooleanField(_l("By WhatsApp or SMS to my phone"))
    offers_push = BooleanField(_l("As notifications on this device, if I allow them"))

    def __init__(
        self,
        *args,
        card: bool = False,
        pickup_stores: list[tuple[int, str]] = (),
        transfers: list[tuple[str, str]] = (),
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()
        # Shops with several pickup points let the shopper choose one; with none, "at the shop".
        self.pickup_store.choices = [(str(store_id), label) for store_id, label in pickup_stores]
        # Card payment is offered only when a payment provider is configured.
        self.payment_method.choices = payment_choices(card, transfers)

    def validate_pickup_store(self, field) -> None:
        """One of the listed stores, when picking up and the shop lists stores."""
        if self.delivery_method.data != Delivery.PICKUP or not field.choices:
            field.data = ""
            return
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Please choose the store where you will pick up."))

    @property
    def shown_total(self) -> str | None:
        """The total the shopper saw next to the delivery method they chose."""
        field = self.shown_total_pickup if self.delivery_method.data == Delivery.PICKUP else self.shown_total_delivery
        return field.data

    @property
    def offer_channels(self) -> list[str]:
        """The marketing channels the shopper ticked (customers.models.CONSENT_CHANNELS names)."""
        ticked = {"email": self.offers_email, "whatsapp": self.offers_whatsapp, "push": self.offers_push}
        return [channel for channel, box in ticked.items() if box.data]

    @property
    def pickup_store_id(self) -> int | None:
        """The chosen pickup store's id (validated), or None."""
        return int(self.pickup_store.data) if self.pickup_store.data else None

    def validate_payment_method(self, field) -> None:
        """One of the offered ways to pay (card only when the shop takes cards)."""
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Please choose one of the payment options shown."))

    def validate_phone(self, field) -> None:
        """A plausible phone number (digits, spaces, + and dashes)."""
        normal = normalise_phone(field.data or "")
        if normal is None:
            raise ValidationError(_l("Please give a phone number we can call, like +1 555 0100."))
        field.normalised = normal

    def validate_email(self, field) -> None:
        """An email address that looks like one, when given."""
        if field.data and not EMAIL_RE.match(field.data.strip()):
            raise ValidationError(_l("This does not look like an email address."))

    def validate_country(self, field) -> None:
        """A known country code, when delivering."""
        if self.delivery_method.data == Delivery.DELIVERY and field.data not in _country_codes(str(get_locale())):
            raise ValidationError(_l("Please choose a country."))

    def validate_checkout_key(self, field) -> None:
        """The random key that makes a double submit place one order."""
        if not CHECKOUT_KEY_RE.match(field.data or ""):
            raise ValidationError(_l("This form has expired. Please try again."))
