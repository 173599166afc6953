"""`flask customers rebuild`: build customers from every existing order (idempotent)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..analytics.cli import shop_zone
from ..clock import utcnow
from ..extensions import db
from . import service

customers_cli = AppGroup("customers", help="Customers: build them from the orders.")


@customers_cli.command("rebuild")
def rebuild_command() -> None:
    """Link every order to its customer, recompute every customer's figures and RFM segment."""
    count = service.rebuild(db.session, utcnow(), shop_zone())
    db.session.commit()
    click.echo(f"{count} customers up to date.")
