"""Acceptance 4: products named in Bengali and Chinese get working web addresses and are found
by search, on SQLite and on PostgreSQL (the `app` fixture runs each test on both)."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

import pytest

from storefront.catalog.rules import is_slug, search_terms, slugify
from tests.builders import make_category, make_product

SAREE = "জামদানি শাড়ি"  # jamdani saree: vowel signs and a nukta letter (ড়) that NFC keeps decomposed
SCARF = "真丝围巾"  # silk scarf
MUG = "Crème Brûlée Mug"


@pytest.fixture
def products(app):
    with app.app_context():
        category = make_category("পোশাক")  # clothing
        saree = make_product(SAREE, category=category, description="হাতে বোনা সুতি কাপড়।")
        scarf = make_product(SCARF, category=category, description="柔软的桑蚕丝，适合送礼。")
        mug = make_product(MUG, category=category, description="Stoneware.")
        return {"category": category.slug, "saree": saree.slug, "scarf": scarf.slug, "mug": mug.slug}


def test_non_latin_titles_keep_their_letters_in_slugs():
    assert slugify(SAREE) == "জামদানি-শাড়ি" and is_slug(slugify(SAREE))
    assert slugify(SCARF) == "真丝围巾"
    assert slugify("手工 陶瓷 杯子") == "手工-陶瓷-杯子"
    assert slugify("Tea চা") == "tea-চা"
    assert slugify(MUG) == "creme-brulee-mug"
    for title in (SAREE, SCARF, "Tea চা", MUG, "चाय का कप"):
        assert slugify(slugify(title)) == slugify(title), "a slug typed back by the owner stays the same"


def test_search_terms_are_nfc():
    decomposed = unicodedata.normalize("NFD", "Crème")
    assert search_terms(decomposed) == ["Crème"]


def test_product_and_category_addresses_work(app, products):
    client = app.test_client()
    for key, title in (("saree", SAREE), ("scarf", SCARF)):
        page = client.get("/p/" + quote(products[key]))
        assert page.status_code == 200 and title in page.text
    # the same address spelled in another Unicode normal form still opens the product
    assert client.get("/p/" + quote(unicodedata.normalize("NFD", products["saree"]))).status_code == 200
    category = client.get("/c/" + quote(products["category"]))
    assert category.status_code == 200 and SAREE in category.text and SCARF in category.text
    home = client.get("/")
    assert f'href="/p/{quote(products["saree"])}"' in home.text or f'href="/p/{products["saree"]}"' in home.text


@pytest.mark.parametrize(
    ("query", "found", "not_found"),
    [
        ("শাড়ি", [SAREE], [SCARF, MUG]),  # a word of the title
        ("জামদানি", [SAREE], [SCARF, MUG]),
        ("সুতি", [SAREE], [SCARF, MUG]),  # a word of the description
        ("围巾", [SCARF], [SAREE, MUG]),  # Chinese has no spaces: a substring of the title
        ("真丝 围巾", [SCARF], [SAREE, MUG]),  # every word must match
        ("桑蚕丝", [SCARF], [SAREE, MUG]),
        ("crème", [MUG], [SAREE, SCARF]),
        ("MUG", [MUG], [SAREE, SCARF]),  # case-insensitive where the script has case
        ("围巾 শাড়ি", [], [SAREE, SCARF, MUG]),
    ],
)
def test_search_finds_bengali_and_chinese_names(app, products, query, found, not_found):
    page = app.test_client().get("/search", query_string={"q": query})
    assert page.status_code == 200
    for title in found:
        assert title in page.text, f"{query!r} should find {title!r}"
    results = page.text.split("</h1>", 1)[1]
    for title in not_found:
        assert title not in results, f"{query!r} should not find {title!r}"


def test_search_with_a_decomposed_bengali_query(app, products):
    """A keyboard may send the NFD spelling; the query is normalised before matching."""
    query = unicodedata.normalize("NFD", "শাড়ি")
    assert SAREE in app.test_client().get("/search", query_string={"q": query}).text
