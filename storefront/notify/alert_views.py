"""Alert pages for the owner, staff and sellers: choose one's alerts, send oneself a test; WhatsApp links in pages.

Routes on the notify blueprint (views.py imports this module last). Signed-in accounts only; each
sees only the alerts its role may choose (rules.ALERTS_FOR_ROLE). The template globals give the
admin order page and the seller's order list their prefilled WhatsApp links (whatsapp.py).
"""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..aftersales.models import AftersalesRequest
from ..auth.rules import is_seller
from ..clock import utcnow
from ..extensions import db, login_manager
from ..orders.models import Order
from . import alert_service, mail, rules, service, whatsapp
from .rules import Alert
from .views import bp

# What each alert is called on the page, and the one line under it saying what it brings.
ALERT_TEXTS: dict[Alert, tuple[str, str]] = {
    Alert.NEW_ORDER: (
        _l("New orders"),
        _l("An order to prepare, with its total and how it is delivered (sellers: orders from your links)."),
    ),
    Alert.PAYMENT: (
        _l("Payment problems"),
        _l("A card payment failed, a bank opened a dispute, or a refund was taken back."),
    ),
    Alert.STOCK_LOW: (_l("Running low on stock"), _l("A product fell to its low-stock level (once a day at most).")),
    Alert.JOB_FAILING: (
        _l("Background job failing"),
        _l("Work the shop does by itself gave up after all its attempts."),
    ),
    Alert.AFTERSALES: (
        _l("Returns, exchanges and problems"),
        _l("A customer opened an after-sales request or wrote a message on one."),
    ),
}
MAX_CHOICES = 20  # more checkboxes than exist is not a real form


def _signed_in():
    """The login page for anyone not signed in (None when signed in)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def _page():
    """The alerts page: choices, email, devices, the push offer and the test button."""
    chosen, by_email = service.alert_choice(db.session, current_user)
    return render_template(
        "notify/alerts.html",
        layout="sellers/base.html" if is_seller(current_user.role) else "admin/base.html",
        alerts=[(alert, *ALERT_TEXTS[alert]) for alert in rules.default_alerts(current_user.role)],
        chosen=set(chosen),
        by_email=by_email,
        email_ready=mail.configured(current_app.config),
        devices=service.account_devices(db.session, current_user.id),
    )


@bp.get("/alerts")
def alerts():
    """What this account is told, on how many devices; turn alerts on for this device."""
    return _signed_in() or _page()


@bp.post("/alerts")
def save_alerts():
    """Store the account's choices (anything its role may not choose is ignored)."""
    refused = _signed_in()
    if refused is not None:
        return refused
    kinds = [k[:32] for k in request.form.getlist("alert")[:MAX_CHOICES]]
    if mail.configured(current_app.config):
        by_email = request.form.get("by_email") == "1"
    else:  # the checkbox is not shown: keep what was chosen for when email is set up again
        by_email = service.alert_choice(db.session, current_user)[1]
    service.set_alert_choice(db.session, current_user, kinds, by_email, utcnow())
    db.session.commit()
    flash(_("Saved: your alerts are changed."), "success")
    return redirect(url_for("notify.alerts"), code=303)


@bp.post("/alerts/test")
def test_alert():
    """Queue a test alert to this account's own devices (and email)."""
    refused = _signed_in()
    if refused is not None:
        return refused
    queued = alert_service.queue_test_alert(db.session, current_user, utcnow())
    db.session.commit()
    if queued:
        flash(_("Test alert queued: it should arrive in a moment."), "success")
    else:
        flash(_("No device gets your alerts yet: turn them on on this device first."), "info")
    return redirect(url_for("notify.alerts"), code=303)


# -- WhatsApp links in the admin's and sellers' pages --------------------------------------------


@bp.app_template_global()
def order_whatsapp(order: Order) -> whatsapp.WhatsAppMessage | None:
    """The admin order page's WhatsApp link to the customer, with the order's news typed in (or None)."""
    return whatsapp.for_order(db.session, order)


@bp.app_template_global()
def aftersales_whatsapp(req: AftersalesRequest) -> whatsapp.WhatsAppMessage | None:
    """The admin request page's WhatsApp link to the customer, with where the request stands (or None)."""
    return whatsapp.for_request(db.session, req)


@bp.app_template_global()
def seller_order_whatsapp(entry) -> whatsapp.WhatsAppMessage | None:
    """A seller's WhatsApp link to the customer of one of their own commission entries, when the shop allows it."""
    seller = g.get("seller")
    if not current_app.config.get("SELLERS_MAY_MESSAGE_CUSTOMERS") or seller is None:
        return None
    if getattr(entry, "seller_id", None) != seller.id:
        return None  # never another seller's customer
    order = db.session.get(Order, entry.order_id)
    return whatsapp.for_order(db.session, order) if order is not None else None
