"""`flask seed-events`: realistic synthetic behaviour and the orders it leads to, fast and reproducible.

Shoppers arrive in sessions (more in the evening and at weekends, more as the shop catches on)
from chat shares, seller codes, search, campaigns, the home-screen app or directly; they look
at products for a lognormal while, some add to cart, fewer begin checkout, fewer pay. Paying
sessions become orders; `--orders` tops them up with orders whose shoppers sent no events
(Do Not Track, JavaScript off), which the shop counts too. Customers come back (the same phone,
typed differently), live in real cities, or pick up in the shop.

Orders are history here, so they are written straight into orders / order_lines /
order_status_changes with bulk inserts, never through checkout: no stock is taken, no cart
exists, and each status history is walked through the real lifecycle table. Everything else
about them (purchase event with the cart hash, totals, shipping fee) matches a real order.
The random seed fixes every figure; only tokens and references are truly random, so a second
run never collides with the first.
"""

from __future__ import annotations

import itertools
import math
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from operator import itemgetter

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..catalog.models import Category, Product, Variant
from ..domain import N_, Invalid
from ..orders.models import Order, OrderLine, OrderStatusChange
from ..orders.rules import Delivery, OrderEvent, OrderStatus, next_status
from ..orders.service import REFERENCE_ALPHABET
from . import rules
from . import seed_data as shape
from .models import Event

EVENT_COLUMNS = tuple(c.name for c in Event.__table__.columns if c.name != "id")
BLANK_EVENT = dict.fromkeys(EVENT_COLUMNS)
CHUNK = 5000
SOURCE_LABELS = tuple(shape.SOURCES)
STEPS = {
    Delivery.DELIVERY: (OrderEvent.CONFIRM, OrderEvent.PACK, OrderEvent.SHIP, OrderEvent.DELIVER),
    Delivery.PICKUP: (OrderEvent.CONFIRM, OrderEvent.PACK, OrderEvent.MARK_READY, OrderEvent.COLLECT),
}


class NothingToSell(Invalid):
    """seed-events needs products with variants (run seed-demo first)."""

    code = "no_products"


@dataclass(frozen=True)
class Item:
    """A product the simulated shoppers can look at and buy."""

    slug: str
    list_name: str
    title: str
    variants: tuple[tuple[int, int, str, str], ...]  # (variant id, unit price, name, sku)
    appeal: float  # how long people look and how often they buy (around 1)


@dataclass
class Customer:
    """Who orders: contact and where the parcel goes (empty place for pickups)."""

    name: str
    phone: str
    email: str
    delivery: str
    country: str = ""
    region: str = ""
    city: str = ""
    street: str = ""
    postcode: str = ""


@dataclass
class Person:
    """One browser: its cart cookie lives 90 days; its visitor id changes daily."""

    cart_token: str | None = None
    cart_hash: str | None = None  # rules.cart_hash(cart_token), what events store
    customer: int | None = None  # index into Simulator.customers once it ordered


@dataclass
class PendingOrder:
    """An order made up by the simulation, written with its day's batch."""

    created_at: datetime
    customer: Customer
    lines: list[tuple[Item, tuple, int]]  # item, variant (id, price, name, sku), quantity
    cart_hash: str | None


@dataclass
class SeedResult:
    """What was written."""

    events: int = 0
    sessions: int = 0
    orders: int = 0
    tracked_orders: int = 0
    days: list[date] = field(default_factory=list)


def load_catalog(session: Session, rng: random.Random) -> list[Item]:
    """Products on sale with their variants and prices, each given an appeal."""
    rows = session.execute(
        select(Product.slug, Product.title, Product.price, Category.name, Variant.id, Variant.price_override)
        .add_columns(Variant.name, Variant.sku)
        .join(Variant, Variant.product_id == Product.id)
        .outerjoin(Category, Category.id == Product.category_id)
        .where(Product.published, Variant.archived.is_(False))
        .order_by(Product.id, Variant.id)
    ).all()
    grouped: dict[str, tuple[str, str, list]] = {}
    for slug, title, price, category, variant_id, override, name, sku in rows:
        unit_price = override if override is not None else price
        grouped.setdefault(slug, (title, category or "", []))[2].append((variant_id, unit_price, name, sku))
    if not grouped:
        raise NothingToSell(N_("There are no products to look at: run `flask --app wsgi seed-demo` first."))
    return [
        Item(slug, list_name, title, tuple(variants), rng.lognormvariate(0, 0.35))
        for slug, (title, list_name, variants) in grouped.items()
    ]


