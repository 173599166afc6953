"""Flask extensions, created once and bound to the app in create_app."""

from __future__ import annotations

from flask import current_app
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


def rate_limits_off() -> bool:
    """`exempt_when` of the shop's per-address limits: load benchmarks switch them off (RATELIMIT_ENABLED=False)."""
    return not current_app.config.get("RATELIMIT_ENABLED", True)


cache = Cache()  # shopper pages (core.pagecache); configured there from REDIS_URL


babel = Babel()
