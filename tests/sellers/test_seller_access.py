"""Every /seller route, whoever adds it, answers only its own seller (built from app.url_map, not a list).

Seller A opens every GET page without arguments (200, and none shows seller B's customer or order);
every route that takes ids is called by A with the ids of B's objects (customer, order, collection,
commission, payout ...) and must answer 403 or 404, never 200 nor a redirect that acts; an anonymous
visitor is sent to sign in; the owner gets 403 (the admin is theirs). An argument name this test
does not know gets 999999 (or a string nobody has), which must be 404 too: a new route is covered
the day it is added, and a new kind of id is added to `b_objects` below.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from werkzeug.routing import IntegerConverter, Rule

from storefront.clock import utcnow
from storefront.customers import service as customers
from storefront.customers.models import Customer, CustomerOrder
from storefront.extensions import db
from storefront.sellers import service as sellers
from storefront.sellers.models import CommissionEntry, Payout, Seller
from storefront.showcase.models import Collection, CollectionItem, SellerPick
from tests.builders import ShopClient, make_product, make_user
from tests.sellers.builders import make_order, make_seller, touched

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
UNKNOWN_ID, UNKNOWN_TEXT = 999999, "zz-nobody-9"
# A GET page without arguments that is not a plain 200 for its seller (a download that redirects ...):
# endpoint -> the status it answers. An entry needs a reason beside it.
GET_STATUS: dict[str, int] = {
    "showcase_share.share_many": 422,  # the products come as ?p=<slug>; none asks the seller to pick some
}
B_SECRETS = ("Bob Secret", "447700900222", "bob.secret@example.com")


def seller_rules(app) -> list[Rule]:
    """Every rule whose path is /seller or under /seller/, whichever blueprint made it."""
    return sorted(
        (r for r in app.url_map.iter_rules() if r.rule == "/seller" or r.rule.startswith("/seller/")),
        key=lambda r: r.rule,
    )


def methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - SKIPPED_METHODS)


def path_for(rule: Rule, ids: dict[str, int], texts: dict[str, str]) -> str:
    """The rule's path with B's object for each argument (unknown names: an id or text nobody has)."""
    values = {}
    for name in rule.arguments:
        if name in (rule.defaults or {}):
            continue
        if isinstance(rule._converters.get(name), IntegerConverter):
            values[name] = ids.get(name, UNKNOWN_ID)
        else:
            values[name] = texts.get(name, UNKNOWN_TEXT)
    built = rule.build(values, append_unknown=False)
    assert built is not None, rule.rule
    return built[1]


def needs_values(rule: Rule) -> bool:
    return bool(set(rule.arguments) - set(rule.defaults or {}))


@pytest.fixture
def world(app) -> dict:
    """Sellers A (ANNA24, with one customer of her own) and B (BEN7, with a customer, an order, a
    commission, a payout, a pick and a collection); the owner."""
    with app.app_context():
        make_user("owner@example.com", "owner")
        coat = make_product("Wool coat", price=10000)
        make_seller("ANNA24", email="anna24@sellers.example")
        ben = make_seller("BEN7", email="ben7@sellers.example")
        now = utcnow()
        made = {}
        for code, name, phone, email in (
            ("ANNA24", "Ada Own", "+44 7700 900111", "ada@example.com"),
            ("BEN7", "Bob Secret", "+44 7700 900222", "bob.secret@example.com"),
        ):
            order = make_order([(coat, 1)], phone=phone, email=email)
            order.customer_name = name
            sellers.credit_order(db.session, order, touched((code, now)), now)
            customers.link_order(db.session, order, now)
            made[code] = order
        db.session.flush()
        b_order = made["BEN7"]
        entry = db.session.scalars(select(CommissionEntry).where(CommissionEntry.order_id == b_order.id)).one()
        payout = Payout(seller_id=ben.id, amount=100, currency="USD", note="")
        collection = Collection(seller_id=ben.id, slug="bens-gifts", title="Ben's gifts", created_at=now)
        db.session.add_all([payout, collection, SellerPick(seller_id=ben.id, product_id=coat.id)])
        db.session.flush()
        db.session.add(CollectionItem(collection_id=collection.id, product_id=coat.id))
        b_customer = db.session.scalars(select(Customer).where(Customer.name == "Bob Secret")).one()
        ids = {
            "customer_id": b_customer.id,
            "order_id": b_order.id,
            "entry_id": entry.id,
            "commission_id": entry.id,
            "payout_id": payout.id,
            "collection_id": collection.id,
            "seller_id": ben.id,
        }
        texts = {"code": ben.code, "slug": collection.slug, "reference": b_order.reference}
        db.session.commit()
        return {"ids": ids, "texts": texts, "b_reference": b_order.reference}


def _signed_in(app, email: str) -> ShopClient:
    shop = ShopClient(app.test_client())
    assert shop.login(email).status_code == 303
    return shop


def _call(shop: ShopClient, method: str, path: str):
    if method == "GET":
        return shop.client.get(path)
    return shop.client.open(path, method=method, data={"csrf_token": shop.csrf()})


def test_there_are_seller_routes_to_check(app):
    endpoints = {r.endpoint for r in seller_rules(app)}
    assert {"seller.dashboard", "seller_customers.index", "seller_customers.detail", "seller_customers.whatsapp"} <= (
        endpoints
    )


def test_seller_a_opens_every_page_of_their_own_and_never_sees_b(app, world):
    anna = _signed_in(app, "anna24@sellers.example")
    checked = 0
    for rule in seller_rules(app):
        if needs_values(rule) or "GET" not in methods(rule):
            continue
        response = anna.client.get(path_for(rule, {}, {}))
        assert response.status_code == GET_STATUS.get(rule.endpoint, 200), rule.rule
        text = response.get_data(as_text=True)
        for secret in (*B_SECRETS, world["b_reference"]):
            assert secret not in text, f"{rule.rule} shows seller B's {secret}"
        checked += 1
    assert checked >= 4


def test_seller_a_gets_404_or_403_for_every_object_of_seller_b(app, world):
    anna = _signed_in(app, "anna24@sellers.example")
    checked = 0
    for rule in seller_rules(app):
        if not needs_values(rule):
            continue
        path = path_for(rule, world["ids"], world["texts"])
        for method in methods(rule):
            response = _call(anna, method, path)
            assert response.status_code in (403, 404), f"{method} {path} ({rule.endpoint}): {response.status_code}"
            text = response.get_data(as_text=True)
            assert not any(secret in text for secret in B_SECRETS), f"{method} {path} shows seller B's customer"
            checked += 1
    assert checked >= 2


def test_anonymous_visitors_are_sent_to_sign_in_everywhere(app, world):
    visitor = ShopClient(app.test_client())
    for rule in seller_rules(app):
        path = path_for(rule, world["ids"], world["texts"])
        for method in methods(rule):
            response = _call(visitor, method, path)
            assert response.status_code in (302, 303), f"{method} {path}: {response.status_code}"
            assert "/login" in response.headers["Location"], f"{method} {path}"


def test_the_owner_gets_403_on_every_seller_route(app, world):
    owner = _signed_in(app, "owner@example.com")
    for rule in seller_rules(app):
        path = path_for(rule, world["ids"], world["texts"])
        for method in methods(rule):
            assert _call(owner, method, path).status_code == 403, f"{method} {path}"


def test_an_unknown_id_is_404_for_the_seller_too(app, world):
    """The default for argument names this test does not know must itself give 404 (else the defaults prove nothing)."""
    anna = _signed_in(app, "anna24@sellers.example")
    for rule in seller_rules(app):
        if not needs_values(rule):
            continue
        path = path_for(rule, {}, {})
        for method in methods(rule):
            assert _call(anna, method, path).status_code in (403, 404), f"{method} {path}"


def test_a_disabled_seller_no_longer_reaches_the_customers_they_brought(app, world):
    """Disabling a seller cuts them off their customers' contacts at once; their own sales figures stay readable."""
    anna = _signed_in(app, "anna24@sellers.example")
    assert anna.client.get("/seller/customers").status_code == 200
    with app.app_context():
        db.session.execute(update(Seller).where(Seller.code == "ANNA24").values(active=False))
        db.session.commit()
    assert anna.client.get("/seller/customers").status_code == 403
    with app.app_context():
        own = db.session.scalars(select(Customer).where(Customer.name == "Ada Own")).one()
        order_id = db.session.scalars(select(CustomerOrder.order_id).where(CustomerOrder.customer_id == own.id)).first()
    assert anna.client.get(f"/seller/customers/{own.id}").status_code == 403
    assert _call(anna, "POST", f"/seller/customers/{own.id}/whatsapp/{order_id}").status_code == 403
    assert anna.client.get("/seller/").status_code == 200
