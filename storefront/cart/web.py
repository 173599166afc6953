"""The cart on the request side: the shopper's cart from its cookie, and the cart cookies (other views use these)."""

from __future__ import annotations

from flask import current_app, request

from ..core.inputs import token_cookie
from ..core.templating import CART_COUNT_COOKIE
from ..extensions import db
from . import service
from .models import Cart


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
