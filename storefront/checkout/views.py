"""Checkout (guest, one form) and the shopper's order page at an unguessable link."""

from __future__ import annotations

import logging
import secrets
from typing import NamedTuple

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..cart import service as carts
from ..cart.web import cart_token, current_cart, remember_customer, set_cart_cookies
from ..clock import utcnow
from ..core.security import private_blueprint
from ..customers import service as customer_offers
from ..domain import DomainError
from ..extensions import db
from ..inventory.rules import OutOfStock
from ..orders import service as orders
from ..orders.addresses import address_lines
from ..orders.limit_rules import client_hash, counted_address
from ..orders.models import Order
from ..orders.rules import TIMELINE, Delivery, OrderStatus, PaymentMethod, totals_by_delivery
from ..payments import flows
from ..payments import transfer_service as transfers
from ..payments.provider import ProviderError, card_enabled, provider_for
from ..payments.transfer_rules import method_id_of
from ..payments.web import payment_urls
from ..promotions import web as promotions
from ..promotions.rules import CodeRefused, CodeUsedUp
from ..sellers.web import attribution_from_request
from ..stores.models import Store
from ..stores.web import chosen_store_id
from . import fields as checkout_fields
from . import service
from .fields import CheckoutFields
from .forms import CheckoutForm
from .options import checkout_choices, hoarding_limits

log = logging.getLogger(__name__)
bp = Blueprint("checkout", __name__)
private_blueprint(bp, secret_urls=True)


class _Placed(NamedTuple):
    """What the answer to a placed order needs, read before the commit expires the order."""

    id: int
    token: str
    status: str
    payment_method: str

    @classmethod
    def of(cls, order: Order) -> _Placed:
        return cls(order.id, order.token, order.status, order.payment_method)


def _render_checkout(
    shown: CheckoutFields,
    items,
    error: str | None = None,
    sold_out: set[int] | None = None,
    status: int = 200,
    form: CheckoutForm | None = None,
):
    """The checkout page: the form's fields (with the shopper's values and messages) and the summary.

    The summary carries the server's totals for every delivery method; the page shows the one
    matching the chosen method (CSS without JavaScript, checkout.js with it), and the form sends
    the figures back so the order is never placed at a total the shopper did not see. `form` is
    the WTForms form of a form sent back, for its error summary.
    """
    cfg = current_app.config
    chosen = shown.delivery_method.value
    method = chosen if chosen in set(Delivery) else Delivery.DELIVERY
    quotes = totals_by_delivery(carts.priced_lines(items), cfg["SHIPPING_FLAT_FEE"])
    cart = items[0].line.cart if items else None
    quotes, found, problem = promotions.discounted(cart, items, quotes)
    shown.shown_total_delivery.value = str(quotes[Delivery.DELIVERY].total)
    shown.shown_total_pickup.value = str(quotes[Delivery.PICKUP].total)
    html = render_template(
        "checkout/checkout.html",
        fields=shown,
        form=form,
        items=items,
        method=method,
        quotes=quotes,
        totals=quotes[method],
        error=error,
        sold_out=sold_out or set(),
        shipping_fee=cfg["SHIPPING_FLAT_FEE"],
        discount={"code": cart.discount_code if cart else None, "quote": found, "problem": problem},
    )
    return current_app.make_response((html, status))


def _render_form(form: CheckoutForm, items, error: str | None, sold_out: set[int] | None = None, status: int = 200):
    """The checkout page for a form sent back: the shopper's values, each field's errors, a summary of them."""
    return _render_checkout(checkout_fields.for_form(form), items, error, sold_out, status, form=form)


@bp.get("/checkout")
def checkout():
    """The checkout form, with a fresh key that makes double submits place one order.

    No WTForms form is built to show it (checkout.fields): the POST validates with CheckoutForm.
    """
    # Held while the page renders: its lines' `line.cart` is then this object (the session keeps
    # only weak references), not a second SELECT of the cart.
    cart = current_cart()
    items = carts.cart_items(cart)
    if not items:
        flash(_("Your cart is empty."), "info")
        return redirect(url_for("cart.view"), code=303)
    options = _form_options()
    values = {
        "checkout_key": secrets.token_urlsafe(24),
        "country": current_app.config["SHOP_COUNTRY"],
        "pickup_store": _preselected_store(options["pickup_stores"]),
    }
    return _render_checkout(checkout_fields.for_new_form(values, **options), items)


def _preselected_store(pickup_stores: list[tuple[int, str]]) -> str | None:
    """The store the shopper chose on /stores, when it is one of the pickup stores offered."""
    chosen = chosen_store_id()
    return str(chosen) if chosen in {store_id for store_id, _label in pickup_stores} else None


