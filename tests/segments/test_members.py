"""Segments equal a brute-force filter over the raw customers (Hypothesis, SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from storefront.extensions import db
from storefront.segments import rules, service
from tests.segments.world import SALE, STATUSES, Catalog, RawCustomer, RawOrder, clear, insert, make_catalog

NOW = datetime(2026, 6, 17, 16, 0)
CITIES = ("Dhaka", "dhaka", "Lima", "")
TAGS = ("vip", "wholesale", "late")
CARTS = ("c1", "c2", "c3")


def raw_customers(n_products: int) -> st.SearchStrategy[list[RawCustomer]]:
    """A few customers with random figures, places, tags, consent, orders and interest."""
    product = st.integers(0, n_products - 1)
    order = st.builds(
        RawOrder,
        status=st.sampled_from(STATUSES),
        products=st.lists(product, max_size=2),
        cart=st.one_of(st.none(), st.sampled_from(CARTS)),
    )
    customer = st.builds(
        RawCustomer,
        rfm=st.sampled_from(["", *rules.CHOICE_FIELDS["rfm"]]),
        last_days_ago=st.one_of(st.none(), st.integers(0, 60)),
        orders_count=st.integers(0, 4),
        spend=st.sampled_from([0, 500, 1000, 5000]),
        city=st.sampled_from(CITIES),
        region=st.sampled_from(["North", "South", ""]),
        seller=st.one_of(st.none(), st.integers(0, 1)),
        store=st.one_of(st.none(), st.integers(0, 1)),
        tags=st.lists(st.sampled_from(TAGS), max_size=2),
        consent=st.lists(st.sampled_from(rules.CHOICE_FIELDS["consent"]), max_size=2, unique=True),
        orders=st.lists(order, max_size=3),
        interest=st.lists(st.tuples(st.sampled_from(CARTS), product), max_size=2),
    )
    return st.lists(customer, max_size=6)


def definitions(catalog: Catalog) -> st.SearchStrategy[dict]:
    """A random definition (a random subset of the keys, each with a small value) in JSON form."""
    ids = {
        "bought_products": catalog.products,
        "not_bought_products": catalog.products,
        "interested_products": catalog.products,
        "bought_categories": catalog.categories,
        "not_bought_categories": catalog.categories,
        "stores": catalog.stores,
        "sellers": catalog.sellers,
    }
    values = {
        **{key: st.lists(st.sampled_from(pool), min_size=1, max_size=2) for key, pool in ids.items()},
        "rfm": st.lists(st.sampled_from(rules.CHOICE_FIELDS["rfm"]), min_size=1, max_size=2),
        "consent": st.lists(st.sampled_from(rules.CHOICE_FIELDS["consent"]), min_size=1, max_size=2),
        "tags": st.lists(st.sampled_from(TAGS), min_size=1, max_size=2),
        "cities": st.lists(st.sampled_from(["Dhaka", "DHAKA", "Lima"]), min_size=1, max_size=2),
        "regions": st.lists(st.sampled_from(["North", "south"]), min_size=1, max_size=2),
        "last_order_before_days": st.integers(0, 60),
        "last_order_within_days": st.integers(0, 60),
        "orders_min": st.integers(0, 4),
        "orders_max": st.integers(0, 4),
        "spend_min": st.sampled_from([0, 500, 1000, 5000]),
        "spend_max": st.sampled_from([0, 500, 1000, 5000]),
    }
    return st.fixed_dictionaries({}, optional=values)


def expected(catalog: Catalog, raw: RawCustomer, d: dict) -> bool:
    """Whether `raw` matches `d`, computed by hand from the raw facts (the specification)."""
    last = None if raw.last_days_ago is None else NOW - timedelta(days=raw.last_days_ago, hours=1)
    bought = {p for o in raw.orders if o.status in SALE for p in (catalog.products[i] for i in o.products)}
    bought_categories = {catalog.product_category[p] for p in bought}
    my_carts = {o.cart for o in raw.orders if o.cart}
    seen = {catalog.products[i] for cart, i in _all_interest() if cart in my_carts}
    checks = [
        ("rfm", lambda v: raw.rfm in v),
        ("last_order_before_days", lambda v: last is not None and last < NOW - timedelta(days=v)),
        ("last_order_within_days", lambda v: last is not None and last >= NOW - timedelta(days=v)),
        ("orders_min", lambda v: raw.orders_count >= v),
        ("orders_max", lambda v: raw.orders_count <= v),
        ("spend_min", lambda v: raw.spend >= v),
        ("spend_max", lambda v: raw.spend <= v),
        ("bought_products", lambda v: bool(bought & set(v))),
        ("bought_categories", lambda v: bool(bought_categories & set(v))),
        ("not_bought_products", lambda v: not bought & set(v)),
        ("not_bought_categories", lambda v: not bought_categories & set(v)),
        ("interested_products", lambda v: bool((seen - bought) & set(v))),
        ("stores", lambda v: raw.store is not None and catalog.stores[raw.store] in v),
        ("cities", lambda v: raw.city.lower() in {c.lower() for c in v}),
        ("regions", lambda v: raw.region.lower() in {r.lower() for r in v}),
        ("sellers", lambda v: raw.seller is not None and catalog.sellers[raw.seller] in v),
        ("tags", lambda v: bool(set(raw.tags) & set(v))),
        ("consent", lambda v: bool(set(raw.consent) & set(v))),
    ]
    return all(check(d[key]) for key, check in checks if key in d)


_INTEREST: list[tuple[str, int]] = []  # every customer's interest rows of the current example


def _all_interest() -> list[tuple[str, int]]:
    """Interest rows of everyone: a session is tied to whoever ordered from its cart."""
    return _INTEREST


@pytest.fixture
def catalog(app):
    """The fixed catalog, made once per database."""
    with app.app_context():
        return make_catalog()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_members_equal_a_brute_force_filter(app, catalog, data):
    customers = data.draw(raw_customers(len(catalog.products)), label="customers")
    raw_definition = data.draw(definitions(catalog), label="definition")
    if raw_definition.get("orders_min", 0) > raw_definition.get("orders_max", 99):
        raw_definition.pop("orders_max")
    if raw_definition.get("spend_min", 0) > raw_definition.get("spend_max", 10**9):
        raw_definition.pop("spend_max")
    definition = rules.parse_json(raw_definition)
    with app.app_context():
        clear()
        ids = insert(catalog, customers, NOW)
        _INTEREST[:] = [row for raw in customers for row in raw.interest]
        got = set(db.session.scalars(service.member_ids(db.session, definition, NOW)))
        want = {cid for cid, raw in zip(ids, customers, strict=True) if expected(catalog, raw, definition)}
        assert got == want
        assert service.count(db.session, definition, NOW) == len(want)


def test_interest_is_tied_by_the_cart_of_an_order_and_ends_with_a_purchase(app, catalog):
    """Interest from a cart counts for the customer who ordered from it, until they buy the product."""
    coat, hat = catalog.products[0], catalog.products[1]
    looked = RawCustomer(orders=[RawOrder("delivered", [1], cart="c1")], interest=[("c1", 0)])
    bought_it = RawCustomer(orders=[RawOrder("delivered", [0], cart="c2")], interest=[("c2", 0)])
    cancelled = RawCustomer(orders=[RawOrder("cancelled", [0], cart="c3")], interest=[("c3", 0)])
    stranger = RawCustomer(orders=[RawOrder("delivered", [1], cart=None)])
    with app.app_context():
        ids = insert(catalog, [looked, bought_it, cancelled, stranger], NOW)
        query = service.member_ids(db.session, {"interested_products": [coat]}, NOW)
        # A cancelled order is no purchase: still interested. A cart nobody ordered from is nobody's.
        assert set(db.session.scalars(query)) == {ids[0], ids[2]}
        assert not list(db.session.scalars(service.member_ids(db.session, {"interested_products": [hat]}, NOW)))
        assert set(db.session.scalars(select(service.member_ids(db.session, {}, NOW).subquery().c.id))) == set(ids)
