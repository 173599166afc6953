"""Pure notification rules: what is said when, to whom, how urgently, and for how long it is worth delivering."""

from __future__ import annotations

from enum import StrEnum

from ..aftersales.rules import Status as RequestStatus
from ..orders.rules import OrderStatus


class Kind(StrEnum):
    """Every message the shop sends."""

    # To the shopper, about their order (never needs consent: it is their order's news)
    ORDER_PLACED = "order-placed"
    AWAITING_TRANSFER = "awaiting-transfer"  # a transfer order placed: what to send to complete it
    ORDER_CONFIRMED = "order-confirmed"
    ORDER_SHIPPED = "order-shipped"
    ORDER_READY = "order-ready"
    ORDER_DELIVERED = "order-delivered"
    ORDER_COLLECTED = "order-collected"
    ORDER_CANCELLED = "order-cancelled"
    ORDER_REFUNDED = "order-refunded"
    PAYMENT_FAILED = "payment-failed"
    FINISH_PAYING = "finish-paying"
    # To the shopper, about their after-sales request (order news too: the order's channels)
    AFTERSALES_ACCEPTED = "aftersales-accepted"
    AFTERSALES_REFUSED = "aftersales-refused"
    AFTERSALES_RECEIVED = "aftersales-received"
    AFTERSALES_REPLACED = "aftersales-replaced"
    AFTERSALES_REPLY = "aftersales-reply"  # staff wrote in the request's thread
    # To the shopper, not about an order (one click unsubscribes)
    BACK_IN_STOCK = "back-in-stock"
    # To a customer who opted in to offers on the channel (campaigns, reminders: notify.marketing)
    MARKETING = "marketing"
    # To staff and sellers (rules.Alert)
    ALERT_NEW_ORDER = "alert-new-order"
    ALERT_PAYMENT = "alert-payment"
    ALERT_STOCK_LOW = "alert-stock-low"
    ALERT_JOB_FAILING = "alert-job-failing"
    ALERT_AFTERSALES = "alert-aftersales"  # a shopper opened a request or wrote in its thread
    ALERT_TEST = "alert-test"  # "Send me a test alert" on one's own alerts page


class Alert(StrEnum):
    """What a staff member or seller can choose to be told (their account settings)."""

    NEW_ORDER = "new-order"
    PAYMENT = "payment"  # a failed card payment, a dispute opened, a refund the provider took back
    STOCK_LOW = "stock-low"
    JOB_FAILING = "job-failing"
    AFTERSALES = "aftersales"  # a return, exchange or problem opened, or a customer's message on one


ALERT_KIND = {
    Alert.NEW_ORDER: Kind.ALERT_NEW_ORDER,
    Alert.PAYMENT: Kind.ALERT_PAYMENT,
    Alert.STOCK_LOW: Kind.ALERT_STOCK_LOW,
    Alert.JOB_FAILING: Kind.ALERT_JOB_FAILING,
    Alert.AFTERSALES: Kind.ALERT_AFTERSALES,
}

# Who may choose which alert: the owner everything, staff the day-to-day, sellers their own new orders.
ALERTS_FOR_ROLE: dict[str, tuple[Alert, ...]] = {
    "owner": (Alert.NEW_ORDER, Alert.PAYMENT, Alert.STOCK_LOW, Alert.JOB_FAILING, Alert.AFTERSALES),
    "staff": (Alert.NEW_ORDER, Alert.PAYMENT, Alert.STOCK_LOW, Alert.AFTERSALES),
    "seller": (Alert.NEW_ORDER,),
}

# The order news each lifecycle status brings to the shopper (statuses not listed say nothing:
# "packed" is an inside step). "Placed" is news when it follows a payment or a transfer; a cash
# order is placed at once (the order-placed event says it then).
STATUS_KIND: dict[OrderStatus, Kind] = {
    OrderStatus.PLACED: Kind.ORDER_PLACED,
    OrderStatus.UNPAID: Kind.PAYMENT_FAILED,
    OrderStatus.CONFIRMED: Kind.ORDER_CONFIRMED,
    OrderStatus.SHIPPED: Kind.ORDER_SHIPPED,
    OrderStatus.READY_FOR_PICKUP: Kind.ORDER_READY,
    OrderStatus.DELIVERED: Kind.ORDER_DELIVERED,
    OrderStatus.COLLECTED: Kind.ORDER_COLLECTED,
    OrderStatus.CANCELLED: Kind.ORDER_CANCELLED,
}

