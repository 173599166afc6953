"""The pure rollup definitions: sessions, sources, dwell medians, order owners, interest, customers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from storefront.analytics import rollup_rules as rr
from storefront.analytics.rollup_rules import EventRow, LineRow, OrderRow

pytestmark = pytest.mark.clock_sensitive  # days in the shop zone, grace after midnight


DAY = date(2026, 11, 20)
T0 = datetime(2026, 11, 20, 10, 0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ev(minutes: float, name: str, sid: str = "s1", visitor: str = "v1", **fields) -> EventRow:
    return EventRow(at(minutes), name, visitor, sid, **fields)


def test_sessions_count_once_and_take_the_first_source_that_is_not_internal():
    events = [
        ev(0, "page_view", source="internal"),
        ev(1, "page_view", source="ref", ref="ANNA"),
        ev(2, "page_view", source="social"),
        ev(3, "page_view", sid="s2", source="internal"),
        ev(4, "page_view", sid=None, visitor="v9"),  # no session id: the day's visitor id stands in
        EventRow(at(5), "purchase"),  # a server event: no session
    ]
    sessions = rr.sessions_of(events, {})
    assert set(sessions) == {"s1", "s2", "v:v9"}
    assert (sessions["s1"].source, sessions["s1"].ref, sessions["s1"].page_views) == ("ref", "ANNA", 3)
    rollup = rr.roll_up_day(DAY, events, [], [])
    assert {r["source"]: r["sessions"] for r in rollup.sources} == {"ref": 1, "direct": 2}
    assert (rollup.day["sessions"], rollup.day["visitors"], rollup.day["page_views"]) == (3, 2, 5)


def test_dwell_is_summed_per_session_and_the_median_is_a_true_median():
    events = [
        ev(0, "view_item", product_slug="coat"),
        ev(1, "engagement", product_slug="coat", dwell_ms=1000),
        ev(2, "engagement", product_slug="coat", dwell_ms=3000),  # one session: 4 s
        ev(0, "engagement", sid="s2", product_slug="coat", dwell_ms=10_000),
        ev(0, "engagement", sid="s3", product_slug="coat", dwell_ms=1_001),
        ev(0, "engagement", sid="s4", product_slug="coat", dwell_ms=0),
    ]
    (coat,) = rr.roll_up_day(DAY, events, [], []).products
    assert list(rr.decode_values(coat["dwell_values"])) == [0, 1001, 4000, 10000]
    assert coat["dwell_median_ms"] == 2500  # (1001 + 4000) / 2 rounded: the mean of the middle two
    assert (coat["dwell_sessions"], coat["dwell_total_ms"], coat["views"], coat["view_sessions"]) == (4, 15001, 1, 1)
    assert rr.median_ms([3, 1, 2]) == 2 and rr.median_ms([]) is None
    assert rr.encode_values([30, 4, 1000]) == bytes([4, 0, 0, 0, 30, 0, 0, 0, 232, 3, 0, 0])  # uint32 little-endian
    assert coat["dwell_histogram"] == b""  # a short row: its values are shorter than a histogram


def test_dwell_fields_keep_sorted_binary_values_and_their_cumulative_histogram():
    values = sorted([0, 999, 1000, 1000, 5000, rr.DWELL_MAX, *range(1200, 1200 + 600, 2)])
    fields = rr.dwell_fields(values)
    assert (fields["dwell_sessions"], fields["dwell_total_ms"]) == (len(values), sum(values))
    assert fields["dwell_median_ms"] == rr.median_ms(values) == rr.sorted_median(values)
    assert list(rr.decode_values(fields["dwell_values"])) == values
    histogram = rr.decode_values(fields["dwell_histogram"])
    assert len(histogram) == len(rr.DWELL_EDGES) and histogram[0] == 0 and histogram[1] == 2  # 0 and 999 below 1 s
    assert rr.DWELL_EDGES[-1] <= rr.DWELL_MAX
    for edge, below in zip(rr.DWELL_EDGES, histogram, strict=True):
        assert below == sum(v < edge for v in values)
    assert rr.sorted_median([1, 2]) == 2 and rr.sorted_median([1, 4]) == 2  # round half to even, as median_ms
    assert rr.sorted_median([]) is None and rr.dwell_fields([])["dwell_values"] == b""


def test_a_forged_dwell_past_24_days_is_capped_not_a_crash():
    events = [ev(n, "engagement", sid=f"s{n}", product_slug="coat", dwell_ms=86_400_000) for n in range(3)]
    events += [ev(3 + n, "engagement", sid="long", product_slug="coat", dwell_ms=86_400_000) for n in range(30)]
    (coat,) = rr.roll_up_day(DAY, events, [], []).products
    assert list(rr.decode_values(coat["dwell_values"])) == [86_400_000] * 3 + [rr.DWELL_MAX]
    assert coat["dwell_total_ms"] == 3 * 86_400_000 + rr.DWELL_MAX


def test_an_order_belongs_to_the_session_that_checked_out_with_its_cart():
    events = [
        ev(0, "add_to_cart", sid="early", variant_id=7, cart_hash="c1", source="search"),
        ev(30, "begin_checkout", sid="payer", cart_hash="c1"),
        ev(29, "page_view", sid="payer", source="pwa"),
        ev(40, "page_view", sid="browser", cart_hash="c1", source="social"),  # same cart, no checkout
        ev(200, "page_view", sid="late", cart_hash="c1", source="utm"),  # began after the order
    ]
    events.sort(key=lambda e: e.created_at)
    orders = [
        OrderRow(1, at(45), True, 5000, 1, "c1"),
        OrderRow(2, at(50), True, 700, 1, None),  # nobody carried it: untracked
        OrderRow(3, at(46), False, 9000, 2, "c1"),  # unpaid card order: not a sale
    ]
    lines = [LineRow(1, "coat", 1, 4500)]
    rollup = rr.roll_up_day(DAY, events, orders, lines, {7: "coat"})
    owners = rr.attribute_orders(rr.sessions_of(events, {7: "coat"}), orders)
    assert owners[1].key == "payer" and 2 not in owners
    assert rollup.day["paid_sessions"] == 1 and rollup.day["orders"] == 2 and rollup.day["revenue"] == 5700
    sources = {r["source"]: (r["sessions"], r["orders"], r["revenue"]) for r in rollup.sources}
    assert sources["pwa"] == (1, 1, 5000) and sources["untracked"] == (0, 1, 700)
    (coat,) = rollup.products  # the add with only a variant id still counts for its product
    assert (coat["cart_adds"], coat["cart_sessions"], coat["orders"], coat["units"], coat["revenue"]) == (
        1,
        1,
        1,
        1,
        4500,
    )


def test_interest_needs_half_a_minute_or_a_cart_add():
    events = [
        ev(0, "engagement", sid="a", product_slug="vase", dwell_ms=rr.LONG_DWELL_MS - 1),
        ev(0, "engagement", sid="b", product_slug="vase", dwell_ms=rr.LONG_DWELL_MS),
        ev(0, "add_to_cart", sid="c", product_slug="vase", quantity=2, cart_hash="h"),
    ]
    rows = {r["session_key"]: r for r in rr.roll_up_day(DAY, events, [], []).interest}
    assert set(rows) == {"b", "c"}
    assert (rows["c"]["cart_units"], rows["c"]["cart_hash"], rows["b"]["cart_hash"]) == (2, "h", None)


def test_customers_are_one_person_whatever_the_phone_spelling_and_keys_are_salted():
    same = {rr.customer_identity(p, "") for p in ("+1 212 555 0199", "+12125550199", "+1 (212) 555-0199")}
    assert same == {"tel:12125550199"}
    assert rr.customer_identity("not a phone", " Ada@Example.COM ") == "mail:ada@example.com"
    assert rr.customer_identity("", "") is None
    key = rr.customer_key("salt", "tel:12125550199", 1)
    assert key == rr.customer_key("salt", "tel:12125550199", 2) != rr.customer_key("other", "tel:12125550199", 1)
    assert len(key) == 16 and "2125550199" not in key
    assert rr.customer_key("s", None, 1) != rr.customer_key("s", None, 2)  # no contact: one order, one customer


def test_places_are_tidied_and_days_follow_the_shop_zone():
    assert rr.tidy_place("  LONDON ") == "London" and rr.tidy_place("new  york") == "New York"
    assert rr.tidy_place("McAllen") == "McAllen"
    zone = ZoneInfo("America/New_York")
    start, end = rr.day_bounds(date(2026, 3, 8), zone)  # clocks go forward: a 23-hour day
    assert (start, end - start) == (datetime(2026, 3, 8, 5, 0), timedelta(hours=23))
    assert rr.shop_day(datetime(2026, 11, 21, 3, 30), zone) == date(2026, 11, 20)
    row = rr.project_order(
        {"id": 5, "created_at": datetime(2026, 11, 21, 3, 30), "updated_at": datetime(2026, 11, 21, 3, 30)}
        | {"status": "placed", "total": 100, "items": 2, "phone": "+1 212 555 0199", "email": ""}
        | {"delivery_method": "pickup", "country": "US", "region": "NY", "city": "NYC"},
        tz=zone,
        salt="s",
        cart_hash=None,
        sale_statuses=frozenset({"placed"}),
    )
    assert (row["day"], row["hour"], row["weekday"], row["is_sale"]) == (date(2026, 11, 20), 22, 4, True)
    assert (row["country"], row["city"]) == ("", "")  # a pickup has no delivery place


def test_refunds_count_on_the_day_they_are_given_and_touch_no_session():
    events = [
        ev(0, "page_view"),
        EventRow(at(1), "refund", value=1250),
        EventRow(at(2), "refund", value=700),
        EventRow(at(3), "purchase", value=9900),  # a sale of another day's order is not money back
    ]
    rollup = rr.roll_up_day(DAY, iter(events), [], [])  # any iterable of events, even a one-pass one
    assert rollup.day["refunds"] == 1950
    assert (rollup.day["sessions"], rollup.day["revenue"]) == (1, 0)
