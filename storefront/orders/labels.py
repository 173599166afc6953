"""Words shown for order statuses and lifecycle steps (gettext ids, translated when shown)."""

from __future__ import annotations

from ..domain import N_
from .rules import OrderEvent, OrderStatus

STATUS_LABELS = {
    OrderStatus.AWAITING_PAYMENT: N_("Awaiting payment"),
    OrderStatus.AWAITING_TRANSFER: N_("Awaiting transfer"),
    OrderStatus.UNPAID: N_("Not paid"),
    OrderStatus.PLACED: N_("Placed"),
    OrderStatus.CONFIRMED: N_("Confirmed"),
    OrderStatus.PACKED: N_("Packed"),
    OrderStatus.SHIPPED: N_("Shipped"),
    OrderStatus.READY_FOR_PICKUP: N_("Ready for pickup"),
    OrderStatus.DELIVERED: N_("Delivered"),
    OrderStatus.COLLECTED: N_("Collected"),
    OrderStatus.CANCELLED: N_("Cancelled"),
}

EVENT_LABELS = {
    OrderEvent.CONFIRM: N_("Confirm"),
    OrderEvent.PACK: N_("Mark packed"),
    OrderEvent.SHIP: N_("Mark shipped"),
    OrderEvent.MARK_READY: N_("Mark ready for pickup"),
    OrderEvent.DELIVER: N_("Mark delivered"),
    OrderEvent.COLLECT: N_("Mark collected"),
    OrderEvent.CANCEL: N_("Cancel order"),
    OrderEvent.PAY: N_("Payment received"),
    OrderEvent.EXPIRE: N_("Payment not completed"),
    OrderEvent.RELEASE: N_("Released: not confirmed in time"),
    OrderEvent.RECEIVE: N_("Transfer received"),
    OrderEvent.REJECT: N_("Reject: no transfer arrived"),
}