# The shopper's news for each after-sales status a step leads to. Not listed: "refunded" (the
# payment's own "refund for order ..." says it, once the money has actually left: a card refund
# the provider refuses must not be announced as sent), "answered" (the staff's message is the
# news, AFTERSALES_REPLY), "resolved" (a problem closes after its answer; a refund with it is the
# payment's news) and "withdrawn" (the shopper did it themselves).
REQUEST_STATUS_KIND: dict[RequestStatus, Kind] = {
    RequestStatus.ACCEPTED: Kind.AFTERSALES_ACCEPTED,
    RequestStatus.REFUSED: Kind.AFTERSALES_REFUSED,
    RequestStatus.RECEIVED: Kind.AFTERSALES_RECEIVED,
    RequestStatus.REPLACED: Kind.AFTERSALES_REPLACED,
}

ORDER_KINDS = frozenset(
    {
        Kind.ORDER_PLACED,
        Kind.AWAITING_TRANSFER,
        Kind.ORDER_CONFIRMED,
        Kind.ORDER_SHIPPED,
        Kind.ORDER_READY,
        Kind.ORDER_DELIVERED,
        Kind.ORDER_COLLECTED,
        Kind.ORDER_CANCELLED,
        Kind.ORDER_REFUNDED,
        Kind.PAYMENT_FAILED,
        Kind.FINISH_PAYING,
        *REQUEST_STATUS_KIND.values(),
        Kind.AFTERSALES_REPLY,
    }
)
ALERT_KINDS = frozenset({*ALERT_KIND.values(), Kind.ALERT_TEST})

# Web Push urgency (RFC 8030 5.3) and time to live: news that is stale after a while is not
# worth waking a phone for once that while has passed.
HOUR, DAY = 3600, 86400
URGENCY: dict[Kind, str] = {
    Kind.ORDER_READY: "high",
    Kind.FINISH_PAYING: "high",
    Kind.PAYMENT_FAILED: "high",
    Kind.ALERT_NEW_ORDER: "high",
    Kind.ALERT_PAYMENT: "high",
    Kind.ALERT_AFTERSALES: "normal",
    Kind.BACK_IN_STOCK: "normal",
    Kind.MARKETING: "low",
    Kind.ALERT_STOCK_LOW: "low",
    Kind.ALERT_JOB_FAILING: "normal",
}
TTL: dict[Kind, int] = {
    Kind.FINISH_PAYING: HOUR,  # the hold ends soon after
    Kind.ALERT_TEST: HOUR,
    Kind.ALERT_NEW_ORDER: DAY,
    Kind.BACK_IN_STOCK: 2 * DAY,
    Kind.MARKETING: 2 * DAY,
}
DEFAULT_TTL = 4 * DAY

# A watch older than this is not answered any more (the shopper has long moved on).
WATCH_DAYS = 90
# "Finish paying" goes out once, this long before a card order's hold ends (and only to an order at
# least FINISH_PAYING_MIN_AGE old: someone on the payment page right now needs no reminder).
FINISH_PAYING_BEFORE_MINUTES = 15
FINISH_PAYING_MIN_AGE_MINUTES = 5
# Job names whose failure is never itself an alert (the send log shows them; alerting on a failed
# alert would loop).
QUIET_JOB_PREFIX = "notify."


def kind_for_status(status: str) -> Kind | None:
    """The shopper's news for an order entering `status`, or None."""
    try:
        return STATUS_KIND.get(OrderStatus(status))
    except ValueError:
        return None


def kind_for_request_status(status: str) -> Kind | None:
    """The shopper's news for an after-sales request entering `status`, or None."""
    try:
        return REQUEST_STATUS_KIND.get(RequestStatus(status))
    except ValueError:
        return None


def about_order(kind: Kind) -> bool:
    """True for an order's own news (sent without consent; emails carry no unsubscribe link)."""
    return kind in ORDER_KINDS


def urgency(kind: Kind) -> str:
    """The Web Push urgency of a kind of message."""
    return URGENCY.get(kind, "normal")


def ttl(kind: Kind) -> int:
    """How long (seconds) a push service should keep trying to deliver a kind of message."""
    return TTL.get(kind, DEFAULT_TTL)


def default_alerts(role: str) -> tuple[Alert, ...]:
    """What an account is told before it chooses: everything its role may choose."""
    return ALERTS_FOR_ROLE.get(role, ())


def chosen_alerts(role: str, kinds: list[str] | None) -> tuple[Alert, ...]:
    """The alerts in force for an account: its stored choice (kept to what the role allows) or the defaults."""
    allowed = default_alerts(role)
    if kinds is None:
        return allowed
    return tuple(alert for alert in allowed if alert.value in kinds)


def mask_email(email: str) -> str:
    """An address as the send log shows it: 'ja***@example.com'."""
    local, _, domain = email.partition("@")
    if not domain:
        return "***"
    return f"{local[:2]}***@{domain}"


def push_recipient(subscription_id: int) -> str:
    """The log's recipient key of a push subscription."""
    return f"push:{subscription_id}"


def email_recipient(email: str) -> str:
    """The log's recipient key of an email address."""
    return f"email:{email.lower()}"
