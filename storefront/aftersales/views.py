"""The shopper's after-sales pages: the request form at /o/<token>/help, messages, withdrawing.

The order page itself belongs to checkout; it includes aftersales/_order_requests.html, which
reads `aftersales_panel(order)` (registered as a template global by this package's init_app).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from ..catalog.images import ImageRejected, StoredImage, delete_image, store_upload
from ..catalog.kept import kept
from ..catalog.models import Variant
from ..clock import utcnow
from ..core.security import private_blueprint
from ..core.uploads import raise_body_cap_for_photos
from ..domain import N_, DomainError, Invalid
from ..extensions import db, limiter, rate_limits_off
from ..orders import service as orders
from ..orders.models import Order
from . import outcomes, rules, service
from .models import AftersalesRequest
from .rules import Kind

bp = Blueprint("aftersales", __name__)
# Order-token pages: never cached, never sent as a referrer, never indexed (like the order page).
private_blueprint(bp, secret_urls=True)


def _rate_limit() -> str:
    """Requests and messages per address (AFTERSALES_RATE_LIMIT), so nobody floods the staff's queue."""
    return current_app.config.get("AFTERSALES_RATE_LIMIT", "20 per hour")


# The request form takes MAX_PHOTOS full-size photos: more than the app-wide body limit allows.
raise_body_cap_for_photos(bp, "aftersales.help_send", rules.MAX_PHOTOS, orders.TOKEN_RE)


@dataclass(frozen=True)
class Panel:
    """What the order page shows of after-sales: the button (while the window is open) and every request."""

    can_ask: bool
    closes_at: datetime | None
    requests: list[AftersalesRequest]
    refunds: dict[int, str | None]  # request id -> "sent" | "pending" | "failed" | None
    replacement_for: Order | None = None  # the original order, when this one is an exchange's replacement


def aftersales_panel(order: Order) -> Panel:
    """The order page's after-sales part (a template global: checkout's view knows nothing of it)."""
    # The owner's setting, kept per process: its save bumps the catalog generation (service.save_window_days).
    now, days = utcnow(), kept(db.session, "return_window_days", lambda: service.window_days(db.session))
    delivered = service.delivered_at(order)
    closes = rules.window_closes_at(delivered, days, get_timezone()) if delivered else None
    # A request is only opened on a delivered order (service.open_request): none was, no read.
    found = service.requests_of(db.session, order.id) if delivered else []
    return Panel(
        can_ask=closes is not None and now < closes,
        closes_at=closes,
        requests=found,
        refunds={r.id: outcomes.refund_state(db.session, r) for r in found},
        replacement_for=service.replaced_order_of(db.session, order),
    )


@bp.get("/o/<token>/help")
def help_form(token: str):
    """The request form: per line how many, what kind, why, photos."""
    return _form(orders.find_order(db.session, token))


@bp.post("/o/<token>/help")
@limiter.limit(_rate_limit, key_func=get_remote_address, exempt_when=rate_limits_off)
def help_send(token: str):
    """Open a request; a refused one shows the form again with the message and what was typed (nothing saved)."""
    order = orders.find_order(db.session, token)
    asked = _parse_request(order)
    stored: list[StoredImage] = []
    try:
        stored = _store_photos()
        service.open_request(db.session, order, asked, stored, utcnow(), get_timezone())
        db.session.commit()
    except (DomainError, ImageRejected) as err:
        db.session.rollback()
        _forget(stored)
        message = _(err.message) if isinstance(err, ImageRejected) else err.message
        code = getattr(err, "status_code", 422)
        return _form(orders.find_order(db.session, token), message, asked, code)
    flash(_("Thank you: we have your request and will answer here."), "success")
    return redirect(url_for("checkout.view", token=token) + "#aftersales", code=303)


