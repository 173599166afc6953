"""A draft product is unseen and unbuyable wherever a shopper or a seller could reach it."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storefront.catalog import generation
from storefront.catalog.models import Product
from storefront.extensions import db
from tests.builders import CHECKOUT_PICKUP, ShopClient, make_category, make_product, make_user, variant_ids
from tests.sellers.builders import make_seller

pytestmark = pytest.mark.usefixtures("quick_password_hash")


def _set_status(app, product_id: int, status: str) -> None:
    with app.app_context():
        db.session.get(Product, product_id).status = status
        db.session.commit()


@pytest.fixture
def lamps(app) -> dict:
    """A published lamp and a draft lamp in one category, both with stock and a shared word."""
    with app.app_context():
        category = make_category("Lighting")
        shown = make_product("Brass lamp", category=category, description="A lamp of brass.")
        hidden = make_product("Copper lamp", category=category, description="A lamp of copper.")
        hidden.status = "draft"
        db.session.commit()
        return {
            "category": category.slug,
            "shown": shown.slug,
            "hidden": hidden.slug,
            "hidden_id": hidden.id,
            "hidden_variant": variant_ids(hidden)[0],
        }


def _shopper_pages(client, lamps) -> dict[str, str]:
    urls = {"home": "/", "category": f"/c/{lamps['category']}", "search": "/search?q=lamp"}
    return {name: client.get(url).text for name, url in urls.items()}


def test_a_draft_is_on_no_shopper_page_until_published(app, lamps):
    client = app.test_client()
    for name, html in _shopper_pages(client, lamps).items():
        assert "Brass lamp" in html, name
        assert "Copper lamp" not in html and f"/p/{lamps['hidden']}" not in html, name
    for url in (f"/p/{lamps['hidden']}", f"/og/p/{lamps['hidden']}.jpg", f"/qr/p/{lamps['hidden']}.svg"):
        assert client.get(url).status_code == 404, url

    _set_status(app, lamps["hidden_id"], "published")  # the cached pages above must not survive this
    for name, html in _shopper_pages(client, lamps).items():
        assert "Copper lamp" in html, name
    assert client.get(f"/p/{lamps['hidden']}").status_code == 200


def test_a_draft_cannot_be_added_to_a_cart(app, shop, lamps):
    refused = shop.add(lamps["hidden_variant"], 1, headers={"Accept": "application/json"})
    assert refused.status_code == 404 and refused.get_json()["message"] == "That item is no longer for sale."
    assert shop.add(lamps["hidden_variant"], 1).status_code == 404
    assert "Copper lamp" not in shop.client.get("/cart").text


def test_checkout_refuses_a_line_whose_product_went_back_to_draft(app, shop, lamps):
    _set_status(app, lamps["hidden_id"], "published")
    assert shop.add(lamps["hidden_variant"], 1).status_code in (302, 303)
    key = shop.checkout_key()
    _set_status(app, lamps["hidden_id"], "draft")  # the owner unpublishes it while the shopper checks out
    refused = shop.checkout(CHECKOUT_PICKUP, key)
    assert refused.status_code == 409
    assert "Sorry, not enough left of: Copper lamp" in refused.text and "has-problem" in refused.text
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM orders")).scalar() == 0


def test_sellers_cannot_share_a_draft(app, lamps):
    with app.app_context():
        make_seller("ANNA24", email="anna@sellers.example", rate_bp=1000)
        make_user("owner@example.com", "owner")
    seller = ShopClient(app.test_client())
    assert seller.login("anna@sellers.example").status_code == 303
    dashboard = seller.client.get("/seller/").text
    assert f"/p/{lamps['shown']}?ref=ANNA24" in dashboard
    assert "Copper lamp" not in dashboard and f"/p/{lamps['hidden']}" not in dashboard
    assert seller.client.get(f"/seller/poster?product={lamps['hidden']}").status_code == 404


def test_publish_and_unpublish_bump_the_catalog_generation(app, lamps):
    with app.app_context():
        before = generation.current(db.engine)
    _set_status(app, lamps["hidden_id"], "published")
    with app.app_context():
        published = generation.current(db.engine)
    _set_status(app, lamps["hidden_id"], "draft")
    with app.app_context():
        unpublished = generation.current(db.engine)
    assert len({before, published, unpublished}) == 3


def _insert_product(conn, slug: str, archived: bool) -> None:
    """A product row as the shop wrote it before 0016 (plain SQL: today's model has no `archived`)."""
    conn.execute(
        text(
            "INSERT INTO products (slug, title, description_md, description_html, price, featured, archived,"
            " created_at, updated_at, search_text) VALUES (:slug, :slug, '', '', 100, false, :archived,"
            " '2026-01-01 10:00:00', '2026-01-01 10:00:00', :text)"
        ),
        {"slug": slug, "text": slug, "archived": archived},
    )


def test_the_migration_keeps_products_on_sale_and_archived_ones_archived(empty_db_app):
    directory = empty_db_app.extensions["migrate"].directory
    with empty_db_app.app_context():
        upgrade(directory=directory, revision="0015_jobs")
        with db.engine.begin() as conn:
            _insert_product(conn, "on-sale", archived=False)
            _insert_product(conn, "gone", archived=True)
        upgrade(directory=directory, revision="0016_product_status")
        with db.engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT slug, status FROM products")).all())
        assert rows == {"on-sale": "published", "gone": "archived"}
        upgrade(directory=directory)  # the later migrations too: today's pages read their tables
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text("UPDATE products SET status = 'publised' WHERE slug = 'on-sale'"))
    client = empty_db_app.test_client()
    assert client.get("/p/on-sale").status_code == 200 and client.get("/p/gone").status_code == 404
    with empty_db_app.app_context():
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO products (slug, title, description_md, description_html, price, featured,"
                    " status, created_at, updated_at, search_text) VALUES ('new', 'new', '', '', 1, false,"
                    " 'draft', '2026-01-01 10:00:00', '2026-01-01 10:00:00', 'new')"
                )
            )
        downgrade(directory=directory, revision="0015_jobs")
        with db.engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT slug, archived FROM products")).all())
        assert {slug: bool(archived) for slug, archived in rows.items()} == {
            "on-sale": False,
            "gone": True,
            "new": True,
        }, "a draft was never on sale: it goes back as archived"