@bp.post("/checkout")
def place_order():
    """Place the order: validate, take (cash) or hold (card) stock atomically, then show or pay it."""
    form = CheckoutForm(**_form_options())
    placing = form.validate_on_submit()
    if placing:
        # The cart's row lock first, its lines read after it: two tabs placing one cart take turns
        # (PostgreSQL), and the second reads the cart the first left, emptied.
        carts.lock_cart(db.session, cart_token(), utcnow())
    # Placing needs no photos; a form sent back with errors is shown with its thumbnails.
    cart = carts.find_cart_to_change(db.session, cart_token()) if placing else current_cart()
    items = carts.cart_items(cart)
    if placing and not items:
        existing = orders.find_by_checkout_key(db.session, form.checkout_key.data)
        if existing is not None:  # the same form sent twice: show (or pay) the order it already made
            return _after_placing(_Placed.of(existing), form, None)
    # A cart with lines is placed without looking the key up first: the same form sent again (a card
    # order keeps its cart) meets the UNIQUE checkout key before any stock moves, and is shown below.
    if not items:
        flash(_("Your cart is empty."), "info")
        return redirect(url_for("cart.view"), code=303)
    if form.errors:
        return _render_form(form, items, _("Please check the fields marked below."), status=422)
    try:
        placed, cart_id = _Placed.of(_place(form, cart)), cart.id
        # Read in the placing transaction: a read after the commit would open another one (on SQLite a
        # write lock in a POST) held until the request ends.
        customer_id = service.customer_of(db.session, placed.id, form.phone.normalised, (form.email.data or "").strip())
        db.session.commit()
    except (DomainError, IntegrityError) as err:
        db.session.rollback()
        # The same form sent twice at once: the other request placed the order meanwhile.
        existing = orders.find_by_checkout_key(db.session, form.checkout_key.data)
        if existing is not None:
            return _after_placing(_Placed.of(existing), form, None)
        if isinstance(err, IntegrityError):
            raise
        return _refused_checkout(form, err)
    response = _after_placing(placed, form, cart_id)
    return response if customer_id is None else remember_customer(response, customer_id)


def _place(form: CheckoutForm, cart) -> Order:
    """Place the order in this request's transaction (checkout.service), with what the request says."""
    details = _details(form)
    # place_order (the only caller) locked the cart before reading it, and leaves a key used before to
    # the UNIQUE checkout key (or looked it up, when the cart was empty).
    payment_method = method_id_of(form.payment_method.data)
    placing = service.Placing(
        form.checkout_key.data, form.shown_total, payment_method, key_checked=True, cart_locked=True
    )
    channel = orders.Channel(attribution_from_request(), chosen_store_id(), _client_hash(), str(get_locale()))
    now = utcnow()
    limits = hoarding_limits(db.session, current_app.config)
    order = service.place_order(
        db.session, cart, details, placing, now, settings=current_app.config, channel=channel, limits=limits
    )
    # The offers opt-in ticked on the form, in the same transaction as the order it came with.
    customer_offers.grant_offers_for_order(db.session, order, form.offer_channels, "checkout", now)
    return order


def _client_hash() -> str | None:
    """The HMAC of the address this checkout counts against (None: not counted by address)."""
    cfg = current_app.config
    address = counted_address(request.remote_addr, request.headers.get("X-Forwarded-For"), cfg.get("TRUST_PROXY", 0))
    if address is None:
        log.warning("X-Forwarded-For from %s but TRUST_PROXY is 0: orders not counted by address", request.remote_addr)
    return client_hash(address, cfg["SECRET_KEY"])


def _form_options() -> dict:
    """What the checkout offers: card when a provider is set up, transfer methods, and the stores for pickup."""
    choices = checkout_choices(db.session(), current_app.config["SHOP_CURRENCY"])
    return {"card": card_enabled(), "pickup_stores": choices.pickup_stores, "transfers": list(choices.transfers)}


