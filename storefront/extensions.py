"""Flask extensions, created once and bound to the app in create_app."""

from __future__ import annotations

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
    from .core.locales import negotiate

    supported = supported_locales()
    chosen = request.cookies.get(current_app.config.get("LOCALE_COOKIE_NAME", "locale"))
    if chosen in supported:
        return chosen
    accepted = [tag for tag, quality in request.accept_languages if quality > 0]
    return negotiate(accepted, supported) or current_app.config["SHOP_LOCALE"]


babel = Babel()
