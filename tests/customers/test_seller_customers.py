"""A seller's own customers (/seller/customers): only those they brought, only the orders credited to them,
masked contacts unless the owner allows, a WhatsApp follow-up per order state in the customer's language."""

from __future__ import annotations

import html as htmllib
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from storefront.clock import utcnow
from storefront.customers import rules
from storefront.customers import service as customers
from storefront.customers.models import Customer
from storefront.extensions import db
from storefront.orders.models import Order
from storefront.orders.rules import OrderStatus
from storefront.sellers import service as sellers
from storefront.sellers.models import SellerSettings
from storefront.stores.models import OrderStore
from tests.browser.a11y import PHONE_MEASURE, axe_violations, describe
from tests.builders import PASSWORD, ShopClient, make_product, make_user
from tests.sellers.browser import run_in_chromium, serving
from tests.sellers.builders import make_order, make_seller, touched
from tests.stores.builders import make_store

pytestmark = pytest.mark.usefixtures("quick_password_hash")

ADA_PHONE, BOB_PHONE = "+44 7700 900111", "+44 7700 900222"


def _order(product, phone, email, name, status, locale, code, minutes_ago, created):
    """One committed order (credited to `code` unless None), linked to its customer; its reference and id."""
    now = utcnow()
    order = make_order([(product, 1)], phone=phone, email=email, created_at=now - timedelta(minutes=minutes_ago))
    order.status, order.locale, order.customer_name = status, locale, name
    if code:
        sellers.credit_order(db.session, order, touched((code, now)), now)
    customers.link_order(db.session, order, now)
    db.session.commit()
    created[order.reference] = order.id
    return order


def _world() -> dict:
    """ANNA24 brought Ada (a shipped and a delivered order); BEN7 brought Bob, and one order of Ada's;
    Ada also ordered once through nobody (inside an app context)."""
    make_user("owner@example.com", "owner")
    coat = make_product("Wool coat", price=10000)
    make_seller("ANNA24", email="anna24@sellers.example")
    make_seller("BEN7", email="ben7@sellers.example")
    refs: dict[str, int] = {}
    shipped = _order(coat, ADA_PHONE, "ada@example.com", "Ada", "shipped", "es", "ANNA24", 50, refs)
    delivered = _order(coat, ADA_PHONE, "ada@example.com", "Ada", "delivered", "es", "ANNA24", 40, refs)
    bens = _order(coat, ADA_PHONE, "ada@example.com", "Ada", "placed", "es", "BEN7", 30, refs)
    alone = _order(coat, ADA_PHONE, "ada@example.com", "Ada", "placed", "es", None, 20, refs)
    bob = _order(coat, BOB_PHONE, "bob@example.com", "Bob", "placed", "en", "BEN7", 10, refs)
    ids = {c.name: c.id for c in db.session.scalars(select(Customer))}
    return {
        "ada": ids["Ada"],
        "bob": ids["Bob"],
        "anna_refs": (shipped.reference, delivered.reference),
        "other_refs": (bens.reference, alone.reference, bob.reference),
        "order_ids": refs,
    }


@pytest.fixture
def world(app) -> dict:
    """The customers of _world, on each database."""
    with app.app_context():
        return _world()


def _signed_in(app, email: str) -> ShopClient:
    shop = ShopClient(app.test_client())
    assert shop.login(email).status_code == 303
    return shop


def _allow_contacts(app, allowed: bool) -> None:
    with app.app_context():
        db.session.add(SellerSettings(show_customer_contacts=allowed, invite_days=7))
        db.session.commit()


