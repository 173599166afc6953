"""The shopper page cache: changes show on the very next request, and nothing of one visitor reaches another."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, select

from storefront.catalog import generation
from storefront.catalog.models import Product
from storefront.extensions import cache, db
from tests.builders import (
    CHECKOUT_PICKUP,
    ShopClient,
    make_category,
    make_product,
    nth_shopper,
    pickup_by,
    signed_in_owner,
)
from tests.sellers.builders import make_seller

PAGES = ("home", "category", "search", "product")


pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here


@pytest.fixture
def lamp(app) -> dict:
    """A product with one unit left (threshold 3), among others in a category, and its page URLs."""
    with app.app_context():
        lighting = make_category("Lighting")
        make_product("Desk fan", price=3000, category=lighting, variants=(("", 8),))
        product = make_product("Brass lamp", price=4500, category=lighting, variants=(("", 1),))
        return {
            "id": product.id,
            "slug": product.slug,
            "variant": product.variants[0].id,
            "urls": {
                "home": "/",
                "category": "/c/lighting",
                "search": "/search?q=brass",
                "product": f"/p/{product.slug}",
            },
        }


def _pages(client, lamp) -> dict[str, str]:
    pages = {}
    for name, url in lamp["urls"].items():
        response = client.get(url)
        pages[name] = response.get_data(as_text=True) if response.status_code == 200 else f"<{response.status_code}>"
    return pages


def _catalog_statements(app) -> list[str]:
    """Start recording the SQLAlchemy statements that read products (the list fills as requests run)."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn, cursor, statement, *args):
        if "products" in statement or "variants" in statement or "categories" in statement:
            seen.append(statement)

    return seen


def test_a_hit_serves_the_same_page_without_reading_the_catalog(app, lamp):
    client = app.test_client()
    first = _pages(client, lamp)
    assert all("Brass lamp" in html for html in first.values()), first
    catalog_reads = _catalog_statements(app)
    again = _pages(client, lamp)
    assert catalog_reads == [], "a hit runs no catalog query"
    assert _untokened(again) == _untokened(first), "the same page (the token is re-signed each time)"
    with app.app_context():
        assert len(cache.cache._cache) == len(PAGES)  # noqa: SLF001 - SimpleCache's own store, one page each


def test_price_change_by_the_owner_shows_on_the_next_request(app, lamp):
    shopper = app.test_client()
    assert all("$45.00" in html for html in _pages(shopper, lamp).values())
    owner = signed_in_owner(app)
    fields = {"title": "Brass lamp", "slug": lamp["slug"], "price": "39.90", "category_id": "0"}
    with app.app_context():
        fields["category_id"] = str(db.session.get(Product, lamp["id"]).category_id)
    assert owner.post(f"/admin/products/{lamp['id']}", fields).status_code == 303
    for name, html in _pages(shopper, lamp).items():
        assert "$39.90" in html and "$45.00" not in html, name


def test_name_change_shows_on_the_next_request(app, lamp):
    shopper = app.test_client()
    _pages(shopper, lamp)
    with app.app_context():
        db.session.get(Product, lamp["id"]).title = "Brass reading lamp"
        db.session.commit()
    for name, html in _pages(shopper, lamp).items():
        assert "Brass reading lamp" in html, name


def test_a_hidden_product_is_gone_on_the_next_request(app, lamp):
    shopper = app.test_client()
    _pages(shopper, lamp)
    owner = signed_in_owner(app)
    assert owner.post(f"/admin/products/{lamp['id']}/archive", {"archived": "1"}).status_code == 303
    pages = _pages(shopper, lamp)
    assert pages["product"] == "<404>"
    for name in ("home", "category", "search"):
        assert "Brass lamp" not in pages[name], name
    assert "Desk fan" in pages["category"]


