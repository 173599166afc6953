"""A small shop world for the segment tests: a fixed catalog, stores and sellers, and raw customer rows.

Customers, their orders (with lines), tags, store bindings and interest rows are inserted
directly (the customers work fills them from orders in production), so a test controls every
fact the segment SQL reads and can compare it with a plain Python filter over the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from storefront.analytics.models import ReportOrder, RollupInterest
from storefront.customers.models import Customer, CustomerOrder, CustomerTag
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine
from storefront.orders.rules import SALE_STATUSES
from storefront.sellers.models import Seller
from storefront.stores.models import CustomerStore, Store
from tests.builders import make_category, make_product, make_user

STATUSES = ("placed", "delivered", "cancelled", "unpaid", "awaiting_payment", "confirmed")
SALE = {str(s) for s in SALE_STATUSES}


@dataclass
class Catalog:
    """The fixed things customers are filtered by: ids and their relations."""

    categories: list[int]
    products: list[int]  # product ids, in order
    product_category: dict[int, int | None]
    product_slug: dict[int, str]
    variant_of: dict[int, int]  # product id -> its variant id
    stores: list[int]
    sellers: list[int]


def make_catalog() -> Catalog:
    """Two categories, three products (the last one uncategorised), two stores, two sellers."""
    shoes, hats = make_category("Shoes"), make_category("Hats")
    products = [make_product("Red shoe", category=shoes), make_product("Sun hat", category=hats), make_product("Mug")]
    stores = [Store(name=f"Store {n}", latitude=0.0, longitude=0.0) for n in (1, 2)]
    sellers = [Seller(user_id=make_user(f"s{n}@example.com", "seller").id, code=f"S{n}") for n in (1, 2)]
    db.session.add_all(stores + sellers)
    db.session.commit()
    return Catalog(
        categories=[shoes.id, hats.id],
        products=[p.id for p in products],
        product_category={p.id: p.category_id for p in products},
        product_slug={p.id: p.slug for p in products},
        variant_of={p.id: p.variants[0].id for p in products},
        stores=[s.id for s in stores],
        sellers=[s.id for s in sellers],
    )


@dataclass
class RawOrder:
    """An order of a customer: its status, the products on its lines (indexes into Catalog.products), its cart hash."""

    status: str
    products: list[int]
    cart: str | None = None


@dataclass
class RawCustomer:
    """Every fact about one customer that a definition can test."""

    rfm: str = ""
    last_days_ago: int | None = None  # None: no order date
    orders_count: int = 0
    spend: int = 0
    city: str = ""
    region: str = ""
    seller: int | None = None  # index into Catalog.sellers
    store: int | None = None  # index into Catalog.stores
    tags: list[str] = field(default_factory=list)
    consent: list[str] = field(default_factory=list)
    orders: list[RawOrder] = field(default_factory=list)
    interest: list[tuple[str, int]] = field(default_factory=list)  # (cart hash, product index)


def clear() -> None:
    """Remove every customer-side row (the catalog stays)."""
    for model in (RollupInterest, ReportOrder, CustomerTag, CustomerStore, CustomerOrder, OrderLine, Order, Customer):
        db.session.execute(delete(model))
    db.session.commit()


def insert(catalog: Catalog, customers: list[RawCustomer], now: datetime) -> list[int]:
    """Write the customers and their facts (after any already there); returns their ids in order."""
    ids = []
    start = db.session.scalar(select(func.count()).select_from(Customer)) or 0
    serial = db.session.scalar(select(func.count()).select_from(Order)) or 0
    for n, raw in enumerate(customers, start=start):
        key = f"tel:{5550000 + n}"
        customer = Customer(
            key=key,
            name=f"Customer {n}",
            phone=str(5550000 + n),
            city=raw.city,
            region=raw.region,
            rfm_segment=raw.rfm,
            orders_count=raw.orders_count,
            spend=raw.spend,
            last_order_at=None if raw.last_days_ago is None else now - timedelta(days=raw.last_days_ago, hours=1),
            seller_id=None if raw.seller is None else catalog.sellers[raw.seller],
            marketing_email="email" in raw.consent,
            marketing_push="push" in raw.consent,
            marketing_whatsapp="whatsapp" in raw.consent,
        )
        db.session.add(customer)
        db.session.flush()
        ids.append(customer.id)
        db.session.add_all(CustomerTag(customer_id=customer.id, tag=tag) for tag in set(raw.tags))
        if raw.store is not None:
            db.session.add(CustomerStore(customer_key=key, store_id=catalog.stores[raw.store]))
        for order_raw in raw.orders:
            serial += 1
            order = _order(serial, order_raw, catalog, now)
            db.session.add(order)
            db.session.flush()
            db.session.add(CustomerOrder(order_id=order.id, customer_id=customer.id))
            db.session.add(_report_order(order, order_raw, now))
        for index, (cart, product_index) in enumerate(raw.interest):
            db.session.add(
                RollupInterest(
                    day=now.date(),
                    product_slug=catalog.product_slug[catalog.products[product_index]],
                    session_key=f"c{n}-{index}",
                    cart_hash=cart,
                    source="direct",
                    first_seen=now,
                )
            )
    db.session.commit()
    return ids


def _order(serial: int, raw: RawOrder, catalog: Catalog, now: datetime) -> Order:
    """An order row with one line per product."""
    order = Order(
        token=f"t{serial}",
        reference=f"R{serial}",
        checkout_key=f"k{serial}",
        status=raw.status,
        customer_name="x",
        phone="1",
        delivery_method="pickup",
        payment_method="cash",
        currency="USD",
        subtotal=100,
        shipping=0,
        total=100,
        created_at=now,
    )
    for product_id in (catalog.products[index] for index in raw.products):
        order.lines.append(
            OrderLine(
                variant_id=catalog.variant_of[product_id],
                product_slug=catalog.product_slug[product_id],
                title="x",
                sku=f"SKU{product_id}",
                unit_price=100,
                quantity=1,
            )
        )
    return order


def _report_order(order: Order, raw: RawOrder, now: datetime) -> ReportOrder:
    """The order's report projection (only the cart hash matters to segments)."""
    return ReportOrder(
        order_id=order.id,
        created_at=now,
        day=now.date(),
        hour=0,
        weekday=0,
        status=raw.status,
        is_sale=raw.status in SALE,
        total=100,
        customer_key="k",
        delivery_method="pickup",
        cart_hash=raw.cart,
        updated_at=now,
    )
