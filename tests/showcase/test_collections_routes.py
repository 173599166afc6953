"""The seller's /seller/page and /seller/collections, and the owner's /admin/collections, over HTTP."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.showcase import service
from storefront.showcase.models import Collection, CollectionItem, SellerPick
from tests.builders import ShopClient, make_product, make_user
from tests.sellers.builders import make_seller


@pytest.fixture
def world(app):
    with app.app_context():
        make_user("owner@example.com", "owner")
        make_user("staff@example.com", "staff")
        anna = make_seller("ANNA24", email="anna@sellers.example")
        bob = make_seller("BOB77", email="bob@sellers.example")
        products = [make_product(f"Gift {n}") for n in range(3)]
        return {"anna": anna.id, "bob": bob.id, "products": [p.id for p in products]}


def _signed_in(app, email: str) -> ShopClient:
    shop = ShopClient(app.test_client())
    assert shop.login(email).status_code == 303
    return shop


def _edit_id(response) -> int:
    assert response.status_code == 303, response.text
    return int(re.search(r"/seller/collections/(\d+)$", response.headers["Location"]).group(1))


def _items(app, collection_id: int) -> list[int]:
    with app.app_context():
        stmt = select(CollectionItem.product_id).where(CollectionItem.collection_id == collection_id)
        return list(db.session.scalars(stmt.order_by(CollectionItem.position)))


def test_a_seller_makes_a_collection_fills_orders_and_shares_it(app, world):
    anna = _signed_in(app, "anna@sellers.example")
    listing = anna.client.get("/seller/collections")
    assert listing.status_code == 200 and listing.headers["Cache-Control"] == "no-store"
    assert 'href="/seller/page"' in listing.text and 'href="/seller/collections"' in listing.text  # seller nav
    cid = _edit_id(anna.post("/seller/collections", {"title": "Eid gifts", "description": "Under 1000"}))
    p = world["products"]
    for pid in p:
        assert anna.post(f"/seller/collections/{cid}/items", {"product": pid, "q": "gift"}).status_code == 303
    moved = anna.post(f"/seller/collections/{cid}/items/{p[2]}/move", {"direction": "up", "q": "gift"})
    assert moved.status_code == 303 and moved.headers["Location"].endswith(f"/seller/collections/{cid}?q=gift#items")
    assert _items(app, cid) == [p[0], p[2], p[1]]
    assert anna.post(f"/seller/collections/{cid}/items/{p[0]}/remove").status_code == 303
    assert _items(app, cid) == [p[2], p[1]]
    page = anna.client.get(f"/seller/collections/{cid}")
    with app.app_context():
        slug = db.session.get(Collection, cid).slug
    url = f"http://localhost/collections/{slug}"
    assert f'data-share-url="{url}"' in page.text and f'value="{url}"' in page.text
    assert "https://wa.me/?text=Eid+gifts+http" in page.text or "https://wa.me/?text=Eid%20gifts%20http" in page.text
    public = app.test_client().get(f"/collections/{slug}")
    assert public.status_code == 200 and public.text.index("Gift 2") < public.text.index("Gift 1")
    assert "Gift 0" not in public.text


def test_the_sellers_page_picks(app, world):
    anna = _signed_in(app, "anna@sellers.example")
    p = world["products"]
    page = anna.client.get("/seller/page?q=gift")
    assert page.status_code == 200 and 'href="/s/ANNA24"' in page.text and page.text.count("data-add") == 3
    for pid in p:
        assert anna.post("/seller/page/picks", {"product": pid}).status_code == 303
    assert anna.post(f"/seller/page/picks/{p[1]}/move", {"direction": "down"}).status_code == 303
    assert anna.post(f"/seller/page/picks/{p[0]}/remove").status_code == 303
    with app.app_context():
        assert [x.id for x in service.picked(db.session, world["anna"])] == [p[2], p[1]]
    dup = anna.post("/seller/page/picks", {"product": p[1]})
    assert dup.status_code == 422 and "already on your page" in dup.text
    for bad in ({"product": "abc"}, {"product": ""}, {}, {"product": "99999"}):
        answer = anna.post("/seller/page/picks", bad)
        assert answer.status_code in (404, 422), bad
        assert 'role="alert"' in answer.text
    assert anna.post(f"/seller/page/picks/{p[1]}/move", {"direction": "left"}).status_code == 422
    with app.app_context():
        stmt = select(SellerPick.product_id).where(SellerPick.seller_id == world["anna"])
        assert sorted(db.session.scalars(stmt)) == sorted([p[1], p[2]])
    public = app.test_client().get("/s/ANNA24")
    assert public.status_code == 200 and public.text.index("Gift 2") < public.text.index("Gift 1")


def test_a_bad_title_shows_the_form_again_and_changes_nothing(app, world):
    anna = _signed_in(app, "anna@sellers.example")
    bad = anna.post("/seller/collections", {"title": "   ", "description": "Kept text"})
    assert bad.status_code == 422 and "Please give the collection a title." in bad.text
    assert "Kept text" in bad.text
    long = anna.post("/seller/collections", {"title": "x" * 81})
    assert long.status_code == 422 and "at most 80 characters" in long.text
    with app.app_context():
        assert db.session.scalars(select(Collection)).all() == []
    cid = _edit_id(anna.post("/seller/collections", {"title": "Good"}))
    again = anna.post(f"/seller/collections/{cid}", {"title": "", "description": "typed"})
    assert again.status_code == 422 and "Please give the collection a title." in again.text and "typed" in again.text
    assert anna.post(f"/seller/collections/{cid}", {"title": "Better", "description": ""}).status_code == 303
    with app.app_context():
        assert db.session.get(Collection, cid).title == "Better"


def test_another_sellers_collection_is_a_404_on_every_route(app, world):
    bob = _signed_in(app, "bob@sellers.example")
    cid = _edit_id(bob.post("/seller/collections", {"title": "Bob's"}))
    assert bob.post(f"/seller/collections/{cid}/items", {"product": world["products"][0]}).status_code == 303
    anna = _signed_in(app, "anna@sellers.example")
    pid = world["products"][0]
    assert anna.client.get(f"/seller/collections/{cid}").status_code == 404
    for url, data in (
        (f"/seller/collections/{cid}", {"title": "Mine now"}),
        (f"/seller/collections/{cid}/items", {"product": world["products"][1]}),
        (f"/seller/collections/{cid}/items/{pid}/move", {"direction": "down"}),
        (f"/seller/collections/{cid}/items/{pid}/remove", {}),
        (f"/seller/collections/{cid}/move", {"direction": "up"}),
        (f"/seller/collections/{cid}/delete", {"confirm": "1"}),
    ):
        assert anna.post(url, data).status_code == 404, url
    assert "Bob&#39;s" not in anna.client.get("/seller/collections").text
    assert _items(app, cid) == [pid]
    with app.app_context():
        assert db.session.get(Collection, cid).title == "Bob's"
    owner = _signed_in(app, "owner@example.com")
    assert owner.client.get("/seller/collections").status_code == 403
    assert app.test_client().get("/seller/collections").status_code == 302


def test_posts_without_the_csrf_token_are_refused(app, world):
    anna = _signed_in(app, "anna@sellers.example")
    refused = anna.client.post("/seller/collections", data={"title": "No token"})
    assert refused.status_code == 400
    assert anna.client.post("/seller/page/picks", data={"product": world["products"][0]}).status_code == 400
    with app.app_context():
        assert db.session.scalars(select(Collection)).all() == []
        assert db.session.scalars(select(SellerPick)).all() == []


def test_delete_asks_first(app, world):
    anna = _signed_in(app, "anna@sellers.example")
    cid = _edit_id(anna.post("/seller/collections", {"title": "Gone soon"}))
    ask = anna.post(f"/seller/collections/{cid}/delete")
    assert ask.status_code == 200 and 'name="confirm" value="1"' in ask.text
    with app.app_context():
        assert db.session.get(Collection, cid) is not None
    assert anna.post(f"/seller/collections/{cid}/delete", {"confirm": "1"}).status_code == 303
    with app.app_context():
        assert db.session.get(Collection, cid) is None


def test_collections_reorder_from_the_list(app, world):
    anna = _signed_in(app, "anna@sellers.example")
    first = _edit_id(anna.post("/seller/collections", {"title": "First"}))
    _edit_id(anna.post("/seller/collections", {"title": "Second"}))
    assert anna.post(f"/seller/collections/{first}/move", {"direction": "down"}).status_code == 303
    text = anna.client.get("/seller/collections").text
    assert text.index("Second") < text.index("First")
    assert anna.post(f"/seller/collections/{first}/move", {"direction": "x"}).status_code == 422


def test_owner_hides_a_sellers_collection_and_the_public_page_is_gone(app, world):
    anna = _signed_in(app, "anna@sellers.example")
    cid = _edit_id(anna.post("/seller/collections", {"title": "Anna's picks"}))
    with app.app_context():
        slug = db.session.get(Collection, cid).slug
    shopper = app.test_client()
    assert shopper.get(f"/collections/{slug}").status_code == 200  # cached now
    owner = _signed_in(app, "owner@example.com")
    admin = owner.client.get("/admin/collections")
    assert admin.status_code == 200 and f'data-seller-collection="{cid}"' in admin.text and "Anna24" in admin.text
    assert owner.post(f"/admin/collections/{cid}/hidden", {"hidden": "1"}).status_code == 303
    assert shopper.get(f"/collections/{slug}").status_code == 404
    assert "Hidden by the shop" in anna.client.get("/seller/collections").text
    assert owner.post(f"/admin/collections/{cid}/hidden", {"hidden": "maybe"}).status_code == 422
    assert owner.post("/admin/collections/999999/hidden", {"hidden": "1"}).status_code == 404
    assert owner.post(f"/admin/collections/{cid}/hidden", {"hidden": "0"}).status_code == 303
    assert shopper.get(f"/collections/{slug}").status_code == 200
    staff = _signed_in(app, "staff@example.com")
    assert staff.client.get("/admin/collections").status_code == 403
    assert staff.post(f"/admin/collections/{cid}/hidden", {"hidden": "1"}).status_code == 403
    assert anna.client.get("/admin/collections").status_code == 403


def test_owner_makes_the_shops_own_collection(app, world):
    owner = _signed_in(app, "owner@example.com")
    made = owner.post("/admin/collections", {"title": "New this week"})
    assert made.status_code == 303
    cid = int(re.search(r"/admin/collections/(\d+)$", made.headers["Location"]).group(1))
    p = world["products"]
    for pid in p[:2]:
        assert owner.post(f"/admin/collections/{cid}/items", {"product": pid}).status_code == 303
    assert owner.post(f"/admin/collections/{cid}/items/{p[1]}/move", {"direction": "up"}).status_code == 303
    assert _items(app, cid) == [p[1], p[0]]
    page = owner.client.get(f"/admin/collections/{cid}")
    assert page.status_code == 200 and "data-share-box" in page.text
    assert owner.post("/admin/collections", {"title": ""}).status_code == 422
    with app.app_context():
        assert db.session.get(Collection, cid).seller_id is None
        slug = db.session.get(Collection, cid).slug
    assert app.test_client().get(f"/collections/{slug}").status_code == 200
    anna = _signed_in(app, "anna@sellers.example")
    assert anna.client.get(f"/seller/collections/{cid}").status_code == 404  # the shop's is not a seller's
    anna_cid = _edit_id(anna.post("/seller/collections", {"title": "Anna's"}))
    assert owner.client.get(f"/admin/collections/{anna_cid}").status_code == 404  # a seller's is edited by its seller


def test_a_seller_cannot_list_or_learn_of_a_draft_the_owner_may_line_up(app, world):
    """A draft's id answers a seller like an unknown id (its title and price stay unknown); the owner may add it."""
    with app.app_context():
        draft = make_product("Secret spring mug", price=4321)
        draft.status = "draft"
        db.session.commit()
        draft_id = draft.id
    anna = _signed_in(app, "anna@sellers.example")
    assert anna.post("/seller/page/picks", {"product": draft_id}).status_code == 404
    cid = _edit_id(anna.post("/seller/collections", {"title": "Spring"}))
    assert anna.post(f"/seller/collections/{cid}/items", {"product": draft_id}).status_code == 404
    for path in ("/seller/page", f"/seller/collections/{cid}"):
        assert "Secret spring mug" not in anna.client.get(path).text
    assert _items(app, cid) == []
    owner = _signed_in(app, "owner@example.com")
    assert owner.post("/admin/collections", {"title": "Coming soon"}).status_code == 303
    with app.app_context():
        shop_list = db.session.scalars(select(Collection).where(Collection.seller_id.is_(None))).one()
        shop_id = shop_list.id
    assert owner.post(f"/admin/collections/{shop_id}/items", {"product": draft_id}).status_code == 303
    assert _items(app, shop_id) == [draft_id]


