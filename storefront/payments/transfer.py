"""Payment by transfer as a provider: like cash, nothing happens online.

The shopper sends money to one of the owner's accounts (bKash, Pix, bank, a QR wallet) and
staff mark the order received when they see it (payments.transfer_service). There is no page
to open, no notification to hear and no refund to ask for: the owner sends any money back
themselves.
"""

from __future__ import annotations

from ..domain import N_
from ..orders.rules import PaymentMethod
from .provider import CheckoutRequest, CheckoutSession, ProviderEvent, ProviderRefused, RefundResult, WebhookRejected


class TransferProvider:
    """Mobile money or bank transfer to the owner, confirmed by staff."""

    method = PaymentMethod.TRANSFER
    online = False

    def start(self, request: CheckoutRequest) -> CheckoutSession:
        raise ProviderRefused(N_("A transfer is sent from your own payment app, to the account shown."))

    def get_checkout(self, ref: str) -> CheckoutSession:
        raise ProviderRefused(N_("A transfer is sent from your own payment app, to the account shown."))

    def refund(self, payment_ref: str, amount: int, idempotency_key: str, currency: str | None = None) -> RefundResult:
        raise ProviderRefused(N_("A transfer is refunded by the shop, by sending the money back."))

    def parse_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        raise WebhookRejected("transfers have no notifications")
