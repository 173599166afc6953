"""Back in stock for shoppers: "tell me when it's back" on a sold-out variant, the request's own page,
and the push offer's label on the order page.

Routes on the notify blueprint (private: each page's link is its key). Every step works with forms
and no script: ask (with an email, or with none and then turn on notifications on the request's
page), add or change the email later, cancel. The product page's form holds nothing of the visitor
but its CSRF hole, so the page stays in the page cache; only a refused form re-shows it uncached.

An empty email is allowed on purpose: the shopper who wants the news on this device presses the
push button on the next page (the push subscription needs the request's token, which exists only
once the request does). That page says plainly that nothing will reach them until they do one or
the other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address

from ..auth.rules import normalise_email
from ..catalog.models import Variant
from ..catalog.pages import render_product
from ..clock import utcnow
from ..core.ratelimit import too_many_answered
from ..customers import service as customers
from ..domain import N_, Conflict, DomainError, Invalid, NotFound
from ..extensions import db, limiter, rate_limits_off
from ..orders.models import Order
from ..orders.rules import Delivery, OrderStatus
from . import rules, service
from .models import StockWatch
from .views import bp

# Per client address: enough for a family asking about a few sizes, too few to fill the table.
WATCH_RATE_LIMIT = "10 per hour;30 per day"
WATCH_FORM = "notify_watch_form"  # on g: a refused form's values, read by templates/notify/_back_in_stock.html
MAX_ID = 2**31 - 1  # an id past PostgreSQL's integer is no variant (and must not reach the query)
# Orders with nothing more to tell: no push offer on their page.
NO_NEWS_AHEAD = frozenset({OrderStatus.DELIVERED, OrderStatus.COLLECTED, OrderStatus.CANCELLED, OrderStatus.UNPAID})


def _watch_rate_limit() -> str:
    """The limit in force per address (setting WATCH_RATE_LIMIT, else WATCH_RATE_LIMIT above)."""
    return current_app.config.get("WATCH_RATE_LIMIT") or WATCH_RATE_LIMIT


_too_many_answered = too_many_answered(
    _l("You have asked for many reminders from this address. Please try again later.")
)


# -- asking ------------------------------------------------------------------------------------


@bp.post("/back-in-stock")
@_too_many_answered
@limiter.limit(_watch_rate_limit, key_func=get_remote_address, exempt_when=rate_limits_off)
def back_in_stock():
    """Start a "tell me when it's back" for a sold-out variant, then show its page (303).

    A variant not on sale is 404, one in stock now 409 (the product page again, saying so), a
    malformed email 422 (the product page again, the message at the field); nothing is stored.
    """
    variant_id = _variant_id(request.form.get("variant_id"))
    email = request.form.get("email", "")[:320]
    offers = request.form.get("offers_email") == "1"
    _check_offered(variant_id)
    try:
        now = utcnow()
        watch = service.watch_variant(db.session, variant_id, email, str(get_locale()), now)
        _grant_offers(watch, offers, now)
        db.session.commit()
    except (Invalid, Conflict) as err:
        db.session.rollback()
        return _product_again(variant_id, err, email, offers)
    return redirect(url_for("notify.watch", token=watch.token), code=303)


def _grant_offers(watch: StockWatch, ticked: bool, now: datetime) -> None:
    """The offers opt-in ticked on the form: email offers for the customer of that address."""
    if not ticked or not watch.email:
        return
    customer_id = customers.customer_id_for_email(db.session, watch.email, now)
    if customer_id is not None:
        customers.grant_offers(db.session, customer_id, ["email"], "watch", now)


def _variant_id(raw: str | None) -> int:
    """The form's variant id, or 400 (a tampered form: nothing to re-show)."""
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10 or not 0 < int(text) <= MAX_ID:
        raise Invalid(N_("Choose which one you want to hear about."))
    return int(text)


