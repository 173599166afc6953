"""The demo shop: Alder & Clay, a small Portland pottery studio, with generated photos (no network).

One identity throughout, matching the shop's default settings (US dollars, the US, English):
the brand below, Portland stores with Oregon addresses and phone numbers, a catalogue of
stoneware, candles, bags and paper goods priced in dollars, and photos of those very objects.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from .catalog import sales
from .catalog import service as catalog
from .catalog.demo_pictures import render_demo_logo
from .catalog.images import render_demo_photo
from .catalog.models import Category, Product, Variant
from .catalog.rules import PUBLISHED
from .catalog.sale_rules import PERCENT, SaleTerms
from .clock import utcnow
from .inventory.service import adjust_stock

# The shop's identity, for the brand settings (shop name, colours, hero, contact links).
DEMO_BRAND = {
    "shop_name": "Alder & Clay",
    "short_name": "Alder & Clay",
    "country": "US",
    "currency": "USD",
    "locale": "en",
    "timezone": "America/Los_Angeles",
    "brand_colour": "#2f5d50",  # deep fir green: 7.5:1 with white text
    "accent_colour": "#f2e1d0",  # pale clay: the announcement bar, dark text on it (13:1)
    "background_colour": "#faf7f2",  # warm paper
    "headline": "Stoneware thrown by hand in Portland",
    "sub_headline": "Mugs, bowls and planters made in small batches in our Alberta Street studio, "
    "plus candles and goods for slow mornings.",
    "announcement": "Free pickup at our Portland studios · $5 flat-rate shipping anywhere in the US",
    "whatsapp": "+15035550142",
    "phone": "(503) 555-0142",
    "email": "hello@alderandclay.example.com",
    "instagram": "https://www.instagram.com/alderandclay.demo",
    "shipping_note": "Packed by hand in recycled paper and shipped from Portland within 2 business days. "
    "$5 flat rate anywhere in the US.",
    "returns_note": "Return anything unused within 30 days for a full refund. Arrived chipped? "
    "Send us a photo and we'll ship a new one.",
    "contact_note": "Questions about glazes, sizes or gifts? Call or text us Tuesday to Sunday, 10am to 6pm Pacific.",
}


# The settings the demo's prices, addresses, text and opening hours are written for.
DEMO_SETTINGS = {
    "SHOP_CURRENCY": DEMO_BRAND["currency"],
    "SHOP_COUNTRY": DEMO_BRAND["country"],
    "SHOP_LOCALE": DEMO_BRAND["locale"],
    "SHOP_TIMEZONE": DEMO_BRAND["timezone"],
}


def settings_mismatches(config) -> list[str]:
    """The shop settings that disagree with the demo's identity, as "NAME=wanted (is now)" lines."""
    return [
        f"{name}={wanted} (is {config.get(name)})"
        for name, wanted in DEMO_SETTINGS.items()
        if str(config.get(name)) != wanted
    ]


class DemoProduct(NamedTuple):
    """One demo product: what the photo shows, its price in cents, its variants and its story."""

    title: str
    kind: str  # a demo picture kind (catalog.demo_pictures.KINDS)
    price: int  # cents
    colours: tuple[str, ...]  # variant names and photo colours; sized products: the colour photographed
    story: str


SIZES = ("S", "M", "L", "XL")
PHOTO_SIZE = (640, 640)
_SIZED_KINDS = frozenset({"tee"})

