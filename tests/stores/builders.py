"""Builders for store tests."""

from __future__ import annotations

from storefront.extensions import db
from storefront.stores import service
from storefront.stores.models import Store


def make_store(name: str, lat: float, lng: float, city: str = "", postcode: str = "", **extra) -> Store:
    """A committed open store."""
    store = service.save_store(
        db.session,
        Store(),
        name=name,
        address=extra.get("address", "1 Main Street"),
        city=city,
        postcode=postcode,
        latitude=lat,
        longitude=lng,
        opening_hours=extra.get("opening_hours", "Mon-Sat 9-18"),
        pickup=extra.get("pickup", True),
        active=extra.get("active", True),
    )
    db.session.commit()
    return store
