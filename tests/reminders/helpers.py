"""Builders for the reminder tests: customers with consent, carts of a given age, orders of a customer."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select

from storefront.cart.models import Cart, CartLine
from storefront.catalog.models import Variant
from storefront.customers.models import Customer, CustomerOrder
from storefront.extensions import db
from storefront.notify.models import PushSubscription
from storefront.notify.service import endpoint_hash
from storefront.orders.models import Order
from storefront.orders.service import new_reference
from storefront.promotions.models import DiscountCode
from storefront.reminders import rules, service
from tests.promotions.helpers import make_code

ON = rules.Settings(cart_on=True, cart_hours=4, lapse_on=True, lapse_factor_pct=150, lapse_min_days=30)


def switch(settings: rules.Settings = ON) -> None:
    """Save the owner's reminder settings (creating the lapse code first: only a known code is taken)."""
    if (
        settings.lapse_code
        and db.session.scalar(select(DiscountCode.id).where(DiscountCode.code == settings.lapse_code.upper())) is None
    ):
        make_code(settings.lapse_code.upper())
    service.save_settings(db.session, settings, None, datetime(2026, 1, 1))
    db.session.commit()


def make_customer(n: int = 1, *, push: bool = True, email: bool = True, last_order_at=None, locale="") -> int:
    """A committed customer with the given consent; their id."""
    customer = Customer(
        key=f"tel:4420794600{n:02d}",
        name=f"Customer {n}",
        phone=f"+44 20 7946 00{n:02d}",
        email=f"c{n}@example.com",
        marketing_push=push,
        marketing_email=email,
        last_order_at=last_order_at,
        orders_count=1 if last_order_at else 0,
        locale=locale,
    )
    db.session.add(customer)
    db.session.flush()
    db.session.commit()
    if push:  # a browser of theirs: the push subscription of an old order of theirs (cancelled: no sale)
        order_id = make_order(customer.id, datetime(2020, 1, 1), status="cancelled")
        endpoint = f"https://push.example/{secrets.token_hex(8)}"
        db.session.add(
            PushSubscription(
                endpoint=endpoint, endpoint_hash=endpoint_hash(endpoint), p256dh="k", auth="a", order_id=order_id
            )
        )
        db.session.commit()
    return customer.id


def _a_variant() -> int:
    """Some variant (a product is made when there is none)."""
    found = db.session.scalar(select(Variant.id).limit(1))
    if found is not None:
        return found
    from tests.builders import make_product

    return make_product("Watched", 900, (("One", 0),)).variants[0].id


def make_cart(customer_id: int | None, updated_at: datetime, variant_id: int | None) -> int:
    """A committed cart of the customer, last touched at `updated_at`, with one line unless no variant."""
    cart = Cart(token=secrets.token_urlsafe(32), created_at=updated_at, updated_at=updated_at, customer_id=customer_id)
    if variant_id is not None:
        cart.lines.append(CartLine(variant_id=variant_id, quantity=1))
    db.session.add(cart)
    db.session.commit()
    return cart.id


def make_order(customer_id: int, created_at: datetime, total: int = 2500, status: str = "placed") -> int:
    """A committed cash order of the customer placed at `created_at` (linked in customer_orders)."""
    order = Order(
        token=secrets.token_urlsafe(24),
        reference=new_reference(),
        checkout_key=secrets.token_urlsafe(24),
        status=status,
        customer_name="Ada",
        phone="+44 20 7946 0958",
        delivery_method="delivery",
        payment_method="cash",
        currency="USD",
        subtotal=total,
        shipping=0,
        total=total,
        created_at=created_at,
    )
    db.session.add(order)
    db.session.flush()
    db.session.add(CustomerOrder(order_id=order.id, customer_id=customer_id))
    db.session.commit()
    return order.id
