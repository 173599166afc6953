"""showcase.service: collections and picks keep their order, limits and makers; each change renews cached pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from storefront.catalog import generation
from storefront.catalog.models import CatalogGeneration
from storefront.domain import Conflict, Invalid, NotFound
from storefront.extensions import db
from storefront.sellers.models import Seller
from storefront.showcase import rules, service
from storefront.showcase.models import Collection, CollectionItem, SellerPick
from tests.builders import make_product
from tests.sellers.builders import make_seller

NOW = datetime(2026, 6, 17, 16, 0, tzinfo=UTC)


@pytest.fixture
def world(app):
    with app.app_context():
        anna = make_seller("ANNA24", email="anna@sellers.example")
        bob = make_seller("BOB77", email="bob@sellers.example")
        products = [make_product(f"Product {n}") for n in range(4)]
        yield {"anna": anna.id, "bob": bob.id, "products": [p.id for p in products]}


def _order(collection_id: int) -> list[int]:
    stmt = select(CollectionItem.product_id).where(CollectionItem.collection_id == collection_id)
    return list(db.session.scalars(stmt.order_by(CollectionItem.position)))


def _positions(collection_id: int) -> list[int]:
    stmt = select(CollectionItem.position).where(CollectionItem.collection_id == collection_id)
    return sorted(db.session.scalars(stmt))


def test_items_keep_their_order_and_move_one_place_unchanged_at_the_ends(world):
    p = world["products"]
    c = service.create_collection(db.session, world["anna"], "  Eid   gifts ", "Under 1000", NOW)
    assert c.title == "Eid gifts" and rules.is_slug(c.slug) and c.slug.startswith("eid-gifts-")
    for pid in p[:3]:
        service.add_item(db.session, c, pid, NOW)
    db.session.commit()
    assert _order(c.id) == p[:3]
    service.move_item(db.session, c, p[2], "up", NOW)
    assert _order(c.id) == [p[0], p[2], p[1]]
    service.move_item(db.session, c, p[0], "up", NOW)  # already first
    service.move_item(db.session, c, p[1], "down", NOW)  # already last
    assert _order(c.id) == [p[0], p[2], p[1]]
    service.remove_item(db.session, c, p[0], NOW)
    assert _order(c.id) == [p[2], p[1]] and _positions(c.id) == [0, 1]
    with pytest.raises(Invalid):
        service.move_item(db.session, c, p[2], "sideways", NOW)
    with pytest.raises(NotFound):
        service.remove_item(db.session, c, p[3], NOW)
    assert [x.id for x in service.items(db.session, c)] == [p[2], p[1]]


def test_duplicates_archived_and_missing_products_are_refused(world):
    p = world["products"]
    c = service.create_collection(db.session, world["anna"], "New", "", NOW)
    service.add_item(db.session, c, p[0], NOW)
    with pytest.raises(Invalid, match="already in this collection"):
        service.add_item(db.session, c, p[0], NOW)
    with pytest.raises(NotFound):
        service.add_item(db.session, c, 999999, NOW)
    from storefront.catalog.models import Product

    db.session.get(Product, p[1]).status = "archived"
    db.session.flush()
    with pytest.raises(NotFound):
        service.add_item(db.session, c, p[1], NOW)
    assert _order(c.id) == [p[0]]
    for raw in ("", "x", "-1", "0", "١٢", "1" * 20):
        with pytest.raises(Invalid):
            service.parse_id(raw)
    assert service.parse_id(" 12 ") == 12


def test_limits(world, monkeypatch):
    p = world["products"]
    monkeypatch.setattr(rules, "MAX_ITEMS", 2)
    monkeypatch.setattr(rules, "MAX_COLLECTIONS", 2)
    monkeypatch.setattr(rules, "MAX_PICKS", 1)
    c = service.create_collection(db.session, world["anna"], "One", "", NOW)
    service.create_collection(db.session, world["anna"], "Two", "", NOW)
    with pytest.raises(Invalid, match="at most 2 collections"):
        service.create_collection(db.session, world["anna"], "Three", "", NOW)
    service.create_collection(db.session, world["bob"], "Bob's", "", NOW)  # per maker
    service.create_collection(db.session, None, "Shop's", "", NOW)
    service.add_item(db.session, c, p[0], NOW)
    service.add_item(db.session, c, p[1], NOW)
    with pytest.raises(Invalid, match="at most 2 products"):
        service.add_item(db.session, c, p[2], NOW)
    service.add_pick(db.session, world["anna"], p[0], NOW)
    with pytest.raises(Invalid, match="at most 1 products"):
        service.add_pick(db.session, world["anna"], p[1], NOW)
    with pytest.raises(Invalid):
        service.create_collection(db.session, world["anna"], "   ", "", NOW)
    with pytest.raises(Invalid):
        service.create_collection(db.session, world["bob"], "x" * 81, "", NOW)
    with pytest.raises(Invalid):
        service.create_collection(db.session, world["bob"], "ok", "x" * 301, NOW)


def test_another_makers_collection_is_not_found(world):
    c = service.create_collection(db.session, world["anna"], "Anna's", "", NOW)
    shop = service.create_collection(db.session, None, "Shop's", "", NOW)
    db.session.commit()
    assert service.collection_for(db.session, c.id, world["anna"]) is c
    for maker in (world["bob"], None):
        with pytest.raises(NotFound):
            service.collection_for(db.session, c.id, maker)
    with pytest.raises(NotFound):
        service.collection_for(db.session, shop.id, world["anna"])
    assert service.collection_for(db.session, shop.id, None) is shop


def test_collections_reorder_and_close_up_on_delete(world):
    made = [service.create_collection(db.session, world["anna"], t, "", NOW) for t in ("A", "B", "C")]
    service.create_collection(db.session, world["bob"], "Bob", "", NOW)
    assert [c.position for c in made] == [0, 1, 2]
    service.move_collection(db.session, made[2], "up", NOW)
    assert [c.title for c in service.collections_of(db.session, world["anna"])] == ["A", "C", "B"]
    service.move_collection(db.session, made[0], "up", NOW)
    assert [c.title for c in service.collections_of(db.session, world["anna"])] == ["A", "C", "B"]
    service.delete_collection(db.session, made[0], NOW)
    rest = service.collections_of(db.session, world["anna"])
    assert [(c.title, c.position) for c in rest] == [("C", 0), ("B", 1)]
    assert [c.title for c in service.collections_of(db.session, world["bob"])] == ["Bob"]


def test_picks_order_and_profile_stamp(world):
    p = world["products"]
    for pid in p[:3]:
        service.add_pick(db.session, world["anna"], pid, NOW)
    with pytest.raises(Invalid, match="already on your page"):
        service.add_pick(db.session, world["anna"], p[0], NOW)
    service.move_pick(db.session, world["anna"], p[2], "up", NOW)
    service.move_pick(db.session, world["anna"], p[2], "up", NOW)
    service.move_pick(db.session, world["anna"], p[2], "up", NOW)  # already first
    assert [x.id for x in service.picked(db.session, world["anna"])] == [p[2], p[0], p[1]]
    service.remove_pick(db.session, world["anna"], p[0], NOW)
    stmt = select(SellerPick.position).where(SellerPick.seller_id == world["anna"]).order_by(SellerPick.position)
    assert list(db.session.scalars(stmt)) == [0, 1]
    assert service.picked(db.session, world["bob"]) == []
    db.session.commit()
    seller = db.session.get(Seller, world["anna"])
    assert seller.profile_updated_at is not None and seller.profile_updated_at.replace(tzinfo=UTC) == NOW
    with pytest.raises(NotFound):
        service.remove_pick(db.session, world["bob"], p[1], NOW)


def test_every_change_bumps_the_catalog_generation_and_stamps_the_collection(world):
    def value() -> int:
        db.session.expire_all()
        return db.session.scalar(select(CatalogGeneration.value)) or 0

    db.session.rollback()  # no transaction open: the row is created on its own connection
    generation.current(db.engine)  # the row exists before the first change

    before = value()
    c = service.create_collection(db.session, world["anna"], "A", "", NOW)
    db.session.commit()
    after_create = value()
    assert after_create > before
    later = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)
    service.add_item(db.session, c, world["products"][0], later)
    db.session.commit()
    assert value() > after_create
    assert db.session.get(Collection, c.id).updated_at.replace(tzinfo=UTC) == later
    step = value()
    service.set_hidden(db.session, db.session.get(Collection, c.id), True, later)
    db.session.commit()
    assert value() > step


def test_a_concurrent_duplicate_add_is_a_conflict_not_a_500(world, monkeypatch):
    """Two adds at once both see the product missing; the primary key refuses the second: Conflict.
    The race is simulated: this request's read of the list misses the other's row, as it would mid-race."""
    c = service.create_collection(db.session, world["anna"], "Race", "", NOW)
    db.session.commit()
    real = service._items
    monkeypatch.setattr(service, "_items", lambda session, cid: [])  # this request did not see the other's row
    db.session.add(CollectionItem(collection_id=c.id, product_id=world["products"][0], position=0))
    db.session.flush()
    with pytest.raises(Conflict):
        service.add_item(db.session, c, world["products"][0], NOW)
    monkeypatch.setattr(service, "_items", real)
    db.session.commit()  # the request's other work survives the refused row
    assert _order(c.id) == [world["products"][0]]
