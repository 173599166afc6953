"""Scale the demo shop to N products (bulk inserts), and stock up variants for checkout loads.

    DATABASE_URL=... .venv/bin/python bench/scale.py --products 10000
    DATABASE_URL=... .venv/bin/python bench/scale.py --stock-up 100000 --variants 12

Run after `flask --app wsgi init-db` and `seed-demo`. Products are added until the shop has
`--products` of them (idempotent: a second run adds nothing). They are spread over the demo
categories plus a few more, with 1-4 variants each, stock written through the ledger's shape
(one "initial" stock movement per stocked variant, so ledger sums equal on-hand) and
descriptions rendered by the shop's own sanitiser. They have no photos (the templates show a
placeholder) and are dated before the demo products, so the first page of every listing still
shows the demo products with their photos: the extra rows cost what they cost in counts,
scans and indexes without changing what the benchmarked pages look like.

--stock-up N raises the on-hand of --variants in-stock demo variants (one per product, cheapest
product first) to N through inventory.adjust_stock (a "received" movement in the ledger) and
prints `checkout-variant <id> <product slug>` for each: the checkout load buys those.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import storefront.models  # noqa: E402,F401  (every model, so relationships by name resolve when run as a script)
from storefront import create_app  # noqa: E402
from storefront.catalog.models import Category, Product, Variant  # noqa: E402
from storefront.catalog.rules import render_description, slugify  # noqa: E402
from storefront.clock import utcnow  # noqa: E402
from storefront.extensions import db  # noqa: E402
from storefront.inventory.models import StockMovement  # noqa: E402
from storefront.inventory.service import adjust_stock  # noqa: E402

CHUNK = 1000
EXTRA_CATEGORIES = ("Garden", "Toys", "Stationery", "Outdoor", "Bags", "Jewellery", "Bedding", "Lighting")
ADJECTIVES = (
    "Classic",
    "Organic",
    "Handmade",
    "Everyday",
    "Vintage",
    "Slim",
    "Oversized",
    "Recycled",
    "Soft",
    "Rustic",
)
MATERIALS = ("wool", "linen", "cotton", "leather", "oak", "ceramic", "bamboo", "canvas", "silk", "brass", "glass")
NOUNS = ("coat", "shirt", "scarf", "bag", "mug", "bowl", "lamp", "cushion", "notebook", "planter", "blanket", "wallet")
VARIANT_NAMES = (("S", "M", "L", "XL"), ("Black", "Navy", "Sand", "Forest"), ("",))
DESCRIPTION = """{title}, made by a small workshop we know by name.

**Details**

- {material} that gets better with use
- Ships in plastic-free packaging
- Free exchange within 30 days

