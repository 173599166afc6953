"""Admin blueprint: dashboard and orders. The other owner screens (products, stock, sellers ...) live beside it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_timezone, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.guards import require_login_for
from ..clock import utcnow
from ..core.inputs import parse_day
from ..core.security import private_blueprint
from ..domain import DomainError
from ..extensions import db
from ..jobs import queue_stats
from ..orders import service as orders
from ..orders.labels import STATUS_LABELS
from ..orders.limit_rules import release_deadline, whatsapp_number
from ..orders.limits import current_limits
from ..orders.rules import FORM_ONLY_EVENTS, OrderEvent, OrderStatus, allowed_events
from . import service
from .forms import OrderFilterForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
private_blueprint(bp)
require_login_for(bp)


@bp.get("/")
def dashboard():
    """Today's orders and revenue, open orders, low stock, open disputes, the background jobs' health."""
    from ..payments.news import open_disputes
    from .jobs import duration

    now = utcnow()
    data = service.dashboard(db.session, now, _shop_zone())
    return render_template(
        "admin/dashboard.html",
        data=data,
        disputes=open_disputes(db.session),
        jobs=queue_stats(db.session, now),
        duration=duration,
    )


@bp.get("/orders")
def order_list():
    """Orders filtered by status and date."""
    form = OrderFilterForm(request.args)
    form.status.choices = [("", _("Any status"))] + [(s.value, _(STATUS_LABELS[s])) for s in OrderStatus]
    day_from, day_to = parse_day(form.date_from.data), parse_day(form.date_to.data)
    bad_dates = (form.date_from.data and not day_from) or (form.date_to.data and not day_to)
    items = service.list_orders(db.session, form.status.data, day_from, day_to, tz=_shop_zone())
    status = 400 if bad_dates else 200
    return render_template(
        "admin/orders.html", form=form, orders=items, error=_("Dates must look like 2026-01-31.") if bad_dates else None
    ), status


@bp.get("/orders/<reference>")
def order_detail(reference: str):
    """One order with its lines, history and the steps allowed now."""
    return render_order(reference)


def render_order(reference: str, error: str | None = None, status: int = 200):
    """The admin order page: customer, stores, seller, lines, history, allowed steps, payment and refunds."""
    from ..payments import service as payments
    from ..payments import transfer_service
    from ..payments.flows import refundable
    from ..payments.labels import cash_payment_label
    from .refunds import new_refund_key

    order = service.order_by_reference(db.session, reference)
    if order is None:
        abort(404)
    facts = service.order_facts(db.session, order)
    release_at = release_deadline(order, current_limits(db.session, current_app.config).release_after_hours)
    payment = payments.payment_of(db.session, order.id)
    html = render_template(
        "admin/order.html",
        order=order,
        error=error,
        events=allowed_events(order.status, order.delivery_method, orders.refunded_in_full(db.session, order)),
        payment=payment,
        refundable=refundable(payment),
        transfer=transfer_service.transfer_of(db.session, order.id),
        cash_note=_(cash_payment_label(order.status, order.delivery_method)),
        refund_key=new_refund_key(),
        facts=facts,
        release_at=release_at,
        **_customer_lines(facts.customer),
        whatsapp=whatsapp_number(order.phone, current_app.config.get("SHOP_CALLING_CODE", "")),
    )
    return html, status


def _customer_lines(history) -> dict[str, str | None]:
    """ "New customer" or how many orders from this phone are open; a warning when one address has several."""
    if history.new_customer:
        customer = _("New customer")
    else:
        customer = ngettext(
            "%(count)s open order from this phone",
            "%(count)s open orders from this phone",
            history.open_from_phone,
            count=format_decimal(history.open_from_phone),
        )
    address = None
    if history.open_from_address > 1:
        address = ngettext(
            "%(count)s open order from the same connection (network address)",
            "%(count)s open orders from the same connection (network address)",
            history.open_from_address,
            count=format_decimal(history.open_from_address),
        )
    return {"customer_line": customer, "address_line": address}


@bp.post("/orders/<reference>/event")
def order_event(reference: str):
    """Apply one lifecycle step (confirm, pack, ship, cancel...) to an order."""
    order = service.order_by_reference(db.session, reference)
    if order is None:
        abort(404)
    event = request.form.get("event", "")[:24]
    if event in FORM_ONLY_EVENTS:  # "received" needs its transaction id: admin.transfer_received
        return render_order(reference, _("Enter the transaction id to mark the transfer received."), 422)
    if event == OrderEvent.CANCEL:
        from .cancel import cancel_order  # beside refunds: a cancel may give the payment back

        return cancel_order(order)
    try:
        orders.apply_event(
            db.session,
            order,
            event,
            utcnow(),
            user_id=current_user.id,
            note=request.form.get("note", "")[:200],
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return render_order(reference, err.message, err.status_code)
    flash(_("Order %(ref)s is now %(status)s.", ref=order.reference, status=_(STATUS_LABELS[order.status])), "success")
    return redirect(url_for("admin.order_detail", reference=reference), code=303)


def _shop_zone() -> ZoneInfo:
    """The time zone admin pages show times in; "today" and date filters follow it."""
    return ZoneInfo(str(get_timezone()))


# Uploads that may be larger than MAX_CONTENT_LENGTH: several full-size phone photos at once, the
# product video (twice its cap, so a too-large one gets the form's message, not a bare 413), the
# brand's logo and hero together.
UPLOAD_BODY_CAPS = {
    "admin.photo_add": lambda cfg: cfg["MAX_PHOTO_UPLOAD_BYTES"],
    "admin.video_upload": lambda cfg: cfg["PRODUCT_VIDEO_MAX_BYTES"] * 2,
    # the brand form: a logo and a hero of up to MAX_PHOTO_BYTES each, and the form around them
    "admin.brand": lambda cfg: cfg["MAX_PHOTO_BYTES"] * 3,
}


@bp.url_value_preprocessor
def _upload_body_cap(endpoint: str | None, _values: dict | None) -> None:
    """Raise the body limit for an upload route, for a signed-in owner only: anyone else still meets
    the app-wide limit before anything reads the body.

    A URL preprocessor because it runs before every before_request hook, and the app-wide ones
    (the CSRF check, the NUL-byte check) read the body first.
    """
    cap = UPLOAD_BODY_CAPS.get(endpoint or "")
    if cap and current_user.is_authenticated and current_user.role == "owner":
        request.max_content_length = cap(current_app.config)


from . import (  # noqa: E402,F401  (register their routes on bp)
    accounts,
    aftersales,
    brand,
    campaigns,
    cancel,
    collections,
    customers,
    feeds,
    jobs,
    notifications,
    order_limits,
    pages,
    products,
    promotions,
    refunds,
    reminders,
    reviews,
    sales,
    segments,
    seller_invites,
    seller_settings,
    sellers,
    stock,
    stores,
    transfers,
    videos,
)