# One product per two lines reads better than one field per line.
# fmt: off
CATALOGUE: dict[str, tuple[DemoProduct, ...]] = {
    "Mugs & Cups": (
        DemoProduct("Speckled morning mug", "mug", 3400, ("Oat", "Sage", "Charcoal"),
                    "Our everyday 12 oz mug, with a thumb rest on the handle and iron speckles that rise through the "
                    "glaze in the kiln."),
        DemoProduct("Big latte mug", "mug", 3800, ("Cream", "Ocean", "Rust"),
                    "A generous 16 oz for long weekend lattes; the wide mouth leaves room for latte art."),
        DemoProduct("Espresso cup pair", "mug", 4200, ("Charcoal", "Cream"),
                    "Two 3 oz cups with thick walls that keep a double shot hot to the last sip."),
        DemoProduct("Small tea mug", "mug", 3000, ("Blush", "Sage"),
                    "An 8 oz mug sized for a pot of tea poured one cup at a time."),
        DemoProduct("Camp mug", "mug", 3200, ("Forest", "Mustard", "Indigo"),
                    "Stoneware with a camp-mug shape, for the porch rather than the trail."),
        DemoProduct("Diner mug", "mug", 3200, ("Ocean", "Cream"),
                    "A heavy 10 oz mug after the ones in our favorite Southeast Portland diner."),
    ),
    "Bowls & Plates": (
        DemoProduct("Ramen bowl", "bowl", 4400, ("Indigo", "Sage", "Charcoal"),
                    "Deep enough for broth, noodles and a soft egg; 7 inches across and 36 oz."),
        DemoProduct("Cereal bowl", "bowl", 2800, ("Oat", "Blush", "Ocean"),
                    "The bowl we reach for every morning: 6 inches across, 20 oz."),
        DemoProduct("Serving bowl", "bowl", 6800, ("Cream", "Forest"),
                    "A 10-inch bowl for salads and summer fruit, thrown in one piece from 6 lb of clay."),
        DemoProduct("Berry bowl", "bowl", 2600, ("Rust", "Mustard"),
                    "A small bowl for a pint of Oregon berries straight from the farmers market."),
        DemoProduct("Pasta bowl", "bowl", 3800, ("Terracotta", "Cream"),
                    "Low and wide, with a rim to hold the sauce; 9 inches across."),
        DemoProduct("Dinner plate", "plate", 3600, ("Cream", "Charcoal", "Sage"),
                    "A 10.5-inch plate with a raised rim and a satin glaze that shows off the food."),
        DemoProduct("Side plate", "plate", 2600, ("Oat", "Ocean"),
                    "An 8-inch plate for toast, cake or a bit of everything."),
    ),
    "Vases & Planters": (
        DemoProduct("Bud vase", "vase", 3200, ("Terracotta", "Sage", "Cream"),
                    "Five inches tall, for one stem from the garden or a sprig of eucalyptus."),
        DemoProduct("Bottle vase", "vase", 5800, ("Charcoal", "Oat"),
                    "A narrow-necked bottle that holds dried grasses as well as fresh flowers."),
        DemoProduct("Tall floor vase", "vase", 12000, ("Rust", "Indigo"),
                    "Eighteen inches tall and thrown in two sections; big branches welcome."),
        DemoProduct("Small planter with saucer", "planter", 3400, ("Cream", "Terracotta", "Sage"),
                    "A 4-inch planter with a drainage hole and its own saucer, for succulents and cuttings."),
        DemoProduct("Large planter", "planter", 7800, ("Charcoal", "Oat"),
                    "An 8-inch planter for a fiddle leaf fig or a monstera that has outgrown its pot."),
        DemoProduct("Hanging planter", "planter", 4600, ("Blush", "Ocean"),
                    "Comes with a jute hanger knotted by a friend of the studio in Sellwood."),
        DemoProduct("Herb pot trio", "planter", 5400, ("Terracotta", "Sage"),
                    "Three 3-inch pots for basil, thyme and mint on a sunny windowsill."),
    ),
    "Candles": (
        DemoProduct("Douglas fir candle", "candle", 3200, ("Forest",),
                    "Fir needle, cedar and a little citrus: a walk in Forest Park in a cup."),
        DemoProduct("Coastal fog candle", "candle", 3200, ("Ocean",),
                    "Sea salt, driftwood and sage, for the Oregon coast on a grey morning."),
        DemoProduct("Cedar and smoke candle", "candle", 3400, ("Charcoal",),
                    "Cedarwood, vetiver and a campfire's last embers."),
        DemoProduct("Rainy day candle", "candle", 3000, ("Sage",),
                    "Petrichor, moss and green tea for the months it rains in Portland."),
        DemoProduct("Wool and amber candle", "candle", 3400, ("Oat",),
                    "Warm amber, vanilla and clean wool, like a favorite sweater."),
        DemoProduct("Orange blossom candle", "candle", 3000, ("Mustard",),
                    "Orange blossom and honey, bright enough for a winter morning."),
    ),
    "Bags & Apparel": (
        DemoProduct("Studio tee", "tee", 3200, ("Charcoal",),
                    "The tee we wear at the wheel: heavyweight cotton that softens with every wash."),
        DemoProduct("Kiln crew tee", "tee", 3400, ("Rust",),
                    "Our kiln crew's shirt, printed by hand at a screen-print shop on Williams Avenue."),
        DemoProduct("Canvas market tote", "tote", 2800, ("Natural", "Charcoal"),
                    "Sturdy enough for a Saturday at the farmers market, with handles long enough for a shoulder."),
        DemoProduct("Waxed canvas tote", "tote", 6400, ("Mustard", "Forest"),
                    "Waxed canvas that shrugs off Portland drizzle and gets better with every scuff."),
        DemoProduct("Merino wool beanie", "beanie", 3800, ("Oat", "Rust", "Charcoal"),
                    "A ribbed beanie in soft merino wool, knit in Oregon; one size fits most."),
        DemoProduct("Chunky knit beanie", "beanie", 3400, ("Cream", "Ocean"),
                    "A thick wool-blend knit with a pompom, for the coldest mornings at the studio."),
    ),
    "Paper Goods": (
        DemoProduct("Linen sketchbook", "notebook", 2400, ("Sage", "Blush", "Indigo"),
                    "A linen-bound sketchbook with 120 pages of heavy paper that takes pencil, ink and light "
                    "watercolor."),
        DemoProduct("Dot grid notebook", "notebook", 1800, ("Charcoal", "Ocean", "Terracotta"),
                    "A5, lay-flat binding, 160 pages of dot grid for lists, plans and glaze recipes."),
        DemoProduct("Recipe journal", "notebook", 2600, ("Cream", "Forest"),
                    "Pages with room for ingredients, method and who you cooked it for."),
        DemoProduct("Pocket notebook set", "notebook", 1400, ("Mustard", "Indigo"),
                    "Three pocket notebooks for the car, the coat and the kitchen drawer."),
        DemoProduct("Glaze journal", "notebook", 2200, ("Oat",),
                    "The notebook we use in the studio to log every glaze test, kiln load and result."),
        DemoProduct("Travel journal", "notebook", 2800, ("Rust", "Charcoal"),
                    "A soft cover and an elastic band, ready for a road trip down the Oregon coast."),
    ),
}
# fmt: on