def _after_placing(order: _Placed, form: CheckoutForm, cart_id: int | None):
    """Show a placed order, or send a card order to its payment page (the same page every time)."""
    token = order.token
    provider = provider_for(order.payment_method)
    if order.status != OrderStatus.AWAITING_PAYMENT or provider is None:
        if cart_id is not None and order.status == OrderStatus.AWAITING_TRANSFER:
            flash(_("Thank you! Your items are held for you: send the transfer as shown below."), "success")
        elif cart_id is not None:  # just placed (not the same form sent again): say thank you once
            flash(_("Thank you for your order! We have received it."), "success")
        return set_cart_cookies(redirect(url_for("checkout.view", token=token), code=303), None, 0)
    try:
        page = flows.start_checkout(
            db.session,
            provider,
            order.id,
            cart_id,
            *payment_urls(token),
            delivery_label=_("Delivery"),
            locale=str(get_locale()),
        )
    except ProviderError as err:
        # The hold is released and the cart is as it was: try again, or pay cash.
        form.checkout_key.data = secrets.token_urlsafe(24)
        message = _("%(problem)s Nothing was charged: you can try again or pay in cash.", problem=err.message)
        return _render_form(form, carts.cart_items(current_cart()), message, status=err.status_code)
    return set_cart_cookies(redirect(page.url, code=303), None, 0)


def _refused_checkout(form: CheckoutForm, err: DomainError):
    """The checkout again, saying what went wrong; the cart is untouched (the order rolled back)."""
    items = carts.cart_items(current_cart())
    if isinstance(err, CodeRefused | CodeUsedUp):
        return _render_form(form, items, promotions.refusal_message(err), status=err.status_code)
    if not isinstance(err, OutOfStock):
        return _render_form(form, items, err.message, status=err.status_code)
    names = ", ".join(i.variant.label for i in items if i.variant.id in err.variant_ids)
    message = _(
        "Sorry, not enough left of: %(items)s. The rest of your cart is kept; please change or remove these items.",
        items=names,
    )
    return _render_form(form, items, message, set(err.variant_ids), 409)


def _details(form: CheckoutForm) -> orders.CheckoutDetails:
    """The validated form as plain checkout details (address only for deliveries)."""
    delivering = form.delivery_method.data == Delivery.DELIVERY

    def text(field) -> str:
        return (field.data or "").strip()

    return orders.CheckoutDetails(
        customer_name=text(form.customer_name),
        phone=form.phone.normalised,
        email=text(form.email).lower(),
        delivery_method=form.delivery_method.data,
        payment_method=PaymentMethod.TRANSFER if method_id_of(form.payment_method.data) else form.payment_method.data,
        street=text(form.street) if delivering else "",
        city=text(form.city) if delivering else "",
        region=text(form.region) if delivering else "",
        postcode=text(form.postcode) if delivering else "",
        country=form.country.data if delivering else "",
        note=text(form.note),
        pickup_store_id=form.pickup_store_id,
    )


@bp.get("/o/<token>")
def view(token: str):
    """The order page: lines, totals, delivery or pickup details and the status timeline. No login."""
    return _render_order(*service.order_page(db.session, token))


@bp.post("/o/<token>/transfer")
def transfer_claim(token: str):
    """The shopper tells us the transaction id of their transfer (a hint for staff; shape checked)."""
    order = orders.find_order(db.session, token)
    raw = request.form.get("transaction_id", "")[:80]
    try:
        transfers.claim_transaction(db.session, order, raw, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        order, facts = service.order_page(db.session, token)
        return _render_order(order, facts, transfer_error=err.message, transfer_value=raw, status=err.status_code)
    flash(_("Thank you: we will check the transfer and confirm your order."), "success")
    return redirect(url_for("checkout.view", token=token) + "#payment", code=303)


def _render_order(
    order: Order,
    facts: service.OrderFacts,
    transfer_error: str | None = None,
    transfer_value: str = "",
    status: int = 200,
):
    """The order page (with the transfer form's message and value when it was refused)."""
    reached = {change.to_status: change.created_at for change in order.history}
    store = facts.store
    html = render_template(
        "checkout/order.html",
        order=order,
        timeline=TIMELINE[Delivery(order.delivery_method)],
        reached=reached,
        payment=facts.payment,
        transfer=facts.transfer,
        store=store,
        address=_delivery_address(order),
        store_address=_store_address(store.store) if store is not None else [],
        transfer_error=transfer_error,
        transfer_value=transfer_value,
    )
    return current_app.make_response((html, status))


def _delivery_address(order: Order) -> list[str]:
    """The delivery address as its country writes it, ending with the country's name in the shopper's language."""
    if order.delivery_method != Delivery.DELIVERY:
        return []
    lines = address_lines(
        order.country, street=order.street, city=order.city, region=order.region, postcode=order.postcode
    )
    country = (order.country or "").upper()
    return [*lines, get_locale().territories.get(country, country)] if country else lines


def _store_address(store: Store) -> list[str]:
    """A store's address as the shop's country writes it (stores are in the shop's country)."""
    country = current_app.config["SHOP_COUNTRY"]
    return address_lines(country, street=store.address, city=store.city, region="", postcode=store.postcode)
