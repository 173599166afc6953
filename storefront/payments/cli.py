"""`flask --app wsgi expire-holds`: the every-minute sweep of orders that nobody completed.

Releases stock held by unpaid card orders, cancels cash orders nobody confirmed in time
(stock back through the inventory ledger), settles refunds owed, and releases the stock of
transfer orders whose hold ran out with no transfer received (only here, never in a request). deploy/ runs it from a
systemd timer; shopper requests never do this housekeeping.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..clock import utcnow
from ..db import write_transaction
from ..extensions import db
from ..orders import service as orders
from ..orders.limits import current_limits
from ..orders.rules import PaymentMethod
from . import flows
from . import transfer_service as transfers
from .provider import provider_for


@click.command("expire-holds")
@with_appcontext
def expire_holds_command() -> None:
    """Release holds past their deadline (even if no webhook came), unconfirmed cash orders, refunds owed."""
    released, refunded = flows.sweep(db.session, provider_for(PaymentMethod.CARD))
    with write_transaction(db.session):
        hours = current_limits(db.session, current_app.config).release_after_hours
        cancelled = orders.release_unconfirmed_cash_orders(db.session, utcnow(), hours)
    click.echo(
        f"Released {released} expired stock holds; settled {refunded} refunds; "
        f"released {cancelled} cash orders not confirmed in time."
    )
    with write_transaction(db.session):
        unpaid = transfers.release_expired_transfers(db.session, utcnow())
    click.echo(f"Released {unpaid} transfer orders: no transfer arrived in time.")
