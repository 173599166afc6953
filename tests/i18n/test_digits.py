"""Every number a shopper reads is in the digits of the page's language, like its prices.

Bengali pages showed "৮০.৯৯US$" beside "মাত্র 2টি বাকি": counts printed by `%` came out in
ASCII digits. Here the visible text (no tags, attributes, scripts or styles) of each shopper
page is read in bn, es and zh_Hans: a bn page holds no ASCII digit except in the order
reference and the shopper's own phone number, and es/zh_Hans pages hold no Bengali digit.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from storefront.catalog.models import Variant
from storefront.core.numerals import format_count
from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import CHECKOUT_PICKUP, ShopClient, make_category, make_product
from tests.stores.builders import make_store

BENGALI_DIGITS = "০১২৩৪৫৬৭৮৯"
ACCEPT = {"bn": "bn-BD,bn;q=0.9", "es": "es-ES,es;q=0.9", "zh_Hans": "zh-CN,zh;q=0.9"}


class _VisibleText(HTMLParser):
    """The text a person sees: text nodes outside <script>, <style> and <template>."""

    HIDDEN = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The visible text of an HTML page, its pieces joined by spaces."""
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def test_visible_text_leaves_out_markup_scripts_and_attributes():
    html = '<p title="12">Only <b>2</b> left</p><script>var n = 3;</script><input value="4"><style>a{x:5px}</style>'
    assert visible_text(html) == "Only 2 left"


@pytest.fixture
def shop(app):
    """Two lamps in a category (one with 2 units left), paged one product a page; their URLs."""
    app.config["PAGE_SIZE"] = 1
    with app.app_context():
        lamps = make_category("Lamps")
        brass = make_product("Brass lamp", price=8099, category=lamps, variants=(("Small", 2), ("Large", 9)))
        make_product("Paper lamp", price=1500, category=lamps, variants=(("", 12),))
        return {"slug": brass.slug, "small": brass.variants[0].id, "large": brass.variants[1].id}


def _shopper(app, locale: str) -> ShopClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ACCEPT[locale]
    return ShopClient(client)


def _pages(app, shop, locale: str) -> dict[str, str]:
    """The visible text of each shopper page, from browsing to the placed order and a short cart."""
    shopper = _shopper(app, locale)
    texts = {}
    browse = {"home": "/", "category": "/c/lamps", "search": "/search?q=lamp", "product": f"/p/{shop['slug']}"}
    for name, url in browse.items():
        texts[name] = visible_text(shopper.client.get(url).get_data(as_text=True))
    refused = shopper.add(shop["small"], 5)  # more than the 2 left: "Only 2 left; please choose fewer."
    texts["refused"] = visible_text(refused.get_data(as_text=True))
    assert shopper.add(shop["large"], 3).status_code == 303
    texts["cart"] = visible_text(shopper.client.get("/cart").get_data(as_text=True))
    texts["checkout"] = visible_text(shopper.client.get("/checkout").get_data(as_text=True))
    placed = shopper.checkout(CHECKOUT_PICKUP)
    assert placed.status_code == 303, placed.get_data(as_text=True)
    with app.app_context():
        order = db.session.query(Order).one()
        reference, phone = order.reference, order.phone
    texts["order"] = visible_text(shopper.client.get(placed.headers["Location"]).get_data(as_text=True))
    # Order references are excepted, and the shopper's phone number is shown as they gave it.
    texts["order"] = texts["order"].replace(reference, "").replace(phone, "")
    short = _shopper(app, locale)
    assert short.add(shop["small"], 2).status_code == 303
    with app.app_context():  # someone else bought one meanwhile
        db.session.get(Variant, shop["small"]).on_hand = 1
        db.session.commit()
    texts["short cart"] = visible_text(short.client.get("/cart").get_data(as_text=True))
    texts["short checkout"] = visible_text(short.client.get("/checkout").get_data(as_text=True))
    return texts


def test_store_distances_are_in_the_page_digits(app):
    with app.app_context():
        make_store("Lyon Centre", 45.76, 4.83, city="Lyon", address="Rue de la Paix", opening_hours="Mon-Sat")
    for locale, expected in (("bn", "২.৬ কিমি"), ("es", "2,6 km"), ("zh_Hans", "2.6")):
        page = _shopper(app, locale).client.get("/stores?lat=45.75&lng=4.86")
        text = visible_text(page.get_data(as_text=True))
        assert expected in text, (locale, text)
        if locale == "bn":
            assert not re.search(r"[0-9]", text), re.findall(r".{0,30}[0-9]+.{0,30}", text)


def _counts(locale: str, *values: int) -> list[str]:
    return [format_count(v, locale) for v in values]


def test_bengali_pages_write_every_number_in_bengali_digits(app, shop):
    texts = _pages(app, shop, "bn")
    for name, text in texts.items():
        assert not re.search(r"[0-9]", text), f"{name}: ASCII digits in {re.findall(r'.{0,30}[0-9]+.{0,30}', text)}"
        assert any(d in text for d in BENGALI_DIGITS), name
    two, three, one = _counts("bn", 2, 3, 1)
    assert (two, three, one) == ("২", "৩", "১")
    assert two in texts["product"] and two in texts["refused"], "what is left"
    assert three in texts["checkout"] and three in texts["order"], "quantities"
    assert one in texts["short cart"] and one in texts["short checkout"], "what is left"


@pytest.mark.parametrize("locale", ["es", "zh_Hans"])
def test_latin_digit_pages_never_mix_in_bengali_digits(app, shop, locale):
    texts = _pages(app, shop, locale)
    for name, text in texts.items():
        assert not any(d in text for d in BENGALI_DIGITS), name
    assert "2" in texts["product"] and "3" in texts["checkout"] and "1" in texts["short cart"]


def test_counts_are_grouped_as_the_language_groups_them():
    assert format_count(12345, "bn") == "১২,৩৪৫"
    assert format_count(12345, "es") == "12.345"
    assert format_count(12345, "zh_Hans") == "12,345"


def test_template_gettext_takes_any_placeholder_name_and_escapes_values(app):
    """As Jinja's own: a placeholder may be called string or num; values are escaped, counts localised."""
    with app.test_request_context(headers={"Accept-Language": ACCEPT["bn"]}):
        template = app.jinja_env.from_string(
            "{{ _('%(string)s: %(context)s', string=word, context=3) }}|"
            "{{ ngettext('%(num)s left of %(singular)s', '%(num)s left of %(singular)s', 2, num=n, singular=word) }}"
        )
        assert template.render(word="<b>", n=12) == "&lt;b&gt;: ৩|১২ left of &lt;b&gt;"
