"""Two owners saving the same web address (or SKU) at the same moment: a free one is chosen, never a 500."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from storefront.catalog import service as catalog_service
from storefront.catalog.models import Category, Product, Variant
from storefront.extensions import db
from tests.builders import ShopClient, make_product, make_user

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here

OWNERS = ("owner@example.com", "partner@example.com")
# SQLite's write lock (BEGIN IMMEDIATE) runs the two saves one after the other, so there the
# first waits this long for a partner that cannot come; PostgreSQL lets both reach the INSERT.
RENDEZVOUS_S = 2


def _owners(app) -> list[ShopClient]:
    with app.app_context():
        for email in OWNERS:
            make_user(email, "owner")
    owners = []
    for email in OWNERS:
        shop = ShopClient(app.test_client())
        assert shop.login(email).status_code == 303
        shop.csrf()
        owners.append(shop)
    return owners


def _both_decide_before_either_writes(monkeypatch, module, name: str) -> None:
    """Make each thread's first call of `module.name` wait until the other thread has made its own.

    So both requests look for a free value before either has written: the race the issue saw,
    made certain instead of left to scheduling luck.
    """
    real = getattr(module, name)
    rendezvous = threading.Barrier(len(OWNERS))
    waited = threading.local()

    def racing(*args, **kwargs):
        result = real(*args, **kwargs)
        if not getattr(waited, "done", False):
            waited.done = True
            # On SQLite the other save is waiting for the write lock this one holds: go on alone.
            with contextlib.suppress(threading.BrokenBarrierError):
                rendezvous.wait(timeout=RENDEZVOUS_S)
        return result

    monkeypatch.setattr(module, name, racing)


def _at_once(owners: list[ShopClient], send) -> list:
    start = threading.Barrier(len(owners))

    def run(shop: ShopClient):
        start.wait()
        return send(shop)

    with ThreadPoolExecutor(len(owners)) as pool:
        return list(pool.map(run, owners))


def test_two_owners_creating_products_with_the_same_slug_get_two_addresses(app, monkeypatch):
    owners = _owners(app)
    _both_decide_before_either_writes(monkeypatch, catalog_service, "unique_slug")
    form = {"title": "Rain coat", "slug": "rain-coat", "price": "12.00", "category_id": "0", "description_md": "Dry."}

    responses = _at_once(owners, lambda shop: shop.post("/admin/products/new", form))

    assert [r.status_code for r in responses] == [303, 303], [r.text[:300] for r in responses]
    with app.app_context():
        slugs = sorted(db.session.scalars(select(Product.slug)))
    assert slugs == ["rain-coat", "rain-coat-2"]


def test_renaming_into_an_address_taken_at_the_same_moment_picks_the_next_free_one(app, monkeypatch):
    owners = _owners(app)
    with app.app_context():
        ids = [make_product("Old coat").id, make_product("Old hat").id]
    _both_decide_before_either_writes(monkeypatch, catalog_service, "unique_slug")
    form = {"title": "Rain coat", "slug": "", "price": "12.00", "category_id": "0", "description_md": ""}

    responses = _at_once(
        owners, lambda shop: shop.post(f"/admin/products/{ids[owners.index(shop)]}", {**form, "title": "Rain coat"})
    )

    assert [r.status_code for r in responses] == [303, 303], [r.text[:300] for r in responses]
    with app.app_context():
        products = {p.id: p for p in db.session.scalars(select(Product))}
        assert sorted(p.slug for p in products.values()) == ["rain-coat", "rain-coat-2"]
        assert all(p.title == "Rain coat" for p in products.values()), "the retry keeps every edited field"


def test_two_owners_adding_the_same_sku_at_once_get_one_variant_and_a_clear_409(app, monkeypatch):
    owners = _owners(app)
    with app.app_context():
        product_id = make_product("Wool coat", variants=()).id
    _both_decide_before_either_writes(monkeypatch, catalog_service, "_sku_taken")
    form = {"sku": "COAT-XL", "name": "XL", "price_override": "", "low_stock_threshold": "3", "initial_stock": "2"}

    responses = _at_once(owners, lambda shop: shop.post(f"/admin/products/{product_id}/variants", form))

    assert sorted(r.status_code for r in responses) == [303, 409], [r.text[:300] for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    assert "Another variant already has the SKU COAT-XL." in refused.text
    with app.app_context():
        assert db.session.scalars(select(Variant.sku)).all() == ["COAT-XL"]


def test_two_owners_adding_the_same_category_at_once_get_one_category_and_a_clear_409(app, monkeypatch):
    owners = _owners(app)
    _both_decide_before_either_writes(monkeypatch, catalog_service, "_category_slug_taken")
    form = {"name": "Rain wear", "slug": "", "position": "1"}

    responses = _at_once(owners, lambda shop: shop.post("/admin/categories", form))

    assert sorted(r.status_code for r in responses) == [303, 409], [r.text[:300] for r in responses]
    assert "Another category already uses this address." in next(r for r in responses if r.status_code == 409).text
    with app.app_context():
        assert db.session.scalars(select(Category.slug)).all() == ["rain-wear"]


def test_an_address_taken_on_every_attempt_re_shows_the_form_with_a_409(app, monkeypatch):
    (owner,) = _owners(app)[:1]
    with app.app_context():
        make_product("Rain coat")
    # As if a new twin were saved between each check and each write: every attempt collides.
    monkeypatch.setattr(catalog_service, "unique_slug", lambda *_args, **_kwargs: "rain-coat")
    form = {"title": "Rain coat", "slug": "", "price": "12.00", "category_id": "0", "description_md": ""}

    response = owner.post("/admin/products/new", form)

    assert response.status_code == 409
    assert "Another product took this web address at the same moment. Please save again." in response.text
    assert 'value="Rain coat"' in response.text, "the owner's input comes back"
    owner.client.set_cookie("locale", "es")
    assert "Otro producto tomó esta dirección web en el mismo momento." in owner.post("/admin/products/new", form).text
    with app.app_context():
        assert db.session.scalars(select(Product.slug)).all() == ["rain-coat"]
