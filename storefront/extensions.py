"""Flask extensions, created once and bound to the app in create_app."""

from __future__ import annotations

from functools import lru_cache

from flask import current_app, request
from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from .db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
cache = Cache()  # shopper pages (core.pagecache); configured there from REDIS_URL


def supported_locales() -> list[str]:
    """The languages the shop speaks (SUPPORTED_LOCALES), its own locale always among them."""
    supported = list(current_app.config.get("SUPPORTED_LOCALES") or [])
    shop_locale = current_app.config["SHOP_LOCALE"]
    return supported if shop_locale in supported else [*supported, shop_locale]


def select_locale() -> str:
    """The shopper's explicit choice (the locale cookie), else Accept-Language, else the shop's locale."""
    supported = supported_locales()
    chosen = request.cookies.get(current_app.config.get("LOCALE_COOKIE_NAME", "locale"))
    if chosen in supported:
        return chosen
    return (
        _negotiated(request.headers.get("Accept-Language", ""), tuple(supported)) or current_app.config["SHOP_LOCALE"]
    )


@lru_cache(maxsize=512)
def _negotiated(accept_language: str, supported: tuple[str, ...]) -> str | None:
    """The supported language an Accept-Language header asks for (browsers send a few distinct headers).

    Remembered per header: parsing and negotiating cost more than serving a cached page.
    """
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    from .core.locales import negotiate

    accepted = [tag for tag, quality in parse_accept_header(accept_language, LanguageAccept) if quality > 0]
    return negotiate(accepted, list(supported))


babel = Babel()
