"""Behaviour-logging use-cases: record a beacon batch or a purchase, rotate salts, purge old events.

Like every service: a session and `now` come in, rows are written and flushed, nothing is
committed and `request` is never read (the view hands over a VisitorContext instead).
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from . import partitions, rules
from .models import Event, RollupInterest, RollupInterestTotal, VisitorSalt

if TYPE_CHECKING:
    from ..orders.models import Order

log = logging.getLogger(__name__)

SALT_KEEP_DAYS = 2  # today's and yesterday's: enough for requests that straddle midnight


@dataclass(frozen=True)
class VisitorContext:
    """What the request says about the sender; the IP is only ever hashed, never stored."""

    ip: str
    user_agent: str
    session_cookie: str | None = None
    cart_token: str | None = None
    own_host: str = ""


class SaltCache:
    """Per-process cache of the current day's salt, so a beacon costs one INSERT, no SELECT.

    One (day, salt) tuple replaced in one assignment: threads of a gthread worker never see
    half an update, and yesterday's salt leaves memory as soon as today's is known.
    """

    def __init__(self) -> None:
        self.current: tuple[date, str] | None = None


def daily_salt(session: Session, day: date, cache: SaltCache | None = None) -> str:
    """The secret salt of `day`, created on first use (race-safe); older salts are deleted."""
    known = cache.current if cache is not None else None
    if known is not None and known[0] == day:
        return known[1]
    salt = session.scalar(select(VisitorSalt.salt).where(VisitorSalt.day == day))
    if salt is None:
        if _insert_salt(session, day, secrets.token_hex(32)):
            cutoff = day - timedelta(days=SALT_KEEP_DAYS - 1)
            session.execute(delete(VisitorSalt).where(VisitorSalt.day < cutoff))
        # Whoever won the race, the row in the table is the salt every worker uses.
        salt = session.scalar(select(VisitorSalt.salt).where(VisitorSalt.day == day))
    if cache is not None:
        cache.current = (day, salt)
    return salt


def _insert_salt(session: Session, day: date, salt: str) -> bool:
    """Insert the day's salt unless another worker did first; True when this call made it."""
    row = {"day": day, "salt": salt}
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        module = postgresql if dialect == "postgresql" else sqlite
        stmt = module.insert(VisitorSalt).values(**row).on_conflict_do_nothing(index_elements=["day"])
        # RETURNING, not rowcount: psycopg reports -1 for this statement.
        return session.execute(stmt.returning(VisitorSalt.day)).first() is not None
    try:
        with session.begin_nested():
            session.execute(insert(VisitorSalt).values(**row))
    except IntegrityError:
        return False
    return True


def record_events(
    session: Session, batch: rules.Batch, visitor: VisitorContext, now: datetime, cache: SaltCache | None = None
) -> int:
    """Store a validated beacon batch with one INSERT; returns how many events were stored."""
    salt = daily_salt(session, now.date(), cache)
    common = {
        "created_at": now,
        "visitor_id": rules.visitor_id(salt, visitor.ip, visitor.user_agent),
        "session_id": batch.session_id or rules.session_id(visitor.session_cookie),
        "cart_hash": rules.cart_hash(visitor.cart_token),
        "order_id": None,
    }
    rows = [{**common, **_event_columns(event, visitor.own_host)} for event in batch.events]
    _insert_events(session, rows)
    session.flush()
    return len(rows)


EVENT_COLUMNS = tuple(c.name for c in Event.__table__.columns if c.name != "id")
_insert_sql_cache: dict[tuple[str, int], tuple[str, list]] = {}


