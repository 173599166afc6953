"""Flask extensions, created once and bound to the app in create_app."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import Babel
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


def select_locale() -> str:
    """The shopper's explicit choice, else Accept-Language, else the shop's locale."""
    supported = current_app.config.get("SUPPORTED_LOCALES") or [current_app.config["SHOP_LOCALE"]]
    chosen = request.cookies.get("locale")
    if chosen in supported:
        return chosen
    return request.accept_languages.best_match(supported) or current_app.config["SHOP_LOCALE"]


babel = Babel()
