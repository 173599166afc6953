"""Declarative base with a naming convention, and the SQLite settings for many writers.

SQLite is the embedded default and must survive several gunicorn workers writing at once:
WAL lets readers run beside one writer, busy_timeout makes a writer wait instead of failing,
and write transactions start with BEGIN IMMEDIATE. Without IMMEDIATE, a transaction that
reads first and writes later can find its snapshot stale and fail at once with "database is
locked" whatever the busy timeout says. Reads (GET requests) keep a plain deferred BEGIN so
they never queue behind writers.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy import MetaData, event, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, scoped_session
from sqlalchemy.sql import ClauseElement

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_ANALYSIS_ROWS = 1000  # ANALYZE samples this many rows per index: milliseconds, not a full scan

# Code outside a request (CLI, tests, background jobs) writes unless it says otherwise.
_read_only: ContextVar[bool] = ContextVar("storefront_read_only", default=False)
# Set by write_transaction: this transaction writes even though the request is a GET.
_force_write: ContextVar[bool] = ContextVar("storefront_force_write", default=False)


class Base(DeclarativeBase):
    """Base class of every model; constraint names are predictable for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def one_connection_per_request() -> bool:
    """True when a request holding a transaction must read through it, never a second connection.

    Through PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer) a transaction holds one of
    a few server connections: requests each waiting for a second one while holding their first
    would wait on each other until PgBouncer's query_wait_timeout (seen with 16 threads and 4).
    """
    return has_app_context() and current_app.config.get("DATABASE_POOLER") == "pgbouncer"


def _wants_write_lock() -> bool:
    """True when the transaction about to begin may write (so SQLite should lock early)."""
    if _force_write.get():
        return True
    if has_request_context():
        return request.method not in SAFE_METHODS
    return not _read_only.get()


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, _record) -> None:
    """Turn on WAL, a busy timeout and foreign keys for every new SQLite connection."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    """Start SQLite write transactions with BEGIN IMMEDIATE, reads with a deferred BEGIN."""
    if conn.dialect.name != "sqlite":
        return
    # A read replica's connection (core.replica) never writes: it never takes the write lock.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() and not conn.info.get("replica") else "BEGIN")


def refresh_planner_statistics(session: Session, *tables: str) -> None:
    """Give SQLite's query planner fresh statistics on `tables` (a sampled ANALYZE).

    Without statistics SQLite guesses that every index is selective. A batch job that joins
    big tables can then walk the wrong one: the rollup's "did this session buy?" update took
    the (is_sale, day, ...) index over the cart-hash one and read every sale order per row,
    14 s instead of 2 ms a day on a million events. PostgreSQL's autovacuum keeps its own
    statistics, so there this does nothing.
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    quote = conn.dialect.identifier_preparer.quote
    conn.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_ROWS}")
    for table in tables:
        conn.exec_driver_sql(f"ANALYZE {quote(table)}")


