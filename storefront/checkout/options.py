"""What the checkout offers and limits (pickup stores, transfer methods, hoarding limits), kept per process.

These are the owner's settings, not a shopper's fresh data: they change when the owner edits a
store, a transfer method or the limits, and such an edit bumps the catalog generation
(generation.watch below), so catalog.kept may keep them per process: the checkout form (GET and
POST) costs one cheap generation read instead of three ORM SELECTs. What the order is placed with
is still checked in the placing transaction: the pickup store by the stores' subscriber, a
transfer method by transfer_service.method_for_checkout; the open orders the limits count are
counted there too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from sqlalchemy.orm import Session

from ..catalog import generation
from ..catalog.kept import kept
from ..orders.limit_rules import HoardingLimits
from ..orders.limits import CONFIG_KEYS, current_limits
from ..orders.models import OrderLimitSettings
from ..payments import transfer_service as transfers
from ..payments.transfer_models import TransferMethod
from ..payments.transfer_rules import choice_value
from ..stores import service as stores
from ..stores.models import Store

generation.watch(Store, TransferMethod, OrderLimitSettings)


class Choices(NamedTuple):
    """The pickup stores as (id, "name, city") and the transfer methods as (choice value, name)."""

    pickup_stores: tuple[tuple[int, str], ...]
    transfers: tuple[tuple[str, str], ...]


def checkout_choices(session: Session, currency: str) -> Choices:
    """The pickup stores and the transfer methods for `currency` the checkout offers."""

    def read() -> Choices:
        pickup = stores.active_stores(session, pickup_only=True)
        return Choices(
            tuple((store.id, f"{store.name}, {store.city}") for store in pickup),
            tuple((choice_value(method.id), method.name) for method in transfers.methods_for(session, currency)),
        )

    return kept(session, ("checkout_choices", currency), read)


def hoarding_limits(session: Session, config: Mapping) -> HoardingLimits:
    """The hoarding limits in force (the owner's, else the config defaults, which are part of the key)."""
    defaults = tuple(config.get(name) for name in CONFIG_KEYS.values())
    return kept(session, ("hoarding_limits", defaults), lambda: current_limits(session, config))
