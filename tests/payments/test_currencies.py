"""Stripe's minor units per currency: the pure rule, prices typed by the owner, sessions and refunds."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.catalog.models import Product, Variant
from storefront.extensions import db
from storefront.orders.rules import PaymentMethod
from storefront.payments.currencies import UnchargeableAmount, check_card_amount, from_stripe, to_stripe, units
from storefront.payments.models import Payment, Refund
from storefront.payments.provider import ProviderRefused, provider_for
from tests.builders import ShopClient, make_product, make_user
from tests.helpers import _make_app

from .fake_stripe import API_KEY, WEBHOOK_SECRET
from .helpers import CARD, deliver, only_order, paid_card_order, session_id_of

pytestmark = pytest.mark.usefixtures("quick_password_hash")


@pytest.fixture
def app(db_url, tmp_path, fake_stripe, request):
    """The shop in the currency the test names (`indirect` parameter), with card payments on."""
    currency, card = getattr(request, "param", ("USD", True))
    stripe = {
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_HTTP_CLIENT": fake_stripe,
        "STRIPE_MAX_NETWORK_RETRIES": 0,
    }
    yield from _make_app(db_url, tmp_path, {"SHOP_CURRENCY": currency, **(stripe if card else {})})


def _owner(app) -> ShopClient:
    with app.app_context():
        make_user("owner@example.com", "owner")
    owner = ShopClient(app.test_client())
    assert owner.login("owner@example.com").status_code in (302, 303)
    return owner


def _variant(app, price: int) -> int:
    with app.app_context():
        return make_product("Wool coat", price=price, variants=(("M", 5),)).variants[0].id


def _sent_unit_amounts(fake, order_id: int) -> list[str]:
    return [line["price_data"]["unit_amount"] for line in fake.session_for_order(order_id)["line_items_sent"]]


# --- the pure rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "shop_amount", "stripe_amount"),
    [
        ("JPY", 1500, 1500),  # zero-decimal in the shop and at Stripe
        ("ISK", 5000, 500000),  # 0 decimals in Babel, sent in hundredths: 5,000 kr
        ("HUF", 199050, 199050),  # two-decimal for charges (whole forints only matter for payouts)
        ("USD", 1250, 1250),
        ("KWD", 5120, 5120),  # three-decimal, last digit 0
        ("LAK", 8000, 800000),  # 0 decimals in CLDR, two at Stripe
    ],
)
def test_amounts_cross_to_stripe_and_back_exactly(currency, shop_amount, stripe_amount):
    assert to_stripe(shop_amount, currency) == stripe_amount
    assert from_stripe(stripe_amount, currency) == shop_amount


@pytest.mark.parametrize(
    ("currency", "shop_step", "refused", "accepted"),
    [
        ("JPY", 1, None, 1),
        ("ISK", 1, None, 5001),  # every whole krona: the shop has no smaller unit
        ("HUF", 1, None, 1),
        ("USD", 1, None, 1),
        ("KWD", 10, 5125, 5120),
        ("BHD", 10, 1, 10),
    ],
)
def test_only_amounts_stripe_can_charge_pass(currency, shop_step, refused, accepted):
    assert units(currency).shop_step == shop_step
    check_card_amount(accepted, currency)
    if refused is not None:
        with pytest.raises(UnchargeableAmount) as caught:
            to_stripe(refused, currency)
        assert str(caught.value) == f"Card payments can only charge {currency} in steps of 0.010."


def test_units_table_knows_both_sides():
    assert (units("isk").shop_digits, units("isk").stripe_exponent, units("isk").stripe_step) == (0, 2, 100)
    assert (units("JPY").shop_digits, units("JPY").stripe_exponent) == (0, 0)
    assert (units("KWD").shop_digits, units("KWD").stripe_exponent, units("KWD").stripe_step) == (3, 3, 10)


# --- through the fake Stripe -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app", "price", "sent"),
    [
        (("JPY", True), 1500, ["1500", "500"]),
        (("ISK", True), 5000, ["500000", "50000"]),  # 5,000 kr and the 500 kr delivery, in hundredths
        (("HUF", True), 199050, ["199050", "500"]),
        (("USD", True), 5000, ["5000", "500"]),
        (("KWD", True), 5120, ["5120", "500"]),
    ],
    indirect=["app"],
)
def test_the_session_charges_the_shop_price_in_stripe_units(app, shop, fake_stripe, price, sent):
    variant = _variant(app, price)
    assert shop.add(variant).status_code == 303
    session_id = session_id_of(shop.checkout(CARD))
    with app.app_context():
        order = only_order()
        assert _sent_unit_amounts(fake_stripe, order.id) == sent
    fake_stripe.pay(session_id)
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", session_id).status_code == 200
    with app.app_context():
        paid = only_order()
        # Stripe's total, read back in shop units, matches the order: the payment goes through.
        assert (paid.status, db.session.scalars(select(Payment.status)).one()) == ("placed", "paid")


@pytest.mark.parametrize("app", [("KWD", True)], indirect=True)
def test_a_price_stripe_cannot_charge_is_refused_before_stripe_is_called(app, shop, fake_stripe):
    variant = _variant(app, 5125)  # 5.125 KWD, set before card payments were switched on
    assert shop.add(variant).status_code == 303
    response = shop.checkout(CARD)
    page = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "Card payments can only charge KWD in steps of 0.010." in page and "Nothing was charged" in page
    assert fake_stripe.count("post", "/v1/checkout/sessions") == 0
    with app.app_context():
        assert db.session.get(Variant, variant).reserved == 0  # the hold went back


@pytest.mark.parametrize("app", [("ISK", True)], indirect=True)
def test_an_isk_refund_is_sent_in_hundredths(app, shop, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, _variant(app, 5000))
    owner = _owner(app)
    html = owner.client.get(f"/admin/orders/{order['reference']}").get_data(as_text=True)
    key = html.split('name="refund_key" value="', 1)[1].split('"', 1)[0]
    response = owner.post(f"/admin/orders/{order['reference']}/refund", {"amount": "1000", "refund_key": key})
    assert response.status_code == 303
    assert fake_stripe.refunded(order["session_id"]) == 100000  # 1,000 kr
    with app.app_context():
        assert db.session.scalars(select(Payment.amount_refunded)).one() == 1000


@pytest.mark.parametrize("app", [("KWD", True)], indirect=True)
def test_a_refund_stripe_cannot_make_is_refused_and_nothing_is_booked(app, shop, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, _variant(app, 5120))
    owner = _owner(app)
    html = owner.client.get(f"/admin/orders/{order['reference']}").get_data(as_text=True)
    key = html.split('name="refund_key" value="', 1)[1].split('"', 1)[0]
    response = owner.post(f"/admin/orders/{order['reference']}/refund", {"amount": "1.005", "refund_key": key})
    assert response.status_code == 422
    assert "Card payments can only charge KWD in steps of 0.010." in response.get_data(as_text=True)
    assert fake_stripe.count("post", "/v1/refunds") == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(Refund.id))) == 0


# --- prices typed by the owner ----------------------------------------------------------------------

PRODUCT = {"title": "Dates", "slug": "", "category_id": "0", "description_md": "", "featured": ""}


@pytest.mark.parametrize("app", [("KWD", True)], indirect=True)
def test_with_card_on_a_price_stripe_cannot_charge_is_refused_with_the_form_again(app):
    owner = _owner(app)
    response = owner.post("/admin/products/new", {**PRODUCT, "price": "5.125"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Card payments can only charge KWD in steps of 0.010." in page and 'value="5.125"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Product.id))) == 0
    assert owner.post("/admin/products/new", {**PRODUCT, "price": "5.120"}).status_code == 303
    with app.app_context():
        product = db.session.scalars(select(Product)).one()
        assert product.price == 5120
        product_id = product.id
    variant = {"sku": "DATES-L", "name": "L", "price_override": "1.001", "initial_stock": "1"}
    response = owner.post(f"/admin/products/{product_id}/variants", variant)
    assert response.status_code == 422 and "in steps of 0.010" in response.get_data(as_text=True)
    fine = {**variant, "price_override": "1.010"}
    assert owner.post(f"/admin/products/{product_id}/variants", fine).status_code == 303


@pytest.mark.parametrize("app", [("KWD", False)], indirect=True)
def test_without_card_payments_any_price_in_the_currency_is_fine(app):
    owner = _owner(app)
    assert owner.post("/admin/products/new", {**PRODUCT, "price": "5.125"}).status_code == 303


@pytest.mark.parametrize("app", [("KWD", True)], indirect=True)
@pytest.mark.parametrize(
    ("locale", "says"),
    [
        ("es", "Los pagos con tarjeta solo pueden cobrar KWD en múltiplos de 0.010."),
        ("zh_Hans", "银行卡支付只能以 0.010 的倍数收取 KWD。"),
        ("bn", "কার্ডে পেমেন্ট কেবল"),
    ],
)
def test_the_refusal_is_in_the_owners_language(app, locale, says):
    owner = _owner(app)
    owner.client.set_cookie("locale", locale)
    response = owner.post("/admin/products/new", {**PRODUCT, "price": "5.125"})
    assert response.status_code == 422 and says in response.get_data(as_text=True)


@pytest.mark.parametrize("app", [("KWD", True)], indirect=True)
def test_the_provider_itself_never_sends_an_amount_stripe_would_refuse(app, fake_stripe):
    """Whoever calls it (the sweep's automatic refunds too), the provider checks before the network."""
    with app.test_request_context():
        provider = provider_for(PaymentMethod.CARD)
        with pytest.raises(ProviderRefused) as refused:
            provider.refund("pi_any", 5125, "key-1")
    assert "in steps of 0.010" in str(refused.value)
    assert fake_stripe.calls == []
