"""Postal addresses laid out the way each country writes them. Pure: values in, lines out.

Formats follow the post offices' own conventions (as collected in Google's libaddressinput):
a line is a pattern of {street}, {city}, {region} and {postcode} with the separators between
them. A separator is written only between two parts that are both filled in, so an address
without a region never reads "Springfield, 12345" with a dangling comma.
"""

from __future__ import annotations

import re

# One pattern per line. The countries the shop is used in (and their neighbours); others get DEFAULT.
ADDRESS_FORMATS: dict[str, tuple[str, ...]] = {
    "US": ("{street}", "{city}, {region} {postcode}"),
    "CA": ("{street}", "{city} {region} {postcode}"),
    "AU": ("{street}", "{city} {region} {postcode}"),
    "GB": ("{street}", "{city}", "{region}", "{postcode}"),
    "IE": ("{street}", "{city}", "{region}", "{postcode}"),
    "DE": ("{street}", "{postcode} {city}"),
    "AT": ("{street}", "{postcode} {city}"),
    "CH": ("{street}", "{postcode} {city}"),
    "NL": ("{street}", "{postcode} {city}"),
    "BE": ("{street}", "{postcode} {city}"),
    "FR": ("{street}", "{postcode} {city}"),
    "ES": ("{street}", "{postcode} {city} {region}"),
    "IT": ("{street}", "{postcode} {city} {region}"),
    "PT": ("{street}", "{postcode} {city}"),
    "MX": ("{street}", "{postcode} {city}, {region}"),
    "BR": ("{street}", "{city}-{region}", "{postcode}"),
    "IN": ("{street}", "{city} {postcode}", "{region}"),
    "BD": ("{street}", "{city} - {postcode}", "{region}"),
    "PK": ("{street}", "{city}-{postcode}", "{region}"),
    # Chinese and Japanese addresses run from the largest place to the smallest.
    "CN": ("{postcode}", "{region}{city}", "{street}"),
    "JP": ("〒{postcode}", "{region}{city}", "{street}"),
    "KR": ("{region} {city}", "{street}", "{postcode}"),
}
DEFAULT_FORMAT: tuple[str, ...] = ("{street}", "{city} {postcode}", "{region}")

_FIELD = re.compile(r"\{(street|city|region|postcode)\}")


def address_lines(country: str, *, street: str, city: str, region: str, postcode: str) -> list[str]:
    """The address's lines in the order and form `country` writes them (empty lines left out)."""
    values = {"street": street, "city": city, "region": region, "postcode": postcode}
    pattern = ADDRESS_FORMATS.get((country or "").upper(), DEFAULT_FORMAT)
    lines = (_fill(line, values) for line in pattern)
    return [line for line in lines if line]


def _fill(pattern: str, values: dict[str, str]) -> str:
    """One line: the filled parts, each after the separator that precedes it in the pattern.

    The text before the first part (such as Japan's 〒) is kept only when that part is filled.
    """
    pieces = _FIELD.split(pattern)  # literal, field, literal, field, ..., literal
    out: list[str] = []
    for index in range(1, len(pieces), 2):
        value = " ".join((values[pieces[index]] or "").split())
        if not value:
            continue
        before = pieces[index - 1]
        if out or index == 1:
            out.append(before)
        out.append(value)
    return "".join(out).strip()
