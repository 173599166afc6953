"""The owner's sale screens: the product page's "Sale" section, /admin/sales, "End now"; owner only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from storefront.catalog.models import Sale
from storefront.clock import utcnow
from storefront.extensions import db
from tests.admin.test_products import signed_in
from tests.builders import ShopClient, make_product

pytestmark = pytest.mark.usefixtures("quick_password_hash")

# Noon in New York (16:00 UTC), the shop's zone for these tests.
NOON_NY = datetime(2026, 6, 17, 16, 0, tzinfo=UTC)


@pytest.fixture
def shop_in_new_york(app):
    app.extensions["babel"].default_timezone = "America/New_York"  # as SHOP_TIMEZONE would set it
    with time_machine.travel(NOON_NY, tick=True):
        yield


@pytest.fixture
def coat(app) -> dict:
    with app.app_context():
        product = make_product("Wool coat", price=5000, variants=(("S", 5), ("L", 5)), overrides={"L": 6000})
        return {"id": product.id, "slug": product.slug, "variants": [v.id for v in product.variants]}


def sale_fields(**changes) -> dict:
    fields = {
        "sale-variant_id": "0",
        "sale-kind": "percent",
        "sale-amount": "20",
        "sale-starts_at": "2026-06-17T00:00",
        "sale-ends_at": "2026-06-20T00:00",
    }
    return {**fields, **changes}


def _sales(app) -> list[Sale]:
    with app.app_context():
        return db.session.query(Sale).order_by(Sale.id).all()


@pytest.mark.usefixtures("shop_in_new_york")
def test_the_owner_puts_a_product_on_sale_in_the_shop_s_time_zone(app, coat):
    owner = signed_in(app, "owner")
    page = owner.client.get(f"/admin/products/{coat['id']}").get_data(as_text=True)
    assert 'id="sale"' in page and 'type="datetime-local"' in page
    response = owner.post(f"/admin/products/{coat['id']}/sales", sale_fields())
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    [sale] = _sales(app)
    # Midnight in New York (EDT, UTC-4) is 04:00 UTC.
    assert (sale.kind, sale.value, sale.variant_id) == ("percent", 20, None)
    assert (sale.starts_at, sale.ends_at) == (datetime(2026, 6, 17, 4, 0), datetime(2026, 6, 20, 4, 0))
    shopper = ShopClient(app.test_client()).client.get(f"/p/{coat['slug']}").get_data(as_text=True)
    assert "Was $50.00, now $40.00" in shopper
    listing = owner.client.get("/admin/sales").get_data(as_text=True)
    assert "Wool coat" in listing and 'data-sale-state="running"' in listing


@pytest.mark.usefixtures("shop_in_new_york")
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sale-amount": "abc"}, "Enter a whole percent"),
        ({"sale-kind": "fixed", "sale-amount": "55.00"}, "below the regular price"),  # above S (50.00)
        ({"sale-kind": "fixed", "sale-amount": "1e9"}, "Enter an amount like 12.50"),
        ({"sale-amount": "100"}, "from 1 to 99"),
        ({"sale-ends_at": "2026-06-16T00:00"}, "end after it starts"),
        ({"sale-ends_at": ""}, "Enter a date and time"),
        ({"sale-starts_at": "2026-13-01T00:00"}, "Enter a date and time"),
        ({"sale-starts_at": "2026-03-08T02:30"}, "does not exist"),
        ({"sale-variant_id": "999999"}, "Not a valid choice"),
        ({"sale-kind": "free"}, "Not a valid choice"),
    ],
)
def test_bad_sale_input_is_refused_and_reshown(app, coat, changes, message):
    owner = signed_in(app, "owner")
    response = owner.post(f"/admin/products/{coat['id']}/sales", sale_fields(**changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    for name, value in changes.items():
        if value and name != "sale-variant_id" and name != "sale-kind":
            assert f'value="{value}"' in html  # the owner's input is kept
    assert _sales(app) == []


@pytest.mark.usefixtures("shop_in_new_york")
def test_an_overlapping_sale_is_refused_with_a_message(app, coat):
    owner = signed_in(app, "owner")
    assert owner.post(f"/admin/products/{coat['id']}/sales", sale_fields()).status_code == 303
    one_variant = sale_fields(**{"sale-variant_id": str(coat["variants"][1]), "sale-starts_at": "2026-06-19T00:00"})
    response = owner.post(f"/admin/products/{coat['id']}/sales", one_variant)
    assert response.status_code == 422
    assert "Another sale of this product runs at the same time" in response.get_data(as_text=True)
    assert len(_sales(app)) == 1


@pytest.mark.usefixtures("shop_in_new_york")
def test_end_now_ends_a_running_sale_and_calls_off_an_upcoming_one(app, coat):
    owner = signed_in(app, "owner")
    owner.post(f"/admin/products/{coat['id']}/sales", sale_fields())
    later = {"sale-starts_at": "2026-07-01T00:00", "sale-ends_at": "2026-07-02T00:00"}
    owner.post(f"/admin/products/{coat['id']}/sales", sale_fields(**later))
    running, upcoming = _sales(app)
    assert owner.post(f"/admin/sales/{running.id}/end", {"back": "product"}).status_code == 303
    assert owner.post(f"/admin/sales/{upcoming.id}/end").status_code == 303
    running, upcoming = _sales(app)
    assert running.ends_at <= utcnow() and upcoming.ends_at == upcoming.starts_at
    assert "Was $50.00" not in ShopClient(app.test_client()).client.get(f"/p/{coat['slug']}").get_data(as_text=True)
    assert owner.post("/admin/sales/999999/end").status_code == 404
    ended = owner.client.get("/admin/sales?state=ended").get_data(as_text=True)
    assert ended.count('data-sale-state="ended"') == 2


def test_only_the_owner_manages_sales(app, coat):
    staff = signed_in(app, "staff")
    assert staff.client.get("/admin/sales").status_code == 403
    assert staff.post(f"/admin/products/{coat['id']}/sales", sale_fields()).status_code == 403
    anonymous = ShopClient(app.test_client())
    assert anonymous.client.get("/admin/sales").status_code in (302, 303)
    assert anonymous.post(f"/admin/products/{coat['id']}/sales", sale_fields()).status_code in (302, 303, 401, 403)
    assert _sales(app) == []


def test_a_sale_form_without_its_csrf_token_changes_nothing(app, coat):
    owner = signed_in(app, "owner")
    response = owner.client.post(f"/admin/products/{coat['id']}/sales", data=sale_fields())
    assert response.status_code == 400
    assert _sales(app) == []


def test_sales_for_an_unknown_product_are_404(app):
    owner = signed_in(app, "owner")
    assert owner.post("/admin/products/999999/sales", sale_fields()).status_code == 404


def test_the_product_page_lists_its_sales_with_times_in_the_shop_zone(app, coat):
    app.extensions["babel"].default_timezone = "UTC"
    owner = signed_in(app, "owner")
    now = utcnow().replace(second=0, microsecond=0)
    fields = sale_fields(
        **{"sale-starts_at": f"{now:%Y-%m-%dT%H:%M}", "sale-ends_at": f"{now + timedelta(days=1):%Y-%m-%dT%H:%M}"}
    )
    assert owner.post(f"/admin/products/{coat['id']}/sales", fields).status_code == 303
    page = owner.client.get(f"/admin/products/{coat['id']}").get_data(as_text=True)
    assert 'data-sale-state="running"' in page and "End now" in page