def _insert_events(session: Session, rows: list[dict]) -> None:
    """One INSERT for the whole batch, straight to the driver, in the session's transaction.

    The beacon must stay cheap under load: the statement text is built once per dialect (and
    batch size), the parameters go to the driver as they are, no statement compilation and no
    per-row parameter processing by SQLAlchemy. PostgreSQL gets one array per column and
    `unnest` (a short statement psycopg parses once; its executemany sent one INSERT per
    event); SQLite a multi-row VALUES. Only created_at needs the dialect's own conversion
    (SQLite stores text).
    """
    conn = session.connection()
    dialect = conn.dialect
    postgres = dialect.name == "postgresql"
    key = (dialect.name, 0 if postgres else len(rows))
    cached = _insert_sql_cache.get(key)
    if cached is None:
        cached = _insert_sql_cache[key] = _insert_sql(dialect, key[1])
    sql, processors = cached
    if postgres:
        conn.exec_driver_sql(sql, tuple([row[name] for row in rows] for name in EVENT_COLUMNS))
        return
    params: list = []
    for row in rows:
        params.extend(row[name] for name in EVENT_COLUMNS)
    for index, process in processors:
        for offset in range(index, len(params), len(EVENT_COLUMNS)):
            params[offset] = process(params[offset])
    conn.exec_driver_sql(sql, tuple(params))


def _insert_sql(dialect, count: int) -> tuple[str, list]:
    """The INSERT of `count` rows (0: PostgreSQL's unnest of arrays) and the columns' bind processors."""
    table, columns = Event.__table__, Event.__table__.columns
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(n) for n in EVENT_COLUMNS)
    if dialect.name == "postgresql":
        arrays = ", ".join(f"%s::{columns[n].type.compile(dialect=dialect)}[]" for n in EVENT_COLUMNS)
        return f"INSERT INTO {quote(table.name)} ({names}) SELECT * FROM unnest({arrays})", []
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    one = "(" + ", ".join([mark] * len(EVENT_COLUMNS)) + ")"
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES " + ", ".join([one] * count)
    processors = [(i, p) for i, n in enumerate(EVENT_COLUMNS) if (p := columns[n].type.bind_processor(dialect))]
    return sql, processors


def _event_columns(event: rules.EventInput, own_host: str) -> dict:
    """The columns of one browser event (every key present: a multi-row INSERT needs that)."""
    source = None
    if event.name == "page_view" or event.has_attribution:
        source = rules.classify_source(event, own_host)
    return {
        "name": event.name,
        "path": rules.redact_path(event.path),
        "product_slug": event.product_slug,
        "variant_id": event.variant_id,
        "quantity": event.quantity,
        "value": event.value,
        "currency": event.currency,
        "dwell_ms": event.dwell_ms,
        "scroll_pct": event.scroll_pct,
        "query": event.query,
        "list_name": event.list_name,
        "source": source.label if source else None,
        "referrer_host": source.referrer_host if source else None,
        "ref": event.ref,
        "utm_source": event.utm_source,
        "utm_medium": event.utm_medium,
        "utm_campaign": event.utm_campaign,
    }


def record_purchase(
    session: Session, order: Order, cart_token: str | None, now: datetime, *, cart_hash: str | None = None
) -> None:
    """Log a sale as a `purchase` event (cash: when placed; card: when paid); never fails the order.

    `cart_hash` stands in for `cart_token` when the cart is long gone (a card payment arriving
    later carries the hash kept on its payment row).
    """
    _record_server_event(
        session,
        {
            "created_at": now,
            "name": "purchase",
            "order_id": order.id,
            "value": order.total,
            "currency": order.currency,
            "quantity": order.item_count,
            "cart_hash": cart_hash or rules.cart_hash(cart_token),
        },
    )


def record_refund(session: Session, order: Order, amount: int, now: datetime) -> None:
    """Log money given back on an order as a `refund` event (server side only, like purchases)."""
    _record_server_event(
        session,
        {"created_at": now, "name": "refund", "order_id": order.id, "value": amount, "currency": order.currency},
    )


def _record_server_event(session: Session, values: dict) -> None:
    """Store one server-side event (its columns' values) in a savepoint; a failure never breaks the order or refund.

    A Core INSERT on the table, built once: nothing reads the row back, so the ORM's unit of work
    around it bought nothing but CPU on every order (issue 22).
    """
    try:
        # A savepoint: an error rolls back this row only. The connection's own, not the session's:
        # nothing of the session is in it (no flush, no nested session transaction to keep).
        connection = session.connection()
        with connection.begin_nested():
            connection.execute(_insert_event(), values)
    except SQLAlchemyError as err:
        if isinstance(err, DisconnectionError) or (isinstance(err, DBAPIError) and err.connection_invalidated):
            # The connection died (a database restart): the order's own transaction is gone too,
            # so say so now (a 503 "nothing was placed") rather than fail on the next statement.
            raise
        # Behaviour logging must never break shopping; the order itself is the record.
        log.exception("could not record the %s event of order %s", values["name"], values["order_id"])


