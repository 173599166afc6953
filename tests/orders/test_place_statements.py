"""Placing an order costs a fixed, small number of SQL statements (issue 22: cheaper checkout).

A pickup order paid in cash, its shopper's first and then a returning shopper's: the POST that
places it is counted on SQLite and PostgreSQL. The budget is below what the checkout cost before
issue 22 (the customer's figures took four reads, the order's store was read back after it was
written, an order without an offers tick still read its customer twice; round two: the checkout
key was read twice, the commission entry read without seller links, the order's store record read
for a new order, a known customer INSERTed before being read; round three: the form's stores and
transfer methods and the hoarding limits read on every POST instead of kept by catalog generation,
the commission entry read twice without seller links, the customer's lock taken twice, the open
orders counted by phone and by address apart, the pickup and the bound store read apart, the
order's customer read back, the checkout key looked up before placing a cart with lines, the cart
read again after its lock; round four: the customer read before linking, their figures and
contacts read before their UPDATE, the order's news and staff alert enqueued apart), so a step
that starts reading the same rows again shows here.
Counts, not timings: they are the same on every machine.
"""

from __future__ import annotations

from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import CHECKOUT_PICKUP, ShopClient, make_category, make_product, stock_of
from tests.helpers import recorded_statements
from tests.stores.builders import make_store

# What the order needs besides its own rows: the customer's lock (PostgreSQL; SQLite counts its
# BEGIN IMMEDIATE) and open orders, the cart (locked, then read), stock, the ledger,
# the purchase event, jobs, the store and the customer. The first order also reads the hoarding
# limits (kept afterwards) and binds the shopper to the store.
BUDGET = {"sqlite": 21, "postgresql": 21}  # before issue 22: 41 and 44; one: 35 and 38; two: 33 and 36; three: 24
RETURNING_BUDGET = 18  # a known customer: linked from their key, no customer INSERT, no binding, limits kept


def _statements_of_placing(app, shop: ShopClient, variant_id: int, fields: dict) -> int:
    assert shop.add(variant_id, 1).status_code == 303
    key = shop.checkout_key()
    with recorded_statements(app) as statements:
        placed = shop.checkout(fields, key)
    assert placed.status_code == 303, placed.get_data(as_text=True)[:500]
    return len(statements)


def test_placing_an_order_stays_within_its_statement_budget(app, client):
    with app.app_context():
        store_id = make_store("Main Street", 45.52, -122.68, city="Portland").id
        product = make_product("Wool scarf", variants=(("One size", 5),), category=make_category("Scarves"))
        variant_id = product.variants[0].id
        dialect = db.engine.dialect.name
    shop, fields = ShopClient(client), {**CHECKOUT_PICKUP, "pickup_store": str(store_id)}
    first = _statements_of_placing(app, shop, variant_id, fields)
    returning = _statements_of_placing(app, shop, variant_id, fields)  # the same phone: a known customer
    assert first <= BUDGET[dialect] and returning <= RETURNING_BUDGET, (first, returning)
    with app.app_context():  # and the orders are whole: two orders, two units taken
        assert db.session.query(Order).count() == 2
        assert stock_of(variant_id) == 3