@contextmanager
def read_only() -> Iterator[None]:
    """Transactions begun in this block only read: outside a request, SQLite starts them deferred.

    Outside a request every transaction is taken as a writer (BEGIN IMMEDIATE); a background
    worker polling for work every second would then queue behind, and block, every writer.
    """
    token = _read_only.set(True)
    try:
        yield
    finally:
        _read_only.reset(token)


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """One short write transaction, committed on success and rolled back on error.

    For use-cases that talk to a payment provider between steps (storefront.payments.flows):
    each step commits on its own so no row lock is ever held across a network call. It also
    takes SQLite's write lock up front inside GET requests (a shopper coming back from the
    payment page). Any transaction still open (a read) is ended first.
    """
    plain = session() if isinstance(session, scoped_session) else session
    if plain.in_transaction():
        plain.commit()
    token = _force_write.set(True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _force_write.reset(token)


def insert_ignoring_duplicates(session: Session, model, values: dict, unique: list[str], returning=None):
    """INSERT .. ON CONFLICT (unique) DO NOTHING; the `returning` column of the new row, None on a duplicate.

    Concurrent writers of the same key (two first orders, a redelivered event) get one row and
    no error. Any database other than PostgreSQL and SQLite uses a savepoint instead.
    """
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        if any(isinstance(value, ClauseElement) for value in values.values()):  # SQL in a value: built here
            module = postgresql if dialect == "postgresql" else sqlite
            stmt = module.insert(model).values(**values).on_conflict_do_nothing(index_elements=unique)
            stmt = stmt if returning is None else stmt.returning(returning)
        else:
            name = None if returning is None else returning.key  # a column of the model (hashable by name)
            stmt = _insert_ignoring(dialect, model.__table__, tuple(unique), name)
        result = session.execute(stmt, values)
        return None if returning is None else result.scalar()
    try:  # a savepoint keeps the caller's transaction alive on a duplicate
        with session.begin_nested():
            result = session.execute(insert(model).values(**values))
        return result.inserted_primary_key[0] if returning is not None else None
    except IntegrityError:
        return None


def insert_many_ignoring_duplicates(session: Session, model, rows: list[dict], unique: list[str]) -> None:
    """insert_ignoring_duplicates for several rows naming the same columns: one execution (executemany)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite") or len(rows) == 1:
        for row in rows:
            insert_ignoring_duplicates(session, model, row, unique)
        return
    session.execute(_insert_ignoring(dialect, model.__table__, tuple(unique), None), rows)


@functools.lru_cache(maxsize=256)
def _insert_ignoring(dialect: str, table, unique: tuple[str, ...], returning: str | None):
    """The INSERT .. ON CONFLICT DO NOTHING for these columns, built once, its values sent as parameters.

    Built anew per call it cost more CPU than the round trip (issue 22): coercing each value and
    the statement's cache key every time; one statement object keeps its cache key memoised. On
    the Table, not the model: the ORM's bulk-insert handling adds nothing to a plain INSERT. The
    parameters name the columns, so one statement serves every set of them.
    """
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table).on_conflict_do_nothing(index_elements=list(unique))
    return stmt if returning is None else stmt.returning(table.c[returning])


def outer_transaction(session: Session | scoped_session):
    """The session's outermost transaction now (None outside one), through a scoped_session too.

    For facts that hold until the transaction ends (an advisory lock taken, an order linked):
    compared by identity, a later transaction of the same session is never mistaken for it.
    """
    plain = session() if isinstance(session, scoped_session) else session
    return plain.get_transaction()


def write_new(session: Session, objects: Sequence[Base]) -> None:
    """INSERT new objects of one model with Core in one statement, their ids by RETURNING, in their order.

    For rows a use-case writes and hands on but nobody changes in the same transaction (an order,
    its lines and first step): the unit of work's sorting, per-object bookkeeping and read-back
    around each INSERT cost more CPU than the round trip (issue 22). Every column goes in: one
    unset takes its column's plain default (else NULL), set on the object too, so nothing of it
    is left to load; one whose default is computed (a clock, a token) or the database's is a
    TypeError unless set. Foreign keys are the caller's to set. Attach the objects afterwards with
    `keep_written`, once every row they refer to is written.
    """
    if not objects:
        return
    mapper = sa_inspect(type(objects[0]))
    (primary_key,) = mapper.primary_key
    columns = [(prop.key, prop.columns[0]) for prop in mapper.column_attrs if prop.columns[0] is not primary_key]
    rows = []
    for obj in objects:
        state = obj.__dict__
        for key, column in columns:
            if key not in state:
                default = column.default
                if (default is not None and not default.is_scalar) or (default is None and column.server_default):
                    # A computed default (a clock, a token) or the database's own: the caller must say.
                    raise TypeError(f"write_new: {mapper.class_.__name__}.{key} has no value and no plain default")
                setattr(obj, key, default.arg if default is not None else None)
        rows.append({column.key: state[key] for key, column in columns})
    ids = session.execute(_insert_returning_id(mapper.local_table), rows).scalars().all()
    for obj, new_id in zip(objects, ids, strict=True):
        setattr(obj, mapper.get_property_by_column(primary_key).key, new_id)


@functools.lru_cache(maxsize=64)
def _insert_returning_id(table):
    """INSERT INTO table (every column but the key) .. RETURNING its key, in parameter order: built once."""
    (primary_key,) = table.primary_key.columns
    return insert(table).returning(primary_key, sort_by_parameter_order=True)


def keep_written(session: Session, *objects: Base) -> None:
    """Attach objects `write_new` wrote as persistent, as if just loaded: the session knows them, nothing to flush."""
    for obj in objects:
        make_transient_to_detached(obj)
    for obj in objects:
        session.add(obj)
