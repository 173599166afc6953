"""The small interface every payment provider offers, and the providers this shop has.

Cash (on delivery, at pickup) is a provider that takes nothing online. Card payment goes
through Stripe Checkout (storefront/payments/stripe_provider.py, the only module that imports
`stripe`). The rest of the shop sees plain values: CheckoutRequest in, CheckoutSession and
RefundResult out, and ProviderError subclasses when something goes wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from flask import Flask, current_app

from ..domain import N_, DomainError
from ..orders.rules import PaymentMethod


class SessionState(StrEnum):
    """Where a hosted payment page stands, as the provider tells it."""

    OPEN = "open"  # the shopper may still pay
    PROCESSING = "processing"  # paid by a slow method (bank debit); the money is not there yet
    PAID = "paid"
    FAILED = "failed"  # the slow payment bounced
    EXPIRED = "expired"  # the page closed without a payment


@dataclass(frozen=True)
class CheckoutLine:
    """One line on the payment page, priced by the server."""

    name: str
    unit_amount: int
    quantity: int


@dataclass(frozen=True)
class CheckoutRequest:
    """Everything a provider needs to open a payment page for one order."""

    order_id: int
    reference: str
    currency: str
    lines: tuple[CheckoutLine, ...]
    email: str
    success_url: str  # contains {CHECKOUT_SESSION_ID}, filled in by the provider
    cancel_url: str
    expires_at: datetime  # naive UTC
    idempotency_key: str  # the same order never opens two pages
    locale: str = "auto"  # the shopper's language (a shop locale like zh_Hans); the page opens in it

    @property
    def amount(self) -> int:
        """The total the page will charge."""
        return sum(line.unit_amount * line.quantity for line in self.lines)


@dataclass(frozen=True)
class CheckoutSession:
    """A hosted payment page and what happened on it."""

    ref: str
    url: str | None
    state: SessionState
    order_id: int | None
    amount: int
    currency: str
    payment_ref: str | None = None  # the charge to refund, once paid
    expires_at: datetime | None = None


@dataclass(frozen=True)
class RefundNews:
    """A refund as the provider reports it (made by the shop or in the provider's dashboard)."""

    ref: str
    payment_ref: str  # the payment it gives money back from
    amount: int
    status: str  # rules.RefundStatus
    shop_key: str = ""  # the shop's own refund key when the shop asked for it
    failure: str = ""


@dataclass(frozen=True)
class DisputeNews:
    """A chargeback as the provider reports it."""

    ref: str
    payment_ref: str
    amount: int
    currency: str
    reason: str
    status: str  # the provider's own dispute status (won, lost, needs_response ...)
    closed: bool
    opened_at: datetime | None  # naive UTC; None: when the shop heard of it


@dataclass(frozen=True)
class ProviderEvent:
    """A verified notification from the provider."""

    id: str
    type: str
    session_ref: str | None
    refunds: tuple[RefundNews, ...] = ()  # refund events, and every refund of a refunded charge
    dispute: DisputeNews | None = None


@dataclass(frozen=True)
class RefundResult:
    """A refund the provider accepted."""

    ref: str
    amount: int
    status: str


class ProviderError(DomainError):
    """The payment provider could not do what was asked."""

    status_code = 502
    code = "payment_provider"


class ProviderUnreachable(ProviderError):
    """No answer (network, timeout): the outcome is unknown, so retry with the same key."""

    status_code = 503
    code = "payment_unreachable"


class ProviderRefused(ProviderError):
    """A definite no (invalid request, already refunded, declined)."""

    code = "payment_refused"


class WebhookRejected(Exception):
    """A notification whose signature, timestamp or body does not check out."""


class PaymentProvider(Protocol):
    """What the shop asks of a way to pay."""

    method: PaymentMethod
    online: bool  # False: nothing to open, refund or hear back from (cash)

    def start(self, request: CheckoutRequest) -> CheckoutSession: ...
    def get_checkout(self, ref: str) -> CheckoutSession: ...
    def expire_checkout(self, ref: str) -> CheckoutSession: ...
    def refund(
        self, payment_ref: str, amount: int, idempotency_key: str, currency: str | None = None
    ) -> RefundResult: ...
    def parse_event(self, payload: bytes, signature: str | None) -> ProviderEvent: ...


class CashProvider:
    """Cash on delivery or at pickup: paid in person, so nothing happens online."""

    method = PaymentMethod.CASH
    online = False

    def start(self, request: CheckoutRequest) -> CheckoutSession:
        raise ProviderRefused(N_("Cash is paid on delivery or at pickup."))

    def get_checkout(self, ref: str) -> CheckoutSession:
        raise ProviderRefused(N_("Cash is paid on delivery or at pickup."))

    def expire_checkout(self, ref: str) -> CheckoutSession:
        raise ProviderRefused(N_("Cash is paid on delivery or at pickup."))

    def refund(self, payment_ref: str, amount: int, idempotency_key: str, currency: str | None = None) -> RefundResult:
        raise ProviderRefused(N_("Cash is refunded in person."))

    def parse_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        raise WebhookRejected("cash has no notifications")


def init_app(app: Flask) -> None:
    """Build the providers this shop is configured for (card only with a Stripe key)."""
    from .transfer import TransferProvider

    providers: dict[str, PaymentProvider] = {
        PaymentMethod.CASH: CashProvider(),
        PaymentMethod.TRANSFER: TransferProvider(),
    }
    if app.config.get("STRIPE_SECRET_KEY"):
        from .stripe_provider import StripeProvider

        providers[PaymentMethod.CARD] = StripeProvider(
            app.config["STRIPE_SECRET_KEY"],
            app.config.get("STRIPE_WEBHOOK_SECRET", ""),
            http_client=app.config.get("STRIPE_HTTP_CLIENT"),
            max_network_retries=app.config.get("STRIPE_MAX_NETWORK_RETRIES", 1),
            api_base=app.config.get("STRIPE_API_BASE", ""),
            timeout=app.config.get("STRIPE_TIMEOUT_SECONDS", 10.0),
            currency=app.config["SHOP_CURRENCY"],
        )
        _check_delivery_fee(app)
        # The checkout form's redirect leads to the provider's page: allow it in form-action.
        from ..core.security import build_csp

        app.config["CONTENT_SECURITY_POLICY"] = build_csp(form_action=("'self'", StripeProvider.page_origin))
    app.extensions["payment_providers"] = providers


def _check_delivery_fee(app: Flask) -> None:
    """Refuse to start when the delivery fee is an amount card payments cannot charge."""
    from ..config import ConfigError
    from .currencies import UnchargeableAmount, check_card_amount

    try:
        check_card_amount(app.config["SHIPPING_FLAT_FEE"], app.config["SHOP_CURRENCY"])
    except UnchargeableAmount as exc:
        raise ConfigError(f"SHIPPING_FLAT_FEE: {exc}") from exc


def provider_for(method: str) -> PaymentProvider | None:
    """The provider of a payment method, or None when the shop does not offer it."""
    return current_app.extensions["payment_providers"].get(method)


def card_enabled() -> bool:
    """True when shoppers can pay by card."""
    return provider_for(PaymentMethod.CARD) is not None