Care: {care}. Questions? Ask us in the chat."""
CARE = ("wash cool, dry flat", "wipe clean", "air it out, brush gently", "hand wash only")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=0, help="add products until the shop has this many")
    parser.add_argument("--stock-up", type=int, default=0, metavar="UNITS", help="raise checkout variants to UNITS")
    parser.add_argument("--variants", type=int, default=12, help="how many variants --stock-up prepares")
    parser.add_argument("--seed", type=int, default=11, help="random seed (same seed, same catalogue)")
    return parser.parse_args(argv)


def ensure_categories() -> list[int]:
    """The demo categories plus EXTRA_CATEGORIES (created once); their ids."""
    session = db.session
    existing = {c.name: c for c in session.scalars(select(Category))}
    position = max((c.position for c in existing.values()), default=-1)
    for name in EXTRA_CATEGORIES:
        if name not in existing:
            position += 1
            session.add(Category(name=name, slug=slugify(name), position=position))
    session.flush()
    return sorted(session.scalars(select(Category.id)))


def product_rows(start: int, count: int, category_ids: list[int], oldest: datetime, rng: random.Random) -> list[dict]:
    """`count` product rows numbered from `start`, each older than the one before."""
    rows = []
    for n in range(start, start + count):
        material = rng.choice(MATERIALS)
        title = f"{rng.choice(ADJECTIVES)} {material} {rng.choice(NOUNS)} no. {n}"
        text = DESCRIPTION.format(title=title, material=material.capitalize(), care=rng.choice(CARE))
        created = oldest - timedelta(minutes=7 * (n + 1))
        rows.append(
            {
                "slug": slugify(title)[:120],
                "title": title,
                "description_md": text,
                "description_html": render_description(text),
                "price": rng.randrange(500, 25000, 100) - 1,
                "category_id": rng.choice(category_ids),
                "featured": False,
                "status": "published",
                "created_at": created,
                "updated_at": created,
            }
        )
    return rows


def variant_rows(product_ids: list[int], rng: random.Random) -> list[dict]:
    """1-4 variants per product, most in stock, a few sold out or running low."""
    rows = []
    for product_id in product_ids:
        names = rng.choice(VARIANT_NAMES)
        for position, name in enumerate(names[: rng.randint(1, len(names))]):
            rows.append(
                {
                    "product_id": product_id,
                    "sku": f"SCALE-{product_id}-{position + 1}",
                    "name": name,
                    "price_override": None,
                    "on_hand": rng.choice((0, 2, 5, 12, 25, 40, 80)),
                    "reserved": 0,
                    "low_stock_threshold": 3,
                    "position": position,
                    "archived": False,
                }
            )
    return rows


def add_products(target: int, seed: int) -> int:
    """Bulk-insert products (and variants, stock movements) until there are `target`; returns how many."""
    session = db.session
    have = session.scalar(select(func.count(Product.id))) or 0
    if have >= target:
        print(f"  {have:,} products already: nothing to add", flush=True)
        return 0
    rng = random.Random(seed * 7919 + have)
    category_ids = ensure_categories()
    oldest = session.scalar(select(func.min(Product.created_at))) or utcnow()
    now, added, started = utcnow(), 0, time.perf_counter()
    while have + added < target:
        count = min(CHUNK, target - have - added)
        rows = product_rows(have + added, count, category_ids, oldest, rng)
        stmt = insert(Product).returning(Product.id, sort_by_parameter_order=True)
        product_ids = list(session.scalars(stmt, rows))
        variants = variant_rows(product_ids, rng)
        stmt = insert(Variant).returning(Variant.id, sort_by_parameter_order=True)
        variant_ids = list(session.scalars(stmt, variants))
        ledger = [
            {"variant_id": vid, "delta": v["on_hand"], "on_hand_after": v["on_hand"], "reason": "initial", "note": ""}
            | {"created_at": now}
            for vid, v in zip(variant_ids, variants, strict=True)
            if v["on_hand"]
        ]
        if ledger:
            session.execute(insert(StockMovement), ledger)
        session.commit()
        added += count
        print(f"  {have + added:,}/{target:,} products ({time.perf_counter() - started:.0f} s)", flush=True)
    return added


def stock_up(units: int, how_many: int) -> list[tuple[int, str]]:
    """Raise `how_many` in-stock demo variants (one per product, cheapest first) to `units`; (id, slug) pairs."""
    session = db.session
    stmt = (
        select(Variant.id, Variant.on_hand, Product.id, Product.slug)
        .join(Product, Product.id == Variant.product_id)
        .where(Product.archived.is_(False), Variant.archived.is_(False), Variant.on_hand > 0)
        .where(~Variant.sku.startswith("SCALE-"))  # the demo shop's products, not the scaled ones
        .order_by(Product.price, Variant.id)
    )
    picked: list[tuple[int, str]] = []
    products: set[int] = set()
    for variant_id, on_hand, product_id, slug in session.execute(stmt):
        if product_id in products:
            continue
        products.add(product_id)
        if on_hand < units:
            adjust_stock(session, variant_id, units - on_hand, "received", utcnow(), None, note="bench stock-up")
        picked.append((variant_id, slug))
        if len(picked) == how_many:
            break
    session.commit()
    return picked


def main(argv: list[str] | None = None) -> int:
    """Entry point: scale, stock up, or both, on DATABASE_URL."""
    args = parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        print("DATABASE_URL must name the bench database", file=sys.stderr)
        return 2
    app = create_app({"REQUEST_LOG": False})
    with app.app_context():
        if args.products:
            add_products(args.products, args.seed)
        if args.stock_up:
            for variant_id, slug in stock_up(args.stock_up, args.variants):
                print(f"checkout-variant {variant_id} {slug}", flush=True)
        db.session.remove()
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
