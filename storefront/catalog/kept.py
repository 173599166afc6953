"""Settings rows kept per process while the catalog generation stands (issue 22: cheaper checkout).

Some rows a shopper's page needs change only when the owner edits them: the stores offering
pickup, the transfer methods, the return window, the hoarding limits. Their edits bump the
catalog generation (generation.watch() for whole models, or mark_changed()), the number every
worker already reads for its cached pages; so a process may keep what it read under the
generation it read it at, and read again when the number moves, in every worker of every server.
Never for what a shopper must see fresh: stock, prices, carts, discounts and orders are read in
the request as before, and what an order is placed with is checked again in its transaction.

The generation is read once per request (memoised on `g`), before the rows kept under it, so a
change committed in between makes a kept copy newer than its stamp, never older. A request that
changes such settings itself must read them directly, not through here.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app, g, has_request_context, request
from sqlalchemy.orm import Session, scoped_session

from ..db import SAFE_METHODS, one_connection_per_request
from . import generation

T = TypeVar("T")
EXTENSION = "kept_settings"
_STAMP = "kept_generation"  # g: this request's generation stamp


def kept(session: Session | scoped_session, key: Hashable, read: Callable[[], T]) -> T:
    """`read()`'s value, kept by this process under `key` until the catalog generation moves.

    `key` names the value and everything it depends on besides the rows (a currency, config
    defaults). Without a readable generation nothing is kept: every call reads.
    """
    stamp = request_stamp(session)
    values: dict = current_app.extensions.setdefault(EXTENSION, {})
    found = values.get(key)
    if stamp is not None and found is not None and found[0] == stamp:
        return found[1]
    value = read()
    if stamp is not None:
        values[key] = (stamp, value)  # one assignment: other threads see the old pair or the new
    return value


def request_stamp(session: Session | scoped_session) -> str | None:
    """The catalog generation, read once per request (every call outside a request reads it).

    For what a request keeps by it (here, and the brand of a page that only reads): a request
    that saves such settings reads the generation itself, after its change.
    """
    if has_request_context() and _STAMP in g:
        return g.get(_STAMP)
    plain = session() if isinstance(session, scoped_session) else session
    # A write: on the request's own connection (a burst of checkouts needs no second pool). A page:
    # the reader pool, and its first reader creates the row (as cached pages do).
    stamp = generation.peek_in(plain) if _writing() else generation.current(plain.get_bind())
    if has_request_context():
        setattr(g, _STAMP, stamp)
    return stamp


def _writing() -> bool:
    """True when the generation is read on the request's own connection: a request that writes
    (its transaction holds SQLite's write lock; a burst of them must not need a second pool's
    connections too), or any request through PgBouncer (one server connection per transaction)."""
    return not has_request_context() or request.method not in SAFE_METHODS or one_connection_per_request()
