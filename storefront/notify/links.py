"""Signed links for shoppers' email choices: no account, the link itself is the key.

The token signs the lower-cased address with the app's SECRET_KEY (itsdangerous), so it cannot be
made up for someone else's address. It does not expire: an unsubscribe link must keep working.
"""

from __future__ import annotations

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer

SALT = "storefront.notify.email-preferences"


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(email: str) -> str:
    """The signed token of an address."""
    return _signer().dumps(email.lower())


def email_of(token: str) -> str | None:
    """The address a token was made for, or None when it is not one of ours."""
    try:
        value = _signer().loads((token or "")[:600])
    except BadSignature:
        return None
    return value if isinstance(value, str) and "@" in value else None


def preferences_url(email: str) -> str:
    """The page where an address chooses what email it gets (absolute)."""
    return url_for("notify.email_preferences", token=token_for(email), _external=True)


def unsubscribe_url(email: str) -> str:
    """The one-click unsubscribe (RFC 8058: a POST from the mail client; a GET shows a button)."""
    return url_for("notify.unsubscribe", token=token_for(email), _external=True)
