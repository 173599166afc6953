"""Payment routes: the provider's webhook, the shopper's return and "pay now", and refunds in admin.

The webhook and the shopper's return both call flows.fulfil_checkout, which owns its short
transactions (see flows.py), so these views never commit themselves.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..clock import utcnow
from ..core.security import accepts_json, private_blueprint
from ..db import write_transaction
from ..extensions import csrf, db, limiter
from ..orders import service as orders
from ..orders.rules import OrderStatus, PaymentMethod
from . import expiry, flows, news, rules, service
from .provider import ProviderError, WebhookRejected, provider_for
from .rules import PaymentStatus, PaymentWindow
from .web import payment_urls

log = logging.getLogger(__name__)
bp = Blueprint("payments", __name__)
private_blueprint(bp, secret_urls=True)

# Checkout Session events we act on; every other type is acknowledged and ignored.
HANDLED_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
    }
)
# Money moved after checkout, in Stripe's dashboard or by the shopper's bank (payments/news.py).
MONEY_EVENTS = frozenset(
    {
        "charge.refunded",
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
    }
)


@bp.post("/stripe/webhook")
@accepts_json
@csrf.exempt
@limiter.exempt
def stripe_webhook():
    """Stripe's notifications: verified on the raw body, applied once, answered 2xx when done."""
    provider = provider_for(PaymentMethod.CARD)
    if provider is None:
        abort(404)
    try:
        event = provider.parse_event(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    except WebhookRejected as exc:
        log.warning("webhook refused: %s", exc)
        return jsonify(error="invalid_signature", message="The signature, timestamp or body is not valid."), 400
    except ProviderError as err:  # the charge's refunds could not be fetched: Stripe retries later
        return jsonify(error=err.code, message=str(err)), 503
    if event.type in MONEY_EVENTS:
        with write_transaction(db.session):
            applied = news.apply_money_news(db.session, event, provider.method, utcnow())
        return jsonify(received=True, handled=True, applied=applied)
    if event.type not in HANDLED_EVENTS or not event.session_ref:
        return jsonify(received=True, handled=False)
    known = service.knows_session(db.session, event.session_ref)
    db.session.rollback()  # end the read (on SQLite a POST's transaction holds the write lock): Stripe is next
    if not known:
        # Not a page this shop opened (another integration on the account, or one replaced by a
        # new page): nothing to do, and a non-2xx answer would have Stripe retry it for days.
        log.info("webhook %s %s: unknown payment page %s, ignored", event.id, event.type, event.session_ref)
        return jsonify(received=True, handled=False, known=False)
    try:
        outcome = flows.fulfil_checkout(db.session, provider, event.session_ref, notification=event)
    except ProviderError as err:  # Stripe retries a non-2xx answer later
        return jsonify(error=err.code, message=str(err)), 503
    return jsonify(received=True, handled=True, known=outcome.known)


@bp.get("/o/<token>/paid")
def returned(token: str):
    """The shopper is back from the payment page: confirm the payment now, webhook or not."""
    order = orders.find_order(db.session, token)
    payment = service.payment_of(db.session, order.id)
    if payment is None or not payment.session_ref:
        return redirect(url_for("checkout.view", token=token), code=303)
    # The session id in the address is only a hint: we check the page this order opened.
    ref, provider = payment.session_ref, provider_for(payment.provider)
    if provider is not None:
        try:
            outcome = flows.fulfil_checkout(db.session, provider, ref)
            if outcome.mismatch:
                flash(
                    _(
                        "Your payment did not match the order total, so the order did not go ahead. "
                        "It is refunded in full."
                    ),
                    "info",
                )
            elif outcome.processing:
                flash(_("Your bank is processing the payment. We hold your items until it arrives."), "info")
            elif outcome.refund_due:
                flash(_("Sorry: the items sold out before your payment arrived. It has been refunded in full."), "info")
            elif payment.status == PaymentStatus.PAID:  # by this call or by the webhook just before
                flash(_("Thank you for your order! We have received it."), "success")
        except ProviderError:
            flash(_("We could not confirm your payment yet. This page will show it as soon as it arrives."), "info")
    return redirect(url_for("checkout.view", token=token), code=303)


@bp.post("/o/<token>/pay")
def pay(token: str):
    """Open the order's payment page again (same page, same amount: nothing is charged twice)."""
    order = orders.find_order(db.session, token)
    provider = provider_for(order.payment_method)
    if order.status != OrderStatus.AWAITING_PAYMENT or provider is None or not provider.online:
        flash(_("This order is not waiting for a payment."), "info")
        return redirect(url_for("checkout.view", token=token), code=303)
    try:
        page = expiry.pay_now(
            db.session,
            provider,
            order.id,
            *payment_urls(token),
            delivery_label=_("Delivery"),
            locale=str(get_locale()),
        )
    except ProviderError as err:
        flash(err.message, "error")
        return redirect(url_for("checkout.view", token=token), code=303)
    if page is None:  # the old page was paid or is processing (the order page says so), or time is up
        db.session.refresh(order)
        if order.status == OrderStatus.UNPAID:
            flash(_("The time to pay for this order is over."), "info")
        return redirect(url_for("checkout.view", token=token), code=303)
    return redirect(page.url, code=303)


@bp.app_template_global()
def payment_window(order, payment) -> PaymentWindow:
    """The real deadline of a card order waiting for payment, and what "Pay now" will do, as of now."""
    return rules.payment_window(payment.expires_at, order.hold_expires_at, order.created_at, utcnow())
