"""Admin: the after-sales queue, one request with its thread and steps, refunds, replacements, the return window."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..aftersales import outcomes, rules, service
from ..aftersales.rules import Kind, Status, Step
from ..auth.guards import role_required
from ..auth.models import User
from ..auth.rules import has_role
from ..catalog.rules import parse_page
from ..clock import utcnow
from ..domain import N_, DomainError, Invalid
from ..extensions import db
from ..money import format_amount_plain, parse_amount
from ..payments import flows
from ..payments.manual_refunds import manual_refunds_of
from ..payments.provider import ProviderError, provider_for
from ..payments.rules import RefundStatus
from .views import bp

# Steps a bare button takes (the others have their own forms: a reason, an amount).
BUTTON_STEPS = frozenset({Step.ACCEPT, Step.RECEIVE})
QUEUE_PAGE = 50  # requests per queue page


@bp.app_template_global("manual_refunds_rows")
def manual_refunds_rows(order_id: int) -> list[tuple]:
    """(refund, who) of an order's cash and transfer refunds, for the admin order page's include."""
    rows = manual_refunds_of(db.session, order_id)
    users = {u.id: u.email for u in db.session.query(User).filter(User.id.in_({r.user_id for r in rows}))}
    return [(r, users.get(r.user_id, "")) for r in rows]


@bp.get("/aftersales")
def aftersales_queue():
    """Returns, exchanges and problems: open ones first, filtered by status and kind."""
    status, kind = request.args.get("status", "open"), request.args.get("kind", "")
    page = parse_page(request.args.get("page"))
    # One more than a page tells whether a next page exists (no count query).
    items = service.queue(db.session, status, kind, QUEUE_PAGE + 1, (page - 1) * QUEUE_PAGE)
    return render_template(
        "admin/aftersales_queue.html", items=items[:QUEUE_PAGE], status=status, kind=kind,
        statuses=list(Status), kinds=list(Kind), page=page, has_next=len(items) > QUEUE_PAGE,
    )  # fmt: skip


@bp.get("/aftersales/<int:request_id>")
def aftersales_detail(request_id: int):
    """One request: the order, its lines and photos, the thread, the steps allowed now."""
    return _detail(request_id)


@bp.post("/aftersales/<int:request_id>/reply")
def aftersales_reply(request_id: int):
    """Staff answer in the thread (answering a problem marks it answered)."""
    found = _found(request_id)
    try:
        service.add_message(db.session, found, "staff", request.form.get("body", ""), utcnow(), current_user.id)
        db.session.commit()
    except DomainError as err:
        return _refused(request_id, err)
    flash(_("Reply sent."), "success")
    return _back(request_id)


@bp.post("/aftersales/<int:request_id>/step")
def aftersales_step(request_id: int):
    """Accept, or mark the goods received (their stock goes back through the ledger, once)."""
    found = _found(request_id)
    step = request.form.get("step", "")
    try:
        if step not in BUTTON_STEPS:
            raise rules.StepRefused(N_("Unknown request status or step."))
        service.take_step(db.session, found, step, utcnow(), "staff", current_user.id)
        db.session.commit()
    except DomainError as err:
        return _refused(request_id, err)
    flash(_("Request updated."), "success")
    return _back(request_id)


@bp.post("/aftersales/<int:request_id>/refuse")
def aftersales_refuse(request_id: int):
    """Say no, with the reason the shopper will read."""
    found = _found(request_id)
    try:
        _check_confirmed()
        service.refuse(db.session, found, request.form.get("reason", ""), utcnow(), current_user.id)
        db.session.commit()
    except DomainError as err:
        return _refused(request_id, err)
    flash(_("Request refused."), "success")
    return _back(request_id)


@bp.post("/aftersales/<int:request_id>/close")
def aftersales_close(request_id: int):
    """Close received goods without refund or replacement, with the reason the shopper will read."""
    found = _found(request_id)
    try:
        _check_confirmed()
        service.close(db.session, found, request.form.get("reason", ""), utcnow(), current_user.id)
        db.session.commit()
    except DomainError as err:
        return _refused(request_id, err)
    flash(_("Request closed."), "success")
    return _back(request_id)


@bp.post("/aftersales/<int:request_id>/refund")
def aftersales_refund(request_id: int):
    """Refund a received return (or resolve a problem, with an optional partial refund); booked once per request.

    Money goes back only by the owner's hand (as card refunds on the order page); staff may
    resolve a problem without a refund.
    """
    found = _found(request_id)
    try:
        _check_confirmed()
        amount = _amount(found, required=found.kind != Kind.PROBLEM)
        if amount and not has_role(current_user.role, "owner"):
            abort(403)
        reference = request.form.get("reference", "")[:80]
        if found.kind == Kind.PROBLEM:
            booking = outcomes.resolve_problem(db.session, found, amount, reference, utcnow(), current_user.id)
        else:
            booking = outcomes.refund_return(db.session, found, amount, reference, utcnow(), current_user.id)
        db.session.commit()
    except DomainError as err:
        return _refused(request_id, err)
    if booking is None:
        flash(_("Request resolved."), "success")
    elif booking.by_card:
        _ask_card_refund(booking)
    else:
        flash(_("Refund recorded."), "success")
    return _back(request_id)


@bp.post("/aftersales/<int:request_id>/refund/retry")
@role_required("owner")
def aftersales_refund_retry(request_id: int):
    """Ask the card provider again for a refund it refused (a new key; the failed one stays on record)."""
    found = _found(request_id)
    try:
        booking = outcomes.retry_refund(db.session, found, utcnow(), current_user.id)
        db.session.commit()
    except DomainError as err:
        return _refused(request_id, err)
    _ask_card_refund(booking)
    return _back(request_id)


@bp.post("/aftersales/<int:request_id>/replace")
def aftersales_replace(request_id: int):
    """Make the exchange's replacement order (once), taking its stock."""
    found = _found(request_id)
    try:
        order = outcomes.make_replacement(db.session, found, utcnow(), current_user.id)
        reference = order.reference
        db.session.commit()
    except DomainError as err:
        return _refused(request_id, err)
    flash(_("Replacement order %(ref)s made.", ref=reference), "success")
    return _back(request_id)