def test_the_list_shows_only_the_sellers_customers_and_figures_of_their_orders(app, world):
    anna = _signed_in(app, "anna24@sellers.example")
    page = anna.client.get("/seller/customers")
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    html = page.text
    cards = re.findall(r'data-customer="(\d+)"', html)
    assert cards == [str(world["ada"])], "Bob was brought by BEN7"
    assert "Bob" not in html
    assert "2 orders" in html, "Ada's order through BEN7 and her own order are not Anna's"
    assert "$210.00" in html and "$420.00" not in html, "two orders of 100 + 5 shipping"
    assert "+44 77•• ••••11" in html and "a•••@example.com" in html
    assert "7700 900111" not in html and "ada@example.com" not in html
    ben = _signed_in(app, "ben7@sellers.example")
    html = ben.client.get("/seller/customers").text
    assert sorted(re.findall(r'data-customer="(\d+)"', html)) == sorted([str(world["ada"]), str(world["bob"])])


def test_the_detail_shows_only_orders_credited_to_the_seller(app, world):
    anna = _signed_in(app, "anna24@sellers.example")
    html = anna.client.get(f"/seller/customers/{world['ada']}").text
    for ref in world["anna_refs"]:
        assert f'data-order="{ref}"' in html
    for ref in world["other_refs"]:
        assert ref not in html
    assert ">Shipped<" in html and ">Delivered<" in html
    assert "+44 77•• ••••11" in html and "447700900111" not in html, "masked: the number is not in the page"
    assert anna.client.get(f"/seller/customers/{world['bob']}").status_code == 404
    assert anna.client.get("/seller/customers/999999").status_code == 404


def _follow_up_texts(html: str) -> list[str]:
    return [htmllib.unescape(t) for t in re.findall(r"data-follow-up-text>([^<]*)<", html)]


def test_follow_up_in_the_customers_language_by_state(app, world):
    anna = _signed_in(app, "anna24@sellers.example")
    shipped, delivered = world["anna_refs"]
    html = anna.client.get(f"/seller/customers/{world['ada']}").text
    assert _follow_up_texts(html) == [
        f"Hola Ada, tu pedido {delivered} ha sido entregado: ¿qué te parece?",
        f"Hola Ada, tu pedido {shipped} está en camino.",
    ]
    assert '<p lang="es" data-follow-up-text>' in html
    with app.app_context():  # a language the shop does not speak: the shop's
        db.session.get(Customer, world["ada"]).locale = "fr"
        db.session.commit()
    html = anna.client.get(f"/seller/customers/{world['ada']}").text
    assert _follow_up_texts(html)[1] == f"Hi Ada, your order {shipped} is on its way."


def test_the_masked_follow_up_goes_through_a_post_that_opens_whatsapp(app, world):
    anna = _signed_in(app, "anna24@sellers.example")
    shipped_id = world["order_ids"][world["anna_refs"][0]]
    response = anna.post(f"/seller/customers/{world['ada']}/whatsapp/{shipped_id}")
    assert response.status_code == 303
    url = response.headers["Location"]
    assert url.startswith("https://wa.me/447700900111?text=")
    assert unquote(url.split("?text=", 1)[1]) == f"Hola Ada, tu pedido {world['anna_refs'][0]} está en camino."
    bens_id = world["order_ids"][world["other_refs"][0]]
    bob_id = world["order_ids"][world["other_refs"][2]]
    assert anna.post(f"/seller/customers/{world['ada']}/whatsapp/{bens_id}").status_code == 404, "Ben's order"
    assert anna.post(f"/seller/customers/{world['bob']}/whatsapp/{bob_id}").status_code == 404, "Ben's customer"
    assert anna.client.post(f"/seller/customers/{world['ada']}/whatsapp/{shipped_id}").status_code == 400, "CSRF"


def test_full_contacts_when_the_owner_allows_them(app, world):
    _allow_contacts(app, True)
    anna = _signed_in(app, "anna24@sellers.example")
    assert ADA_PHONE in anna.client.get("/seller/customers").text
    html = anna.client.get(f"/seller/customers/{world['ada']}").text
    assert ADA_PHONE in html and "ada@example.com" in html and "•" not in html
    links = re.findall(r'href="(https://wa\.me/[^"]+)"[^>]*data-follow-up', html)
    assert len(links) == 2 and all(link.startswith("https://wa.me/447700900111?text=Hola%20Ada") for link in links)
    assert "/whatsapp/" not in html, "a direct link: no need for the POST"


