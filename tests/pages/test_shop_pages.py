"""Shoppers read the shop's pages in their language (else the default one), cached like catalog pages,
and find links to the pages that exist in the footer, at checkout and by the buy button."""

from __future__ import annotations

import re

from sqlalchemy import text

from storefront.brand.service import save_brand
from storefront.extensions import db
from storefront.stores.models import Store
from tests.builders import CHECKOUT_PICKUP, ShopClient, make_product, variant_ids
from tests.pages.conftest import save_page
from tests.pages.test_rules import assert_harmless


def article(html: str) -> str:
    return re.search(r"<article.*?</article>", html, re.S).group(0)


def footer_links(html: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="shop-pages".*?</nav>', html, re.S).group(0)
    return re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav)


def test_each_shopper_reads_their_language_else_the_default_one(app, client):
    save_page(app, "shipping", "Shipping", "We ship in **2 days**.")
    save_page(app, "shipping", "Envíos", "Enviamos en 2 días.", locale="es")
    english = client.get("/pages/shipping")
    assert english.status_code == 200 and "<strong>2 days</strong>" in article(english.text)
    spanish = app.test_client().get("/pages/shipping", headers={"Accept-Language": "es"})
    assert "<h1>Envíos</h1>" in spanish.text and "Enviamos en 2 días." in spanish.text
    bengali = app.test_client().get("/pages/shipping", headers={"Accept-Language": "bn"})
    page = article(bengali.text)
    assert "We ship in" in page and 'lang="en"' in page  # the default text, marked as English for readers
    assert english.headers["Cache-Control"].endswith("no-cache") and "Accept-Language" in english.headers["Vary"]


def test_a_page_without_text_answers_404_and_unknown_pages_too(app, client):
    save_page(app, "returns", "Devoluciones", "Treinta días.", locale="es")
    assert client.get("/pages/returns").status_code == 404  # no default version: English readers get none
    assert client.get("/pages/privacy").status_code == 404
    assert client.get("/pages/secret").status_code == 404
    save_page(app, "returns", "Returns", "30 days.")
    save_page(app, "returns", "", "")  # taken down again
    assert client.get("/pages/returns").status_code == 404


def test_the_owners_markup_is_sanitised(app, client):
    body = '<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">\n\n[x](javascript:alert(1)) *ok*'
    save_page(app, "about", "Our story", body)
    page = article(client.get("/pages/about").text)
    assert_harmless(page)
    assert "<em>ok</em>" in page


def test_contact_always_exists_with_the_brand_and_the_open_stores(app, client):
    empty = client.get("/pages/contact")
    assert empty.status_code == 200 and "has not added its contact details" in empty.text
    with app.app_context():
        save_brand(db.session, app.config, whatsapp="+8801712345678", phone="+880 2 5555", email="hi@example.com",
                   contact_note="Sat to Thu, 10 to 6")  # fmt: skip
        db.session.add(Store(name="Gulshan studio", address="Road 90", city="Dhaka", postcode="1212",
                             latitude=23.79, longitude=90.41, opening_hours="10-20 daily"))  # fmt: skip
        db.session.add(Store(name="Closed depot", city="Dhaka", latitude=23.7, longitude=90.4, active=False))
        db.session.commit()
    save_page(app, "contact", "Talk to us", "We answer within a day.")
    page = article(client.get("/pages/contact").text)
    assert "<h1>Talk to us</h1>" in page and "We answer within a day." in page
    assert 'href="https://wa.me/8801712345678"' in page and 'href="tel:+88025555"' in page
    assert 'href="mailto:hi@example.com"' in page and "Sat to Thu, 10 to 6" in page
    assert "Gulshan studio" in page and "10-20 daily" in page and "mlat=23.79&amp;mlon=90.41" in page
    assert "Closed depot" not in page


def test_a_saved_page_is_seen_at_once_though_pages_are_cached(app, client):
    save_page(app, "about", "Our story", "First words.")
    assert "First words." in client.get("/pages/about").text
    with app.app_context():  # a change behind the cache's back (no generation bump) is not seen: it is cached
        db.session.execute(text("UPDATE shop_pages SET body_html = '<p>Sneaked</p>'"))
        db.session.commit()
    assert "First words." in client.get("/pages/about").text
    product = client.get("/")  # a catalog page's footer is cached too
    assert ("/pages/terms", "Terms") not in footer_links(product.text)
    save_page(app, "about", "Our story", "Second words.")
    save_page(app, "terms", "Terms", "Be nice.")
    assert "Second words." in client.get("/pages/about").text
    assert ("/pages/terms", "Terms") in footer_links(client.get("/").text)