# What each kind is made of and how to look after it (the description's last lines).
_MATERIAL_CARE = {
    "mug": ("Mid-fire stoneware with a lead-free, food-safe glaze.", "Dishwasher and microwave safe."),
    "bowl": ("Mid-fire stoneware with a lead-free, food-safe glaze.", "Dishwasher and microwave safe."),
    "plate": ("Mid-fire stoneware with a lead-free, food-safe glaze.", "Dishwasher and microwave safe."),
    "vase": ("Stoneware, glazed inside so it holds water.", "Rinse and air dry; not for the dishwasher."),
    "planter": ("Stoneware with a drainage hole; unglazed foot.", "Wipe clean; bring it inside before a hard frost."),
    "candle": (
        "Coconut-soy wax, cotton wick, 8 oz in a reusable stoneware cup.",
        "Trim the wick to 1/4 inch; burns about 45 hours.",
    ),
    "tee": ("100% organic cotton, 6.5 oz jersey.", "Machine wash cold, tumble dry low."),
    "tote": ("Heavy cotton canvas with reinforced handles.", "Spot clean or machine wash cold; air dry."),
    "beanie": ("Merino wool and wool blends, knit in Oregon.", "Hand wash cold and dry flat."),
    "notebook": ("Recycled paper, linen or card cover, lay-flat binding.", "Keep it dry; write in it often."),
}

DESCRIPTION = """{story}

Made in small batches in our studio in Portland, Oregon, so no two are exactly alike.

**Material:** {material}

**Care:** {care}"""


def _variants(item: DemoProduct) -> list[str]:
    """Variant names: sizes for clothing, else one per colour ("" for a single colour)."""
    if item.kind in _SIZED_KINDS:
        return list(SIZES)
    return list(item.colours) if len(item.colours) > 1 else [""]