@bp.route("/aftersales/settings", methods=["GET", "POST"])
@role_required("owner")
def aftersales_settings():
    """The return window in days (0: no returns), owner only."""
    error, status = None, 200
    if request.method == "POST":
        raw = request.form.get("return_window_days", "").strip()
        try:
            days = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 5 else -1
            service.save_window_days(db.session, days, current_user.id, utcnow())
            db.session.commit()
            flash(_("Return window saved."), "success")
            return redirect(url_for("admin.aftersales_settings"), code=303)
        except DomainError as err:
            db.session.rollback()
            error, status = err.message, err.status_code
    days = service.window_days(db.session) if error is None else request.form.get("return_window_days", "")
    return render_template("admin/aftersales_settings.html", days=days, error=error), status


def _found(request_id: int):
    """The request, or 404."""
    try:
        return service.get_request(db.session, request_id)
    except DomainError:
        abort(404)


def _check_confirmed() -> None:
    """Refunds and refusals cannot be undone: the form's "I confirm" box must be ticked."""
    if request.form.get("confirm") != "yes":
        raise Invalid(N_("Tick the box to confirm; this cannot be undone."))


def _amount(found, required: bool) -> int:
    """The refund amount typed by staff (empty: the lines' full value for a return, nothing for a problem)."""
    raw = request.form.get("amount", "").strip()
    if not raw:
        return outcomes.refund_left(db.session, found) if required else 0
    try:
        return parse_amount(raw, found.order.currency)
    except ValueError:
        raise Invalid(N_("Enter the amount like 12.50.")) from None


def _ask_card_refund(booking: outcomes.RefundBooking) -> None:
    """Ask the card provider for the booked refund (after the commit; same key, so once); say how it went."""
    provider = provider_for("card")
    if provider is None:
        flash(_("The refund is waiting for the payment service; it is retried automatically."), "info")
        return
    try:
        done = flows.refund(
            db.session, provider, booking.order_id, booking.amount, booking.key, current_user.id, "After-sales"
        )
    except ProviderError as err:
        flash(_("The payment service refused the refund: %(error)s", error=err.message), "error")
        return
    if done.status == RefundStatus.SUCCEEDED:
        flash(_("Refund made."), "success")
    else:
        flash(_("The refund is waiting for the payment service; it is retried automatically."), "info")


def _detail(request_id: int, error: str | None = None, status: int = 200, sent=None):
    """The request page (with an action's error and, then, what staff typed: `sent`, the refused form)."""
    found = _found(request_id)
    return render_template(
        "admin/aftersales_request.html",
        req=found,
        order=found.order,
        steps=service.staff_steps_of(found),
        button_steps=BUTTON_STEPS,
        value=outcomes.refund_left(db.session, found),
        amount_text=format_amount_plain(outcomes.refund_left(db.session, found), found.order.currency),
        refund=outcomes.refund_state(db.session, found),
        error=error,
        sent=sent or {},
    ), status


def _refused(request_id: int, err: DomainError):
    """The request page again with the message and what was typed; nothing was changed."""
    db.session.rollback()
    return _detail(request_id, err.message, err.status_code, request.form)


def _back(request_id: int):
    """To the request's page (303 after a POST)."""
    return redirect(url_for("admin.aftersales_detail", request_id=request_id), code=303)
