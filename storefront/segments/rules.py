"""Pure segment rules: a definition read from a form, query args or JSON, checked, written, summarised.

A definition is a dict (see common contract): a missing key is no condition; a list is "any of"
(OR) within its key; the keys together are AND. `parse_args` (a MultiDict: the builder's GET form
and the prefill links) and `parse_json` (saved rows, API) both return the same normalised dict:
sorted, de-duplicated lists, ints, no empty keys. Bad values raise Invalid naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping

from ..domain import N_, Invalid

RFM_SEGMENTS: tuple[tuple[str, str], ...] = (
    ("champions", N_("Champions")),
    ("loyal", N_("Loyal")),
    ("new", N_("New")),
    ("at_risk", N_("At risk")),
    ("lapsed", N_("Lapsed")),
)
CONSENT: tuple[tuple[str, str], ...] = (("email", N_("Email")), ("push", N_("Web push")), ("whatsapp", N_("WhatsApp")))

MAX_DAYS = 36_500
MAX_ORDERS = 1_000_000
MAX_SPEND = 10**12  # minor units
MAX_ITEMS = 200  # values in one list
MAX_ID = 2**31 - 1  # record ids are 32-bit integers: a larger one names nothing

# key -> (kind, upper bound or max length); the order is the builder's and the summary's.
INT_FIELDS: dict[str, int] = {
    "last_order_before_days": MAX_DAYS,
    "last_order_within_days": MAX_DAYS,
    "orders_min": MAX_ORDERS,
    "orders_max": MAX_ORDERS,
    "spend_min": MAX_SPEND,
    "spend_max": MAX_SPEND,
}
ID_FIELDS = (
    "bought_products",
    "bought_categories",
    "not_bought_products",
    "not_bought_categories",
    "interested_products",
    "stores",
    "sellers",
)
TEXT_FIELDS: dict[str, int] = {"cities": 100, "regions": 100, "tags": 40}
CHOICE_FIELDS: dict[str, tuple[str, ...]] = {
    "rfm": tuple(name for name, _label in RFM_SEGMENTS),
    "consent": tuple(name for name, _label in CONSENT),
}
KEYS = ("rfm", *INT_FIELDS, *ID_FIELDS, *TEXT_FIELDS, "consent")

FIELD_LABELS: dict[str, str] = {
    "rfm": N_("RFM segment"),
    "last_order_before_days": N_("Last order more than … days ago"),
    "last_order_within_days": N_("Last order within the last … days"),
    "orders_min": N_("At least … orders"),
    "orders_max": N_("At most … orders"),
    "spend_min": N_("Spent at least"),
    "spend_max": N_("Spent at most"),
    "bought_products": N_("Bought any of these products"),
    "bought_categories": N_("Bought in any of these categories"),
    "not_bought_products": N_("Never bought these products"),
    "not_bought_categories": N_("Never bought in these categories"),
    "interested_products": N_("Interested in these products but did not buy"),
    "stores": N_("Bound to these stores"),
    "cities": N_("Cities"),
    "regions": N_("Regions"),
    "sellers": N_("Referred by these sellers"),
    "tags": N_("Tags"),
    "consent": N_("Accepts offers by"),
}


class InvalidDefinition(Invalid):
    """A definition value that is not acceptable; `field` is its key, the message names its label."""

    def __init__(self, key: str, template: str, **params) -> None:
        super().__init__(template, field=FIELD_LABELS.get(key, key), **params)
        self.field = key

    @property
    def message(self) -> str:
        """The message in the current locale, the field's label translated too."""
        try:
            from flask_babel import gettext as translate  # not named gettext: the label is no msgid here

            label = translate(self.params["field"])
        except (RuntimeError, KeyError):
            return str(self)
        self.params = {**self.params, "field": label}
        try:
            return super().message
        finally:
            self.params = {**self.params, "field": FIELD_LABELS.get(self.field, self.field)}


def _bad(key: str, template: str, **params) -> InvalidDefinition:
    """An Invalid naming the field by its label."""
    return InvalidDefinition(key, template, **params)


