"""The stock page on a phone: search, filters, pages, cards with an inline adjust, and the way back."""

from __future__ import annotations

import re

import pytest

from storefront.admin.stock import PER_PAGE
from storefront.catalog import service as catalog
from storefront.catalog.models import Variant
from storefront.extensions import db
from storefront.inventory.service import StockFilter, find_stock
from tests.admin.test_stock import ledger_rows, signed_in
from tests.builders import make_category, make_product, stock_of

pytestmark = pytest.mark.usefixtures("quick_password_hash")


@pytest.fixture
def shelves(app) -> dict:
    """Coats (Clothing): S 2, M 0, L 10; a mug (Kitchen): Blue 1, Red 8; an archived scarf with 0."""
    with app.app_context():
        clothing, kitchen = make_category("Clothing"), make_category("Kitchen")
        coat = make_product("Wool coat", variants=(("S", 2), ("M", 0), ("L", 10)), category=clothing)
        mug = make_product("Tea mug", variants=(("Blue", 1), ("Red", 8)), category=kitchen)
        scarf = make_product("Silk scarf", variants=(("One size", 0),), category=clothing)
        catalog.set_archived(db.session, scarf, True)
        db.session.commit()
        skus = {f"{p.title}/{v.name}": v.sku for p in (coat, mug, scarf) for v in p.variants}
        ids = {f"{p.title}/{v.name}": v.id for p in (coat, mug, scarf) for v in p.variants}
        return {"sku": skus, "id": ids, "clothing": clothing.id, "kitchen": kitchen.id}


def found(wanted: StockFilter, page: int = 1, per_page: int = 50) -> list[str]:
    """The "title/variant" names one page of the search lists, in order."""
    listing = find_stock(db.session, wanted, page, per_page)
    return [f"{v.product.title}/{v.name}" for v in listing.items]


def card_skus(html: str) -> list[str]:
    """The SKUs of the cards on a stock page, in order."""
    return re.findall(r'<span class="muted">([^<]+)</span>', html)


# --- the query (inventory.service.find_stock) -------------------------------------------------


def test_search_matches_title_sku_and_variant_name_in_any_case(app, shelves):
    with app.app_context():
        assert found(StockFilter(query="MUG")) == ["Tea mug/Blue", "Tea mug/Red"]
        assert found(StockFilter(query="red")) == ["Tea mug/Red"]  # the variant name
        assert found(StockFilter(query=shelves["sku"]["Wool coat/L"].lower())) == ["Wool coat/L"]
        assert found(StockFilter(query="  coat ")) == ["Wool coat/S", "Wool coat/M", "Wool coat/L"]
        assert found(StockFilter(query="%")) == [], "LIKE wildcards are plain characters"
        assert found(StockFilter(query="_")) == []
        everything = found(StockFilter())
        assert len(everything) == 6 and everything[:2] == ["Silk scarf/One size", "Tea mug/Blue"]


def test_each_filter_and_their_combination(app, shelves):
    with app.app_context():
        # Low: available at or under the threshold (3), on sale only, fewest first.
        assert found(StockFilter(low=True)) == ["Wool coat/M", "Tea mug/Blue", "Wool coat/S"]
        # Sold out: nothing available (the archived scarf is not on sale: not listed).
        assert found(StockFilter(sold_out=True)) == ["Wool coat/M"]
        assert found(StockFilter(category_id=shelves["kitchen"])) == ["Tea mug/Blue", "Tea mug/Red"]
        assert found(StockFilter(low=True, category_id=shelves["kitchen"])) == ["Tea mug/Blue"]
        assert found(StockFilter(query="coat", low=True)) == ["Wool coat/M", "Wool coat/S"]
        assert found(StockFilter(query="mug", sold_out=True)) == []
        assert found(StockFilter(category_id=999_999)) == []


def test_reserved_units_count_as_gone(app, shelves):
    with app.app_context():
        large = db.session.get(Variant, shelves["id"]["Wool coat/L"])
        large.reserved = 10  # held for unpaid orders: none left to sell
        db.session.commit()
        assert "Wool coat/L" in found(StockFilter(sold_out=True))


def test_pages_hold_the_total_and_a_page_past_the_end_shows_the_last(app, shelves):
    with app.app_context():
        first = find_stock(db.session, StockFilter(), 1, 4)
        assert (first.total, first.pages, len(first.items)) == (6, 2, 4)
        last = find_stock(db.session, StockFilter(), 9, 4)
        assert (last.page, len(last.items)) == (2, 2)
        assert {v.id for v in first.items}.isdisjoint(v.id for v in last.items)


# --- the page ------------------------------------------------------------------------------------


