"""The catalog generation: one number that changes whenever what shopper pages show changes.

Cached shopper pages (core.pagecache) are keyed by it, so a change is visible on the very next
request in every worker process of every server, whatever cache each one uses: the number lives
in the database and is bumped in the same transaction as the change itself.

What bumps it (the one place this rule lives):
  * any ORM insert, change or delete of a Product, Variant, Photo, Category or Sale (owner edits,
    archiving, photos, categories, CSV stock imports, the demo seed), or of a model another
    package registered with watch() (stores, transfer methods: the checkout's choices), found in
    before_flush;
  * any bulk UPDATE/INSERT/DELETE statement on their tables run through a Session, unless the
    statement says `execution_options(catalog_display="checked")`: inventory.service does so for
    order stock moves, and marks the change itself only when a shopper would see it
    (catalog.rules.shows_differently), so a storm of orders does not empty the cache.
Raw SQL text is not seen: write catalog changes through the ORM or a Core statement.

The bump itself is one `UPDATE catalog_generation SET value = value + 1` run in before_commit,
so it is the last row a transaction locks (no deadlock with the variant rows an order locks
first, sorted by id), once per transaction however many changes it made, and rolled back with it.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import threading
import weakref

from flask import current_app, has_app_context
from sqlalchemy import create_engine, event, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import ORMExecuteState, Session

from .models import CatalogGeneration, Category, Photo, Product, Sale, Variant

log = logging.getLogger(__name__)

ROW_ID = 1
CHANGED = "catalog_changed"  # key in Session.info for "this transaction changed the catalog"
CHECKED_OPTION = "catalog_display"
WATCHED = (Product, Variant, Photo, Category, Sale)
WATCHED_TABLES = frozenset(model.__tablename__ for model in WATCHED)


def watch(*models: type) -> None:
    """Also bump the generation when rows of these models change (ORM or bulk statements).

    For settings another package keeps per process keyed by the generation (the checkout's pickup
    stores and transfer methods): their edits then renew every worker's copy on the next request.
    Repeating a model changes nothing.
    """
    global WATCHED, WATCHED_TABLES
    WATCHED = (*WATCHED, *(m for m in models if m not in WATCHED))
    WATCHED_TABLES = frozenset(model.__tablename__ for model in WATCHED)


def mark_changed(session: Session) -> None:
    """Say that this transaction changes what shoppers see; the commit bumps the generation."""
    session.info[CHANGED] = True


def current(engine: Engine) -> str | None:
    """The generation as "<epoch>.<value>", read with one small query; None if it cannot be had.

    Every cached page view pays for this read, so it is the cheapest there is: a primary-key
    SELECT on a raw driver connection, outside the request's session and without SQLAlchemy's
    statement machinery (about 30 us instead of 140 us on SQLite). Read it before the catalog rows
    a page shows: a change committed in between then makes the page newer than its key, never older.
    A database that cannot answer gives None: the page is then rendered without the cache (and
    fails or not on its own queries), never served from it.
    """
    try:
        found = _read(engine)
        if found is None:  # first use of this database (or tests emptied it)
            _create_row(engine)
            found = _read(engine)
    except (engine.dialect.loaded_dbapi.OperationalError, OperationalError):  # the driver's, or SQLAlchemy's
        log.warning("catalog generation unreadable; the page is rendered without the cache", exc_info=True)
        return None
    return None if found is None else f"{found[0]}.{found[1]}"


def peek(engine: Engine, session: Session | None = None) -> str | None:
    """The generation like current(), but never creating the row: None if it is missing or unreadable.

    For readers that may run while a request's session holds a write transaction (a POST's page
    is rendered with SQLite's write lock held): pass that session and the read goes through its
    connection instead of taking a second one from the pool.
    """
    try:
        if session is not None and session.in_transaction():
            found = session.execute(text(_READ_SQL)).first()
        else:
            found = _read(engine)
    except (engine.dialect.loaded_dbapi.OperationalError, OperationalError):
        log.warning("catalog generation unreadable", exc_info=True)
        return None
    return None if found is None else f"{found[0]}.{found[1]}"


_READ_SQL = f"SELECT epoch, value FROM {CatalogGeneration.__tablename__} WHERE id = {ROW_ID}"  # noqa: S608 - constants


def peek_in(session: Session) -> str | None:
    """The generation read on the session's own connection (beginning its transaction), like peek().

    For a request that writes: no second connection (the reader pool's), which a burst of
    checkouts would need on top of the application's pool. A raw cursor: the read costs no
    SQLAlchemy statement machinery (it does not show among the session's statements).
    """
    try:
        cursor = session.connection().connection.cursor()
        try:
            cursor.execute(_READ_SQL)
            found = cursor.fetchone()
        finally:
            cursor.close()
    except (session.get_bind().dialect.loaded_dbapi.Error, OperationalError):
        log.warning("catalog generation unreadable", exc_info=True)
        return None
    return None if found is None else f"{found[0]}.{found[1]}"


def _read(engine: Engine) -> tuple | None:
    reader = _reader(engine)
    for attempt in (1, 2):
        conn = reader.raw_connection()
        try:
            cursor = conn.cursor()
            try:
                cursor.execute(_READ_SQL)
                return cursor.fetchone()
            finally:
                cursor.close()
        except reader.dialect.loaded_dbapi.OperationalError:
            conn.invalidate()  # never back into the pool
            conn = None
            if reader is engine or attempt == 2:
                raise
            # The reader pool skips the ping, so a connection the server dropped (restart, idle
            # timeout) fails here instead. Its idle siblings most likely died with it: drop them
            # all, and read once more on a new connection.
            reader.dispose()
        finally:
            if conn is not None:
                conn.close()
    return None  # not reached


# Per application engine on PostgreSQL: a small pool of autocommit connections for this one read.
# Through the application's pool it took three round trips (pool_pre_ping's SELECT 1, the SELECT,
# the ROLLBACK that resets a returned connection): 0.5 ms of a 1.4 ms cached page. Here it is one.
READER_NAME = "storefront-catalog-generation"
_readers: dict[int, tuple[weakref.ref, Engine]] = {}  # id(engine) -> (the engine, weakly; its reader)
# Re-entrant: a garbage collection inside the locked block (create_engine allocates) may finalize a
# collected engine, and its finalizer (_drop_reader) takes this lock in the same thread.
_readers_lock = threading.RLock()


def _reader(engine: Engine) -> Engine:
    """The engine the generation is read with: on PostgreSQL the reader pool, else the engine itself."""
    if engine.dialect.name != "postgresql":
        return engine  # SQLite: a file; no ping, and a read without a transaction costs nothing
    entry = _readers.get(id(engine))
    if entry is None or entry[0]() is not engine:  # the id of an engine that is gone may be reused
        with _readers_lock:
            entry = _readers.get(id(engine))
            if entry is None or entry[0]() is not engine:
                reader = create_engine(engine.url, **_reader_options())
                entry = _readers[id(engine)] = (weakref.ref(engine), reader)
                drop = functools.partial(_drop_reader, id(engine), reader, os.getpid())
                event.listen(engine, "engine_disposed", lambda _engine: drop())  # disposed with its engine
                weakref.finalize(engine, drop)  # or when its engine is garbage collected
    return entry[1]


def _reader_options() -> dict:
    """The application's engine options (SSL, prepare_threshold for PgBouncer...), less the ping and the reset."""
    options = dict(current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}) if has_app_context() else {}
    for name in ("pool_pre_ping", "pool_reset_on_return", "isolation_level", "execution_options"):
        options.pop(name, None)
    connect_args = {**options.pop("connect_args", {}), "application_name": READER_NAME}  # for pg_stat_activity
    return {
        **options,
        "isolation_level": "AUTOCOMMIT",
        "pool_pre_ping": False,
        "pool_reset_on_return": None,
        "connect_args": connect_args,
    }


def _drop_reader(key: int, reader: Engine, owner_pid: int) -> None:
    """Close a reader's connections (in a forked child only drop them: they are the parent's)."""
    reader.dispose(close=os.getpid() == owner_pid)
    with _readers_lock:
        if key in _readers and _readers[key][1] is reader:
            del _readers[key]


def _forget_readers_after_fork() -> None:
    """A forked worker opens its own reader connections (see storefront.forget_connections_after_fork)."""
    global _readers_lock  # noqa: PLW0603 - a lock held by another thread of the parent stays held here
    _readers_lock = threading.RLock()
    for _engine, reader in list(_readers.values()):
        reader.dispose(close=False)


os.register_at_fork(after_in_child=_forget_readers_after_fork)


def _create_row(engine: Engine) -> None:
    """Create the row with a fresh epoch, in its own transaction; a concurrent creator wins harmlessly."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(engine.dialect.name)
    if dialect is None:
        return
    stmt = dialect.insert(CatalogGeneration).values(id=ROW_ID, epoch=secrets.token_hex(8), value=0)
    with engine.begin() as conn:
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))


def _is_shown(obj: object, session: Session, *, dirty: bool) -> bool:
    """True for a catalog row whose change shoppers may see (a dirty one must really differ)."""
    if not isinstance(obj, WATCHED):
        return False
    return not dirty or session.is_modified(obj, include_collections=False)


@event.listens_for(Session, "before_flush")
def _watch_orm_changes(session: Session, _flush_context, _instances) -> None:
    """Mark the transaction when it adds, changes or deletes a catalog row through the ORM."""
    if session.info.get(CHANGED):
        return
    if any(_is_shown(o, session, dirty=False) for o in (*session.new, *session.deleted)) or any(
        _is_shown(o, session, dirty=True) for o in session.dirty
    ):
        mark_changed(session)


@event.listens_for(Session, "do_orm_execute")
def _watch_bulk_statements(state: ORMExecuteState) -> None:
    """Mark the transaction for bulk statements on catalog tables, unless they checked it themselves."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED_TABLES and not state.execution_options.get(CHECKED_OPTION):
        mark_changed(state.session)


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session: Session) -> None:
    """Bump the generation in the committing transaction when it changed the catalog."""
    session.flush()  # pending ORM changes are only seen by before_flush
    if session.info.pop(CHANGED, False):
        session.execute(
            update(CatalogGeneration)
            .where(CatalogGeneration.id == ROW_ID)
            .values(value=CatalogGeneration.value + 1)
            .execution_options(synchronize_session=False)
        )
        # No row yet: nothing was cached under this database's epoch, and the first reader
        # creates the row with a fresh one.


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    """A rolled-back change changed nothing."""
    session.info.pop(CHANGED, None)