def _photo_plan(item: DemoProduct) -> list[tuple[str, int]]:
    """(colour, view) of each photo: two colourways, or one colour and a close-up (every product has two)."""
    plan = [(colour, 0) for colour in item.colours[:2]]
    if len(plan) == 1:
        plan.append((item.colours[0], 2))
    return plan


def _add_photos(session: Session, product: Product, item: DemoProduct, seed: int) -> None:
    """Generate the product's photos and store them like uploads, first photo first."""
    media = Path(current_app.config["MEDIA_ROOT"])
    for colour, view in _photo_plan(item):
        # 640 px: the largest rendition a photo this size gets anyway (images.WIDTHS), and quicker to draw.
        photo = render_demo_photo(product.title, seed, PHOTO_SIZE, kind=item.kind, colour=colour, view=view)
        alt = f"{product.title}, {colour.lower()}" + (", close-up" if view == 2 else "")
        catalog.store_photo(session, product, photo, media, alt=alt)


def seed_catalog(session: Session, seed: int = 7) -> int:
    """Create the demo categories, products, variants, stock and photos; returns the product count."""
    rng = random.Random(seed)
    now = utcnow()
    count = 0
    for position, (name, items) in enumerate(CATALOGUE.items()):
        category = Category(name=name, slug=catalog.unique_slug(session, name), position=position)
        session.add(category)
        session.flush()
        for item in items:
            product = catalog.save_product(
                session,
                Product(),
                title=item.title,
                slug="",
                price=item.price,
                description_md=DESCRIPTION.format(story=item.story, **_describe(item.kind)),
                category_id=category.id,
                featured=rng.random() < 0.2,
                now=now - timedelta(hours=count * 7),
            )
            for index, variant_name in enumerate(_variants(item)):
                sku = f"{product.slug[:20].upper()}-{index + 1}"
                variant = catalog.add_variant(
                    session, product, sku=sku, name=variant_name, price_override=None, low_stock_threshold=3
                )
                stock = rng.choice([0, 2, 3, 8, 12, 25, 40]) if count % 9 else 0
                if stock:
                    adjust_stock(session, variant.id, stock, "initial", now, None)
            _add_photos(session, product, item, seed * 1000 + count)
            count += 1
    seed_sale(session, now)
    return count


def seed_sale(session: Session, now: datetime) -> None:
    """One running sale: 20 % off the first product in stock, from an hour ago for three days."""
    product = session.scalars(
        select(Product).join(Product.variants).where(Variant.on_hand > 0).order_by(Product.id).limit(1)
    ).first()
    if product is not None:
        terms = SaleTerms(PERCENT, 20, now - timedelta(hours=1), now + timedelta(days=3))
        sales.create_sale(session, product.id, terms, now)


def _describe(kind: str) -> dict[str, str]:
    """The material and care lines of a kind of product."""
    material, care = _MATERIAL_CARE[kind]
    return {"material": material, "care": care}


class DemoStore(NamedTuple):
    """A demo store: a real-looking Portland address, an Oregon phone number, its hours."""

    name: str
    address: str
    city: str
    region: str
    postcode: str
    country: str
    phone: str  # E.164 (stores have no phone column yet; the brand's contact settings may use it)
    latitude: float
    longitude: float
    hours: str
    pickup: bool


DEMO_STORES = (
    DemoStore(
        "Alberta Street studio",
        "1823 NE Alberta St",
        "Portland",
        "OR",
        "97211",
        "US",
        "+15035550142",
        45.5590,
        -122.6468,
        "Tue-Sat 10am-6pm, Sun 11am-5pm",
        True,
    ),
    DemoStore(
        "Division Street shop",
        "3346 SE Division St",
        "Portland",
        "OR",
        "97202",
        "US",
        "+15035550178",
        45.5048,
        -122.6297,
        "Daily 10am-7pm",
        True,
    ),
    DemoStore(
        "Pearl District kiln and classes",
        "1120 NW Couch St",
        "Portland",
        "OR",
        "97209",
        "US",
        "+15035550119",
        45.5237,
        -122.6830,
        "Wed-Sun 11am-5pm (classes and kiln pickups only)",
        False,
    ),
)
DEMO_SELLER_EMAIL = "seller@example.com"
DEMO_SELLER_CODE = "DEMO10"
DEMO_SELLER = {"name": "Maya Okafor", "phone": "+15035550163"}  # a ceramics teacher who sells on commission


