"""Who may open which admin page: every /admin route, anonymous visitors, staff and owners."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from storefront.catalog.models import Category, Product
from storefront.core.security import is_safe_next
from storefront.extensions import db
from tests.builders import ShopClient, make_category, make_product, make_user, stock_of

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here


ANY_METHOD = {"HEAD", "OPTIONS"}
OWNER_ONLY_EXPECTED = {"admin.product_new", "admin.stock_import", "admin.categories"}


def admin_rules(app) -> list:
    """Every URL rule under /admin, in a stable order."""
    return sorted((r for r in app.url_map.iter_rules() if r.rule.startswith("/admin")), key=lambda r: r.rule)


def concrete_url(rule) -> str:
    """The rule's path with each parameter filled: 1 for int converters, "X" for the others."""

    def fill(match: re.Match) -> str:
        converter = match.group(1) or "default"
        return "1" if converter.startswith("int") else "X"

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", fill, rule.rule)


def methods_of(rule) -> list[str]:
    return sorted(rule.methods - ANY_METHOD)


def owner_only_endpoints(app) -> list[str]:
    """Endpoints whose view carries `required_role == "owner"` (set by role_required)."""
    return sorted(
        {
            r.endpoint
            for r in admin_rules(app)
            if getattr(app.view_functions[r.endpoint], "required_role", None) == "owner"
        }
    )


def request(shop: ShopClient, method: str, url: str):
    """GET, or POST a form with a valid CSRF token (so only the login/role guard can refuse it)."""
    if method == "GET":
        return shop.client.get(url)
    return shop.post(
        url,
        {
            "archived": "1",
            "delta": "5",
            "reason": "received",
            "event": "cancel",
            "name": "Hacked",
            "title": "Hacked",
            "price": "1.00",
            "category_id": "0",
            "sku": "HACK-1",
        },
    )


def signed_in(app, role: str) -> ShopClient:
    """A browser signed in as a fresh account of `role`."""
    email = f"{role}@example.com"
    with app.app_context():
        make_user(email, role)
    shop = ShopClient(app.test_client())
    assert shop.login(email).status_code == 303
    return shop


@pytest.fixture
def seeded(app):
    """Product 1 with variant 1 and category 1 exist, so an unguarded view would answer 200/303, not 404."""
    with app.app_context():
        category = make_category("Clothing")
        product = make_product("Wool coat", variants=(("M", 10),), category=category)
        assert (category.id, product.id, product.variants[0].id) == (1, 1, 1)
    return app


def _assert_unchanged(app) -> None:
    with app.app_context():
        db.session.expire_all()
        product = db.session.get(Product, 1)
        assert (product.title, product.archived, len(product.variants)) == ("Wool coat", False, 1)
        assert stock_of(1) == 10
        assert db.session.query(Product).count() == 1
        assert db.session.query(Category).count() == 1


def test_the_walk_covers_the_whole_admin(app):
    rules = admin_rules(app)
    urls = {concrete_url(r) for r in rules}
    assert len(rules) >= 17
    assert {"/admin/", "/admin/orders/X/event", "/admin/products/1/photos", "/admin/stock/1/adjust"} <= urls
    assert all("<" not in url for url in urls)


def test_anonymous_visitors_are_sent_to_login_from_every_admin_route(seeded, shop):
    checked = 0
    for rule in admin_rules(seeded):
        url = concrete_url(rule)
        for method in methods_of(rule):
            response = request(shop, method, url)
            where = f"{method} {url}"
            assert response.status_code == 302, where
            location = urlsplit(response.headers["Location"])
            assert not location.netloc and location.path == "/login", where
            if method == "GET":
                (next_url,) = parse_qs(location.query)["next"]
                assert next_url == url and is_safe_next(next_url), where
            else:  # a POST address cannot be re-opened after signing in: back to the dashboard
                assert "next" not in parse_qs(location.query), where
            assert "csrf" not in response.text.lower() and "Hacked" not in response.text, where
            checked += 1
    assert checked >= 20
    _assert_unchanged(seeded)


def test_anonymous_next_keeps_the_query_string(seeded, shop):
    response = shop.client.get("/admin/orders?status=placed&date_from=2026-01-01")
    assert response.status_code == 302
    (next_url,) = parse_qs(urlsplit(response.headers["Location"]).query)["next"]
    assert next_url == "/admin/orders?status=placed&date_from=2026-01-01"


def test_owner_only_endpoints_are_found_by_their_marker(app):
    owner_only = owner_only_endpoints(app)
    assert owner_only, "role_required must mark views with required_role"
    assert set(owner_only) >= OWNER_ONLY_EXPECTED
    for staff_page in (
        "admin.dashboard",
        "admin.order_list",
        "admin.order_event",
        "admin.stock",
        "admin.stock_adjust",
        "admin.stock_export",
    ):
        assert staff_page not in owner_only


def test_staff_get_403_on_every_owner_only_route(seeded):
    staff = signed_in(seeded, "staff")
    owner_only = set(owner_only_endpoints(seeded))
    checked = 0
    for rule in admin_rules(seeded):
        if rule.endpoint not in owner_only:
            continue
        url = concrete_url(rule)
        for method in methods_of(rule):
            response = request(staff, method, url)
            assert response.status_code == 403, f"{method} {url}"
            checked += 1
    assert checked >= len(owner_only)
    _assert_unchanged(seeded)


def test_owner_opens_the_owner_only_pages(seeded):
    owner = signed_in(seeded, "owner")
    for url in ("/admin/products/new", "/admin/products/1", "/admin/categories", "/admin/stock/import"):
        assert owner.client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ["staff", "owner"])
def test_staff_and_owner_see_the_day_to_day_pages(seeded, role):
    shop = signed_in(seeded, role)
    for url in (
        "/admin/",
        "/admin/orders",
        "/admin/stock",
        "/admin/stock?low=1",
        "/admin/products",
        "/admin/stock/ledger",
        "/admin/stock/export.csv",
    ):
        response = shop.client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    dashboard = shop.client.get("/admin/").text
    assert ("/admin/categories" in dashboard) is (role == "owner"), "the menu offers only what the role may use"


def test_staff_may_adjust_stock(seeded):
    staff = signed_in(seeded, "staff")
    response = staff.post("/admin/stock/1/adjust", {"delta": "2", "reason": "received", "note": ""})
    assert response.status_code == 303
    with seeded.app_context():
        assert stock_of(1) == 12


def test_admin_post_without_csrf_is_refused_even_for_the_owner(seeded):
    owner = signed_in(seeded, "owner")
    response = owner.client.post("/admin/products/1/archive", data={"archived": "1"})
    assert response.status_code == 400
    _assert_unchanged(seeded)


def test_signing_in_after_an_expired_session_post_lands_on_a_page(seeded, shop):
    with seeded.app_context():
        make_user("staff@example.com", "staff")
    bounce = shop.post("/admin/stock/1/adjust", {"delta": "5", "reason": "received"})
    assert bounce.status_code == 302
    (next_url,) = parse_qs(urlsplit(bounce.headers["Location"]).query).get("next", ["/admin/"])
    signed_in = shop.login("staff@example.com", next_url=next_url)
    assert signed_in.status_code == 303
    assert shop.client.get(signed_in.headers["Location"]).status_code == 200
