"""The checkout form's fields as plain data, written as WTForms and macros/forms.html write them (issue 22).

Showing the checkout form built a WTForms form per request (twenty bound fields, each with its
label and flags) and rendered each field through a Jinja macro and a WTForms widget: about a
third of the page's CPU. Here each field is a plain description, made once per process from
`CheckoutForm`'s own declaration (its label's message id, the `required`/`maxlength` its
validators announce), and a page is the description plus this request's values, errors and
choices, written with f-strings in the same markup: same ids, names, labels, attributes (sorted,
by the same `html_params`), errors and escaping. `tests/orders/test_checkout_fields.py` compares
both on a blank form and a half-filled one sent back with errors.

The form GET needs no WTForms form at all (`for_new_form`); a form sent back with errors is
shown from the validated WTForms form (`for_form`). WTForms still validates every POST, CSRF
included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField

from ..core.html_params import html_params
from ..core.numerals import current_translations
from .forms import CheckoutForm, country_choices, payment_choices, select_html

# What the template adds to a control (issue 22 moved it here from the template's macro calls).
EXTRA_ATTRIBUTES = {
    "customer_name": {"autocomplete": "name"},
    "phone": {"autocomplete": "tel", "inputmode": "tel"},
    "email": {"autocomplete": "email", "inputmode": "email"},
    "street": {"autocomplete": "street-address"},
    "city": {"autocomplete": "address-level2"},
    "region": {"autocomplete": "address-level1"},
    "postcode": {"autocomplete": "postal-code"},
    "country": {"autocomplete": "country"},
    "note": {"rows": 3},
}
# The attributes each kind of WTForms widget takes from its validators' flags (its `validation_attrs`).
VALIDATION_ATTRIBUTES = {
    "text": ("required", "disabled", "readonly", "maxlength", "minlength", "pattern"),
    "textarea": ("required", "disabled", "readonly", "maxlength", "minlength"),
    "select": ("required", "disabled"),
    "radios": ("required", "disabled"),
    "checkbox": ("required", "disabled"),
    "hidden": ("disabled",),
}
# RadioField is a SelectField: it is looked at first.
KINDS = {RadioField: "radios", TextAreaField: "textarea", SelectField: "select", BooleanField: "checkbox"}


@dataclass(frozen=True)
class Description:
    """One field of the checkout form, as declared on CheckoutForm: kind, label and fixed attributes."""

    name: str
    kind: str
    label: str  # the message id, translated when shown
    attributes: dict = field(default_factory=dict)  # validation flags and the template's hints
    default: str | None = None
    widget: object = None  # the field's own widget, when it has one (the country's OptionsOnceSelect)


@cache
def descriptions() -> dict[str, Description]:
    """Every field of CheckoutForm by name, made once per process from the class itself."""
    found = {}
    for name in dir(CheckoutForm):
        unbound = getattr(CheckoutForm, name)
        if not hasattr(unbound, "field_class") or name == "csrf_token":
            continue
        kind = "hidden" if issubclass(unbound.field_class, HiddenField) else "text"
        kind = next((k for cls, k in KINDS.items() if issubclass(unbound.field_class, cls)), kind)
        if not issubclass(unbound.field_class, HiddenField | StringField | SelectField | BooleanField):
            raise TypeError(f"checkout.fields cannot write {name}: a {unbound.field_class.__name__}")
        flags = {}
        for validator in unbound.kwargs.get("validators") or ():
            flags.update(getattr(validator, "field_flags", {}))
        attributes = {k: v for k, v in flags.items() if k in VALIDATION_ATTRIBUTES[kind]}
        label = unbound.args[0].msgid if unbound.args else ""
        attributes = {**attributes, **EXTRA_ATTRIBUTES.get(name, {})}
        found[name] = Description(
            name, kind, label, attributes, unbound.kwargs.get("default"), unbound.kwargs.get("widget")
        )
    return found


class Shown:
    """One field as this request shows it: its description with a value, errors and choices."""

    __slots__ = ("choices", "description", "errors", "id", "value")

    def __init__(self, description: Description, value, errors=(), choices=()) -> None:
        self.description, self.value, self.errors, self.choices = description, value, errors, choices
        self.id = description.name

    @property
    def label_text(self) -> str:
        """The label in the shopper's language."""
        return current_translations().ugettext(self.description.label)

    def _label(self) -> str:
        return f'<label for="{escape(self.id)}">{escape(self.label_text)}</label>'

    def _errors(self) -> str:
        """The messages as the macros join them: each escaped, one space between."""
        return " ".join(str(escape(error)) for error in self.errors)

    def control(self) -> str:
        """The input, textarea or select alone, as its WTForms widget writes it."""
        d = self.description
        attributes = {"id": self.id, **d.attributes}
        if self.errors:  # what the `field` macro adds to a control with errors
            attributes.update(aria_invalid="true", aria_describedby=f"{self.id}-err")
        if d.kind == "textarea":
            return f"<textarea {html_params(name=d.name, **attributes)}>\r\n{escape(self.value)}</textarea>"
        if d.kind == "select":
            # The country's widget writes its 250 options once per language.
            html = d.widget.render(d.name, self.choices, self.value, **attributes) if d.widget is not None else None
            return html if html is not None else select_html(d.name, self.choices, self.value, **attributes)
        return f"<input {html_params(name=d.name, type=d.kind, value=self.value, **attributes)}>"  # text, hidden

    def __html__(self) -> str:
        """The field in its box: macros/forms.html's `field`, `checkbox` or `radios`."""
        kind = self.description.kind
        if kind == "hidden":
            return self.control()
        if kind == "checkbox":
            return self._checkbox()
        if kind == "radios":
            return self._radios()
        box, error = "field", ""
        if self.errors:
            box, error = "field has-error", f'<p class="error" id="{self.id}-err">{self._errors()}</p>'
        return f'<div class="{box}" id="{self.id}-field">\n  {self._label()}\n{self.control()}{error}</div>'

    def _checkbox(self) -> str:
        value, checked = self.value
        params = html_params(name=self.id, id=self.id, type="checkbox", value=value, checked=checked)
        return f'<div class="field check"><input {params}> {self._label()}</div>'

    def _radios(self) -> str:
        d = self.description
        options = []
        for i, (value, label) in enumerate(self.choices):
            # Each option carries the field's flags (`required`), as WTForms' RadioInput writes it.
            checked = value == self.value
            params = html_params(
                name=d.name, id=f"{d.name}-{i}", type="radio", value=value, checked=checked, **d.attributes
            )
            options.append(f'<label class="radio"><input {params}> {escape(label)}</label>')
        box, error = "field radios", ""
        if self.errors:
            box, error = "field radios has-error", f'<p class="error">{self._errors()}</p>'
        legend = f"<legend>{escape(self.label_text)}</legend>"
        return f'<fieldset class="{box}" id="{d.name}-field">\n  {legend}\n{"".join(options)}{error}</fieldset>'


