"""Shopper side of customers: the one-click opt-out from offers that every marketing message links to."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from ..clock import utcnow
from ..extensions import csrf, db
from . import consent
from .models import Customer

bp = Blueprint("customers", __name__)


@bp.route("/offers/stop/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click POST from a mail client carries no form token; the signed link is the key
def optout(token: str):
    """GET shows what stops and a button; POST records the opt-out for that channel (once is enough)."""
    read = consent.read_optout_token(token)
    customer = db.session.get(Customer, read[0]) if read else None
    if customer is None:
        abort(404)
    _, channel, detail = read
    if request.method == "POST":
        if consent.allows(customer, channel):
            consent.record(db.session, customer.id, channel, False, "optout", utcnow(), detail)
            db.session.commit()
        if request.form.get("List-Unsubscribe") == "One-Click":
            return "", 204
        return render_template("customers/optout.html", channel=channel, token=token, done=True)
    return render_template("customers/optout.html", channel=channel, token=token, done=False)