def _check_offered(variant_id: int) -> None:
    """NotFound unless the variant is still offered (not archived) and the owner takes back-in-stock requests."""
    if not service.back_in_stock_offered(db.session):
        raise NotFound(N_("The shop does not take back-in-stock requests at the moment."))
    variant = db.session.get(Variant, variant_id)
    if variant is None or variant.archived or not variant.product.published:
        raise NotFound(N_("That product is not on sale."))


def _product_again(variant_id: int, err: DomainError, email: str, offers: bool = False):
    """The product page again with the refusal: a bad email at the form's field, anything else on top."""
    variant = db.session.get(Variant, variant_id)
    if isinstance(err, Invalid):
        setattr(g, WATCH_FORM, {"variant_id": variant_id, "email": email[:254], "offers": offers, "error": err.message})
        return render_product(variant.product, status=err.status_code)
    return render_product(variant.product, error=err.message, status=err.status_code)


# -- the request's own page ----------------------------------------------------------------------


@bp.get("/watch/<token>")
def watch(token: str):
    """What the shopper asked about and where it stands; turn on push, add an email, or cancel."""
    return _watch_page(service.find_watch(db.session, token))


@bp.post("/watch/<token>/email")
@_too_many_answered
@limiter.limit(_watch_rate_limit, key_func=get_remote_address, exempt_when=rate_limits_off)
def watch_email(token: str):
    """Give (or change) the email an open request is answered at."""
    found = service.find_watch(db.session, token)
    if _state(found, utcnow()) != "open":
        raise Conflict(N_("That request is closed."))
    raw = request.form.get("email", "")[:320]
    try:
        found.email = normalise_email(raw)
        db.session.commit()
    except Invalid as err:
        db.session.rollback()
        return _watch_page(found, email_error=err.message, email_value=raw[:254], status=err.status_code)
    flash(_("Saved: we will email you at %(email)s when it is back.", email=found.email), "success")
    return redirect(url_for("notify.watch", token=token), code=303)


@bp.post("/watch/<token>/cancel")
def cancel_watch(token: str):
    """The shopper no longer wants to hear about it (by email or on any device)."""
    found = service.find_watch(db.session, token)
    service.cancel_watch(db.session, found, utcnow())
    db.session.commit()
    flash(_("Done: your request is cancelled."), "success")
    return redirect(url_for("notify.watch", token=token), code=303)


def _watch_page(watch: StockWatch, *, email_error: str | None = None, email_value: str = "", status: int = 200):
    """The request's page (with the email form's message and value when it was refused)."""
    variant = db.session.get(Variant, watch.variant_id)
    product = variant.product
    state = _state(watch, utcnow())
    html = render_template(
        "notify/watch.html",
        watch=watch,
        variant=variant,
        product=product,
        named_variant=variant.name if len(product.active_variants) > 1 else "",
        state=state,
        in_stock_now=state == "open" and product.published and variant.available > 0,
        email_error=email_error,
        email_value=email_value,
    )
    return html, status


def _state(watch: StockWatch, now: datetime) -> str:
    """'cancelled', 'notified' (the news went out), 'expired' (too old to be answered) or 'open'."""
    if watch.cancelled_at is not None:
        return "cancelled"
    if watch.notified_at is not None:
        return "notified"
    if watch.created_at < now - timedelta(days=rules.WATCH_DAYS):
        return "expired"
    return "open"


@bp.app_template_global("back_in_stock_offered")
def back_in_stock_offered_here() -> bool:
    """For the product page: does the shop take back-in-stock requests (a switch change renews cached pages)."""
    return service.back_in_stock_offered(db.session)


# -- the order page's push offer -----------------------------------------------------------------


@bp.app_template_global()
def order_push_label(order: Order) -> str:
    """The order page's push button text, or "" when the order has no news ahead (no offer then)."""
    status = OrderStatus(order.status)
    if status in NO_NEWS_AHEAD:
        return ""
    if status in (OrderStatus.SHIPPED, OrderStatus.READY_FOR_PICKUP):
        return _("Tell me on this device how my order goes on")
    if order.delivery_method == Delivery.PICKUP:
        return _("Tell me on this device when it is ready for pickup")
    return _("Tell me on this device when my order ships")
