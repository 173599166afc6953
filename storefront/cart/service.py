"""Cart use-cases: find, add, change and price a cart. Prices always come from the database."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Delete, Select, Update, bindparam, column, delete, exists, select, table, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..catalog.models import Product, Variant
from ..clock import utcnow
from ..db import keep_written, write_new
from ..domain import N_, Invalid, NotFound
from .models import Cart, CartLine
from .rules import PricedLine, check_line_quantity


@dataclass(frozen=True)
class CartItem:
    """A cart line as shown to the shopper: priced by the server, with its stock state."""

    line: CartLine
    variant: Variant
    unit_price: int
    quantity: int
    available: int

    @property
    def total(self) -> int:
        """Line total in minor units."""
        return self.unit_price * self.quantity

    @property
    def problem(self) -> str | None:
        """'sold_out' or 'short' when the shelf cannot supply this line now."""
        if self.variant.product.published and not self.variant.archived and self.available >= self.quantity:
            return None
        return (
            "sold_out"
            if self.available <= 0 or self.variant.archived or not self.variant.product.published
            else "short"
        )


def find_cart(session: Session, token: str | None) -> Cart | None:
    """The cart behind a cookie token, with its lines, variants, products and photos: one query.

    A cart has a few lines (MAX_CART_LINES at most), so one joined SELECT beats a query per
    level (four statements, each a round trip on PostgreSQL, on every cart and checkout page).
    """
    if not token or len(token) > 64:
        return None
    # unique(): the joined rows repeat the cart, one per line; the token is unique, so one or none.
    return session.scalars(_cart_by_token(), {"token": token}).unique().one_or_none()


def find_cart_to_change(session: Session, token: str | None) -> Cart | None:
    """find_cart without the products' photos, for a POST that adds to the cart or places it: prices,
    sales and stock, never a thumbnail (a product's photos multiply the joined rows and the objects
    loaded; a page shown after all loads them when asked)."""
    if not token or len(token) > 64:
        return None
    return session.scalars(_cart_to_change_by_token(), {"token": token}).unique().one_or_none()


@functools.cache
def _cart_to_change_by_token() -> Select:
    """find_cart_to_change's SELECT, built once."""
    lines = joinedload(Cart.lines).joinedload(CartLine.variant).joinedload(Variant.product)
    return select(Cart).options(lines.joinedload(Product.sales)).where(Cart.token == bindparam("token"))


@functools.cache
def _cart_by_token() -> Select:
    """find_cart's SELECT, built once with the token as a parameter.

    Built anew per request (four loader chains) it cost more CPU than its round trip (issue 22);
    one statement object also keeps its cache key memoised.
    """
    return _cart_with_lines().where(Cart.token == bindparam("token"))


@functools.cache
def _cart_by_id() -> Select:
    """The same by the cart's id (lock_and_reload)."""
    return _cart_with_lines().where(Cart.id == bindparam("cart_id"))


def _cart_with_lines() -> Select:
    """A cart with its lines, variants, products, photos and sales: one joined SELECT."""
    return select(Cart).options(
        joinedload(Cart.lines)
        .joinedload(CartLine.variant)
        .joinedload(Variant.product)
        .joinedload(Product.photos),  # the line's thumbnail, without a query per line
        joinedload(Cart.lines)
        .joinedload(CartLine.variant)
        .joinedload(Variant.product)
        .joinedload(Product.sales),  # its sales: the line's price at now, in the same SELECT
    )


def lock_cart(session: Session, token: str | None, now: datetime) -> None:
    """Touch the cart with this token, taking its row lock until the transaction ends; read it after this.

    The placing's lock (see lock_and_reload) taken before the cart is read: one statement for the
    lock and one for the read, instead of a read, the lock and a second read.
    """
    if token and len(token) <= 64:
        session.execute(_touch_cart_by_token(), {"cart_token": token, "updated_at": now})


@functools.cache
def _touch_cart_by_token() -> Update:
    """UPDATE carts SET updated_at WHERE token, built once (Core: the cart is read after it)."""
    carts = Cart.__table__
    return update(carts).where(carts.c.token == bindparam("cart_token")).values(updated_at=bindparam("updated_at"))


def lock_and_reload(session: Session, cart: Cart, now: datetime) -> None:
    """Touch the cart (its row lock holds until the transaction ends), then read its lines again.

    On PostgreSQL the lock makes two tabs placing the same cart take turns, and the read after
    it (a new snapshot) sees what the other one left: an emptied cart. Both statements are built
    once; the read replaces what the session holds of the cart, its lines and their variants.
    """
    session.execute(_touch_cart(), {"cart_id": cart.id, "updated_at": now})
    found = (
        session.scalars(_cart_by_id(), {"cart_id": cart.id}, execution_options={"populate_existing": True})
        .unique()
        .one_or_none()
    )
    if found is None:  # deleted meanwhile: it has no lines any more
        set_committed_value(cart, "lines", [])


@functools.cache
def _touch_cart() -> Update:
    """UPDATE carts SET updated_at WHERE id (Core: nothing in the session needs it before the read after it)."""
    carts = Cart.__table__
    return update(carts).where(carts.c.id == bindparam("cart_id")).values(updated_at=bindparam("updated_at"))


