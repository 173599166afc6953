"""`flask --app wsgi expire-holds`: the every-minute sweep of orders that nobody completed, by hand.

The job worker runs the same sweep every minute (payments/jobs.py: releases stock held by unpaid
card orders, cancels cash orders nobody confirmed in time, settles refunds owed, releases
transfer orders whose hold ran out); shopper requests never do this housekeeping.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..clock import utcnow
from ..extensions import db
from .jobs import expire_holds


@click.command("expire-holds")
@with_appcontext
def expire_holds_command() -> None:
    """Release holds past their deadline (even if no webhook came), unconfirmed cash orders, refunds owed."""
    done = expire_holds(db.session, utcnow, current_app.config)
    click.echo(
        f"Released {done.released} expired stock holds; settled {done.refunded} refunds; "
        f"released {done.cancelled} cash orders not confirmed in time."
    )
    click.echo(f"Released {done.transfers} transfer orders: no transfer arrived in time.")
