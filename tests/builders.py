"""Small test builders: products with stock, staff accounts, and a shopper client."""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

from flask.testing import FlaskClient

from storefront.auth.service import upsert_user
from storefront.catalog import service as catalog
from storefront.catalog.models import Category, Product, Variant
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.inventory.service import adjust_stock

PASSWORD = "correct horse battery"


def make_category(name: str = "Clothing", slug: str | None = None) -> Category:
    """A committed category."""
    category = Category(name=name, slug=slug or catalog.slugify(name))
    db.session.add(category)
    db.session.commit()
    return category


def make_product(
    title: str = "Wool coat",
    price: int = 5000,
    variants=(("M", 10),),
    category: Category | None = None,
    description: str = "Warm and soft.",
    overrides: dict | None = None,
) -> Product:
    """A committed product with (name, stock) variants; SKUs derive from the slug."""
    product = catalog.save_product(
        db.session,
        Product(),
        title=title,
        slug="",
        description_md=description,
        price=price,
        category_id=category.id if category else None,
        featured=False,
        now=utcnow(),
    )
    for index, (name, stock) in enumerate(variants):
        variant = catalog.add_variant(
            db.session,
            product,
            sku=f"{product.slug.upper()}-{index}",
            name=name,
            price_override=(overrides or {}).get(name),
            low_stock_threshold=3,
        )
        if stock:
            adjust_stock(db.session, variant.id, stock, "initial", utcnow(), None)
    db.session.commit()
    return product


def make_user(email: str = "owner@example.com", role: str = "owner"):
    """A committed account with the shared test password."""
    user = upsert_user(db.session, email, PASSWORD, role, now=utcnow())
    db.session.commit()
    return user


def variant_ids(product: Product) -> list[int]:
    """The product's variant ids in display order."""
    return [v.id for v in product.variants]


def stock_of(variant_id: int) -> int:
    """A variant's on-hand stock, read fresh from the database."""
    db.session.expire_all()
    return db.session.get(Variant, variant_id).on_hand


CHECKOUT_DELIVERY = {
    "customer_name": "Ada Shopper",
    "phone": "+44 20 7946 0958",
    "email": "ada@example.com",
    "delivery_method": "delivery",
    "street": "1 High Street",
    "city": "London",
    "region": "",
    "postcode": "N1 9GU",
    "country": "GB",
    "payment_method": "cash",
    "note": "Ring twice",
}
CHECKOUT_PICKUP = {
    "customer_name": "Bo Pickup",
    "phone": "0171 555 0100",
    "delivery_method": "pickup",
    "payment_method": "cash",
}


@dataclass
class ShopClient:
    """A shopper's browser with the steps of a journey as methods."""

    client: FlaskClient
    _csrf: str | None = None

    def csrf(self) -> str:
        """This browser's CSRF token (read once from a page, as a browser would)."""
        if self._csrf is None:
            html = self.client.get("/cart").get_data(as_text=True)
            self._csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        return self._csrf

    def post(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with this browser's CSRF token."""
        return self.client.post(url, data={"csrf_token": self.csrf(), **(data or {})}, **kwargs)

    def add(self, variant_id: int, quantity: int | str = 1, **kwargs):
        """Press "Add to cart"."""
        return self.post("/cart/add", {"variant_id": variant_id, "quantity": quantity}, **kwargs)

    def checkout_key(self) -> str:
        """Open the checkout form and read its one-time key."""
        html = self.client.get("/checkout").get_data(as_text=True)
        return re.search(r'name="checkout_key" type="hidden" value="([^"]+)"', html).group(1)

    def checkout(self, fields: dict, key: str | None = None):
        """Fill in and send the checkout form."""
        return self.post("/checkout", {**fields, "checkout_key": key or self.checkout_key()})

    def login(self, email: str = "owner@example.com", password: str = PASSWORD, next_url: str = ""):
        """Sign in to the admin."""
        return self.post("/login", {"email": email, "password": password, "next": next_url})


def signed_in_owner(app) -> ShopClient:
    """A browser signed in to the admin as a new owner account."""
    with app.app_context():
        make_user("owner@example.com", "owner")
    owner = ShopClient(app.test_client())
    assert owner.login().status_code == 303
    return owner


def nth_shopper(app, n: int) -> ShopClient:
    """The n-th of several different people: a browser from an address of its own.

    The hoarding limits count open cash orders per client address and per phone: tests of
    something else that place many orders use different people (`pickup_by(n)` for the phone).
    """
    shop = ShopClient(app.test_client())
    shop.client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n % 250 + 1}"
    return shop


def pickup_by(n: int) -> dict:
    """The pickup checkout form of the n-th person (a phone of their own)."""
    return {**CHECKOUT_PICKUP, "phone": f"0171 555 {n:04d}"}


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width x height, with a tiny IDAT: no real pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")
    )


def mp4_box(kind: bytes, body: bytes) -> bytes:
    """One ISO-BMFF box: 32-bit size, four-letter type, body."""
    return struct.pack(">I", 8 + len(body)) + kind + body


def mp4_bytes(media: bytes = b"\x00" * 2000, brand: bytes = b"isom", compatible: bytes = b"mp41") -> bytes:
    """A structurally complete MP4 (ftyp, moov, mdat) with ``media`` as its mdat payload; not decodable."""
    ftyp = mp4_box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + compatible)
    moov = mp4_box(b"moov", mp4_box(b"mvhd", b"\x00" * 100))
    return ftyp + moov + mp4_box(b"mdat", media)


def ebml_element(element_id: bytes, body: bytes, *, unknown_size: bool = False) -> bytes:
    """One EBML element with an 8-byte size field (or the all-ones "unknown size")."""
    size = b"\x01" + (b"\xff" * 7 if unknown_size else len(body).to_bytes(7, "big"))
    return element_id + size + body


def webm_bytes(media: bytes = b"\x00" * 2000, doc_type: bytes = b"webm", live: bool = False) -> bytes:
    """A structurally complete WebM (EBML header, Segment with Info, Tracks, Cluster); not decodable.

    ``live`` writes the Segment and Cluster with unknown sizes, as a browser's MediaRecorder does.
    """
    header = ebml_element(b"\x1a\x45\xdf\xa3", b"\x42\x86\x81\x01" + ebml_element(b"\x42\x82", doc_type))
    info = ebml_element(b"\x15\x49\xa9\x66", b"\x2a\xd7\xb1\x83\x0f\x42\x40")
    tracks = ebml_element(b"\x16\x54\xae\x6b", ebml_element(b"\xae", b"\xd7\x81\x01\x83\x81\x01"))
    cluster = ebml_element(b"\x1f\x43\xb6\x75", media, unknown_size=live)
    return header + ebml_element(b"\x18\x53\x80\x67", info + tracks + cluster, unknown_size=live)


def add_demo_photos(product: Product, count: int, size: tuple[int, int] = (1200, 900), alt: str = "") -> None:
    """Commit `count` generated photos on a product, stored in the app's MEDIA_ROOT (inside an app context)."""
    from pathlib import Path

    from flask import current_app

    from storefront.catalog.images import render_demo_photo

    media = Path(current_app.config["MEDIA_ROOT"])
    for seed in range(count):
        photo = render_demo_photo(product.title, seed, size)
        catalog.store_photo(db.session, product, photo, media, alt=alt or f"{product.title} {seed + 1}")
    db.session.commit()