def seed_stores_and_seller(session: Session) -> str:
    """Demo stores (two with pickup) and one seller at 10 %; returns the seller's one-time password."""
    from .sellers import accounts
    from .stores import service as stores
    from .stores.models import Store

    for store in DEMO_STORES:
        stores.save_store(
            session,
            Store(),
            name=store.name,
            address=store.address,
            city=f"{store.city}, {store.region}",
            postcode=store.postcode,
            latitude=store.latitude,
            longitude=store.longitude,
            opening_hours=store.hours,
            pickup=store.pickup,
            active=True,
        )
    _seller, password = accounts.create_seller(
        session,
        email=DEMO_SELLER_EMAIL,
        name=DEMO_SELLER["name"],
        phone=DEMO_SELLER["phone"],
        password=None,
        code=DEMO_SELLER_CODE,
        rate_bp=1000,
        overrides={},
        now=utcnow(),
    )
    seed_seller_pages(session)
    return password


# --- Sellers' pages and collections (issue 21): each demo seller's bio, contact, picks and two
# collections, a second seller for the owner's ranking, one collection of the shop's own, and a
# few weeks of clicks so Admin > Sellers ranks something. Positions run 0..n like the showcase's.

DEMO_SELLER_PAGES = (
    {
        "code": "DEMO10",
        "bio": "Ceramics teacher in Portland. I pick the pieces I use in class and at home: "
        "sturdy, dishwasher-safe and lovely to hold.",
        "whatsapp": "+15035550163",
        "collections": (
            ("My studio favourites", "What is on my own shelf this season.", "maya-studio-favourites"),
            ("Gifts under $40", "Small things that travel well in a gift box.", "maya-gifts-under-40"),
        ),
    },
    {
        "code": "TOMAS8",
        "email": "tomas@example.com",
        "name": "Tomás Rivera",
        "phone": "+15035550177",
        "rate_bp": 800,
        "bio": "Home cook and coffee nerd. Mugs, bowls and linens I reach for every morning.",
        "whatsapp": "+15035550177",
        "collections": (
            ("Slow breakfast", "Mugs and bowls for a long Sunday morning.", "tomas-slow-breakfast"),
            ("New this week", "Fresh from the kiln, picked on Monday.", "tomas-new-this-week"),
        ),
    },
)
DEMO_SHOP_COLLECTION = ("Staff picks", "What the studio team would take home.", "staff-picks")
DEMO_PICKS = 6
DEMO_COLLECTION_SIZE = 4


def seed_seller_pages(session: Session) -> None:
    """Approved demo sellers with a bio, WhatsApp shown, 6 picks and two collections each; a shop collection."""
    from .sellers import accounts
    from .sellers.models import Seller, SellerClick
    from .showcase.models import Collection, CollectionItem, SellerPick

    now = utcnow()
    session.flush()
    products = list(session.scalars(select(Product.id).where(Product.status == PUBLISHED).order_by(Product.id)))
    if not products:
        return
    rng = random.Random(21)
    for index, page in enumerate(DEMO_SELLER_PAGES):
        seller = session.scalar(select(Seller).where(Seller.code == page["code"]))
        if seller is None:
            seller, _password = accounts.create_seller(
                session,
                email=page["email"],
                name=page["name"],
                phone=page["phone"],
                password=None,  # never printed: sign in as the owner, or reset it in Admin > Sellers
                code=page["code"],
                rate_bp=page["rate_bp"],
                overrides={},
                now=now,
            )
        seller.bio = page["bio"]
        seller.whatsapp = page["whatsapp"]
        seller.show_contact = True
        seller.approved_at = seller.approved_at or now
        seller.profile_updated_at = now
        offset = index * 7  # each seller picks different products
        picks = [products[(offset + n) % len(products)] for n in range(min(DEMO_PICKS, len(products)))]
        session.add_all(
            SellerPick(seller_id=seller.id, product_id=pid, position=n, created_at=now) for n, pid in enumerate(picks)
        )
        for position, (title, description, slug) in enumerate(page["collections"]):
            start = offset + 3 + position * DEMO_COLLECTION_SIZE
            chosen = list(dict.fromkeys(products[(start + n) % len(products)] for n in range(DEMO_COLLECTION_SIZE)))
            _demo_collection(session, Collection, CollectionItem, seller.id, title, description, slug, position, chosen)
        # Clicks over the last five weeks (the ranking's periods show different leaders).
        session.add_all(
            SellerClick(seller_id=seller.id, product_id=rng.choice(picks), created_at=now - timedelta(hours=hours))
            for hours in sorted(rng.sample(range(1, 24 * 35), 12 + 9 * index))
        )
    title, description, slug = DEMO_SHOP_COLLECTION
    chosen = products[-DEMO_COLLECTION_SIZE - 1 :][: DEMO_COLLECTION_SIZE + 1]
    _demo_collection(session, Collection, CollectionItem, None, title, description, slug, 0, chosen)
    session.flush()


