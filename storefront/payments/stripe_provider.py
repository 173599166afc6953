"""Card payments through Stripe Checkout (the hosted payment page); the only module that imports stripe.

Every call carries an idempotency key where Stripe creates something, so a retry (ours, or the
library's own network retries) never opens a second page or refunds twice. Stripe's answers are
turned into the provider interface's plain values; its errors into ProviderError subclasses.

Every call is bounded: `timeout` seconds per attempt (STRIPE_TIMEOUT_SECONDS). Creating a page
and refunding (keyed, so safe to repeat) use the library's retries; reading a page does not,
because its callers are the webhook and the shopper's return, which must answer quickly (Stripe
redelivers the event, and the page and the sweep ask again). Amounts cross through
payments/currencies.py in both directions (Stripe's minor units are not always Babel's).
"""

from __future__ import annotations

from datetime import UTC, datetime

import stripe

from ..domain import N_
from ..orders.rules import PaymentMethod
from .currencies import UnchargeableAmount, from_stripe, to_stripe
from .provider import (
    CheckoutRequest,
    CheckoutSession,
    DisputeNews,
    ProviderEvent,
    ProviderRefused,
    ProviderUnreachable,
    RefundNews,
    RefundResult,
    SessionState,
    WebhookRejected,
)
from .rules import RefundStatus

PAID = frozenset({"paid", "no_payment_required"})
# A completed-but-unpaid session with its payment intent in one of these has failed for good.
FAILED_INTENT = frozenset({"requires_payment_method", "canceled"})
# Checkout's page languages (docs.stripe.com/api/checkout/sessions/create#locale); others: "auto".
CHECKOUT_LOCALES = frozenset(
    {
        "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr", "fr-CA", "hr",
        "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru",
        "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
    }
)  # fmt: skip
DEFAULT_TIMEOUT_SECONDS = 10.0
# Stripe's refund statuses in the shop's words: only "succeeded" means the money went back.
REFUND_STATUS = {
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.FAILED,
}
# A dispute in one of these is over (warning_closed: an inquiry that never became a chargeback).
DISPUTE_CLOSED = frozenset({"won", "lost", "warning_closed"})