def test_a_store_change_renews_the_cached_contact_page(app, client):
    assert "Harbour shop" not in client.get("/pages/contact").text
    with app.app_context():
        db.session.add(Store(name="Harbour shop", city="Chittagong", latitude=22.3, longitude=91.8))
        db.session.commit()
    assert "Harbour shop" in client.get("/pages/contact").text


def test_links_appear_only_for_pages_that_exist(app):
    with app.app_context():
        product = make_product("Clay mug")
        variant = variant_ids(product)[0]
        slug = product.slug
    shop = ShopClient(app.test_client())
    home = shop.client.get("/").text
    assert footer_links(home) == [("/pages/contact", "Contact us")]
    assert "buy-pages" not in shop.client.get(f"/p/{slug}").text
    shop.add(variant)
    assert "policy-note" not in shop.client.get("/checkout").text

    save_page(app, "about", "Our story", "Since 2019.")
    save_page(app, "returns", "Returns", "30 days.")
    home = shop.client.get("/").text
    assert footer_links(home) == [
        ("/pages/about", "Our story"),
        ("/pages/returns", "Returns"),
        ("/pages/contact", "Contact us"),
    ]
    buy_box = re.search(r'<ul class="buy-pages">.*?</ul>', shop.client.get(f"/p/{slug}").text, re.S).group(0)
    assert re.findall(r'href="([^"]+)"', buy_box) == ["/pages/returns"]
    note = re.search(r'<p class="hint policy-note">.*?</p>', shop.client.get("/checkout").text, re.S).group(0)
    assert re.findall(r'href="([^"]+)"', note) == ["/pages/returns"] and "accept our" not in note

    save_page(app, "terms", "Terms of sale", "Be nice.")
    save_page(app, "shipping", "Delivery", "2 days.")
    note = re.search(r'<p class="hint policy-note">.*?</p>', shop.client.get("/checkout").text, re.S).group(0)
    assert 'accept our <a href="/pages/terms">Terms of sale</a>.' in note
    assert re.findall(r'href="([^"]+)"', note) == ["/pages/terms", "/pages/shipping", "/pages/returns"]
    buy_box = re.search(r'<ul class="buy-pages">.*?</ul>', shop.client.get(f"/p/{slug}").text, re.S).group(0)
    assert re.findall(r'href="([^"]+)"', buy_box) == ["/pages/shipping", "/pages/returns"]
    placed = shop.checkout(CHECKOUT_PICKUP)
    assert placed.status_code == 303  # the note changes nothing of the order form


def test_footer_titles_follow_the_shoppers_language(app):
    save_page(app, "about", "Our story", "Since 2019.")
    save_page(app, "about", "Nuestra historia", "Desde 2019.", locale="es")
    spanish = app.test_client().get("/", headers={"Accept-Language": "es"}).text
    assert ("/pages/about", "Nuestra historia") in footer_links(spanish)
    assert footer_links(spanish) == [("/pages/about", "Nuestra historia"), ("/pages/contact", "Contacto")]


def test_the_demo_shop_has_its_pages_with_a_spanish_one(app):
    from storefront.demo import seed_shop_pages

    with app.app_context():
        seed_shop_pages(db.session)
        db.session.commit()
    spanish = app.test_client()
    for slug in ("about", "shipping", "returns", "privacy", "terms", "contact"):
        assert spanish.get(f"/pages/{slug}").status_code == 200, slug
    es = {"Accept-Language": "es"}
    assert "<h1>Envíos</h1>" in spanish.get("/pages/shipping", headers=es).text
    assert "<h1>Our story</h1>" in spanish.get("/pages/about", headers=es).text  # the fallback


def test_contact_keeps_its_owners_title_without_text(app, client):
    save_page(app, "contact", "Say hello", "")
    assert "<h1>Say hello</h1>" in client.get("/pages/contact").text
    assert ("/pages/contact", "Say hello") in footer_links(client.get("/").text)