def _int(key: str, raw: object) -> int | None:
    """A whole number from 0 to the field's bound, or None for an empty value."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise _bad(key, N_("“%(field)s” must be a whole number."))
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 13:
        raise _bad(key, N_("“%(field)s” must be a whole number from 0 to %(max)s."), max=INT_FIELDS[key])
    value = int(text)
    if value > INT_FIELDS[key]:
        raise _bad(key, N_("“%(field)s” must be a whole number from 0 to %(max)s."), max=INT_FIELDS[key])
    return value


def _split(values: Iterable[object], key: str) -> list[str]:
    """Each raw value, comma-separated values split (a text input may hold several)."""
    out: list[str] = []
    for raw in values:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise _bad(key, N_("“%(field)s” has a value that is not understood."))
        out.extend(part.strip() for part in str(raw).split(","))
    return [part for part in out if part]


def _ids(key: str, values: Iterable[object]) -> list[int]:
    """Positive record ids, sorted and unique."""
    ids = set()
    for text in _split(values, key):
        if not text.isascii() or not text.isdigit() or len(text) > 10 or not 0 < int(text) <= MAX_ID:
            raise _bad(key, N_("“%(field)s” has a value that is not a valid choice."))
        ids.add(int(text))
    return sorted(ids)


def _texts(key: str, values: Iterable[object]) -> list[str]:
    """Trimmed, non-empty words (cities, regions, tags), unique, in sorted order."""
    found = set()
    for text in _split(values, key):
        if len(text) > TEXT_FIELDS[key] or any(ord(ch) < 32 for ch in text):
            raise _bad(key, N_("“%(field)s” has a value that is too long."))
        found.add(text)
    return sorted(found)


def _choices(key: str, values: Iterable[object]) -> list[str]:
    """Known names only (RFM segments, consent channels), in their declared order."""
    names = set(_split(values, key))
    unknown = names.difference(CHOICE_FIELDS[key])
    if unknown:
        raise _bad(key, N_("“%(field)s” has a value that is not a valid choice."))
    return [name for name in CHOICE_FIELDS[key] if name in names]


def _normalise(get_one: Callable[[str], object], get_list: Callable[[str], list]) -> dict:
    """The definition from accessors for one value and for a list of values of a key."""
    definition: dict = {}
    for key in KEYS:
        if key in INT_FIELDS:
            value = _int(key, get_one(key))
        else:
            raw = get_list(key)
            if len(raw) > MAX_ITEMS:
                raise _bad(key, N_("“%(field)s” has too many values (at most %(max)s)."), max=MAX_ITEMS)
            if key in ID_FIELDS:
                value = _ids(key, raw)
            elif key in TEXT_FIELDS:
                value = _texts(key, raw)
            else:
                value = _choices(key, raw)
            value = value[:MAX_ITEMS] or None
        if value is not None:
            definition[key] = value
    _check_ranges(definition)
    return definition


def _check_ranges(definition: dict) -> None:
    """A minimum above its maximum can match nobody: say so rather than show zero."""
    for low, high in (("orders_min", "orders_max"), ("spend_min", "spend_max")):
        if low in definition and high in definition and definition[low] > definition[high]:
            raise _bad(low, N_("“%(field)s” is above the maximum."))


def parse_args(args) -> dict:
    """The definition in a MultiDict (form or query args); other keys (csrf_token, name) are ignored."""
    return _normalise(lambda key: _last(args.getlist(key)), args.getlist)


def _last(values: list) -> object:
    """The last of a key's values (a repeated number field: the last one wins), or None."""
    return values[-1] if values else None


def parse_json(data: object) -> dict:
    """The definition in a JSON object (a dict or its text); unknown keys are ignored."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data or "{}")
        except ValueError:
            raise Invalid(N_("The segment definition is not valid JSON.")) from None
    if not isinstance(data, Mapping):
        raise Invalid(N_("The segment definition must be a JSON object."))

    def get_list(key: str) -> list:
        value = data.get(key)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    return _normalise(data.get, get_list)


def to_json(definition: dict) -> str:
    """The definition as compact, stable JSON (for the segments.definition column)."""
    return json.dumps({key: definition[key] for key in KEYS if key in definition}, separators=(",", ":"))


def to_args(definition: dict) -> list[tuple[str, str]]:
    """The definition as query-arg pairs (the builder's prefill link: the contract's format)."""
    pairs: list[tuple[str, str]] = []
    for key in KEYS:
        value = definition.get(key)
        if isinstance(value, list):
            pairs.extend((key, str(item)) for item in value)
        elif value is not None:
            pairs.append((key, str(value)))
    return pairs


def summary(
    definition: dict,
    translate: Callable[[str], str],
    name_of: Callable[[str, int], str],
    money: Callable[[int], str],
) -> list[str]:
    """One short phrase per condition ("Bought any of these products: Coat, Hat"), in field order.

    `translate` is gettext; `name_of(key, id)` names a product/category/store/seller;
    `money` formats minor units. Empty: the caller says "every customer".
    """
    labels = {**dict(RFM_SEGMENTS), **dict(CONSENT)}
    phrases = []
    for key in KEYS:
        if key not in definition:
            continue
        value = definition[key]
        if key in INT_FIELDS:
            shown = money(value) if key.startswith("spend") else str(value)
        elif key in ID_FIELDS:
            shown = ", ".join(name_of(key, item) for item in value)
        elif key in CHOICE_FIELDS:
            shown = ", ".join(translate(labels[item]) for item in value)
        else:
            shown = ", ".join(value)
        phrases.append(f"{translate(FIELD_LABELS[key])}: {shown}")
    return phrases
