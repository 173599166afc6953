"""The demo shop: a realistic catalogue with variants, stock and generated photos (no network)."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

from .catalog import service as catalog
from .catalog.images import render_demo_photo
from .catalog.models import Category, Product
from .clock import utcnow
from .inventory.service import adjust_stock

SIZES = ("S", "M", "L", "XL")
COLOURS = ("Black", "Navy", "Sand", "Forest")

# category -> (products, price range in minor units, variant kind)
CATALOGUE = {
    "Clothing": (
        [
            "Merino wool coat",
            "Linen shirt",
            "Cotton hoodie",
            "Denim jacket",
            "Knit jumper",
            "Rain jacket",
            "Chino trousers",
            "Summer dress",
        ],
        (2500, 18000),
        "size",
    ),
    "Shoes": (["Canvas sneakers", "Leather boots", "Running shoes", "Sandals", "Loafers"], (3000, 14000), "size"),
    "Home": (
        [
            "Ceramic vase",
            "Wool throw",
            "Linen cushion",
            "Scented candle",
            "Oak side table",
            "Woven basket",
            "Wall clock",
        ],
        (1200, 22000),
        "colour",
    ),
    "Kitchen": (
        [
            "Enamel mug",
            "Chef's knife",
            "Cast iron pan",
            "Bamboo board",
            "Pour-over kettle",
            "Glass storage jars",
            "Stoneware bowl set",
        ],
        (900, 9000),
        "colour",
    ),
    "Beauty": (["Olive oil soap", "Hand cream", "Lip balm", "Face serum", "Bath salts"], (500, 4500), "none"),
    "Accessories": (
        [
            "Leather wallet",
            "Canvas tote",
            "Wool beanie",
            "Silk scarf",
            "Sunglasses",
            "Travel backpack",
            "Card holder",
            "Belt",
        ],
        (1500, 9500),
        "colour",
    ),
}

DESCRIPTION = """{title} from our small-batch makers.

**Why you'll like it**

- Made to last, easy to care for
- Ships in plastic-free packaging
- Free exchange within 30 days

Questions? Ask us in the chat and we'll answer within the hour."""


def _variants(kind: str, rng: random.Random) -> list[tuple[str, int | None]]:
    """(name, price override) pairs for one product."""
    if kind == "size":
        return [(size, None) for size in SIZES]
    if kind == "colour":
        picked = rng.sample(COLOURS, k=rng.randint(2, 3))
        return [(colour, None) for colour in picked]
    return [("", None)]


def _add_photo(session: Session, product: Product, seed: int) -> None:
    """Generate a photo for the product and store it like an upload."""
    photo = render_demo_photo(product.title, seed, (800, 800))
    catalog.store_photo(session, product, photo, Path(current_app.config["MEDIA_ROOT"]), alt=product.title)


def seed_catalog(session: Session, seed: int = 7) -> int:
    """Create the demo categories, products, variants, stock and photos; returns the product count."""
    rng = random.Random(seed)
    now = utcnow()
    count = 0
    for position, (name, (titles, (low, high), kind)) in enumerate(CATALOGUE.items()):
        category = Category(name=name, slug=catalog.unique_slug(session, name), position=position)
        session.add(category)
        session.flush()
        for title in titles:
            price = rng.randrange(low, high, 100) - 1  # prices like 24.99
            product = catalog.save_product(
                session,
                Product(),
                title=title,
                slug="",
                price=price,
                description_md=DESCRIPTION.format(title=title),
                category_id=category.id,
                featured=rng.random() < 0.2,
                now=now - timedelta(hours=count * 7),
            )
            for index, (variant_name, override) in enumerate(_variants(kind, rng)):
                sku = f"{product.slug[:20].upper()}-{index + 1}"
                variant = catalog.add_variant(
                    session, product, sku=sku, name=variant_name, price_override=override, low_stock_threshold=3
                )
                stock = rng.choice([0, 2, 3, 8, 12, 25, 40]) if count % 9 else 0
                if stock:
                    adjust_stock(session, variant.id, stock, "initial", now, None)
            _add_photo(session, product, seed * 1000 + count)
            count += 1
    return count


DEMO_STORES = (
    # name, address, city, postcode, latitude, longitude, hours, pickup
    ("Market Street", "12 Market Street", "Manchester", "M1 1AA", 53.4826, -2.2393, "Mon-Sat 9:00-18:00", True),
    ("Camden Lock", "3 Chalk Farm Road", "London", "NW1 8AB", 51.5413, -0.1466, "Daily 10:00-19:00", True),
    ("Harbourside", "8 Anchor Road", "Bristol", "BS1 5DB", 51.4504, -2.5990, "Tue-Sun 10:00-17:00", False),
)
DEMO_SELLER_EMAIL = "seller@example.com"


def seed_stores_and_seller(session: Session) -> str:
    """Demo stores (two with pickup) and one seller at 10 %; returns the seller's one-time password."""
    from .sellers import accounts
    from .stores import service as stores
    from .stores.models import Store

    for name, address, city, postcode, lat, lng, hours, pickup in DEMO_STORES:
        stores.save_store(
            session,
            Store(),
            name=name,
            address=address,
            city=city,
            postcode=postcode,
            latitude=lat,
            longitude=lng,
            opening_hours=hours,
            pickup=pickup,
            active=True,
        )
    _seller, password = accounts.create_seller(
        session,
        email=DEMO_SELLER_EMAIL,
        name="Demo Seller",
        phone="",
        password=None,
        code="DEMO10",
        rate_bp=1000,
        overrides={},
        now=utcnow(),
    )
    return password
