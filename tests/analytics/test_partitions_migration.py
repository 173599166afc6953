"""Migration 0033 moves an existing shop's events into day partitions (and back) without losing one."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from storefront.analytics import partitions
from storefront.clock import utcnow
from storefront.extensions import db

BEFORE = "0032_seller_pages"
ROWS = "SELECT id, created_at, name, order_id FROM events ORDER BY id"


def _insert_history(conn) -> list[tuple]:
    """Events over several days and one far in the past, with a gap in the ids; every row."""
    now = utcnow().replace(microsecond=0)
    instants = [now - timedelta(days=d, hours=h) for d in (0, 1, 2, 5) for h in (0, 3)]
    instants.append(datetime(2019, 2, 3, 4, 5, 6))
    for index, at in enumerate(instants):
        conn.execute(
            text("INSERT INTO events (created_at, name, order_id) VALUES (:at, 'purchase', :order)"),
            {"at": at, "order": index},
        )
    conn.execute(text("DELETE FROM events WHERE order_id = 3"))  # ids need not be dense
    return conn.execute(text(ROWS)).all()


def _new_id(conn) -> int:
    return conn.execute(
        text("INSERT INTO events (created_at, name) VALUES (:at, 'page_view') RETURNING id"), {"at": utcnow()}
    ).scalar_one()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_upgrade_moves_every_event_into_day_partitions_and_downgrade_brings_them_back(empty_db_app):
    directory = empty_db_app.extensions["migrate"].directory
    with empty_db_app.app_context():
        upgrade(directory=directory, revision=BEFORE)
        with db.engine.begin() as conn:
            assert not partitions.is_partitioned(conn)
            before = _insert_history(conn)
        upgrade(directory=directory)
        with db.engine.begin() as conn:
            assert partitions.is_partitioned(conn)
            assert conn.execute(text(ROWS)).all() == before  # every row, same ids
            days = partitions.existing_days(conn)
            assert {at.date() for _id, at, _name, _order in before} <= days  # each day with rows has its own
            assert utcnow().date() + timedelta(days=partitions.DAYS_AHEAD) in days
            in_default = conn.execute(text("SELECT count(*) FROM events_default")).scalar_one()
            assert in_default == 0
            newest = _new_id(conn)
            assert newest > max(row[0] for row in before)  # the id sequence goes on
        downgrade(directory=directory, revision=BEFORE)
        with db.engine.begin() as conn:
            assert not partitions.is_partitioned(conn)
            after = conn.execute(text(ROWS)).all()
            assert after[:-1] == before and after[-1][0] == newest
            assert _new_id(conn) > newest
            assert conn.execute(text("SELECT to_regclass('events_default')")).scalar_one() is None
