"""Request-side helpers of payments that other packages' views use (they read the request's URL)."""

from __future__ import annotations

from flask import url_for


def payment_urls(token: str) -> tuple[str, str]:
    """Where the payment page sends the shopper back: after paying, and after giving up."""
    success = url_for("payments.returned", token=token, _external=True) + "?session_id={CHECKOUT_SESSION_ID}"
    return success, url_for("checkout.view", token=token, _external=True)