def test_selling_the_last_unit_shows_sold_out_on_the_next_request(app, lamp):
    watcher = app.test_client()
    before = _pages(watcher, lamp)
    assert "Only 1 left" in before["product"] and "Sold out" not in before["category"]
    buyer = ShopClient(app.test_client())
    assert buyer.add(lamp["variant"], 1).status_code == 303
    assert buyer.checkout(CHECKOUT_PICKUP).status_code == 303, "a real order takes the last unit"
    after = _pages(watcher, lamp)
    assert "Only 1 left" not in after["product"]
    assert re.search(r'<button class="btn btn-primary" type="submit" disabled>Sold out</button>', after["product"])
    for name in ("home", "category", "search"):
        card = re.search(r"Brass lamp</span>.*?</li>", after[name], re.S)
        assert card and 'class="tag tag-out"' in card.group(0), name


def test_orders_that_change_nothing_shown_keep_the_cache(app):
    """A storm of orders of a well-stocked product must not turn every page view into a miss."""
    with app.app_context():
        variant_id = make_product("Tea towel", variants=(("", 50),)).variants[0].id
        db.session.commit()  # end the read above: SQLite allows one writer, and the first read creates the row
        before = generation.current(db.engine)
    assert before is not None
    for n in range(3):  # 50 -> 47 units: "In stock" all along (threshold 3)
        buyer = nth_shopper(app, n)
        assert buyer.add(variant_id, 1).status_code == 303
        assert buyer.checkout(pickup_by(n)).status_code == 303
    with app.app_context():
        assert generation.current(db.engine) == before, "in stock -> in stock: nothing shown changed"
        from storefront.inventory.service import adjust_stock

        adjust_stock(db.session, variant_id, -45, "count", _now(), None)  # 2 left: "Only 2 left"
        db.session.commit()
        low = generation.current(db.engine)
    assert low != before
    buyer = nth_shopper(app, 3)
    assert buyer.add(variant_id, 1).status_code == 303
    assert buyer.checkout(pickup_by(3)).status_code == 303
    with app.app_context():
        assert generation.current(db.engine) != low, "Only 2 left -> Only 1 left is shown"


def test_a_rolled_back_change_does_not_invalidate(app, lamp):
    with app.app_context():
        before = generation.current(db.engine)
        db.session.get(Product, lamp["id"]).price = 1
        db.session.flush()
        db.session.rollback()
        db.session.execute(select(Product.id)).all()
        db.session.commit()
        assert generation.current(db.engine) == before


def _now():
    from storefront.clock import utcnow

    return utcnow()


# --- nothing of one visitor reaches another -------------------------------------------------------


def _untokened(pages: dict[str, str]) -> dict[str, str]:
    """Pages without their CSRF tokens (flask-wtf signs the session's token anew, with a timestamp)."""
    return {name: html.replace(_csrf(html), "") for name, html in pages.items()}