def test_a_draft_is_not_on_sale_for_the_owners_lists_either(app, lamps):
    """The dashboard's "on sale" count, its low-stock list and the stock page's low / sold-out
    filters are what the owner acts on: a draft being prepared is in none of them."""
    from datetime import datetime

    from storefront.admin.service import dashboard
    from storefront.catalog.models import Variant
    from storefront.inventory.service import StockFilter, find_stock, low_stock_variants

    with app.app_context():
        for variant in db.session.query(Variant).all():
            variant.on_hand = 0  # everything sold out, so everything is low
        db.session.commit()
        titles = lambda variants: {v.product.title for v in variants}  # noqa: E731
        assert titles(low_stock_variants(db.session)) == {"Brass lamp"}
        for wanted in (StockFilter(low=True), StockFilter(sold_out=True)):
            assert titles(find_stock(db.session, wanted, 1, 50).items) == {"Brass lamp"}
        assert titles(find_stock(db.session, StockFilter(), 1, 50).items) == {"Brass lamp", "Copper lamp"}
        assert dashboard(db.session, datetime(2026, 12, 6, 12, 0)).products == 1


def test_an_unknown_status_is_refused_by_the_database(app):
    """A typo such as 'publised' would hide a product silently: the CHECK constraint refuses it."""
    with app.app_context():
        product = make_product("Tin lamp")
        product.status = "publised"
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_unarchiving_through_the_attribute_makes_a_draft_not_a_published_product(app):
    """`product.archived = False` never puts a product on sale without publish's checks."""
    with app.app_context():
        product = make_product("Iron lamp")
        product.archived = True
        assert product.status == "archived"
        product.archived = False
        assert product.status == "draft"
        product.status = "published"
        product.archived = False
        assert product.status == "published", "un-archiving what is not archived changes nothing"
