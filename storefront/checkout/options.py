"""What the checkout form offers (pickup stores, transfer methods), kept per process by catalog generation.

Both are the owner's settings, not a shopper's fresh data: they change when the owner edits a
store or a transfer method, and such an edit bumps the catalog generation (generation.watch
below), the number every worker already reads for its cached pages. So each process keeps the
choices with the generation it read them at and reads them again when the number moves: the
form (GET and POST) costs one cheap generation read instead of two ORM SELECTs. What the order
is placed with is still checked in the placing transaction: the pickup store by the stores'
subscriber, a transfer method by transfer_service.method_for_checkout.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import current_app, has_request_context, request
from sqlalchemy.orm import Session

from ..catalog import generation
from ..db import SAFE_METHODS, one_connection_per_request
from ..payments import transfer_service as transfers
from ..payments.transfer_models import TransferMethod
from ..payments.transfer_rules import choice_value
from ..stores import service as stores
from ..stores.models import Store

EXTENSION = "checkout_options"
generation.watch(Store, TransferMethod)


class Choices(NamedTuple):
    """The pickup stores as (id, "name, city") and the transfer methods as (choice value, name)."""

    pickup_stores: tuple[tuple[int, str], ...]
    transfers: tuple[tuple[str, str], ...]


def checkout_choices(session: Session, currency: str) -> Choices:
    """The choices in force: this process's copy unless the catalog generation moved (or is unreadable)."""
    stamp = generation.peek(session.get_bind(), _reading_session(session))
    key = (stamp, currency)
    cached = current_app.extensions.get(EXTENSION)
    if stamp is not None and cached is not None and cached[0] == key:
        return cached[1]
    choices = Choices(
        tuple((store.id, f"{store.name}, {store.city}") for store in stores.active_stores(session, pickup_only=True)),
        tuple((choice_value(method.id), method.name) for method in transfers.methods_for(session, currency)),
    )
    if stamp is not None:  # read after the stamp: a change committed in between makes the copy newer, never older
        current_app.extensions[EXTENSION] = (key, choices)
    return choices


def _reading_session(session: Session) -> Session | None:
    """The session when the generation must be read through its transaction (as brand.web does), else None.

    A POST holding a transaction (SQLite's write lock), or any request through PgBouncer, reads
    through its own connection; otherwise a raw read on the reader pool is cheaper.
    """
    if not has_request_context() or (request.method in SAFE_METHODS and not one_connection_per_request()):
        return None
    return session if session.in_transaction() else None