@bp.post("/o/<token>/help/<int:request_id>/message")
@limiter.limit(_rate_limit, key_func=get_remote_address, exempt_when=rate_limits_off)
def help_message(token: str, request_id: int):
    """The shopper adds a message to one of their open requests."""
    order = orders.find_order(db.session, token)
    found = service.get_request(db.session, request_id, order.id)
    body = request.form.get("body", "")
    try:
        service.add_message(db.session, found, "customer", body, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        # Shown again with what was typed (a redirect to the order page would lose it).
        order = orders.find_order(db.session, token)
        found = service.get_request(db.session, request_id, order.id)
        html = render_template("aftersales/message.html", order=order, req=found, body=body, error=err.message)
        return html, err.status_code
    flash(_("Message sent."), "success")
    return redirect(url_for("checkout.view", token=token) + f"#request-{request_id}", code=303)


@bp.post("/o/<token>/help/<int:request_id>/withdraw")
@limiter.limit(_rate_limit, key_func=get_remote_address, exempt_when=rate_limits_off)
def help_withdraw(token: str, request_id: int):
    """The shopper withdraws a request nobody has acted on yet."""
    order = orders.find_order(db.session, token)
    found = service.get_request(db.session, request_id, order.id)
    try:
        service.take_step(db.session, found, rules.Step.WITHDRAW, utcnow(), "customer")
        db.session.commit()
        flash(_("Request withdrawn."), "success")
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    return redirect(url_for("checkout.view", token=token) + f"#request-{request_id}", code=303)


def _parse_request(order: Order) -> service.NewRequest:
    """The form's fields as the service wants them (numbers that are not numbers count as nothing asked)."""
    form = request.form
    quantities, variants = {}, {}
    for line in order.lines:
        raw = form.get(f"qty-{line.id}", "0").strip()
        quantities[line.id] = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else -1
        wanted = form.get(f"variant-{line.id}", "").strip()
        if wanted.isascii() and wanted.isdigit() and len(wanted) < 10:
            variants[line.id] = int(wanted)
    return service.NewRequest(
        kind=form.get("kind", ""),
        reason=form.get("reason", ""),
        details=form.get("details", "")[: rules.MAX_DETAILS + 1],
        quantities=quantities,
        exchange_variants=variants,
    )


def _store_photos() -> list[StoredImage]:
    """Store the shopper's photos like product photos (content-checked, size-limited); at most MAX_PHOTOS."""
    files = [f for f in request.files.getlist("photos") if getattr(f, "filename", "")]
    if len(files) > rules.MAX_PHOTOS:
        raise Invalid(N_("Send at most %(n)s photos."), n=rules.MAX_PHOTOS)
    cfg, stored = current_app.config, []
    try:
        for upload in files:
            data = upload.stream.read(cfg["MAX_PHOTO_BYTES"] + 1)
            media = Path(cfg["MEDIA_ROOT"])
            stored.append(
                store_upload(data, media, max_bytes=cfg["MAX_PHOTO_BYTES"], max_pixels=cfg["MAX_PHOTO_PIXELS"])
            )
    except ImageRejected:
        _forget(stored)
        raise
    return stored


def _forget(stored: list[StoredImage]) -> None:
    """Delete photos written for a request that was refused (no orphan files)."""
    for image in stored:
        delete_image(image.key, Path(current_app.config["MEDIA_ROOT"]))


def _form(order: Order, error: str | None = None, asked: service.NewRequest | None = None, status: int = 200):
    """The request form page (with the error and the shopper's input when refused)."""
    free = service.free_units(db.session, order)
    choices = {line.id: _variants_like(line.variant_id, line.unit_price) for line in order.lines}
    html = render_template(
        "aftersales/help.html",
        order=order,
        free=free,
        choices=choices,
        kinds=list(Kind),
        reasons=rules.REASONS,
        asked=asked,
        error=error,
        panel=aftersales_panel(order),
        max_photos=rules.MAX_PHOTOS,
    )
    return html, status


def _variants_like(variant_id: int | None, paid: int) -> list[Variant]:
    """The variants of the same product on sale costing no more than was paid (for an exchange), bought one first."""
    bought = db.session.get(Variant, variant_id) if variant_id else None
    if bought is None:
        return []
    on_sale = [v for v in bought.product.variants if not v.archived]
    siblings = [v for v in on_sale if rules.exchange_allowed(v.id == bought.id, v.unit_price, paid)]
    return sorted(siblings, key=lambda v: (v.id != bought.id, v.position, v.id))