class Simulator:
    """Generates one day of sessions at a time; `write_day` stores them."""

    def __init__(self, rng: random.Random, catalog: list[Item], *, tz: tzinfo, now: datetime, currency: str) -> None:
        self.rng, self.catalog, self.tz, self.now, self.currency = rng, catalog, tz, now, currency
        self.nonce = secrets.randbits(128)  # ids differ between runs; the figures do not
        popularity = [1 / (rank + 1) ** 0.8 * item.appeal for rank, item in enumerate(catalog)]
        self.item_weights = list(itertools.accumulate(popularity))  # cumulative: choices() stays O(log n)
        self.hour_weights = list(itertools.accumulate(shape.HOUR_WEIGHTS))
        self.source_weights = list(itertools.accumulate(s[0] for s in shape.SOURCES.values()))
        self.persons: list[Person] = []
        self.customers: list[Customer] = []

    def hex_id(self) -> str:
        """A 32-hex-digit id (session, visitor, cart token) from the seeded generator."""
        return f"{self.rng.getrandbits(128) ^ self.nonce:032x}"

    def utc(self, local: datetime) -> datetime:
        """A shop-local wall time as naive UTC (what the database stores)."""
        return local.replace(tzinfo=self.tz).astimezone(UTC).replace(tzinfo=None)

    def day(self, day: date, budget: int) -> tuple[list[dict], list[PendingOrder], int]:
        """About `budget` events of sessions starting on `day`, and the orders they placed."""
        events: list[dict] = []
        orders: list[PendingOrder] = []
        sessions = 0
        visitors: dict[int, str] = {}
        last_hour = self._last_hour(day)
        while len(events) < budget and last_hour >= 0:
            start = self._start(day, last_hour)
            person_index = self._person()
            visitor = visitors.setdefault(person_index, self.hex_id())
            session_events, order = self.session(start, self.persons[person_index], visitor)
            room = budget - len(events)
            if len(session_events) > room:  # the run's last session: cut to the exact count
                session_events, order = session_events[:room], None
            events += session_events
            sessions += 1
            if order is not None:
                orders.append(order)
        return events, orders, sessions

    def _last_hour(self, day: date) -> int:
        """Sessions of today start at least two hours before now (they must end in the past)."""
        local_now = self.now.replace(tzinfo=UTC).astimezone(self.tz)
        return 23 if day < local_now.date() else local_now.hour - 3

    def _start(self, day: date, last_hour: int) -> datetime:
        hour = self.rng.choices(range(last_hour + 1), cum_weights=self.hour_weights[: last_hour + 1])[0]
        seconds = self.rng.randrange(3600)
        return datetime.combine(day, time(hour)) + timedelta(seconds=seconds)

    def _person(self) -> int:
        """A returning browser (30%: one seen recently) or a new one."""
        if self.persons and self.rng.random() < 0.3:
            recent = min(len(self.persons), 3000)
            return len(self.persons) - 1 - int(self.rng.random() ** 2 * recent)
        self.persons.append(Person())
        return len(self.persons) - 1

    def session(self, start: datetime, person: Person, visitor: str) -> tuple[list[dict], PendingOrder | None]:
        """One visit: landing, browsing with dwell, maybe cart, checkout and an order."""
        rng = self.rng
        label = rng.choices(SOURCE_LABELS, cum_weights=self.source_weights)[0]
        visit = Visit(self, start, person, visitor, label)
        landing = self._item() if rng.random() < shape.SOURCES[label][1] else None
        visit.track("page_view", path=f"/p/{landing.slug}" if landing else "/", **self._attribution(label))
        if landing:
            visit.look(landing)
        for _page in range(min(int(rng.expovariate(1 / 3.2)), 25)):
            visit.browse()
        if not visit.cart or rng.random() >= 0.42:
            return visit.events, None
        value = sum(variant[1] * qty for _item, variant, qty in visit.cart)
        visit.track("begin_checkout", path="/checkout", value=min(value, 10**9), currency=self.currency)
        if rng.random() >= 0.62 * shape.SOURCE_CONVERSION[label] / 1.2:
            return visit.events, None
        visit.wait(rng.randint(40, 300))
        order = PendingOrder(visit.clock, self.customer_of(person), visit.cart, person.cart_hash)
        return visit.events, order

    def untracked_order(self, day: date) -> PendingOrder:
        """An order from a shopper who sent no events (Do Not Track, JavaScript off)."""
        rng = self.rng
        start = self.utc(self._start(day, max(self._last_hour(day), 0)))
        if self.customers and rng.random() < 0.4:
            customer = self.customers[self.returning_customer()]
        else:
            customer = self.customers[self.new_customer()]
        items = {item.slug: item for item in (self._item() for _ in range(rng.choice((1, 1, 1, 2, 2, 3))))}
        lines = [(item, rng.choice(item.variants), 1 if rng.random() < 0.8 else 2) for item in items.values()]
        return PendingOrder(start, customer, lines, rules.cart_hash(self.hex_id()))

    def _attribution(self, label: str) -> dict:
        """The landing page view's source columns, as POST /e would have stored them."""
        rng = self.rng
        fields: dict = {"source": label}
        if label == "search":
            fields["referrer_host"] = rng.choice(shape.SEARCH_HOSTS)
        elif label == "social":
            fields["referrer_host"] = rng.choice(shape.SOCIAL_HOSTS)
        elif label == "referral":
            fields["referrer_host"] = rng.choice(shape.REFERRAL_HOSTS)
        elif label == "ref":
            fields["ref"] = rng.choice(shape.SELLER_CODES)
            fields["referrer_host"] = rng.choice((None, "wa.me", "t.me", "instagram.com"))
        elif label == "utm":
            fields["utm_source"], fields["utm_medium"], fields["utm_campaign"] = rng.choice(shape.UTM_TAGS)
        return fields

    def _item(self) -> Item:
        return self.rng.choices(self.catalog, cum_weights=self.item_weights)[0]

    def customer_of(self, person: Person) -> Customer:
        """The person's customer; a first order is a new customer, or (25%) one ordering from a new device."""
        if person.customer is None:
            if self.customers and self.rng.random() < 0.25:
                person.customer = self.returning_customer()
            else:
                person.customer = self.new_customer()
        return self.customers[person.customer]

    def returning_customer(self) -> int:
        """An existing customer, the loyal few far more often than the rest."""
        return int(len(self.customers) * self.rng.random() ** 3)

    def new_customer(self) -> int:
        """A made-up customer: phone typed one of several ways, email or not, a home or pickup."""
        rng = self.rng
        first, last = rng.choice(shape.FIRST_NAMES), rng.choice(shape.LAST_NAMES)
        country = rng.choices(list(shape.GAZETTEER), weights=[g[0] for g in shape.GAZETTEER.values()])[0]
        _share, calling, places = shape.GAZETTEER[country]
        region, city, _weight, area_codes, zip_prefix = rng.choices(places, weights=[p[2] for p in places])[0]
        number = f"{rng.choice(area_codes)}{rng.randint(200, 989)}{rng.randint(1000, 9999)}"
        phone = rng.choice(
            (
                f"+{calling} {number[:3]}-{number[3:6]}-{number[6:]}",
                f"+{calling} ({number[:3]}) {number[3:6]}-{number[6:]}",
                f"+{calling}{number}",
            )
        )
        email = f"{first}.{last}{rng.randint(1, 999)}@example.com".lower() if rng.random() < 0.7 else ""
        if email and rng.random() < 0.1:
            email = email.upper()  # shoppers type what they type; the reports normalise it
        pickup = rng.random() < 0.2
        city = city.upper() if rng.random() < 0.05 else city
        customer = Customer(f"{first} {last}", phone, email, Delivery.PICKUP if pickup else Delivery.DELIVERY)
        if not pickup:
            customer.country, customer.region, customer.city = country, region, city
            customer.street = f"{rng.randint(100, 9899)} {rng.choice(shape.STREETS)}"
            customer.postcode = f"{zip_prefix}{rng.randint(1, 99):02d}"
        self.customers.append(customer)
        return len(self.customers) - 1


