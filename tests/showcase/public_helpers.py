"""Builders for the public showcase tests: sellers with picks, and collections (a seller's or the shop's)."""

from __future__ import annotations

from sqlalchemy import select

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.sellers.models import Seller
from storefront.showcase.models import Collection, CollectionItem, SellerPick

PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile"
WHATSAPP_BOT = "WhatsApp/2.23.20.0 A"


def seller_by_code(code: str) -> Seller:
    """The seller with this code (in the current app context)."""
    return db.session.scalars(select(Seller).where(Seller.code == code)).one()


def set_picks(seller: Seller, products) -> None:
    """Replace a seller's picks with `products`, in that order, and commit."""
    for pick in db.session.scalars(select(SellerPick).where(SellerPick.seller_id == seller.id)):
        db.session.delete(pick)
    db.session.flush()
    for position, product in enumerate(products):
        db.session.add(SellerPick(seller_id=seller.id, product_id=product.id, position=position))
    db.session.commit()


def make_collection(seller: Seller | None, title: str, slug: str, products, hidden: bool = False) -> Collection:
    """A committed collection of `products` in that order (seller None: the shop's own)."""
    now = utcnow()
    found = Collection(
        seller_id=seller.id if seller else None,
        slug=slug,
        title=title,
        description=f"About {title}",
        hidden=hidden,
        created_at=now,
        updated_at=now,
    )
    found.items = [CollectionItem(product_id=p.id, position=i) for i, p in enumerate(products)]
    db.session.add(found)
    db.session.commit()
    return found


def reorder(collection_slug: str, products) -> None:
    """Give the collection's items the order of `products`, and commit."""
    found = db.session.scalars(select(Collection).where(Collection.slug == collection_slug)).one()
    positions = {p.id: i for i, p in enumerate(products)}
    for item in found.items:
        item.position = positions.get(item.product_id, len(positions))  # the others after them
    db.session.commit()


def titles_in_order(html: str, titles: list[str]) -> list[str]:
    """The given product titles in the order their cards appear on the page (absent ones left out)."""
    found = [(html.find(f'<span class="card-title">{t}</span>'), t) for t in titles]
    return [t for at, t in sorted(found) if at >= 0]