def test_the_page_filters_from_the_address_and_says_how_many(app, shelves):
    shop, _ = signed_in(app, "staff")
    sku = shelves["sku"]
    page = shop.client.get("/admin/stock?q=mug")
    assert page.status_code == 200
    assert card_skus(page.text) == [sku["Tea mug/Blue"], sku["Tea mug/Red"]]
    assert "2 variants" in page.text
    assert 'value="mug"' in page.text, "the search box shows the query"
    low = shop.client.get(f"/admin/stock?low=1&category={shelves['clothing']}").text
    assert card_skus(low) == [sku["Wool coat/M"], sku["Wool coat/S"]]
    assert re.search(r'name="low" value="1" checked', low), "the filters stay ticked"
    assert re.search(rf'<option value="{shelves["clothing"]}" selected>Clothing</option>', low)
    assert card_skus(shop.client.get("/admin/stock?sold_out=1").text) == [sku["Wool coat/M"]]
    assert len(card_skus(shop.client.get("/admin/stock?low=0&sold_out=0").text)) == 6, "0 switches a filter off"
    one = shop.client.get(f"/admin/stock?q={sku['Wool coat/L']}").text
    assert "1 variant<" in one and card_skus(one) == [sku["Wool coat/L"]]


def test_no_match_says_so_and_odd_input_is_no_error(app, shelves):
    shop, _ = signed_in(app, "staff")
    none = shop.client.get("/admin/stock?q=bicycle&low=1")
    assert none.status_code == 200
    assert "0 variants" in none.text and "No variant matches." in none.text and card_skus(none.text) == []
    for query in ("category=abc", "category=99999999999999", "page=-1", "page=x", "q=" + "x" * 500, "low=yes"):
        assert shop.client.get(f"/admin/stock?{query}").status_code == 200, query


def test_the_page_is_paged_and_the_pager_keeps_the_filters(app, shelves):
    with app.app_context():
        make_product("Bulk socks", variants=[(f"Pair {n:02d}", 1) for n in range(PER_PAGE + 5)])
    shop, _ = signed_in(app, "staff")
    first = shop.client.get("/admin/stock?q=socks&low=1").text
    assert len(card_skus(first)) == PER_PAGE and f"{PER_PAGE + 5} variants" in first
    assert 'href="/admin/stock?page=2&amp;q=socks&amp;low=1"' in first
    second = shop.client.get("/admin/stock?q=socks&low=1&page=2").text
    assert len(card_skus(second)) == 5 and set(card_skus(first)).isdisjoint(card_skus(second))


def test_a_card_shows_counts_badges_and_its_own_adjust_form(app, shelves):
    shop, _ = signed_in(app, "staff")
    sold_out_id = shelves["id"]["Wool coat/M"]
    html = shop.client.get("/admin/stock?q=coat&low=1").text
    card = html[html.index(f'id="variant-{sold_out_id}"') :]
    card = card[: card.index("</li>")]
    assert "Sold out" in card and "is-low" in html
    assert f'action="/admin/stock/{sold_out_id}/adjust?q=coat&amp;low=1"' in card
    assert f'name="next" value="/admin/stock?q=coat&amp;low=1#variant-{sold_out_id}"' in card
    for control in ("delta", "reason", "note"):
        assert f'<label for="{control}-{sold_out_id}">' in card, control
    assert 'aria-label="One more"' in card and 'aria-label="One less"' in card


# --- adjusting from a card -------------------------------------------------------------------------


