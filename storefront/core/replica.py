"""Reports on a read replica (issue 22): the session report pages, CSV exports, feeds and segment counts read with.

With DATABASE_REPLICA_URL set, Flask-SQLAlchemy builds a second engine (the "replica" bind, once per
process) whose connections are read-only (PostgreSQL: default_transaction_read_only=on; SQLite:
PRAGMA query_only), so a write sent there by mistake fails loudly instead of landing on a database
nobody reads back. `reads()` gives a request one session on it, opened at first use, which first
asks the replica how far behind it is (ReplicaState, shown as "Figures as of ..." and sent with
CSV files as X-Figures-As-Of). A replica that cannot be reached is not an error page: the reads go
to the primary and the page says so. Without the setting `reads()` is `db.session` and nothing
else happens (no extra query).

Writes those pages make (the rollup catch-up, counting a feed fetch) keep using `db.session` or
`db.engine`: the primary.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, Response, current_app, g, has_request_context
from flask_babel import format_time, gettext, ngettext
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..clock import utcnow
from ..extensions import db

log = logging.getLogger(__name__)

BIND = "replica"
# How far behind the replica is. Caught up with all the WAL it received (an idle replica, whose last
# replayed transaction may be hours old) counts as current; so does a primary given as the replica.
LAG_SQL = text(
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0"
    " WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0"
    " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


@dataclass(frozen=True)
class ReplicaState:
    """Where this request's report reads came from and how old they are."""

    on_replica: bool  # False: the replica could not be reached, the primary answered
    lag_seconds: float = 0.0
    as_of: datetime | None = None  # UTC; None when current

    def behind(self, notice_seconds: int) -> bool:
        """Whether the figures are old enough to say so (more than `notice_seconds`)."""
        return self.on_replica and self.lag_seconds > notice_seconds


def configure(app: Flask) -> None:
    """Declare the replica engine as the "replica" bind; before db.init_app, which builds the engines."""
    url = app.config.get("DATABASE_REPLICA_URL")
    if url:
        binds = dict(app.config.get("SQLALCHEMY_BINDS") or {})
        binds[BIND] = engine_options(url, app.config["REPLICA_CONNECT_TIMEOUT"])
        app.config["SQLALCHEMY_BINDS"] = binds


def init_app(app: Flask) -> None:
    """After db.init_app: read-only replica connections, the per-request clean-up and CSV stamp."""
    app.jinja_env.globals["replica_notice"] = notice  # templates/_partials/replica_notice.html
    if not app.config.get("DATABASE_REPLICA_URL"):
        return
    with app.app_context():
        event.listen(db.engines[BIND], "connect", _mark_read_only)
    # The replica has no tables of its own: db.create_all() / drop_all() must never reach it.
    db.metadatas.pop(BIND, None)
    app.teardown_appcontext(_close)
    app.after_request(_stamp)


def engine_options(url: str, connect_timeout: int) -> dict:
    """The replica bind's engine options: read-only connections, a short connect timeout, a ping."""
    if url.startswith("sqlite"):
        return {"url": url}  # query_only is set per connection (_mark_read_only)
    return {
        "url": url,
        "pool_pre_ping": True,  # a restarted replica's dead connections are replaced, not handed out
        "connect_args": {"options": "-c default_transaction_read_only=on", "connect_timeout": connect_timeout},
    }


def replica_engine() -> Engine | None:
    """The replica's engine, None without DATABASE_REPLICA_URL."""
    if not current_app.config.get("DATABASE_REPLICA_URL"):
        return None
    return db.engines[BIND]


def reads() -> Session:
    """The session for this request's report reads: the replica's (opened once), else `db.session`."""
    engine = replica_engine() if has_request_context() else None
    if engine is None:
        return db.session
    if "replica_session" not in g:
        g.replica_session, g.replica_state = _open(engine)
    return g.replica_session


def state() -> ReplicaState | None:
    """How this request's report reads went (None: no replica configured, or not used yet)."""
    return g.get("replica_state") if has_request_context() else None


def _open(engine: Engine) -> tuple[Session, ReplicaState]:
    """A session on the replica and its lag; on a replica that cannot answer, the primary's session."""
    session = Session(engine)
    try:
        lag = lag_seconds(session)
    except DBAPIError:
        session.close()
        log.warning("read replica unreachable; report reads go to the primary", exc_info=True)
        return db.session, ReplicaState(on_replica=False)
    as_of = utcnow() - timedelta(seconds=lag) if lag else None
    return session, ReplicaState(on_replica=True, lag_seconds=lag, as_of=as_of)


def lag_seconds(session: Session) -> float:
    """Seconds the replica's data is behind the primary (0 when current, or on SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        session.connection()  # still prove the database answers
        return 0.0
    return float(session.scalar(LAG_SQL) or 0)


def notice() -> str | None:
    """The line a page shows about its figures: how far behind the replica is, or that it was down."""
    found = state()
    if found is None:
        return None
    if not found.on_replica:
        return gettext("The reports database could not be reached: these figures come from the main database.")
    if not found.behind(current_app.config["REPLICA_LAG_NOTICE_SECONDS"]) or found.as_of is None:
        return None
    shown = format_time(found.as_of, "short")  # naive UTC, shown in the shop's time zone
    minutes = int(found.lag_seconds // 60)
    if minutes:
        return ngettext(
            "Figures as of %(time)s (%(num)s minute behind)",
            "Figures as of %(time)s (%(num)s minutes behind)",
            minutes,
            time=shown,
        )
    seconds = int(found.lag_seconds)
    return ngettext(
        "Figures as of %(time)s (%(num)s second behind)",
        "Figures as of %(time)s (%(num)s seconds behind)",
        seconds,
        time=shown,
    )


def _close(_exc) -> None:
    """Give the replica session's connection back at the end of the request."""
    session = g.pop("replica_session", None)
    if session is not None and session is not db.session:
        session.close()


def _stamp(response: Response) -> Response:
    """Tell a file's reader (CSV) how old the figures are, and where they came from."""
    found = state()
    if found is None:
        return response
    response.headers["X-Figures-Source"] = "replica" if found.on_replica else "primary"
    if found.on_replica:
        response.headers["X-Figures-As-Of"] = (found.as_of or utcnow()).strftime("%Y-%m-%dT%H:%M:%SZ")
        response.headers["X-Replica-Lag-Seconds"] = str(int(found.lag_seconds))
    return response


def _mark_read_only(dbapi_connection, record) -> None:
    """Mark a replica connection (db.py starts its SQLite transactions deferred); SQLite: refuse writes."""
    record.info["replica"] = True
    if type(dbapi_connection).__module__ == "sqlite3":  # PostgreSQL's are read-only by their options
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()
