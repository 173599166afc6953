"""Brand use cases: the brand in force (stored row over the configured defaults) and saving it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..catalog.generation import mark_changed
from ..catalog.models import Category
from ..clock import utcnow
from ..domain import N_
from .models import BrandSettings
from .rules import Brand, BrandRefused, clean, from_data, to_data

ROW_ID = 1


def config_brand(config: Mapping) -> Brand:
    """The brand an unconfigured shop has: today's settings (SHOP_NAME, THEME_COLOR, ...)."""
    return Brand(
        name=config["SHOP_NAME"],
        short_name=config.get("SHOP_SHORT_NAME") or "",
        theme_color=config["THEME_COLOR"],
        background_color=config["BACKGROUND_COLOR"],
        accent_color=config.get("BRAND_ACCENT_COLOR") or "#e3eff1",
    )


def load_brand(conn: Connection | Session, config: Mapping) -> Brand:
    """The brand in force: the saved row over the configured defaults."""
    data = conn.execute(select(BrandSettings.data).where(BrandSettings.id == ROW_ID)).scalar_one_or_none()
    base = config_brand(config)
    return from_data(data, base) if data else base


def save_brand(
    session: Session, config: Mapping, *, user_id: int | None = None, now: datetime | None = None, **fields: object
) -> Brand:
    """Check and store the brand with `fields` changed (name=..., theme_color=...); flushes, never commits.

    Refuses (BrandRefused, nothing written) a bad value or a colour pair below WCAG AA. The
    catalog generation is bumped with it, so cached shopper pages and every worker's copy of
    the brand follow at the next request. The demo seed calls this too.
    """
    unknown = set(fields) - set(Brand.__dataclass_fields__) - {"defaults"}
    if unknown:
        raise TypeError(f"unknown brand fields: {sorted(unknown)}")
    brand = clean(replace(load_brand(session, config), **fields))
    if brand.featured or brand.hero_category:
        brand = _only_existing_categories(session, brand)
    row = session.get(BrandSettings, ROW_ID) or _create_row(session, now or utcnow())
    row.data = to_data(brand)
    row.updated_at = now or utcnow()
    row.updated_by = user_id
    mark_changed(session)
    session.flush()
    return brand


def _create_row(session: Session, now: datetime) -> BrandSettings:
    """The brand row when it is missing (migration 0018 inserts it, so only a shop built without
    migrations gets here): inserted in a savepoint, and if a concurrent first save inserted it
    meanwhile (IntegrityError), that row is used: the save then only updates it, never a 500."""
    try:
        with session.begin_nested():
            row = BrandSettings(id=ROW_ID, data={}, updated_at=now)
            session.add(row)
        return row
    except IntegrityError:
        return session.get(BrandSettings, ROW_ID, populate_existing=True)


def _only_existing_categories(session: Session, brand: Brand) -> Brand:
    """Refuse a featured or hero category that does not exist (a stale form)."""
    wanted = {*brand.featured, *([brand.hero_category] if brand.hero_category else [])}
    found = set(session.scalars(select(Category.id).where(Category.id.in_(wanted))))
    if wanted - found:
        raise BrandRefused(N_("That category no longer exists; reload the page."), "featured")
    return brand


def featured_categories(session: Session, brand: Brand) -> list[Category]:
    """The brand's featured categories in the owner's order (deleted ones skipped)."""
    if not brand.featured:
        return []
    found = {c.id: c for c in session.scalars(select(Category).where(Category.id.in_(brand.featured)))}
    return [found[i] for i in brand.featured if i in found]