def new_cart(session: Session, now: datetime) -> Cart:
    """A new empty cart with an unguessable token (256 random bits), written with its first line.

    Not added to the session here: add_item writes the cart and its line together (two Core
    INSERTs, no unit of work, on every first add); nothing needs the cart's id before.
    """
    # lines=[]: a new cart has none, and saying so spares the first add a SELECT to find out.
    return Cart(token=secrets.token_urlsafe(32), created_at=now, updated_at=now, lines=[])


def variant_with_product(session: Session, variant_id: int) -> Variant | None:
    """A variant with its product (one SELECT built once), or None; one the session holds is not read again."""
    held = session.identity_map.get(identity_key(Variant, variant_id))
    if held is not None and "product" in held.__dict__:
        return held
    return session.scalars(_variant_with_product(), {"variant_id": variant_id}).first()


@functools.cache
def _variant_with_product() -> Select:
    """variant_with_product's SELECT (session.get builds its statement anew on every call)."""
    return select(Variant).options(joinedload(Variant.product)).where(Variant.id == bindparam("variant_id"))


def _sellable_variant(session: Session, variant_id: int) -> Variant:
    """The variant if it is on sale, else NotFound (read with its product: one statement)."""
    variant = variant_with_product(session, variant_id)
    if variant is None or variant.archived or not variant.product.published:
        raise NotFound(N_("That item is no longer for sale."))
    return variant


def add_item(
    session: Session, cart: Cart, variant_id: int, quantity: int, now: datetime, max_quantity: int, max_lines: int
) -> CartLine:
    """Add units of a variant to the cart (merging with an existing line)."""
    variant = _sellable_variant(session, variant_id)
    line = next((ln for ln in cart.lines if ln.variant_id == variant_id), None)
    wanted = quantity + (line.quantity if line else 0)
    check_line_quantity(wanted, variant.available, max_quantity)
    if line is None:
        if len(cart.lines) >= max_lines:
            raise Invalid(N_("Your cart is full (at most %(count)s different items)."), count=max_lines)
        line = CartLine(variant=variant, variant_id=variant.id, quantity=wanted)
        cart.lines.append(line)
    else:
        line.quantity = wanted
    cart.updated_at = now
    if sa_inspect(cart).transient:  # new_cart's: the cart and its first line by Core, kept as persistent
        write_new(session, [cart])
        line.cart_id = cart.id
        write_new(session, [line])
        keep_written(session, cart, line)
    else:
        session.flush()
    return line


def belongs_to(session: Session, cart: Cart, customer_id: int) -> None:
    """Give the cart to the customer a known browser names (for the cart reminder), if they still exist.

    The customers table is named, not imported: the cart sits below the customers package, and a
    signed cookie may outlive the customer it names (the foreign key would then refuse the cart).
    """
    customers = table("customers", column("id"))
    session.execute(
        update(Cart)
        .where(Cart.id == cart.id, exists().where(customers.c.id == customer_id))
        .values(customer_id=customer_id)
        .execution_options(synchronize_session=False)
    )


def set_quantity(
    session: Session, cart: Cart, variant_id: int, quantity: int, now: datetime, max_quantity: int
) -> None:
    """Set a line's quantity; zero removes it."""
    line = next((ln for ln in cart.lines if ln.variant_id == variant_id), None)
    if line is None:
        raise NotFound(N_("That item is not in your cart."))
    if quantity == 0:
        remove_item(session, cart, variant_id, now)
        return
    # Lowering a quantity is always allowed, even when stock has run short since.
    if quantity > line.quantity:
        check_line_quantity(quantity, line.variant.available, max_quantity)
    line.quantity = quantity
    cart.updated_at = now
    session.flush()


def remove_item(session: Session, cart: Cart, variant_id: int, now: datetime) -> None:
    """Remove a variant from the cart (removing something absent is not an error)."""
    for line in list(cart.lines):
        if line.variant_id == variant_id:
            cart.lines.remove(line)
    cart.updated_at = now
    session.flush()


def cart_items(cart: Cart | None, now: datetime | None = None) -> list[CartItem]:
    """The cart's lines priced from the database at `now` (a running sale's price), in the order added."""
    if cart is None:
        return []
    at = utcnow() if now is None else now
    return [
        CartItem(
            line=ln,
            variant=ln.variant,
            unit_price=ln.variant.price_at(at),
            quantity=ln.quantity,
            available=ln.variant.available,
        )
        for ln in cart.lines
    ]


def priced_lines(items: list[CartItem]) -> list[PricedLine]:
    """The cart items as plain priced lines for the totals rule."""
    return [PricedLine(i.variant.id, i.quantity, i.unit_price) for i in items]


def empty_cart(session: Session, cart: Cart) -> None:
    """Remove every line (after the order took them)."""
    session.execute(_delete_lines(), {"cart_id": cart.id})
    session.expire(cart, ["lines"])  # the lines read before are gone: the next look reads none


@functools.cache
def _delete_lines() -> Delete:
    """DELETE a cart's lines, built once (Core: the ORM's matching of loaded lines buys nothing here)."""
    lines = CartLine.__table__
    return delete(lines).where(lines.c.cart_id == bindparam("cart_id"))
