"""Pure stock rules: reasons for a stock change, adjustment checks, and the CSV format."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from ..domain import N_, Conflict, Invalid

# Reasons an owner may pick when adjusting stock by hand (label is a message id).
REASONS = {
    "received": N_("Goods received"),
    "count": N_("Stock count correction"),
    "damaged": N_("Damaged or lost"),
    "returned": N_("Returned by customer"),
    "other": N_("Other"),
}
# Reasons the system writes itself (never chosen in the adjust form).
SYSTEM_REASONS = {
    "order": N_("Order placed"),
    "cancel": N_("Order cancelled"),
    "import": N_("CSV import"),
    "initial": N_("Initial stock"),
}

CSV_HEADER = ["sku", "product", "variant", "on_hand", "reserved", "available", "low_stock_threshold"]
MAX_STOCK = 1_000_000
MAX_IMPORT_ROWS = 20_000


class OutOfStock(Conflict):
    """Some lines cannot be supplied; `variant_ids` says which ones."""

    code = "out_of_stock"

    def __init__(self, variant_ids: list[int]) -> None:
        super().__init__(N_("Some items sold out meanwhile."))
        self.variant_ids = variant_ids


class InvalidCsv(Invalid):
    """A stock CSV row is wrong; `line` is the 1-based line number in the file."""

    code = "invalid_csv"

    def __init__(self, line: int, template: str, **params) -> None:
        super().__init__(template, line=line, **params)
        self.line = line


@dataclass(frozen=True)
class StockRow:
    """One row of a stock import: set this SKU to this level (and maybe threshold)."""

    line: int
    sku: str
    on_hand: int
    low_stock_threshold: int | None


def check_adjustment(on_hand: int, reserved: int, delta: int) -> int:
    """The new on-hand after adding `delta`; refuses zero, huge, or below-reserved results."""
    if delta == 0:
        raise Invalid(N_("The change must not be zero."))
    new = on_hand + delta
    if new < max(reserved, 0):
        raise Conflict(
            N_("Stock cannot go below %(floor)s (there are %(on_hand)s on hand)."),
            floor=max(reserved, 0),
            on_hand=on_hand,
        )
    if new > MAX_STOCK:
        raise Invalid(N_("Stock cannot exceed %(limit)s."), limit=MAX_STOCK)
    return new


def _parse_count(raw: str, line: int, column: str) -> int:
    """A whole number between 0 and MAX_STOCK, or InvalidCsv."""
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit():
        raise InvalidCsv(line, N_("Line %(line)s: %(column)s must be a whole number of 0 or more."), column=column)
    if int(text) > MAX_STOCK:
        raise InvalidCsv(
            line, N_("Line %(line)s: %(column)s must be at most %(limit)s."), column=column, limit=MAX_STOCK
        )
    return int(text)


def _parse_row(row: list[str], col: dict[str, int], line: int) -> StockRow:
    """Check one data row of the CSV."""
    if len(row) < len(col):
        raise InvalidCsv(
            line,
            N_("Line %(line)s: expected %(expected)s columns, found %(found)s."),
            expected=len(col),
            found=len(row),
        )
    sku = row[col["sku"]].strip()
    if not sku:
        raise InvalidCsv(line, N_("Line %(line)s: the sku is empty."))
    threshold = None
    if "low_stock_threshold" in col and row[col["low_stock_threshold"]].strip():
        threshold = _parse_count(row[col["low_stock_threshold"]], line, "low_stock_threshold")
    return StockRow(line, sku, _parse_count(row[col["on_hand"]], line, "on_hand"), threshold)


def parse_stock_csv(text: str) -> list[StockRow]:
    """Parse and check a whole stock CSV (header `sku,on_hand[,low_stock_threshold]`).

    Every row is checked before anything is applied, so the import is all or nothing.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows: list[StockRow] = []
    seen: set[str] = set()
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if "sku" not in header or "on_hand" not in header:
            raise InvalidCsv(1, N_("Line 1: the header must name the columns sku and on_hand."))
        col = {name: i for i, name in enumerate(header)}
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            parsed = _parse_row(row, col, reader.line_num)
            if parsed.sku in seen:
                raise InvalidCsv(parsed.line, N_("Line %(line)s: the sku %(sku)s appears twice."), sku=parsed.sku)
            seen.add(parsed.sku)
            rows.append(parsed)
            if len(rows) > MAX_IMPORT_ROWS:
                raise InvalidCsv(
                    parsed.line, N_("Line %(line)s: a file may hold at most %(limit)s rows."), limit=MAX_IMPORT_ROWS
                )
    except csv.Error as exc:
        raise InvalidCsv(reader.line_num, N_("Line %(line)s: the file is not valid CSV.")) from exc
    if not rows:
        raise InvalidCsv(2, N_("Line 2: the file has no rows."))
    return rows
