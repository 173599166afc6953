"""The feeds' background job: rebuild the finished feed files soon after the catalog changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from ..jobs import periodic
from . import build, cache
from .rules import REBUILD_JOB

REBUILD = REBUILD_JOB
# Fetchers come daily (Merchant Center) or at most hourly (Meta): a feed up to a minute (plus its
# build, ~2 s on 10,000 products) behind the catalog costs them nothing, and an unchanged catalog
# costs this job one generation read per minute.
REBUILD_EVERY_SECONDS = 60


@periodic(REBUILD, every_seconds=REBUILD_EVERY_SECONDS)
def rebuild(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Build the files of the current catalog generation for SHOP_URL (nothing when SHOP_URL is unset)."""
    folder = cache.cache_dir(current_app.config, current_app.instance_path)
    build.rebuild(session, current_app.config, folder)