class StripeProvider:
    """Stripe Checkout in payment mode, with prices from the server's own order lines."""

    method = PaymentMethod.CARD
    online = True
    page_origin = "https://checkout.stripe.com"  # where the shopper pays

    def __init__(
        self,
        secret_key: str,
        webhook_secret: str,
        *,
        http_client: stripe.HTTPClient | None = None,
        max_network_retries: int = 1,
        api_base: str = "",
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        currency: str = "USD",
    ) -> None:
        # The library's default client waits 80 s per attempt: a silent Stripe would hold a worker.
        self._client = stripe.StripeClient(
            secret_key,
            http_client=http_client or stripe.RequestsClient(timeout=timeout),
            max_network_retries=max_network_retries,
            base_addresses={"api": api_base} if api_base else None,
        )
        self._webhook_secret = webhook_secret
        self._currency = currency  # the shop's: every order is placed in it

    def start(self, request: CheckoutRequest) -> CheckoutSession:
        """Open a hosted payment page for the order (the same page again for the same key)."""
        try:  # refused before any network call: Stripe would refuse it anyway
            amounts = [to_stripe(line.unit_amount, request.currency) for line in request.lines]
        except UnchargeableAmount as exc:
            raise ProviderRefused(exc.template, **exc.params) from exc
        params: dict = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": amount,
                        "product_data": {"name": line.name[:250]},
                    },
                    "quantity": line.quantity,
                }
                for line, amount in zip(request.lines, amounts, strict=True)
            ],
            "client_reference_id": str(request.order_id),
            "metadata": {"order_id": str(request.order_id), "order_reference": request.reference},
            "payment_intent_data": {"metadata": {"order_id": str(request.order_id)}},
            "expires_at": _timestamp(request.expires_at),
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "locale": checkout_locale(request.locale),
        }
        if request.email:
            params["customer_email"] = request.email
        with _errors():
            session = self._client.v1.checkout.sessions.create(params, {"idempotency_key": request.idempotency_key})
        return _session(session)

    def get_checkout(self, ref: str) -> CheckoutSession:
        """The page's current state, with its payment intent (to tell a bounced payment apart)."""
        with _errors():
            session = self._client.v1.checkout.sessions.retrieve(
                ref, {"expand": ["payment_intent"]}, {"max_network_retries": 0}
            )
        return _session(session)

    def expire_checkout(self, ref: str) -> CheckoutSession:
        """Close the page so it can no longer be paid; the page as it now is.

        Stripe expires only an open session; one already completed (paid, or a bank debit still
        processing) or expired is refused with a 400, so we then read what became of it.
        """
        try:
            with _errors():
                session = self._client.v1.checkout.sessions.expire(ref, {"expand": ["payment_intent"]})
            return _session(session)
        except ProviderRefused:
            return self.get_checkout(ref)

    def refund(self, payment_ref: str, amount: int, idempotency_key: str, currency: str | None = None) -> RefundResult:
        """Refund part or all of a payment (in the shop's currency unless told); the same key never refunds twice."""
        currency = currency or self._currency
        try:
            stripe_amount = to_stripe(amount, currency)
        except UnchargeableAmount as exc:
            raise ProviderRefused(exc.template, **exc.params) from exc
        with _errors():
            refund = self._client.v1.refunds.create(
                # The key in metadata lets a webhook that outruns this answer find the shop's row.
                {
                    "payment_intent": payment_ref,
                    "amount": stripe_amount,
                    "metadata": {"shop_refund_key": idempotency_key},
                },
                {"idempotency_key": idempotency_key},
            )
        data = refund.to_dict()
        shop_amount = from_stripe(data["amount"], data.get("currency") or currency)
        return RefundResult(ref=data["id"], amount=shop_amount, status=_refund_status(data.get("status")))

    def parse_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        """A webhook event, after checking its signature and age on the raw body."""
        if not self._webhook_secret:
            raise WebhookRejected("STRIPE_WEBHOOK_SECRET is not set")
        try:
            event = self._client.construct_event(payload, signature, self._webhook_secret)
        except (stripe.SignatureVerificationError, ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected(str(exc)) from exc
        data = event.to_dict()
        obj = (data.get("data") or {}).get("object") or {}
        session_ref = obj.get("id") if obj.get("object") == "checkout.session" else None
        return ProviderEvent(
            id=str(data.get("id", "")),
            type=str(data.get("type", "")),
            session_ref=session_ref,
            refunds=self._refunds_in(obj),
            dispute=_dispute(obj) if obj.get("object") == "dispute" else None,
        )

    def _refunds_in(self, obj: dict) -> tuple[RefundNews, ...]:
        """The refunds an event is about: the refund itself, or every refund of a refunded charge."""
        if obj.get("object") == "refund":
            return (_refund_news(obj, ""),)
        if obj.get("object") != "charge" or not obj.get("payment_intent"):
            return ()
        listed = obj.get("refunds")
        if not isinstance(listed, dict) or listed.get("has_more") or "data" not in listed:
            # Newer API versions leave the charge's refunds out of the event: ask for them, once
            # (the webhook must answer quickly; a 503 has Stripe redeliver the event later).
            with _errors():
                listed = self._client.v1.refunds.list(
                    {"payment_intent": obj["payment_intent"], "limit": 100}, {"max_network_retries": 0}
                ).to_dict()
        return tuple(_refund_news(r, obj["payment_intent"]) for r in listed.get("data") or [])


class _errors:
    """Turn Stripe's exceptions into the provider interface's."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, _tb) -> bool:
        if exc is None:
            return False
        if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
            raise ProviderUnreachable(N_("The card payment service did not answer. Please try again.")) from exc
        if isinstance(exc, stripe.APIError) and getattr(exc, "http_status", None) in (None, 500, 502, 503, 504):
            raise ProviderUnreachable(N_("The card payment service did not answer. Please try again.")) from exc
        if isinstance(exc, stripe.StripeError):
            raise ProviderRefused(
                N_("The card payment service refused: %(reason)s"), reason=exc.user_message or ""
            ) from exc
        return False


def _session(stripe_session: stripe.checkout.Session) -> CheckoutSession:
    """Stripe's Checkout Session as the provider interface's value."""
    session = stripe_session.to_dict()
    intent = session.get("payment_intent")
    intent_id = intent if isinstance(intent, str) else (intent.get("id") if intent else None)
    intent_status = intent.get("status") if intent is not None and not isinstance(intent, str) else None
    order_id = session.get("client_reference_id") or (session.get("metadata") or {}).get("order_id")
    expires = session.get("expires_at")
    return CheckoutSession(
        ref=session["id"],
        url=session.get("url"),
        state=_state(session.get("status"), session.get("payment_status"), intent_status),
        order_id=int(order_id) if order_id and str(order_id).isdigit() else None,
        amount=from_stripe(session.get("amount_total") or 0, session.get("currency") or "usd"),
        currency=(session.get("currency") or "").upper(),
        payment_ref=intent_id,
        expires_at=datetime.fromtimestamp(expires, UTC).replace(tzinfo=None) if expires else None,
    )


def _refund_status(status: str | None) -> RefundStatus:
    """Stripe's refund status as the shop's: pending (or requires_action) is not yet money back."""
    return REFUND_STATUS.get(status or "", RefundStatus.PENDING)


def _refund_news(refund: dict, payment_ref: str) -> RefundNews:
    """One Stripe refund as the provider interface's value."""
    return RefundNews(
        ref=str(refund.get("id", "")),
        payment_ref=_id(refund.get("payment_intent")) or payment_ref,
        amount=from_stripe(int(refund.get("amount") or 0), refund.get("currency") or "usd"),  # Stripe always sends it
        status=_refund_status(refund.get("status")),
        shop_key=str((refund.get("metadata") or {}).get("shop_refund_key") or ""),
        failure=str(refund.get("failure_reason") or ""),
    )


def _dispute(dispute: dict) -> DisputeNews:
    """A Stripe dispute as the provider interface's value."""
    status = str(dispute.get("status") or "")
    created = dispute.get("created")
    return DisputeNews(
        ref=str(dispute.get("id", "")),
        payment_ref=_id(dispute.get("payment_intent")) or "",
        amount=from_stripe(int(dispute.get("amount") or 0), dispute.get("currency") or "usd"),
        currency=str(dispute.get("currency") or "").upper(),
        reason=str(dispute.get("reason") or "")[:64],
        status=status[:32],
        closed=status in DISPUTE_CLOSED,
        opened_at=datetime.fromtimestamp(created, UTC).replace(tzinfo=None) if created else None,
    )


def _id(value) -> str | None:
    """An id from a field that may hold the id or the expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def _state(status: str | None, payment_status: str | None, intent_status: str | None) -> SessionState:
    """Stripe's (status, payment_status, intent status) as one SessionState."""
    if payment_status in PAID and status == "complete":
        return SessionState.PAID
    if status == "expired":
        return SessionState.EXPIRED
    if status == "complete":
        return SessionState.FAILED if intent_status in FAILED_INTENT else SessionState.PROCESSING
    return SessionState.OPEN


def checkout_locale(shop_locale: str) -> str:
    """The Checkout page language for a shop locale (zh_Hans -> zh, pt_BR -> pt-BR, bn -> auto)."""
    parts = shop_locale.replace("-", "_").split("_")
    language = parts[0].lower()
    rest = parts[1:]
    if language == "zh" and rest:  # a script or a territory: Traditional is zh-TW / zh-HK
        region = rest[-1].upper()
        if region in ("HK", "MO"):
            return "zh-HK"
        return "zh-TW" if "Hant" in rest or region == "TW" else "zh"
    for candidate in (f"{language}-{rest[-1]}" if rest else "", language):
        if candidate in CHECKOUT_LOCALES:
            return candidate
    return "auto"


def _timestamp(moment: datetime) -> int:
    """A naive UTC datetime as Unix seconds."""
    return int(moment.replace(tzinfo=UTC).timestamp())
