"""The "Day by day" table on the overview page: newest first, runs of days with nothing folded into one row."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from storefront.analytics.rollup_rules import shop_day
from storefront.reports.rules import newest_first_without_quiet_runs
from storefront.reports.tables import QUIET_KEYS
from tests.reports.helpers import ZONE, signed_in

D = date(2026, 3, 1)


def _day(offset: int, orders: int = 0, visitors: int = 0) -> dict:
    return {"day": D + timedelta(days=offset)} | dict.fromkeys(QUIET_KEYS, 0) | {"orders": orders, "visitors": visitors}


def test_rows_come_newest_first_and_quiet_runs_fold():
    rows = [_day(0), _day(1), _day(2), _day(3, orders=1), _day(4), _day(5, visitors=3), _day(6), _day(7)]
    folded = newest_first_without_quiet_runs(rows, QUIET_KEYS)
    assert folded == [
        {"quiet": (D + timedelta(days=6), D + timedelta(days=7))},
        rows[5],  # visitors but no sale: a real row
        rows[4],  # one quiet day alone keeps its row
        rows[3],
        {"quiet": (D, D + timedelta(days=2))},
    ]


def test_nothing_to_fold_and_nothing_at_all():
    busy = [_day(0, orders=2), _day(1, orders=1)]
    assert newest_first_without_quiet_runs(busy, QUIET_KEYS) == [busy[1], busy[0]]
    assert newest_first_without_quiet_runs([], QUIET_KEYS) == []


@pytest.mark.clock_sensitive  # reports show ranges ending "today"
def test_the_overview_page_lists_days_newest_first_and_folds_the_quiet_ones(report_app, history):
    shop = signed_in(report_app)
    today = shop_day(history, ZONE)
    start = today - timedelta(days=29)  # the history has about a week of data; the weeks before are empty
    html = shop.client.get(f"/admin/reports/?from={start}&to={today}").text
    table = html[html.index('id="table-daily"') :]
    table = table[: table.index("</table>")]
    assert 'role="region"' in html and 'tabindex="0"' in html and "Day by day table, scrolls sideways" in html
    quiet = re.findall(r"<tr class=\"quiet\" data-quiet><th scope=\"row\" colspan=\"9\">([^<]+)</th>", table)
    assert len(quiet) == 1 and quiet[0].startswith(f"{start:%b} {start.day} – ")
    assert quiet[0].endswith(": no visits or sales")
    days = re.findall(r'<th scope="row">\s*([A-Z][a-z]{2} \d{1,2}, \d{4})\s*</th>', table)
    assert len(days) >= 5 and days[0] == f"{today:%b} {today.day}, {today.year}"
    assert table.index(days[0]) < table.index(quiet[0])  # newest first, the quiet weeks at the end
    csv_rows = shop.client.get(f"/admin/reports/daily.csv?from={start}&to={today}").text.splitlines()
    assert len(csv_rows) == 31  # the CSV keeps every day