def test_simultaneous_moves_keep_one_product_per_position(app, world, monkeypatch):
    """Moves read, recompute and write positions: under the list's lock none is lost or doubled."""
    import threading
    import time

    with app.app_context():
        collection = service.create_collection(db.session, world["anna"], "Race", "", utcnow())
        extra = [make_product(f"Race {n}").id for n in range(5)]
        for pid in world["products"] + extra:
            service.add_item(db.session, collection, pid, utcnow())
        db.session.commit()
        cid, ids = collection.id, world["products"] + extra
    start = threading.Barrier(7, timeout=30)
    read = service._items

    def slow_read(session, collection_id):  # every move reads, then takes its time: the race is certain
        items = read(session, collection_id)
        time.sleep(0.2)
        return items

    monkeypatch.setattr(service, "_items", slow_read)

    def move(pid: int, direction: str) -> None:
        start.wait()  # before any statement: on SQLite the first one takes the write lock
        with app.app_context():
            own = db.session.get(Collection, cid)
            service.move_item(db.session, own, pid, direction, utcnow())
            db.session.commit()

    # Each moves its product up past its neighbour: from one stale read they would overwrite each other.
    threads = [threading.Thread(target=move, args=(ids[n], "up")) for n in range(1, 8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        rows = db.session.execute(
            select(CollectionItem.position).where(CollectionItem.collection_id == cid).order_by(CollectionItem.position)
        )
        assert [row[0] for row in rows] == list(range(len(ids)))
