"""CSV exports: text cells defused against spreadsheet formulas (CSV injection)."""

from __future__ import annotations

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Text that came from shoppers or owners, made inert for a spreadsheet (a leading quote)."""
    return "'" + text if text[:1] in FORMULA_STARTS else text