class Visit:
    """One session being simulated: its clock, its events and the cart it fills."""

    def __init__(self, sim: Simulator, start: datetime, person: Person, visitor: str, label: str) -> None:
        self.sim, self.rng, self.person, self.label = sim, sim.rng, person, label
        self.clock = sim.utc(start)
        self.base = {**BLANK_EVENT, "visitor_id": visitor, "session_id": sim.hex_id()}
        self.events: list[dict] = []
        self.cart: list[tuple[Item, tuple, int]] = []

    def wait(self, seconds: float) -> None:
        self.clock += timedelta(seconds=seconds)

    def track(self, name: str, **fields) -> dict:
        """Record one event now, with the cart cookie as it is at this moment."""
        row = {**self.base, "created_at": self.clock, "name": name, "cart_hash": self.person.cart_hash, **fields}
        self.events.append(row)
        return row

    def browse(self) -> None:
        """The next page: a product (65%), a category list, or a search."""
        rng = self.rng
        self.wait(rng.randint(3, 40))
        kind = rng.random()
        if kind < 0.65:
            item = self.sim._item()
            self.track("page_view", path=f"/p/{item.slug}", source=rules.SOURCE_INTERNAL)
            self.look(item)
            return
        if kind < 0.9:
            self.track("page_view", path="/c/list", source=rules.SOURCE_INTERNAL)
            self.track("view_item_list", path="/c/list", list_name=self.sim._item().list_name or "Home")
        else:
            self.track("page_view", path="/search", source=rules.SOURCE_INTERNAL)
            self.track("search", path="/search", query=rng.choice(shape.SEARCH_WORDS))
        self.wait(rng.randint(4, 60))
        self.track("engagement", path="/c/list", dwell_ms=rng.randint(2000, 45000), scroll_pct=rng.randint(10, 100))

    def look(self, item: Item) -> None:
        """A product page: view, dwell (one or two engagement beats), maybe add to cart."""
        rng, currency = self.rng, self.sim.currency
        variant = rng.choice(item.variants)
        variant_id, price = variant[0], variant[1]
        path = f"/p/{item.slug}"
        self.track(
            "view_item", path=path, product_slug=item.slug, variant_id=variant_id, value=price, currency=currency
        )
        dwell = min(int(rng.lognormvariate(math.log(18000 * item.appeal), 0.95)), 1_800_000)
        beats = [dwell] if rng.random() < 0.6 or dwell < 4000 else [dwell // 3, dwell - dwell // 3]
        for beat in beats:
            self.wait(beat / 1000)
            self.track("engagement", path=path, product_slug=item.slug, dwell_ms=beat, scroll_pct=rng.randint(20, 100))
        chance = 0.028 * item.appeal * (1 + min(dwell, 240_000) / 40_000) * shape.SOURCE_CONVERSION[self.label]
        if rng.random() >= min(chance, 0.6):
            return
        quantity = 1 if rng.random() < 0.8 else rng.randint(2, 3)
        if self.person.cart_token is None:  # the first add makes the cart (and its cookie)
            self.person.cart_token = self.sim.hex_id()
            self.person.cart_hash = rules.cart_hash(self.person.cart_token)
        self.track(
            "add_to_cart",
            path=path,
            product_slug=item.slug,
            variant_id=variant_id,
            quantity=quantity,
            value=min(price * quantity, 10**9),
            currency=currency,
        )
        self.cart.append((item, variant, quantity))


def seed_events(
    session: Session,
    *,
    days: int,
    events: int,
    orders: int | None,
    seed: int,
    now: datetime,
    tz: tzinfo,
    currency: str,
    shipping_fee: int,
) -> Iterator[SeedResult]:
    """Write `events` events over the last `days` shop days (and their orders); yields per day.

    The caller commits at each yield. With `orders`, orders no tracked session placed are added
    until there are that many in all.
    """
    rng = random.Random(seed)
    sim = Simulator(rng, load_catalog(session, rng), tz=tz, now=now, currency=currency)
    today = now.replace(tzinfo=UTC).astimezone(tz).date()
    day_list = [today - timedelta(days=days - 1 - i) for i in range(days)]
    weights = [_day_weight(sim, day, index, days) for index, day in enumerate(day_list)]
    result = SeedResult(days=day_list)
    for day, budget in zip(day_list, apportion(events, weights)):
        day_events, pending, sessions = sim.day(day, budget)
        day_events.sort(key=itemgetter("created_at"))  # rows arrive in time order, as beacons do
        for index in range(0, len(day_events), CHUNK):
            session.execute(insert(Event.__table__), day_events[index : index + CHUNK])
        write_orders(session, sim, pending, shipping_fee)
        result.events += len(day_events)
        result.sessions += sessions
        result.orders += len(pending)
        result.tracked_orders += len(pending)
        session.flush()
        yield result
    extra = (orders or 0) - result.orders
    for day, count in zip(day_list, apportion(max(extra, 0), weights)):
        write_orders(session, sim, [sim.untracked_order(day) for _ in range(count)], shipping_fee)
        result.orders += count
        session.flush()
        yield result


def _day_weight(sim: Simulator, day: date, index: int, days: int) -> float:
    """Visits on a day: weekday pattern x growth x noise; today only up to its last hour."""
    last_hour = sim._last_hour(day)
    if last_hour < 0:
        return 0.0
    share_of_day = sim.hour_weights[last_hour] / sim.hour_weights[-1]
    growth = 1 + shape.GROWTH * index / max(days - 1, 1)
    return shape.WEEKDAY_WEIGHTS[day.weekday()] * growth * sim.rng.uniform(0.9, 1.1) * share_of_day


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` into whole parts proportional to `weights` (largest remainders), summing to it."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    parts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def write_orders(session: Session, sim: Simulator, pending: list[PendingOrder], shipping_fee: int) -> None:
    """Insert the orders with their lines, status history and server-side purchase (and refund) events."""
    if not pending:
        return
    rows, histories = [], []
    for order in pending:
        row, history = order_row(sim, order, shipping_fee)
        rows.append(row)
        histories.append(history)
    table = Order.__table__
    ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
    lines, changes, purchases = [], [], []
    for order_id, order, row, history in zip(ids, pending, rows, histories):
        for item, (variant_id, price, name, sku), quantity in order.lines:
            lines.append(
                {"order_id": order_id, "variant_id": variant_id, "product_slug": item.slug, "title": item.title}
                | {"variant_name": name, "sku": sku, "unit_price": price, "quantity": quantity}
            )
        changes += [{"order_id": order_id, "user_id": None, "note": "", **change} for change in history]
        purchases.append(
            {**BLANK_EVENT, "created_at": order.created_at, "name": "purchase", "order_id": order_id}
            | {"value": row["total"], "currency": row["currency"], "cart_hash": order.cart_hash}
            | {"quantity": sum(quantity for _item, _variant, quantity in order.lines)}
        )
        purchases += refund_events(sim, order_id, row, order)
    session.execute(insert(OrderLine.__table__), lines)
    session.execute(insert(OrderStatusChange.__table__), changes)
    session.execute(insert(Event.__table__), purchases)


REFUND_SHARE = 0.03  # of completed orders: one item sent back and refunded a few days later


def refund_events(sim: Simulator, order_id: int, row: dict, order: PendingOrder) -> list[dict]:
    """A refund of one item for a few completed orders (its own random stream: the rest of the
    world stays the same whether or not refunds are generated)."""
    rng = random.Random(order_id * 7919)
    if row["status"] not in (OrderStatus.DELIVERED, OrderStatus.COLLECTED) or rng.random() >= REFUND_SHARE:
        return []
    at = order.created_at + timedelta(days=rng.randint(2, 12), minutes=rng.randint(0, 600))
    if at >= sim.now:
        return []
    _item, (_variant_id, price, _name, _sku), _quantity = rng.choice(order.lines)
    return [
        {**BLANK_EVENT, "created_at": at, "name": "refund", "order_id": order_id}
        | {"value": price, "currency": row["currency"]}
    ]


def order_row(sim: Simulator, order: PendingOrder, shipping_fee: int) -> tuple[dict, list[dict]]:
    """The orders row and status history of one made-up order (statuses by its age)."""
    customer = order.customer
    subtotal = sum(variant[1] * quantity for _item, variant, quantity in order.lines)
    shipping = shipping_fee if customer.delivery == Delivery.DELIVERY else 0
    status, history = lifecycle(sim.rng, order.created_at, customer.delivery, sim.now)
    row = {
        "token": secrets.token_urlsafe(24),
        "reference": _reference(),
        "checkout_key": secrets.token_urlsafe(24),
        "status": status,
        "customer_name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "delivery_method": customer.delivery,
        "street": customer.street,
        "city": customer.city,
        "region": customer.region,
        "postcode": customer.postcode,
        "country": customer.country,
        "payment_method": "cash",
        "note": "",
        "currency": sim.currency,
        "subtotal": subtotal,
        "shipping": shipping,
        "total": subtotal + shipping,
        "created_at": order.created_at,
        "updated_at": history[-1]["created_at"],
    }
    return row, history


def lifecycle(rng: random.Random, created: datetime, delivery: str, now: datetime) -> tuple[str, list[dict]]:
    """Walk an order through the real lifecycle table as far as its age suggests (5% cancelled)."""
    age = now - created
    steps = STEPS[Delivery(delivery)]
    if age > timedelta(days=5):
        done = len(steps)
    elif age > timedelta(days=2):
        done = rng.choice((2, 3, 4))
    else:
        done = rng.randint(0, 2) if age > timedelta(hours=4) else 0
    events = list(steps[:done])
    if rng.random() < 0.05:
        events = events[: rng.randint(0, 2)] + [OrderEvent.CANCEL]
    status, at = OrderStatus.PLACED, created
    history = [{"from_status": None, "to_status": status, "event": "place", "created_at": created}]
    for event in events:
        at = min(at + timedelta(hours=rng.uniform(2, 30)), max(now, created))
        new = next_status(status, event, delivery)
        history.append({"from_status": status, "to_status": new, "event": event, "created_at": at})
        status = new
    return status, history


def _reference() -> str:
    """A random order reference like the shop's own (never from the seeded generator: runs must not collide)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"
