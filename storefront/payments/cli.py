"""`flask --app wsgi expire-holds`: release stock held by unpaid card orders, settle refunds owed."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..orders.rules import PaymentMethod
from . import flows
from .provider import provider_for


@click.command("expire-holds")
@with_appcontext
def expire_holds_command() -> None:
    """Release holds past their deadline (even if no webhook came) and retry refunds owed."""
    released, refunded = flows.sweep(db.session, provider_for(PaymentMethod.CARD))
    click.echo(f"Released {released} expired stock holds; settled {refunded} refunds.")
