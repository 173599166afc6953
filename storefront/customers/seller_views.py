"""The seller's own customers at /seller/customers: those they brought, their credited orders, a WhatsApp follow-up.

Contacts are masked unless the owner allows sellers to see them (SellerSettings.show_customer_contacts).
While masked, the customer's number never appears in the page: the follow-up is a POST to this
blueprint that answers 303 to wa.me, so only a deliberate tap on one order hands the number to the
seller's WhatsApp (which shows it anyway), and a page left open, saved or screenshotted does not.
With full contacts the page links to wa.me directly. The message does not link to the order's page:
its address is the shopper's key to their address and payment details.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..brand.web import current_brand
from ..core.ratelimit import too_many_answered
from ..core.security import private_blueprint
from ..extensions import db, limiter, rate_limits_off
from ..orders.limit_rules import whatsapp_number
from ..orders.models import Order
from ..sellers.access import require_seller
from . import for_seller, rules
from .models import Customer

log = logging.getLogger(__name__)
bp = Blueprint("seller_customers", __name__, url_prefix="/seller")
private_blueprint(bp)
bp.before_request(require_seller)  # signed-in sellers only; every query below is scoped to g.seller


@bp.before_request
def _only_active_sellers():
    """A seller the owner disabled keeps their statements, not their customers' contacts (403)."""
    if not g.seller.active:
        abort(403)


MAX_PAGE = 10_000


@dataclass(frozen=True)
class FollowUp:
    """A prefilled WhatsApp message about one order, in the customer's language."""

    text: str
    url: str  # https://wa.me/<digits>?text=...
    locale: str


@bp.get("/customers")
def index():
    """The customers this seller brought (latest order first), searched by name, 20 a page."""
    query = " ".join((request.args.get("q") or "").split())[:100]
    page = _page(request.args.get("page"))
    rows, total = for_seller.customers_page(db.session, g.seller.id, query, page)
    pages = max(1, -(-total // for_seller.PER_PAGE))
    return render_template(
        "customers/seller_customers.html",
        rows=rows,
        total=total,
        query=query,
        page=page,
        pages=pages,
        full=for_seller.show_full_contacts(db.session),
        contact=_contact,
    )


@bp.get("/customers/<int:customer_id>")
def detail(customer_id: int):
    """One customer's orders credited to this seller, each with its state and a follow-up on WhatsApp."""
    customer = _brought(customer_id)
    orders = for_seller.orders_for_seller(db.session, g.seller.id, customer.id)
    stores = for_seller.pickup_stores(db.session, [o.id for o in orders])
    full = for_seller.show_full_contacts(db.session)
    number = whatsapp_number(customer.phone, current_app.config.get("SHOP_CALLING_CODE", ""))
    follow_ups = {o.id: follow_up(customer, o, stores.get(o.id, ""), number) for o in orders}
    return render_template(
        "customers/seller_customer.html",
        customer=customer,
        orders=orders,
        follow_ups=follow_ups,
        full=full,
        contact=_contact,
    )


def _follow_up_limit() -> str:
    """Follow-ups a seller may open (SELLER_FOLLOWUP_RATE_LIMIT): each one hands a customer's number to WhatsApp."""
    return current_app.config.get("SELLER_FOLLOWUP_RATE_LIMIT", "60 per hour")


def _per_seller() -> str:
    return f"seller-follow-up:{current_user.get_id()}"


@bp.post("/customers/<int:customer_id>/whatsapp/<int:order_id>")
@too_many_answered(_l("You opened many follow-ups in a short time. Please wait a little and try again."))
@limiter.limit(_follow_up_limit, key_func=_per_seller, exempt_when=rate_limits_off)
def whatsapp(customer_id: int, order_id: int):
    """Open WhatsApp with the follow-up of one of this seller's orders (303 to wa.me; the number stays off the page).

    Limited per seller and logged: with masked contacts this is how a seller reaches a number, so
    collecting every customer's number in bulk is refused and leaves a trace.
    """
    customer = _brought(customer_id)
    order = for_seller.order_for_seller(db.session, g.seller.id, customer.id, order_id)
    if order is None:
        abort(404)
    log.info("seller %s opened the follow-up of order %s (customer %s)", g.seller.code, order.reference, customer.id)
    stores = for_seller.pickup_stores(db.session, [order.id])
    number = whatsapp_number(customer.phone, current_app.config.get("SHOP_CALLING_CODE", ""))
    message = follow_up(customer, order, stores.get(order.id, ""), number)
    if message is None:
        flash(_("There is no WhatsApp message for this order."), "error")
        return redirect(url_for("seller_customers.detail", customer_id=customer.id), code=303)
    return redirect(message.url, code=303)


def follow_up(customer: Customer, order: Order, store: str, number: str | None) -> FollowUp | None:
    """The order's follow-up in the customer's language (else the shop's); None without one or a number."""
    message_id = rules.follow_up_message(order.status)
    if message_id is None or not number:
        return None
    locale = customer_locale(customer.locale)
    name = (order.customer_name or customer.name or "").strip()
    with force_locale(locale):
        text = gettext(message_id, name=name, ref=order.reference, store=store or current_brand().name)
    digits = "".join(ch for ch in number if ch.isdigit())
    return FollowUp(text=text, url=f"https://wa.me/{digits}?text={quote(text, safe='')}", locale=locale)


def customer_locale(locale: str) -> str:
    """The customer's language when the shop speaks it, else the shop's."""
    wanted = (locale or "").replace("-", "_")
    supported = current_app.config.get("SUPPORTED_LOCALES") or []
    return wanted if wanted in supported else current_app.config.get("SHOP_LOCALE", "en")


def _contact(customer: Customer, full: bool) -> tuple[str, str]:
    """(phone, email) as this seller may see them: in full, or masked."""
    if full:
        return customer.phone, customer.email
    code = current_app.config.get("SHOP_CALLING_CODE", "")
    return rules.mask_phone(customer.phone, code), rules.mask_email(customer.email)


def _brought(customer_id: int) -> Customer:
    """The customer when this seller brought them, else 404 (whether or not the customer exists)."""
    customer = for_seller.customer_for_seller(db.session, g.seller.id, customer_id)
    if customer is None:
        abort(404)
    return customer


def _page(raw: str | None) -> int:
    """A page number from the query string; anything odd is page 1 (bounded: no huge offsets)."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 5:
        return 1
    return min(max(1, int(text)), MAX_PAGE)