class CheckoutFields:
    """The checkout form's fields for one page: `fields.phone` in the template writes the phone's box."""

    def __init__(self, shown: dict[str, Shown]) -> None:
        self._shown = shown

    def __getattr__(self, name: str) -> Shown:
        try:
            return self._shown[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def csrf_token(self) -> Markup:
        """The CSRF token's hidden input, as Flask-WTF's CSRFTokenField writes it."""
        params = html_params(id="csrf_token", name="csrf_token", type="hidden", value=generate_csrf())
        return Markup(f"<input {params}>")  # noqa: S704 - html_params escapes the token


def _translated(choices) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in choices]


def delivery_choices() -> list[tuple[str, str]]:
    """The delivery methods, labelled in the shopper's language, as CheckoutForm declares them."""
    return _translated(CheckoutForm.delivery_method.kwargs["choices"])


def for_new_form(values: dict, *, card: bool, pickup_stores, transfers) -> CheckoutFields:
    """A blank checkout form with these values (key, totals, country, preselected store), no WTForms form built."""
    shown = {}
    for name, d in descriptions().items():
        if d.kind == "checkbox":
            shown[name] = Shown(d, ("y", False))
        elif d.kind == "select":
            choices = country_choices() if name == "country" else [(str(i), label) for i, label in pickup_stores]
            shown[name] = Shown(d, values.get(name), choices=choices)
        elif d.kind == "radios":
            default = d.default or ""
            choices = delivery_choices() if name == "delivery_method" else _translated(payment_choices(card, transfers))
            shown[name] = Shown(d, values.get(name, default), choices=choices)
        else:
            shown[name] = Shown(d, values.get(name) or "")
    return CheckoutFields(shown)


def for_form(form: CheckoutForm) -> CheckoutFields:
    """The fields of a form sent back (with its errors and the shopper's values), from the validated WTForms form."""
    shown = {}
    for name, d in descriptions().items():
        bound = form[name]
        errors = tuple(bound.errors)
        if d.kind == "checkbox":
            shown[name] = Shown(d, (bound._value(), bool(bound.data)), errors)
        elif d.kind in ("select", "radios"):
            choices = _translated(bound.choices) if d.kind == "radios" else bound.choices
            shown[name] = Shown(d, bound.data if isinstance(bound.data, str) else None, errors, choices)
        else:
            shown[name] = Shown(d, bound._value(), errors)
    return CheckoutFields(shown)
