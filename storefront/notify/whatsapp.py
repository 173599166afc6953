"""WhatsApp, the owner's own channel: a wa.me link with the order's news already typed, in the shopper's language.

No API account: the link opens WhatsApp on the owner's (or seller's) phone with the customer's number
and a prefilled message; they read it and press send themselves. The text says where the order stands
now (one sentence per lifecycle status) and always ends with the order's own page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import current_app, request, url_for
from flask_babel import force_locale, gettext
from sqlalchemy.orm import Session

from ..aftersales.models import AftersalesRequest
from ..aftersales.rules import Status as RequestStatus
from ..brand.web import current_brand
from ..core.templating import money
from ..domain import N_
from ..orders.limit_rules import whatsapp_number
from ..orders.models import Order
from ..orders.rules import OrderStatus
from . import service

S = OrderStatus

# What the message says for each status, after "Hello <name>," (every status has one: the owner may
# write at any step). The order's page follows on its own line.
STATE_TEXTS: dict[OrderStatus, str] = {
    S.AWAITING_PAYMENT: N_("your order %(ref)s (%(total)s) is waiting for your payment; you can pay here:"),
    S.AWAITING_TRANSFER: N_("your order %(ref)s (%(total)s) is waiting for your transfer; the details are here:"),
    S.UNPAID: N_("your order %(ref)s was not placed: the time to pay ran out. Its page:"),
    S.PLACED: N_("we received your order %(ref)s, total %(total)s."),
    S.CONFIRMED: N_("your order %(ref)s is confirmed."),
    S.PACKED: N_("your order %(ref)s is packed."),
    S.SHIPPED: N_("your order %(ref)s is on its way."),
    S.READY_FOR_PICKUP: N_("your order %(ref)s is ready for pickup at %(store)s."),
    S.DELIVERED: N_("your order %(ref)s was delivered."),
    S.COLLECTED: N_("thank you for collecting your order %(ref)s."),
    S.CANCELLED: N_("your order %(ref)s was cancelled."),
}

R = RequestStatus

# The same for an after-sales request, per its status (the admin request page's button).
REQUEST_TEXTS: dict[RequestStatus, str] = {
    R.REQUESTED: N_("we received your request about order %(ref)s and will answer soon. Its page:"),
    R.ACCEPTED: N_("your request about order %(ref)s is accepted; please send the items back. Its page:"),
    R.REFUSED: N_("we could not accept your request about order %(ref)s. The reason is on its page:"),
    R.RECEIVED: N_("the items you sent back for order %(ref)s have arrived."),
    R.REFUNDED: N_("the refund for your request about order %(ref)s is on its way."),
    R.REPLACED: N_("the replacement for order %(ref)s is on its way."),
    R.ANSWERED: N_("we answered your request about order %(ref)s on its page:"),
    R.RESOLVED: N_("your request about order %(ref)s is resolved."),
    R.WITHDRAWN: N_("you withdrew your request about order %(ref)s."),
}


@dataclass(frozen=True)
class WhatsAppMessage:
    """A ready link to one customer: the number, the prefilled text, and the wa.me address with both."""

    number: str  # international digits
    text: str
    url: str
    status: str  # the order's status the text speaks of
    locale: str  # the language of the text (the order's)


def wa_link(number: str, text: str = "") -> str:
    """https://wa.me/<digits>?text=<url-encoded text> (no text: just the chat)."""
    digits = "".join(c for c in number if c.isdigit())
    return f"https://wa.me/{digits}?text={quote(text, safe='')}" if text else f"https://wa.me/{digits}"


def order_text(context: dict[str, Any], status: str, url: str) -> str:
    """The message for an order in `status`, from service.order_context values, in the current locale."""
    try:
        sentence = STATE_TEXTS[OrderStatus(status)]
    except (ValueError, KeyError):
        sentence = STATE_TEXTS[S.PLACED]
    name = (context.get("name") or "").strip()
    greeting = gettext("Hello %(name)s,", name=name) if name else gettext("Hello,")
    values = {
        "ref": context["ref"],
        "total": money(context["total"], context["currency"]),
        "store": context.get("store") or current_brand().name,
    }
    return f"{greeting} {gettext(sentence, **values)}\n{url}"


def request_text(context: dict[str, Any], status: str, url: str) -> str:
    """The message for an after-sales request in `status`, in the current locale (the order's page follows)."""
    try:
        sentence = REQUEST_TEXTS[RequestStatus(status)]
    except (ValueError, KeyError):
        sentence = REQUEST_TEXTS[R.REQUESTED]
    name = (context.get("name") or "").strip()
    greeting = gettext("Hello %(name)s,", name=name) if name else gettext("Hello,")
    return f"{greeting} {gettext(sentence, ref=context['ref'])}\n{url}"


def order_url(order: Order) -> str:
    """The shopper's order page on the shop's public address (SHOP_URL when set)."""
    path = url_for("checkout.view", token=order.token)
    if current_app.config.get("SHOP_URL"):
        return service.base_url().rstrip("/") + path[len(request.script_root) :]
    return url_for("checkout.view", token=order.token, _external=True)


def for_order(session: Session, order: Order) -> WhatsAppMessage | None:
    """The link to the order's customer with its current news, or None when their WhatsApp number cannot be known."""
    number = whatsapp_number(order.phone, current_app.config.get("SHOP_CALLING_CODE", ""))
    if not number:
        return None
    context = service.order_context(session, order)
    locale = order.locale or current_app.config.get("SHOP_LOCALE", "en")
    with force_locale(locale):
        text = order_text(context, order.status, order_url(order))
    return WhatsAppMessage(number=number, text=text, url=wa_link(number, text), status=order.status, locale=locale)


def for_request(session: Session, request: AftersalesRequest) -> WhatsAppMessage | None:
    """The link to a request's customer with where the request stands, or None when their number cannot be known."""
    order = request.order
    number = whatsapp_number(order.phone, current_app.config.get("SHOP_CALLING_CODE", ""))
    if not number:
        return None
    context = service.order_context(session, order)
    locale = order.locale or current_app.config.get("SHOP_LOCALE", "en")
    with force_locale(locale):
        text = request_text(context, request.status, order_url(order))
    return WhatsAppMessage(number=number, text=text, url=wa_link(number, text), status=request.status, locale=locale)
