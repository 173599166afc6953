"""robots.txt keeps crawlers out of private pages only; those also answer noindex."""

from __future__ import annotations

from tests.builders import ShopClient, make_product, variant_ids


def _disallowed(client) -> set[str]:
    body = client.get("/robots.txt").get_data(as_text=True)
    assert body.startswith("User-agent: *\n")
    return {line.split(":", 1)[1].strip() for line in body.splitlines() if line.startswith("Disallow:")}


def test_private_pages_are_disallowed_and_noindex(sqlite_app):
    with sqlite_app.app_context():
        variant_id = variant_ids(make_product())[0]
    shop = ShopClient(sqlite_app.test_client())
    assert _disallowed(shop.client) == {"/admin", "/checkout", "/o/"}
    shop.add(variant_id)
    checkout = shop.client.get("/checkout")
    assert checkout.status_code == 200 and checkout.headers["X-Robots-Tag"] == "noindex"
    placed = shop.checkout(
        {"customer_name": "Ann", "phone": "+1 555 0100", "delivery_method": "pickup", "payment_method": "cash"}
    )
    order = shop.client.get(placed.headers["Location"])
    assert order.status_code == 200 and order.headers["X-Robots-Tag"] == "noindex"


def test_a_crawler_may_read_the_cart_and_sees_nothing_of_anyones(sqlite_app):
    with sqlite_app.app_context():
        variant_id = variant_ids(make_product(title="Secret gift"))[0]
    shopper = ShopClient(sqlite_app.test_client())
    assert shopper.add(variant_id).status_code == 303
    crawler = sqlite_app.test_client()  # no cookies
    assert not any("/cart".startswith(path) for path in _disallowed(crawler))
    page = crawler.get("/cart")
    assert page.status_code == 200 and "X-Robots-Tag" not in page.headers
    html = page.get_data(as_text=True)
    assert "Secret gift" not in html and 'href="/' in html  # empty, with links back to the shop
    assert crawler.post("/cart/add", data={"variant_id": variant_id}).status_code == 400  # no CSRF token