@functools.cache
def _insert_event():
    """INSERT INTO events, its columns named by the parameters (the rest take their defaults)."""
    return insert(Event.__table__)


# A DROP of a day partition locks `events` whole (inserts wait behind it) and must first wait for
# every running read of `events` (a rollup's) to end: it gives up after this long, and the next
# run (hourly) tries again, so ingest never stalls longer than this.
DROP_LOCK_TIMEOUT = "1s"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout


def drop_expired_days(session: Session, older_than: timedelta, now: datetime) -> Iterator[str]:
    """PostgreSQL: drop each whole day partition older than `older_than`, oldest first; yields each name.

    The caller may commit at each yield (the hourly job does): the lock on `events` is then held
    for one DROP only. A DROP that waits DROP_LOCK_TIMEOUT for its lock gives up, and so do the
    days after it: the next run drops them. Only days that end at or before the cutoff go, so a
    day with any row younger than the retention is never dropped. Nothing on SQLite.
    """
    cutoff = now - older_than
    for day in partitions.expired_days(session.connection(), cutoff):
        try:
            with session.begin_nested():  # a lock timeout rolls back this DROP only
                conn = session.connection()
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'")
                name = partitions.drop_day(conn, day)
                conn.exec_driver_sql("SET LOCAL lock_timeout = DEFAULT")
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            log.warning("events partition of %s is busy (lock wait over %s): dropped next run", day, DROP_LOCK_TIMEOUT)
            return
        yield name


def delete_expired_events(session: Session, older_than: timedelta, now: datetime) -> int:
    """Delete by row what retention does not drop whole (and stale salts); the events deleted.

    SQLite: every event older than the cutoff. PostgreSQL: only the rows in the DEFAULT
    partition (clock skew, a day without a partition); the day partitions are dropped whole by
    drop_expired_days, so the day that holds the cutoff stays until it is wholly past it (an
    event lives at most a day longer than the retention) instead of being deleted row by row
    (half a day of events, daily, to drop the partition a day later anyway).
    The per-session interest rows of the reports go with them (same pseudonymous ids, same
    retention); the daily aggregates stay, so old periods keep their figures.
    """
    cutoff = now - older_than
    conn = session.connection()
    if partitions.is_partitioned(conn):
        deleted = conn.exec_driver_sql(
            f"DELETE FROM {partitions.DEFAULT_PARTITION} WHERE created_at < %s", (cutoff,)
        ).rowcount
    else:
        deleted = session.execute(delete(Event).where(Event.created_at < cutoff)).rowcount
    session.execute(delete(VisitorSalt).where(VisitorSalt.day < now.date() - timedelta(days=SALT_KEEP_DAYS - 1)))
    # A whole day older than the cutoff in any zone (the rows are cut in the shop's days).
    old_days = cutoff.date() - timedelta(days=1)
    oldest = session.scalar(select(func.min(RollupInterest.day)))  # the primary key's first entry
    if oldest is not None and oldest < old_days:  # hourly: mostly nothing, and no scan to find that out
        session.execute(delete(RollupInterest).where(RollupInterest.day < old_days))
    session.execute(delete(RollupInterestTotal).where(RollupInterestTotal.day < old_days))  # rebuilt empty
    session.flush()
    return deleted


def purge_events(session: Session, older_than: timedelta, now: datetime) -> int:
    """Drop the whole day partitions and delete the other events older than `older_than`; the events deleted.

    In the caller's one transaction (the CLI); the hourly job commits after every DROP instead.
    Dropped rows are not counted in the figure returned (a DROP does not count them).
    """
    for _name in drop_expired_days(session, older_than, now):
        pass
    return delete_expired_events(session, older_than, now)