def test_apply_from_a_card_returns_to_the_same_filtered_page_at_that_card(app, shelves):
    shop, staff_id = signed_in(app, "staff")
    small = shelves["id"]["Wool coat/S"]
    back = f"/admin/stock?q=coat&low=1#variant-{small}"
    response = shop.post(
        f"/admin/stock/{small}/adjust?q=coat&low=1", {"delta": "2", "reason": "received", "next": back}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == back
    with app.app_context():
        assert stock_of(small) == 4
        assert [(m.delta, m.reason, m.on_hand_after, m.user_id) for m in ledger_rows(small)][-1] == (
            2,
            "received",
            4,
            staff_id,
        )


def test_a_refused_change_shows_its_error_on_that_card_with_the_typed_values(app, shelves):
    shop, _ = signed_in(app, "staff")
    small, large = shelves["id"]["Wool coat/S"], shelves["id"]["Wool coat/L"]
    back = f"/admin/stock?q=coat#variant-{small}"
    response = shop.post(
        f"/admin/stock/{small}/adjust?q=coat", {"delta": "-5", "reason": "damaged", "note": "Wet box", "next": back}
    )
    assert response.status_code == 409
    html = response.text
    card = html[html.index(f'id="variant-{small}"') :]
    card = card[: card.index("</li>")]
    assert "has-problem" in html[html.index(f'id="variant-{small}"') - 80 : html.index(f'id="variant-{small}"')]
    assert "Stock cannot go below 0 (there are 2 on hand)." in card
    assert 'value="-5"' in card and 'value="Wet box"' in card
    assert '<option value="damaged" selected>' in card
    assert f'name="next" value="{back.replace("&", "&amp;")}"' in card
    assert 'aria-invalid="true"' in card
    other = html[html.index(f'id="variant-{large}"') :]
    assert "Stock cannot go below" not in other and 'value="-5"' not in other, "only that card shows it"
    assert card_skus(html) == [shelves["sku"][f"Wool coat/{n}"] for n in ("S", "M", "L")], "same filtered page"
    with app.app_context():
        assert stock_of(small) == 2
        assert len(ledger_rows(small)) == 1


def test_a_refused_change_of_a_variant_the_page_does_not_list_shows_it_first(app, shelves):
    shop, _ = signed_in(app, "staff")
    red = shelves["id"]["Tea mug/Red"]
    response = shop.post(f"/admin/stock/{red}/adjust?q=coat", {"delta": "abc", "reason": "received"})
    assert response.status_code == 422
    assert card_skus(response.text)[0] == shelves["sku"]["Tea mug/Red"]
    assert "Enter a change like 5 or -2." in response.text


# --- from the product page (templates/admin/_variant_stock.html) ---------------------------------


def test_a_change_from_the_product_page_returns_there_at_the_variant(app, shelves):
    shop, owner_id = signed_in(app, "owner")
    large = shelves["id"]["Wool coat/L"]
    with app.app_context():
        product_id = db.session.get(Variant, large).product_id
    back = f"/admin/products/{product_id}#variant-{large}"
    response = shop.post(
        f"/admin/stock/{large}/adjust?q={shelves['sku']['Wool coat/L']}",
        {"delta": "-3", "reason": "count", "next": back},
    )
    assert response.status_code == 303 and response.headers["Location"] == back
    assert "Stock is now 7." in shop.client.get(back).text
    with app.app_context():
        assert stock_of(large) == 7
        movement = ledger_rows(large)[-1]
        assert (movement.delta, movement.reason, movement.user_id) == (-3, "count", owner_id)


def test_a_refused_change_from_the_product_page_shows_that_variant_with_the_error(app, shelves):
    shop, _ = signed_in(app, "owner")
    small, sku = shelves["id"]["Wool coat/S"], shelves["sku"]["Wool coat/S"]
    back = f"/admin/products/1#variant-{small}"
    response = shop.post(f"/admin/stock/{small}/adjust?q={sku}", {"delta": "-9", "reason": "count", "next": back})
    assert response.status_code == 409
    assert card_skus(response.text) == [sku]
    assert "Stock cannot go below 0" in response.text and 'value="-9"' in response.text
    assert f'name="next" value="{back}"' in response.text, "a retry still returns to the product page"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/admin/products/1",
        "//evil.example/admin/products/1",
        "/\\evil.example/admin/stock",
        "/admin/orders",
        "/admin/products/1/archive",
        "/admin/products/new",
        "/admin/productsX/1",
        "/admin/products/0",
        "javascript:alert(1)",
        "/admin/stock\r\nSet-Cookie: x=1",
    ],
)
def test_a_foreign_or_other_next_is_refused(app, shelves, target):
    shop, _ = signed_in(app, "staff")
    large = shelves["id"]["Wool coat/L"]
    response = shop.post(f"/admin/stock/{large}/adjust", {"delta": "1", "reason": "received", "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/stock"
    with app.app_context():
        assert stock_of(large) == 11


def test_the_product_page_partial_posts_back_to_itself(app, shelves):
    """The partial the product page includes (templates/admin/_variant_stock.html), rendered for one variant."""
    large = shelves["id"]["Wool coat/L"]
    with app.app_context(), app.test_request_context("/admin/products/1"):
        from flask import render_template

        variant = db.session.get(Variant, large)
        html = render_template("admin/_variant_stock.html", v=variant)
    assert f'action="/admin/stock/{large}/adjust?q={variant.sku}"' in html
    assert f'name="next" value="/admin/products/{variant.product_id}#variant-{large}"' in html
    assert 'name="csrf_token"' in html and 'name="delta"' in html and "Goods received" in html
    assert ">10<" in html, "the on-hand count"


def test_the_ledger_scrolls_in_a_named_keyboard_region(app, shelves):
    shop, _ = signed_in(app, "staff")
    html = shop.client.get("/admin/stock/ledger").text
    assert re.search(r'<div class="table-wrap ledger-wrap" tabindex="0" role="region" aria-label="[^"]+">', html)
    assert f'<th scope="row">{shelves["sku"]["Wool coat/L"]}</th>' in html


def test_the_owners_product_page_has_each_variants_stock_card(app, shelves):
    """Stock is editable from the product page itself: one adjust form per variant, at its card."""
    shop, _ = signed_in(app, "owner")
    large, small = shelves["id"]["Wool coat/L"], shelves["id"]["Wool coat/S"]
    with app.app_context():
        product_id = db.session.get(Variant, large).product_id
    html = shop.client.get(f"/admin/products/{product_id}").text
    for variant_id in (large, small):
        assert f'id="variant-{variant_id}"' in html
        assert f'action="/admin/stock/{variant_id}/adjust?q=' in html
        assert f'name="next" value="/admin/products/{product_id}#variant-{variant_id}"' in html
    assert "js/stock.js" in html, "the -/+ buttons"
