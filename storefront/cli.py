"""Flask commands: init-db, seed-demo, create-admin, purge-events (and each capability's own)."""

from __future__ import annotations

import secrets

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from .catalog.models import Product
from .extensions import db


def init_app(app: Flask) -> None:
    """Register the shop's commands."""
    from .analytics.cli import rollup_command, seed_events_command

    app.cli.add_command(rollup_command)
    app.cli.add_command(seed_events_command)
    from .notify.cli import notify_cli

    app.cli.add_command(notify_cli)
    from .customers.cli import customers_cli

    app.cli.add_command(customers_cli)
    from .ops.cli import ops_cli

    app.cli.add_command(ops_cli)
    app.cli.add_command(init_db)
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_admin)
    app.cli.add_command(purge_sign_ins)
    app.cli.add_command(purge_events)
    app.cli.add_command(approve_commissions)
    from .payments.cli import expire_holds_command

    app.cli.add_command(expire_holds_command)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Apply the database migrations (creates the database on first run)."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("Database is up to date.")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the shop already has products.")
@click.option("--seed", default=7, show_default=True, help="Random seed (the demo is reproducible).")
def seed_demo(if_empty: bool, seed: int) -> None:
    """Fill the shop with a realistic demo catalogue (generated locally, no network)."""
    from .demo import (
        DEMO_SELLER_EMAIL,
        seed_aftersales,
        seed_brand,
        seed_catalog,
        seed_customers,
        seed_marketing,
        seed_reviews,
        seed_shop_pages,
        seed_stores_and_seller,
        settings_mismatches,
    )

    if if_empty and db.session.scalar(select(func.count(Product.id))):
        click.echo("The shop already has products; nothing seeded.")
        return
    count = seed_catalog(db.session, seed=seed)
    seller_password = seed_stores_and_seller(db.session)
    seed_brand(db.session)
    seed_reviews(db.session)
    seed_aftersales(db.session)
    seed_shop_pages(db.session)
    seed_customers(db.session)
    seed_marketing(db.session)
    db.session.commit()
    click.echo(
        f"Seeded {count} demo products, 3 stores and two sellers with their pages and collections"
        " (/s/DEMO10, /s/TOMAS8); discount code WELCOME10."
    )
    click.echo(f"Seller login: {DEMO_SELLER_EMAIL} / {seller_password}")
    mismatches = settings_mismatches(current_app.config)
    if mismatches:
        click.echo(
            "The demo is a shop in Portland, Oregon; its prices, addresses and hours read best with: "
            + ", ".join(mismatches)
        )


@click.command("create-admin")
@with_appcontext
@click.option("--email", default="owner@example.com", show_default=True)
@click.option("--password", default=None, help="Default: a random one, printed once.")
@click.option("--role", type=click.Choice(["owner", "staff"]), default="owner", show_default=True)
def create_admin(email: str, password: str | None, role: str) -> None:
    """Create an owner/staff account, or reset its password (signing it out everywhere); prints the login."""
    from .auth.service import upsert_user
    from .clock import utcnow
    from .domain import DomainError

    password = password or secrets.token_urlsafe(12)
    try:
        user = upsert_user(db.session, email, password, role, now=utcnow())
    except DomainError as err:
        raise click.BadParameter(str(err)) from err
    db.session.commit()
    click.echo(f"Admin login ({user.role}): {user.email} / {password}")


@click.command("purge-sign-ins")
@with_appcontext
def purge_sign_ins() -> None:
    """Delete ended or expired sign-ins and stale login-throttle counters (run daily)."""
    from .auth.sessions import purge
    from .clock import utcnow

    deleted = purge(db.session, utcnow())
    db.session.commit()
    click.echo(f"Deleted {deleted} ended sign-ins and old login counters.")


@click.command("purge-events")
@with_appcontext
@click.option("--older-than", "older_than", required=True, help="Age of the events to delete, in days: 400d.")
def purge_events(older_than: str) -> None:
    """Delete behaviour events older than the given age (the retention promise in the README)."""
    from .analytics import rules
    from .analytics.service import purge_events as purge
    from .clock import utcnow
    from .domain import DomainError

    try:
        age = rules.parse_age(older_than)
    except DomainError as err:
        raise click.BadParameter(str(err), param_hint="--older-than") from err
    deleted = purge(db.session, age, utcnow())
    db.session.commit()
    click.echo(f"Deleted {deleted} events older than {age.days} days.")


@click.command("approve-commissions")
@with_appcontext
def approve_commissions() -> None:
    """Approve seller commissions whose orders are paid, delivered and past the return window."""
    from .clock import utcnow
    from .sellers.service import approve_due

    count = approve_due(db.session, utcnow())
    db.session.commit()
    click.echo(f"Approved {count} commissions.")