def _demo_collection(session, collection_model, item_model, seller_id, title, description, slug, position, products):
    collection = collection_model(
        seller_id=seller_id,
        slug=slug,
        title=title,
        description=description,
        position=position,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    collection.items = [item_model(product_id=pid, position=n) for n, pid in enumerate(products)]
    session.add(collection)


def demo_logo() -> bytes:
    """The demo brand's logo (PNG), in its brand colour."""
    return render_demo_logo(DEMO_BRAND["brand_colour"], 512)


def seed_brand(session: Session) -> None:
    """Give the demo shop its brand (storefront.brand): name, logo, colours, hero, notes, featured shelves."""
    from .brand.rules import Picture
    from .brand.service import save_brand
    from .catalog.images import store_upload

    media = Path(current_app.config["MEDIA_ROOT"])
    logo = store_upload(demo_logo(), media)
    hero = store_upload(render_demo_photo("Hero", 3, (1600, 900), kind="vase", colour="#c9d6cf"), media)
    shelves = session.scalars(select(Category.id).order_by(Category.position, Category.id)).all()
    b = DEMO_BRAND
    save_brand(
        session,
        current_app.config,
        name=b["shop_name"],
        short_name=b["short_name"],
        theme_color=b["brand_colour"],
        background_color=b["background_colour"],
        accent_color=b["accent_colour"],
        logo=Picture(logo.key, logo.width, logo.height, logo.widths),
        hero=Picture(hero.key, hero.width, hero.height, hero.widths),
        headline=b["headline"],
        subheadline=b["sub_headline"],
        hero_category=shelves[0] if shelves else None,
        announcement=b["announcement"],
        announcement_on=True,
        featured=tuple(shelves[:4]),
        whatsapp=b["whatsapp"].lstrip("+"),
        phone=b["phone"],
        email=b["email"],
        instagram=b["instagram"],
        shipping_note=b["shipping_note"],
        returns_note=b["returns_note"],
        contact_note=b["contact_note"],
    )


DEMO_REVIEWS = (  # (customer, stars, text, the owner's reply)
    ("Jordan Alvarez", 5, "The glaze is even deeper in person. It holds a big morning coffee and feels great.", ""),
    ("Priya Nair", 4, "Lovely and solid. Took a week to arrive, but it was packed with care.", "Thank you, Priya!"),
    ("Sam O'Connell", 5, "Bought it as a gift and then went back for one for myself.", ""),
    ("Mei Chen", 5, "Beautiful colour, and it goes in the dishwasher without a worry.", ""),
    (
        "Lena Fischer",
        3,
        "Pretty, but a little smaller than I pictured. Check the sizes.",
        "Thanks, Lena: sizes are now on the page.",
    ),
    ("Tom Baker", 4, "Sturdy, well made, and the pickup at the studio was easy.", ""),
)


def seed_reviews(session: Session) -> int:
    """Published verified reviews on a few delivered demo orders (past orders: no stock moves); returns how many."""
    import secrets

    from .orders.models import Order, OrderLine, OrderStatusChange
    from .orders.service import new_reference
    from .reviews import service as reviews
    from .sellers import rules as seller_rules
    from .sellers.service import Attribution, credit_order

    now = utcnow()
    products = session.scalars(select(Product).order_by(Product.id).limit(3)).all()
    media = Path(current_app.config["MEDIA_ROOT"])
    for index, (name, stars, text, reply) in enumerate(DEMO_REVIEWS):
        product = products[index % len(products)] if products else None
        if product is None or not product.variants:
            return 0
        variant, when = product.variants[0], now - timedelta(days=40 - 5 * index)
        line = OrderLine(
            variant_id=variant.id,
            product_slug=product.slug,
            title=product.title,
            variant_name=variant.name,
            sku=variant.sku,
            unit_price=variant.unit_price,
            quantity=1,
        )
        order = Order(
            token=secrets.token_urlsafe(24),
            reference=new_reference(),
            checkout_key=secrets.token_urlsafe(24),
            status="delivered",
            customer_name=name,
            phone=f"+1503555{index:04d}",
            delivery_method="delivery",
            city="Portland",
            country="US",
            payment_method="cash",
            currency=current_app.config["SHOP_CURRENCY"],
            subtotal=variant.unit_price,
            shipping=0,
            total=variant.unit_price,
            created_at=when,
            lines=[line],
            history=[OrderStatusChange(from_status=None, to_status="placed", event="place", created_at=when)],
        )
        order.history.append(
            OrderStatusChange(
                from_status="placed", to_status="delivered", event="deliver", created_at=when + timedelta(days=3)
            )
        )
        session.add(order)
        session.flush()
        if index < 2:  # two of them came through the demo seller's link: "My customers" has someone to follow up
            touch = seller_rules.Touch(DEMO_SELLER_CODE, when - timedelta(hours=1))
            credit_order(session, order, Attribution((touch,), 30), when)
        review = reviews.submit_review(
            session, order, line, reviews.Submission(stars, text, [], "en"), reviews.PhotoLimits(media, 0, 0), when
        )
        reviews.publish(session, review, when + timedelta(days=5))
        if reply:
            reviews.reply(session, review, reply, when + timedelta(days=5))
    return len(DEMO_REVIEWS)


def seed_aftersales(session: Session) -> None:
    """One delivered demo order (a piece delivered two days ago) with an open return request on it.

    The order's rows are written as they stand after delivery, not moved through the lifecycle:
    that would queue messages to a made-up customer and count a sale in the reports.
    """
    import secrets

    from .aftersales import service as aftersales
    from .catalog.models import Variant
    from .inventory.service import move_stock
    from .orders import service as orders
    from .orders.models import Order, OrderLine, OrderStatusChange

    variant = session.scalars(select(Variant).where(Variant.on_hand >= 2).order_by(Variant.id)).first()
    if variant is None:
        return
    now, cfg = utcnow(), current_app.config
    placed, shipping = now - timedelta(days=5), cfg["SHIPPING_FLAT_FEE"]
    order = Order(
        token=secrets.token_urlsafe(24), reference=orders.new_reference(), checkout_key=secrets.token_urlsafe(24),
        status="delivered", customer_name="Rosa Alvarez", phone="+15035550142", email="rosa@example.com",
        delivery_method="delivery", street="1820 SE Hawthorne Blvd", city="Portland", region="OR",
        postcode="97214", country="US", payment_method="cash", currency=cfg["SHOP_CURRENCY"],
        subtotal=variant.unit_price, shipping=shipping, total=variant.unit_price + shipping,
        created_at=placed, updated_at=placed,
    )  # fmt: skip
    order.lines.append(
        OrderLine(variant_id=variant.id, product_slug=variant.product.slug, title=variant.product.title,
                  variant_name=variant.name, sku=variant.sku, unit_price=variant.unit_price, quantity=1)
    )  # fmt: skip
    steps = (("place", None, "placed"), ("confirm", "placed", "confirmed"), ("pack", "confirmed", "packed"),
             ("ship", "packed", "shipped"), ("deliver", "shipped", "delivered"))  # fmt: skip
    for day, (event, before, after) in enumerate(steps):
        at = placed + timedelta(days=day * 0.75)
        order.history.append(OrderStatusChange(from_status=before, to_status=after, event=event, created_at=at))
    session.add(order)
    session.flush()
    move_stock(session, [(variant.id, 1)], "none", "taken", order.id, placed)
    asked = aftersales.NewRequest("return", "wrong_size", "A little smaller than I hoped.", {order.lines[0].id: 1})
    aftersales.open_request(session, order, asked, [], now, ZoneInfo(cfg["SHOP_TIMEZONE"]))


# The demo shop's own pages (storefront.pages): short and in English, shipping in Spanish too,
# so a Spanish reader sees the fallback at work on the others.
DEMO_PAGES = {
    "about": (
        "Our story",
        "Alder & Clay began in 2019 as one wheel in a garage off Alberta Street. Today four of us throw, "
        "trim and glaze every piece in our Portland studio, in batches of about forty.\n\n"
        "We use a local stoneware clay and lead-free glazes we mix ourselves, and we fire twice, so each "
        "mug and bowl is dishwasher and microwave safe. No two are quite the same: that is the point.",
    ),
    "shipping": (
        "Shipping",
        "- **$5 flat rate** anywhere in the US; free pickup at our Portland studios.\n"
        "- Orders leave the studio within **2 business days**, packed by hand in recycled paper.\n"
        "- Delivery takes 3 to 6 business days with USPS Ground Advantage; you get the tracking link by e-mail.\n\n"
        "We do not ship outside the US yet.",
    ),
    "returns": (
        "Returns",
        "Return anything unused within **30 days** for a full refund: write to us and we send a prepaid label.\n\n"
        "Arrived chipped or cracked? Send a photo within 7 days and we ship a new one at no cost; "
        "you keep the broken piece for the garden.",
    ),
    "privacy": (
        "Privacy",
        "We keep what we need to make and deliver your order: your name, phone, e-mail and address. "
        "We never sell it and never share it except with the carrier and the payment service.\n\n"
        "Our shop counts visits without cookies that follow you elsewhere. To see or delete what we hold "
        "about you, write to hello@alderandclay.example.com.",
    ),
    "terms": (
        "Terms of sale",
        "Prices are in US dollars and include the studio's work; sales tax is added where the law asks. "
        "An order is confirmed when we send its number.\n\n"
        "Handmade pieces vary a little in size and glaze from the photos. If something is sold out after "
        "you pay, we refund you in full the same day.",
    ),
}
DEMO_PAGES_ES = {
    "shipping": (
        "Envíos",
        "- **5 USD** a cualquier lugar de EE. UU.; recogida gratis en nuestros talleres de Portland.\n"
        "- Los pedidos salen del taller en **2 días hábiles**, envueltos a mano en papel reciclado.\n"
        "- La entrega tarda de 3 a 6 días hábiles con USPS; te enviamos el enlace de seguimiento por correo.",
    ),
}


def seed_shop_pages(session: Session) -> None:
    """Give the demo shop its pages: about, shipping, returns, privacy and terms (shipping in Spanish too)."""
    from .pages.service import save_page

    for locale, pages in (("", DEMO_PAGES), ("es", DEMO_PAGES_ES)):
        for slug, (title, body) in pages.items():
            save_page(session, slug, locale, title=title, body=body, user_id=None, now=utcnow())


def seed_customers(session: Session) -> int:
    """Build the demo's customers from its orders (the same as `flask customers rebuild`)."""
    from .customers.service import rebuild

    zone = ZoneInfo(current_app.config.get("SHOP_TIMEZONE") or "UTC")
    return rebuild(session, utcnow(), zone)


def seed_marketing(session: Session) -> None:
    """A welcome code (10 % off from $30, once per customer, for 30 days) and two saved segments to start from."""
    from .promotions.models import DiscountCode
    from .segments.service import save_segment

    now = utcnow()
    session.add(
        DiscountCode(
            code="WELCOME10",
            kind="percent",
            value=1000,
            description="Welcome: 10% off orders from $30",
            min_subtotal=3000,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=30),
            max_per_customer=1,
            created_at=now,
        )
    )
    save_segment(session, None, "Loyal customers", {"rfm": ["champions", "loyal"]}, None, now)
    save_segment(session, None, "Lapsing: last order over 60 days ago", {"last_order_before_days": 60}, None, now)
    session.flush()
