"""The cart on the request side: the shopper's cart from its cookie, and the cart cookies (other views use these)."""

from __future__ import annotations

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from ..core.inputs import token_cookie
from ..core.templating import CART_COUNT_COOKIE
from ..extensions import db
from . import service
from .models import Cart

# A known browser: the customer this browser ordered as (set at checkout), so their next cart is theirs.
KNOWN_CUSTOMER_COOKIE = "known_customer"
KNOWN_CUSTOMER_MAX_AGE = 365 * 24 * 3600
_KNOWN_SALT = "storefront.cart.known-customer"


def cart_token() -> str | None:
    """The opaque cart token from the shopper's cookie; a malformed cookie is no cart at all."""
    return token_cookie(request.cookies, current_app.config["CART_COOKIE_NAME"])


def current_cart() -> Cart | None:
    """The shopper's cart, if they have one."""
    return service.find_cart(db.session, cart_token())


def set_cart_cookies(response, token: str | None, count: int):
    """Keep the cart cookie (HttpOnly, 90 days; when a token is given) and the badge count cookie in step."""
    cfg = current_app.config
    secure = bool(cfg.get("FORCE_SECURE_COOKIES") or request.is_secure)
    if token is not None:
        response.set_cookie(
            cfg["CART_COOKIE_NAME"],
            token,
            max_age=cfg["CART_COOKIE_MAX_AGE"],
            httponly=True,
            samesite="Lax",
            secure=secure,
        )
    response.set_cookie(
        CART_COUNT_COOKIE, str(count), max_age=cfg["CART_COOKIE_MAX_AGE"], httponly=False, samesite="Lax", secure=secure
    )
    return response


def _known_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_KNOWN_SALT)


def known_customer_id() -> int | None:
    """The customer id this browser's signed cookie names, or None (absent, altered or not ours)."""
    raw = request.cookies.get(KNOWN_CUSTOMER_COOKIE, "")
    if not raw or len(raw) > 200:
        return None
    try:
        value = _known_signer().loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def remember_customer(response, customer_id: int):
    """Name the customer in a signed, HttpOnly, year-long cookie (checkout sets it after an order)."""
    cfg = current_app.config
    response.set_cookie(
        KNOWN_CUSTOMER_COOKIE,
        _known_signer().dumps(customer_id),
        max_age=KNOWN_CUSTOMER_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=bool(cfg.get("FORCE_SECURE_COOKIES") or request.is_secure),
    )
    return response
