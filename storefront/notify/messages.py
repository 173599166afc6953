"""What each message says, in the recipient's language: title, body and the page it opens.

`render` runs inside `flask_babel.force_locale(locale)` and a request context whose base URL is the
shop's public address (service.rendering does both), so `url_for(..., _external=True)` and money
formatting follow the recipient, not whoever caused the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from flask import request, url_for
from flask_babel import format_datetime, gettext, ngettext

from ..brand.web import current_brand
from ..core.templating import money
from ..customers import consent
from ..domain import N_
from . import rules
from .rules import Kind

TITLE_CHARS, BODY_CHARS = 120, 400


@dataclass(frozen=True)
class Message:
    """One rendered message, ready for a channel."""

    kind: str
    title: str
    body: str
    url: str  # absolute: the page the message opens
    tag: str  # a newer message with the same tag replaces the older one on the device
    lang: str
    urgency: str
    ttl: int
    about_order: bool


def render(kind: str, context: dict[str, Any], locale: str) -> Message:
    """The message of `kind` from `context` (what service stored when it was queued), in `locale`."""
    kind = Kind(kind)
    title, body, url, tag = _TEXTS[kind](context)
    return Message(
        kind=kind.value,
        title=title[:TITLE_CHARS],
        body=body[:BODY_CHARS],
        url=url,
        tag=tag,
        lang=locale.replace("_", "-"),
        urgency=rules.urgency(kind),
        ttl=rules.ttl(kind),
        about_order=rules.about_order(kind),
    )


def push_payload(message: Message) -> dict[str, str]:
    """What the service worker receives (static contract: service-worker.js reads these keys).

    The url is relative (path, query and fragment of the message's own): the worker resolves it against
    its own origin, so a push opens the shop it came from whatever address the shop was told it has.
    """
    return {
        "title": message.title,
        "body": message.body,
        "url": relative_url(message.url),
        "tag": message.tag,
        "lang": message.lang,
    }


def relative_url(url: str) -> str:
    """The path, query and fragment of an absolute URL ("/" when it has no path)."""
    parts = urlsplit(url)
    path = "/" + parts.path.lstrip("/")  # never "//host/...": that would name another origin
    return urlunsplit(("", "", path, parts.query, parts.fragment))


def _shop() -> str:
    return current_brand().name


def _total(context: dict[str, Any], key: str = "total") -> str:
    return money(context[key], context["currency"])


def _order_url(context: dict[str, Any]) -> str:
    return url_for("checkout.view", token=context["token"], _external=True)


def _admin_order_url(context: dict[str, Any]) -> str:
    return url_for("admin.order_detail", reference=context["ref"], _external=True)


def _order(title: str, body: str):
    """A shopper's order news: the texts, the order page, one notification per order on the device."""

    def texts(context: dict[str, Any]) -> tuple[str, str, str, str]:
        values = {
            "ref": context["ref"],
            "shop": _shop(),
            "total": _total(context),
            "store": context.get("store") or _shop(),
            "amount": _total(context, "amount") if "amount" in context else "",
            "until": format_datetime(_instant(context["until"]), "short") if context.get("until") else "",
        }
        return gettext(title, **values), gettext(body, **values), _order_url(context), f"order-{context['ref']}"

    return texts


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _back_in_stock(context: dict[str, Any]) -> tuple[str, str, str, str]:
    title = gettext("%(product)s is back in stock", product=context["product"])
    if context.get("variant"):
        body = gettext(
            "%(variant)s is available again at %(shop)s. Get it before it sells out.",
            variant=context["variant"],
            shop=_shop(),
        )
    else:
        body = gettext("It is available again at %(shop)s. Get it before it sells out.", shop=_shop())
    url = url_for("catalog.product", slug=context["slug"], _external=True)
    return title, body, url, f"stock-{context['variant_id']}"


def _marketing(context: dict[str, Any]) -> tuple[str, str, str, str]:
    """An offer (notify.marketing): the owner's texts as given, then the one-click opt-out link, never cut off."""
    optout = consent.optout_url(context["customer_id"], context["channel"], context["key"])
    stop = gettext("No more offers like this: %(url)s", url=optout)
    body = context.get("body", "")[: max(BODY_CHARS - len(stop) - 2, 0)].rstrip()
    text = f"{body}\n\n{stop}" if body else stop
    url = urljoin(request.url_root, relative_url(context.get("url") or "/").lstrip("/"))
    return context.get("title", ""), text, url, f"offer-{context['key']}"[:64]


def _new_order(context: dict[str, Any]) -> tuple[str, str, str, str]:
    title = gettext("New order %(ref)s: %(total)s", ref=context["ref"], total=_total(context))
    items = ngettext("%(num)s item", "%(num)s items", context["items"])
    if context.get("delivery") == "pickup":
        how = gettext("pickup at %(store)s", store=context["store"]) if context.get("store") else gettext("pickup")
    else:
        how = gettext("delivery to %(city)s", city=context["city"]) if context.get("city") else gettext("delivery")
    body = gettext("%(items)s, %(how)s, from %(name)s", items=items, how=how, name=context["name"])
    # A seller hears of their own customers' orders and follows them on their dashboard, not in the admin.
    url = url_for("seller.dashboard", _external=True) if context.get("audience") == "seller" else None
    return title, body, url or _admin_order_url(context), f"admin-order-{context['ref']}"


PAYMENT_PROBLEMS = {
    "failed": N_("A card payment failed or its time ran out; the items went back on sale."),
    "disputed": N_(
        "The shopper's bank opened a dispute on the payment. Answer it in the payment provider's dashboard."
    ),
    "refund_reversed": N_("A refund failed at the payment provider: the money is owed to the shopper again."),
}


def _payment_problem(context: dict[str, Any]) -> tuple[str, str, str, str]:
    title = gettext("Payment problem on order %(ref)s", ref=context["ref"])
    problem = context.get("problem", "failed")
    body = gettext(PAYMENT_PROBLEMS.get(problem, PAYMENT_PROBLEMS["failed"]))
    return title, body, _admin_order_url(context), f"admin-payment-{context['ref']}"


def _stock_low(context: dict[str, Any]) -> tuple[str, str, str, str]:
    title = gettext("Running low: %(product)s", product=context["product"])
    body = ngettext(
        "%(variant)s: %(num)s left (you asked to hear at %(threshold)s).",
        "%(variant)s: %(num)s left (you asked to hear at %(threshold)s).",
        context["available"],
        variant=context.get("variant") or context["product"],
        threshold=context["threshold"],
    )
    url = url_for("admin.stock", q=context.get("sku") or context["product"], _external=True)
    return title, body, url, f"admin-stock-{context['variant_id']}"


def _job_failing(context: dict[str, Any]) -> tuple[str, str, str, str]:
    title = gettext("A background job keeps failing")
    body = ngettext(
        "%(name)s gave up after %(num)s attempt: %(error)s",
        "%(name)s gave up after %(num)s attempts: %(error)s",
        context["attempts"],
        name=context["name"],
        error=context.get("error", "")[:200],
    )
    return title, body, url_for("admin.jobs_overview", _external=True), f"admin-job-{context['job_id']}"


REQUEST_KINDS = {"return": N_("return"), "exchange": N_("exchange"), "problem": N_("problem report")}


def _request_kind(context: dict[str, Any]) -> str:
    """The request's kind in the reader's language ("return", "exchange", "problem report")."""
    return gettext(REQUEST_KINDS.get(context.get("request_kind", ""), REQUEST_KINDS["problem"]))


def _aftersales(title: str, body: str):
    """A shopper's after-sales news: the texts, the order page (the request is shown there), one per request."""

    def texts(context: dict[str, Any]) -> tuple[str, str, str, str]:
        values = {"ref": context["ref"], "shop": _shop()}
        title_text = gettext(title, **values)
        body_text = gettext(body, **values, note=context.get("note") or "")
        return title_text, body_text, _order_url(context), f"aftersales-{context['request_id']}"

    return texts


def _aftersales_alert(context: dict[str, Any]) -> tuple[str, str, str, str]:
    values = {"ref": context["ref"], "what": _request_kind(context), "name": context.get("name") or ""}
    if context.get("what") == "message":
        title = gettext("New message on an after-sales request (%(what)s) for order %(ref)s", **values)
        body = gettext("%(name)s wrote a message. Answer on the request's page.", **values)
    else:
        title = gettext("After-sales request (%(what)s) for order %(ref)s", **values)
        body = gettext("From %(name)s. Look at it and accept, refuse or answer.", **values)
    url = url_for("admin.aftersales_detail", request_id=context["request_id"], _external=True)
    return title, body, url, f"admin-aftersales-{context['request_id']}"


def _test_alert(context: dict[str, Any]) -> tuple[str, str, str, str]:
    title = gettext("Test alert from %(shop)s", shop=_shop())
    return title, gettext("Your alerts reach you here."), url_for("notify.alerts", _external=True), "alert-test"


_TEXTS = {
    Kind.ORDER_PLACED: _order(
        N_("Order %(ref)s received"),
        N_("Thank you! %(shop)s has your order for %(total)s. We will tell you as it moves on."),
    ),
    Kind.AWAITING_TRANSFER: _order(
        N_("Order %(ref)s: waiting for your transfer"),
        N_("Send %(total)s by transfer to complete your order. Its page has the details."),
    ),
    Kind.ORDER_CONFIRMED: _order(N_("Order %(ref)s confirmed"), N_("%(shop)s is getting your order ready.")),
    Kind.ORDER_SHIPPED: _order(N_("Order %(ref)s is on its way"), N_("Your order has left %(shop)s.")),
    Kind.ORDER_READY: _order(N_("Order %(ref)s is ready for pickup"), N_("Collect it at %(store)s.")),
    Kind.ORDER_DELIVERED: _order(
        N_("Order %(ref)s delivered"), N_("Enjoy it! If anything is wrong, contact %(shop)s.")
    ),
    Kind.ORDER_COLLECTED: _order(N_("Order %(ref)s collected"), N_("Thank you for shopping with %(shop)s.")),
    Kind.ORDER_CANCELLED: _order(
        N_("Order %(ref)s cancelled"), N_("Your order was cancelled. Anything you paid comes back to you.")
    ),
    Kind.ORDER_REFUNDED: _order(N_("Refund for order %(ref)s"), N_("%(amount)s is on its way back to you.")),
    Kind.PAYMENT_FAILED: _order(
        N_("Order %(ref)s was not placed"),
        N_("The time to pay ran out, so the items are back on sale. Contact %(shop)s if you already paid."),
    ),
    Kind.FINISH_PAYING: _order(
        N_("Finish paying for order %(ref)s"), N_("We keep your items for you until %(until)s.")
    ),
    Kind.AFTERSALES_ACCEPTED: _aftersales(
        N_("Your request for order %(ref)s is accepted"),
        N_("%(shop)s accepted your request. Send the items back as agreed; we tell you when they arrive."),
    ),
    Kind.AFTERSALES_REFUSED: _aftersales(
        N_("Your request for order %(ref)s was refused"), N_("%(shop)s could not accept it: %(note)s")
    ),
    Kind.AFTERSALES_RECEIVED: _aftersales(
        N_("We received your items for order %(ref)s"),
        N_("%(shop)s has the items you sent back and will finish your request soon."),
    ),
    Kind.AFTERSALES_REPLACED: _aftersales(
        N_("Your replacement for order %(ref)s is on its way"),
        N_("%(shop)s is sending the size or colour you asked for."),
    ),
    Kind.AFTERSALES_REPLY: _aftersales(
        N_("%(shop)s answered about order %(ref)s"), N_("Read the answer on your order's page.")
    ),
    Kind.BACK_IN_STOCK: _back_in_stock,
    Kind.MARKETING: _marketing,
    Kind.ALERT_NEW_ORDER: _new_order,
    Kind.ALERT_PAYMENT: _payment_problem,
    Kind.ALERT_STOCK_LOW: _stock_low,
    Kind.ALERT_JOB_FAILING: _job_failing,
    Kind.ALERT_AFTERSALES: _aftersales_alert,
    Kind.ALERT_TEST: _test_alert,
}
