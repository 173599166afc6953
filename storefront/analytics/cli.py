"""Behaviour-logging commands: `rollup` (bring the report tables up to date) and `seed-events`."""

from __future__ import annotations

import time
from datetime import date, tzinfo
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext

from ..clock import utcnow
from ..domain import DomainError
from ..extensions import db
from . import rollup as rollups
from .seed import seed_events


def shop_zone() -> tzinfo:
    """The shop's time zone (the one admin pages and reports cut days in)."""
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or current_app.config["SHOP_TIMEZONE"])


def run_rollup(echo: bool = False) -> tuple[int, int]:
    """Catch the rollups up, committing after every unit; returns (days recomputed, orders projected)."""
    session, days, orders = db.session, 0, 0
    for progress in rollups.catch_up(session, utcnow(), shop_zone()):
        session.commit()
        days += progress.step == "day"
        orders += progress.orders
        if echo and progress.day and (progress.remaining % 10 == 0):
            click.echo(f"  {progress.day}  ({progress.remaining} days to go)")
    return days, orders


@click.command("rollup")
@with_appcontext
@click.option("--rebuild", is_flag=True, help="Recompute every day, and re-read every order.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Recompute the days from this one (YYYY-MM-DD).")
def rollup_command(rebuild: bool, since) -> None:
    """Bring the report rollups up to date (idempotent; run it from cron, e.g. hourly)."""
    started = time.perf_counter()
    if rebuild or since:
        rollups.reset(db.session, utcnow(), shop_zone(), None if rebuild else since.date())
        db.session.commit()
    days, orders = run_rollup(echo=True)
    click.echo(f"Rolled up {days} days and {orders} changed orders in {time.perf_counter() - started:.1f} s.")


@click.command("seed-events")
@with_appcontext
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 3660), help="Days of history.")
@click.option("--n", "events", default=100_000, show_default=True, type=click.IntRange(0, 100_000_000))
@click.option("--orders", type=click.IntRange(0, 10_000_000), help="Top orders up to this many in all.")
@click.option("--seed", default=42, show_default=True, help="Random seed: the same seed gives the same figures.")
@click.option("--no-rollup", is_flag=True, help="Do not run the rollup afterwards.")
def seed_events_command(days: int, events: int, orders: int | None, seed: int, no_rollup: bool) -> None:
    """Generate realistic synthetic behaviour and its orders (for demos and benchmarks; appends)."""
    started, now, tz = time.perf_counter(), utcnow(), shop_zone()
    session = db.session
    result = None
    try:
        for step in seed_events(
            session,
            days=days,
            events=events,
            orders=orders,
            seed=seed,
            now=now,
            tz=tz,
            currency=current_app.config["SHOP_CURRENCY"],
            shipping_fee=current_app.config["SHIPPING_FLAT_FEE"],
        ):
            session.commit()
            result = step
    except DomainError as err:
        session.rollback()
        raise click.ClickException(str(err)) from err
    if result is None:
        return
    click.echo(
        f"Seeded {result.events} events in {result.sessions} sessions and {result.orders} orders "
        f"({result.tracked_orders} from tracked sessions) over {days} days "
        f"in {time.perf_counter() - started:.1f} s."
    )
    # History was added behind the watermark: the days it covers are recomputed.
    first: date = result.days[0]
    rollups.reset(session, utcnow(), tz, first)
    session.commit()
    if not no_rollup:
        started = time.perf_counter()
        days_done, _orders = run_rollup()
        click.echo(f"Rolled up {days_done} days in {time.perf_counter() - started:.1f} s.")