def _csrf(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_token_cart_flash_and_next_never_leak_between_visitors(app, lamp):
    url = lamp["urls"]["product"]
    ann = ShopClient(app.test_client())
    added = ann.post("/cart/add", {"variant_id": lamp["variant"], "quantity": 1, "next": url})
    assert added.status_code == 303 and added.headers["Location"] == url
    ann_page = ann.client.get(url + "?utm_source=ann").get_data(as_text=True)  # the miss: rendered for Ann
    ann_token = _csrf(ann_page)
    assert "data-cart-count>1<" in ann_page and 'class="flash flash-success"' in ann_page
    assert "utm_source=ann" in ann_page

    ben = app.test_client()
    ben_page = ben.get(url).get_data(as_text=True)  # the same page from the cache
    assert ann_token not in ben_page, "Ann's CSRF token is not in Ben's page"
    ben_token = _csrf(ben_page)
    assert ben_page.count(ben_token) == 3, "Ben's own token in the meta tag and both forms"
    assert 'class="badge is-empty" data-cart-count>0<' in ben_page
    assert 'class="flash' not in ben_page
    assert "utm_source" not in ben_page and f'name="next" value="{url}"' in ben_page
    added = ben.post("/cart/add", data={"csrf_token": ben_token, "variant_id": lamp["variant"], "quantity": 1})
    assert added.status_code == 303, added.get_data(as_text=True)  # Ben's token is accepted

    ann_again = ann.client.get(url).get_data(as_text=True)  # a hit, filled for Ann
    assert _csrf(ann_again) != ben_token and _csrf(ann_again) not in ben_page
    assert "data-cart-count>1<" in ann_again and 'class="flash' not in ann_again, "a flash is shown once"
    assert ann.post("/locale", {"locale": "en", "next": url}).status_code == 303, "Ann's token still works"


def test_each_language_gets_its_own_page(app, lamp):
    url = lamp["urls"]["product"]
    spanish = app.test_client()
    spanish.set_cookie("locale", "es")
    assert '<html lang="es"' in spanish.get(url).get_data(as_text=True)
    english = app.test_client().get(url, headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert '<html lang="en"' in english
    bengali = app.test_client().get(url, headers={"Accept-Language": "bn"}).get_data(as_text=True)
    assert '<html lang="bn"' in bengali and "৪৫" in bengali  # its own digits in the price
    assert '<html lang="es"' in spanish.get(url).get_data(as_text=True)


def test_a_sellers_share_code_stays_with_the_page_it_was_opened_with(app, lamp):
    with app.app_context():
        make_seller("ANNA24")
    url = lamp["urls"]["product"]
    with_code = app.test_client().get(url + "?ref=ANNA24").get_data(as_text=True)
    assert "ref=ANNA24" in with_code and "ANNA24" in with_code
    plain = app.test_client().get(url).get_data(as_text=True)
    assert "ANNA24" not in plain


def test_a_form_from_a_cached_page_posts_with_the_visitors_own_token(app, lamp):
    url = lamp["urls"]["product"]
    app.test_client().get(url)  # someone else fills the cache
    shopper = app.test_client()
    page = shopper.get(url).get_data(as_text=True)
    form_token = re.search(r'<form class="add"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page)
    response = shopper.post("/cart/add", data={"csrf_token": form_token.group(1), "variant_id": lamp["variant"]})
    assert response.status_code == 303
    assert shopper.get_cookie("cart_n").value == "1"


def test_etags_hold_for_hits_and_change_with_the_catalog(app, lamp):
    client = app.test_client()
    url = lamp["urls"]["category"]
    miss = client.get(url)
    hit = client.get(url)
    assert miss.headers["ETag"] == hit.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": hit.headers["ETag"]}).status_code == 304
    with app.app_context():
        db.session.get(Product, lamp["id"]).price = 4400
        db.session.commit()
    changed = client.get(url, headers={"If-None-Match": hit.headers["ETag"]})
    assert changed.status_code == 200 and "$44.00" in changed.get_data(as_text=True)


def test_racing_orders_for_the_last_units_leave_no_stale_page(app):
    """Shoppers race for the last units while others keep reading: the page after the race is right."""
    with app.app_context():
        variant_id = make_product("Silk scarf", variants=(("", 4),)).variants[0].id
    url = "/p/silk-scarf"
    reader = app.test_client()
    assert "Only 4 left" not in reader.get(url).get_data(as_text=True)  # threshold 3: "In stock"
    shoppers = []
    for n in range(8):
        shop = nth_shopper(app, n)
        assert shop.add(variant_id, 1).status_code == 303
        shoppers.append((shop, shop.checkout_key(), n))
    barrier = threading.Barrier(len(shoppers) + 2)

    def buy(args):
        shop, key, n = args
        barrier.wait()
        return shop.checkout(pickup_by(n), key=key).status_code

    def read(_):
        barrier.wait()
        return [app.test_client().get(url).status_code for _ in range(10)]

    with ThreadPoolExecutor(len(shoppers) + 2) as pool:
        buying, reading = pool.map(buy, shoppers), pool.map(read, range(2))  # all submitted at once
        bought, reads = list(buying), list(reading)
    assert sorted(bought) == [303] * 4 + [409] * 4
    assert all(status == 200 for statuses in reads for status in statuses)
    page = reader.get(url).get_data(as_text=True)
    assert "Only" not in page and "In stock" not in page and "disabled>Sold out</button>" in page
    assert "Sold out" in reader.get("/search?q=silk").get_data(as_text=True)