def test_search_by_name_and_pages_of_twenty(app):
    with app.app_context():
        coat = make_product("Wool coat", price=1000)
        make_seller("ANNA24", email="anna24@sellers.example")
        refs: dict = {}
        for n in range(22):
            _order(coat, f"+44 7700 9{n:05d}", f"c{n}@example.com", f"Client {n:02d}", "placed", "", "ANNA24", n, refs)
    anna = _signed_in(app, "anna24@sellers.example")
    first = anna.client.get("/seller/customers").text
    assert len(re.findall(r"data-customer=", first)) == 20 and "Page 1 of 2" in first
    assert "Client 00" in first and "Client 21" not in first, "latest order first"
    second = anna.client.get("/seller/customers?page=2").text
    assert len(re.findall(r"data-customer=", second)) == 2 and "Client 21" in second
    found = anna.client.get("/seller/customers?q=client+0").text
    assert len(re.findall(r"data-customer=", found)) == 10
    for odd in ("0", "-1", "x", "99999999999999999999", "５"):
        assert anna.client.get(f"/seller/customers?page={odd}").status_code == 200
    assert anna.client.get("/seller/customers?q=%25").text.count("data-customer=") == 0, "% is a letter, not a wildcard"


def test_ready_for_pickup_names_the_store(app, world):
    with app.app_context():
        store = make_store("Market Street", 51.5, -0.1)
        order_id = world["order_ids"][world["anna_refs"][0]]
        db.session.add(OrderStore(order_id=order_id, store_id=store.id, reason="pickup"))
        order = db.session.get(Order, order_id)
        order.status, order.delivery_method = OrderStatus.READY_FOR_PICKUP.value, "pickup"
        db.session.get(Customer, world["ada"]).locale = "en"
        db.session.commit()
    anna = _signed_in(app, "anna24@sellers.example")
    texts = _follow_up_texts(anna.client.get(f"/seller/customers/{world['ada']}").text)
    assert f"Hi Ada, your order {world['anna_refs'][0]} is ready for pickup at Market Street." in texts


def test_owner_and_staff_and_anonymous_never_reach_seller_customers(app, world):
    owner = _signed_in(app, "owner@example.com")
    assert owner.client.get("/seller/customers").status_code == 403
    anonymous = app.test_client().get("/seller/customers")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]


# -- the owner's setting ----------------------------------------------------------------------------


def test_owner_saves_the_seller_settings_and_bad_input_changes_nothing(app, world):
    owner = _signed_in(app, "owner@example.com")
    page = owner.client.get("/admin/sellers/settings")
    assert page.status_code == 200 and 'value="7"' in page.text
    assert "/admin/sellers/settings" in owner.client.get("/admin/sellers/").text
    for bad in ("0", "91", "abc", "", "7.5", "٣"):
        response = owner.post("/admin/sellers/settings", {"show_customer_contacts": "1", "invite_days": bad})
        assert response.status_code == 422, bad
        assert "Invite links work for 1 to 90 days." in response.text
        assert "checked" in response.text, "the half-filled form is shown again"
    with app.app_context():
        assert db.session.scalars(select(SellerSettings)).all() == []
    saved = owner.post("/admin/sellers/settings", {"show_customer_contacts": "1", "invite_days": "30"})
    assert saved.status_code == 303
    again = owner.post("/admin/sellers/settings", {"invite_days": "90"})
    assert again.status_code == 303
    with app.app_context():
        [row] = db.session.scalars(select(SellerSettings)).all()
        assert (row.show_customer_contacts, row.invite_days) == (False, 90), "one row, unticked is off"
    anna = _signed_in(app, "anna24@sellers.example")
    assert anna.client.get("/admin/sellers/settings").status_code == 403
    assert anna.post("/admin/sellers/settings", {"invite_days": "5"}).status_code == 403


# -- pure rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "code", "masked"),
    [
        ("+8801712345621", "880", "+880 17•• ••••21"),
        ("+880 1712-345621", "", "+880 17•• ••••21"),
        ("008801712345621", "", "+880 17•• ••••21"),
        ("01712345621", "880", "01•• •••••21"),
        ("+44 7700 900123", "880", "+44 77•• ••••23"),
        ("+1 415 555 0199", "", "+1 41•• ••••99"),
        ("12345", "", "•••••"),
        ("", "880", ""),
    ],
)
def test_phone_masking(phone, code, masked):
    assert rules.mask_phone(phone, code) == masked


def test_email_masking():
    assert rules.mask_email("ada@example.com") == "a•••@example.com"
    assert rules.mask_email("A.Long.Name@mail.example.org") == "A•••@mail.example.org"
    assert rules.mask_email("") == "" and rules.mask_email("nobody") == "•••"


def test_a_follow_up_for_every_state_worth_one():
    silent = {OrderStatus.UNPAID, OrderStatus.CANCELLED}
    for status in OrderStatus:
        message = rules.follow_up_message(status.value)
        assert (message is None) == (status in silent), status
        if message:
            assert "%(name)s" in message and "%(ref)s" in message
    assert "on its way" in rules.follow_up_message("shipped")
    assert "%(store)s" in rules.follow_up_message("ready_for_pickup")
    assert "how do you like it" in rules.follow_up_message("delivered")
    assert "we received your order" in rules.follow_up_message("placed")


# -- on a phone and a desktop -----------------------------------------------------------------------


def test_the_pages_fit_a_phone_and_a_desktop_with_big_tap_targets_and_pass_axe(sqlite_app):
    with sqlite_app.app_context():
        ada = _world()["ada"]

    def scenario(browser, expect):
        for width in (320, 390, 1280):
            context = browser.new_context(viewport={"width": width, "height": 800}, has_touch=width < 1000)
            page = context.new_page()
            page.goto(f"{base}/login")
            page.locator("#email").fill("anna24@sellers.example")
            page.locator("#password").fill(PASSWORD)
            page.locator("main form button[type=submit]").click()
            page.wait_for_load_state()
            for path in ("/seller/customers", f"/seller/customers/{ada}"):
                page.goto(f"{base}{path}")
                problems = page.evaluate(PHONE_MEASURE, True)
                assert not any(problems.values()), f"{path} at {width} px: {problems}"
                violations = axe_violations(page)
                assert not violations, describe(violations, f"{path} at {width} px")
            page.goto(f"{base}/seller/customers")
            page.get_by_label("Search by name").fill("ad")
            page.get_by_role("button", name="Search").click()
            expect(page.locator("[data-customer]")).to_have_count(1)
            page.get_by_role("link", name="Ada").click()
            expect(page.get_by_role("button", name=re.compile("^Follow up on WhatsApp"))).to_have_count(2)
            context.close()

    with serving(sqlite_app) as base:
        run_in_chromium(scenario)


def test_follow_ups_are_limited_per_seller(app, world):
    """Each follow-up hands a customer's number to WhatsApp: a seller cannot collect them in bulk."""
    app.config["SELLER_FOLLOWUP_RATE_LIMIT"] = "2 per hour"
    anna = _signed_in(app, "anna24@sellers.example")
    shipped_id = world["order_ids"][world["anna_refs"][0]]
    path = f"/seller/customers/{world['ada']}/whatsapp/{shipped_id}"
    assert [anna.post(path).status_code for _ in range(2)] == [303, 303]
    limited = anna.post(path)
    assert limited.status_code == 429 and "wa.me" not in limited.headers.get("Location", "")
    assert "many follow-ups" in limited.text
