"""The owner's product admin: safe descriptions, form errors, variants, photos and archiving."""

from __future__ import annotations

import io
import os
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from storefront.auth.models import User
from storefront.catalog.models import Photo, Product, Variant
from storefront.extensions import db
from storefront.inventory.models import StockMovement
from tests.builders import ShopClient, make_product, make_user, png_header_only

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here


# --- helpers ---------------------------------------------------------------------------


class Page(HTMLParser):
    """The real tags, attributes and text of a page, as a browser would see them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.script_text: list[str] = []
        self.data_text: list[str] = []  # JSON-LD (storefront/seo): data, never run
        self._in_script = self._in_data = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_data = tag == "script" and dict(attrs).get("type") == "application/ld+json"
        self._in_script = tag == "script" and not self._in_data

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = self._in_data = False

    def handle_data(self, data):
        (self.script_text if self._in_script else self.data_text if self._in_data else self.text).append(data)

    def inputs(self) -> dict[str, str | None]:
        """name -> value of the page's <input>s (the last one wins)."""
        return {a.get("name"): a.get("value") for t, a in self.tags if t == "input" and a.get("name")}

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def assert_no_injected_markup(html: str) -> Page:
    """No inline or foreign script, no on* handler, no javascript: URL, no injected <img>."""
    page = Page(html)
    for tag, attrs in page.tags:
        where = f"<{tag} {attrs}>"
        if tag == "script" and attrs.get("type") != "application/ld+json":
            assert (attrs.get("src") or "").startswith("/static/"), where
        for name, value in attrs.items():
            assert not name.lower().startswith("on"), where
            if name.lower() in ("href", "src", "action", "formaction", "srcset", "xlink:href"):
                assert not (value or "").strip().lower().startswith(("javascript:", "data:text", "vbscript:")), where
        if tag == "img":
            assert attrs.get("src", "").startswith("/media/"), where
    assert "alert" not in "".join(page.script_text)
    return page


def signed_in(app, role: str = "owner") -> ShopClient:
    email = f"{role}@example.com"
    with app.app_context():
        make_user(email, role)
    shop = ShopClient(app.test_client())
    assert shop.login(email).status_code == 303
    return shop


def product_fields(**changes) -> dict:
    fields = {
        "title": "Linen shirt",
        "slug": "",
        "price": "12.50",
        "category_id": "0",
        "description_md": "Cool in **summer**.",
        "featured": "y",
    }
    return {**fields, **changes}


def png(size=(400, 300), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def media_files(app) -> list[str]:
    root = Path(app.config["MEDIA_ROOT"])
    return sorted(os.listdir(root)) if root.exists() else []


def upload(shop: ShopClient, product_id: int, data: bytes, filename: str, content_type: str):
    return shop.post(
        f"/admin/products/{product_id}/photos",
        {"photo": (io.BytesIO(data), filename, content_type), "alt": "Red shirt"},
        content_type="multipart/form-data",
    )


@pytest.fixture
def owner(app) -> ShopClient:
    return signed_in(app, "owner")


@pytest.fixture
def shirt(app) -> dict:
    with app.app_context():
        product = make_product("Linen shirt", variants=(("M", 4),))
        return {"id": product.id, "slug": product.slug}


# --- descriptions and titles cannot inject markup --------------------------------------

EVIL_DESCRIPTION = """Soft and **warm**.

<script>alert(1)</script>

<img src=x onerror=alert(1)>

[x](javascript:alert(1)) and [ok](https://example.com/care)

<a href="javascript:alert(2)" onclick="alert(3)">y</a>
"""
EVIL_TITLE = "<script>alert('t')</script>"


def test_markup_typed_by_the_owner_is_never_live(app, owner, shop):
    response = owner.post("/admin/products/new", product_fields(title=EVIL_TITLE, description_md=EVIL_DESCRIPTION))
    assert response.status_code == 303, response.text
    with app.app_context():
        product = db.session.scalars(select(Product)).one()
        product_id, slug = product.id, product.slug
        assert product.title == EVIL_TITLE and product.description_md == EVIL_DESCRIPTION
    assert response.headers["Location"] == f"/admin/products/{product_id}"
    with app.app_context():  # on sale without the publish checks: the shopper pages are the subject here
        db.session.get(Product, product_id).status = "published"
        db.session.commit()
    assert (
        owner.post(
            f"/admin/products/{product_id}/variants",
            {
                "sku": "EVIL-1",
                "name": "<b onmouseover=alert(4)>M</b>",
                "initial_stock": "3",
                "low_stock_threshold": "5",
            },
        ).status_code
        == 303
    )

    product_page = shop.client.get(f"/p/{slug}")
    assert product_page.status_code == 200
    home = shop.client.get("/")
    admin_pages = [
        owner.client.get(url)
        for url in ("/admin/products", f"/admin/products/{product_id}", "/admin/stock", "/admin/stock?low=1")
    ]
    for response in [product_page, home, *admin_pages]:
        assert response.status_code == 200
        assert "<script>alert" not in response.text
        page = assert_no_injected_markup(response.text)
        assert EVIL_TITLE in page.all_text, "the title is shown as text"
    ledger = owner.client.get("/admin/stock/ledger")
    assert "EVIL-1" in assert_no_injected_markup(ledger.text).all_text
    page = Page(product_page.text)
    assert "Soft and warm." in " ".join(page.all_text.split())
    links = [a.get("href") for t, a in page.tags if t == "a"]
    assert "https://example.com/care" in links, "ordinary links survive the sanitiser"


# --- the product form re-shows what was typed with the message ----------------------------

BAD_INPUT = {
    "empty title": ({"title": ""}, "Please give a title."),
    "blank title": ({"title": "   "}, "Please give a title."),
    "price abc": ({"price": "abc"}, "Enter an amount like 12.50."),
    "negative price": ({"price": "-1"}, "Enter an amount like 12.50."),
    "three decimals": ({"price": "1.234"}, "Enter an amount like 12.50."),
    "empty price": ({"price": ""}, "Please give a price."),
    "huge price": ({"price": "1e30"}, "Enter an amount like 12.50."),
    "price over the column": ({"price": "21474836.48"}, "This amount is too large."),
    "price far over the column": ({"price": "99999999.99"}, "This amount is too large."),
    "10 kB title": ({"title": "T" * 10_000}, "Field cannot be longer than 200 characters."),
    "bad slug": ({"slug": "a/b"}, "Letters, digits and - only."),
    "unknown category": ({"category_id": "999"}, "Not a valid choice."),
}


def test_bad_product_input_is_refused_and_reshown(app, owner):
    for case, (changes, message) in BAD_INPUT.items():
        fields = product_fields(description_md="Keep *me*", **changes)
        response = owner.post("/admin/products/new", fields)
        assert response.status_code == 422, case
        assert message in response.text, case
        page = Page(response.text)
        typed = page.inputs()
        for name in ("title", "price", "slug"):
            assert typed[name] == fields[name] or (typed[name] is None and fields[name] == ""), (case, name)
        assert "Keep *me*" in page.all_text, case
        with app.app_context():
            assert db.session.query(Product).count() == 0, case


def test_a_good_product_is_created_as_a_draft_with_its_price_in_minor_units(app, owner, shop):
    response = owner.post("/admin/products/new", product_fields(price="1,234.50"))
    assert response.status_code == 303
    with app.app_context():
        product = db.session.scalars(select(Product)).one()
        assert (product.title, product.slug, product.price, product.featured, product.status) == (
            "Linen shirt",
            "linen-shirt",
            123450,
            True,
            "draft",
        )
    assert "Linen shirt" not in shop.client.get("/").text, "a new product waits, unseen, until published"


def test_the_largest_price_the_database_holds_is_accepted(app, owner):
    assert owner.post("/admin/products/new", product_fields(price="21474836.47")).status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Product.price)).one() == 2**31 - 1


def test_editing_a_product_keeps_it_when_the_input_is_bad(app, owner, shirt):
    response = owner.post(f"/admin/products/{shirt['id']}", product_fields(title="", price="9.99"))
    assert response.status_code == 422 and "Please give a title." in response.text
    with app.app_context():
        product = db.session.get(Product, shirt["id"])
        assert (product.title, product.price) == ("Linen shirt", 5000)
    assert (
        owner.post(f"/admin/products/{shirt['id']}", product_fields(title="Linen shirt v2", price="9.99")).status_code
        == 303
    )
    with app.app_context():
        db.session.expire_all()
        product = db.session.get(Product, shirt["id"])
        assert (product.title, product.price) == ("Linen shirt v2", 999)


def test_unknown_product_is_404(owner):
    assert owner.client.get("/admin/products/999").status_code == 404
    assert owner.post("/admin/products/999", product_fields()).status_code == 404


# --- variants -----------------------------------------------------------------------------


def test_new_variant_records_its_opening_stock(app, owner, shirt):
    with app.app_context():
        owner_id = db.session.scalars(select(User.id).where(User.email == "owner@example.com")).one()
    response = owner.post(
        f"/admin/products/{shirt['id']}/variants",
        {"sku": "SHIRT-L", "name": "L", "price_override": "14.00", "initial_stock": "7", "low_stock_threshold": "2"},
    )
    assert response.status_code == 303
    with app.app_context():
        variant = db.session.scalars(select(Variant).where(Variant.sku == "SHIRT-L")).one()
        assert (variant.name, variant.price_override, variant.on_hand, variant.low_stock_threshold) == ("L", 1400, 7, 2)
        (movement,) = db.session.scalars(select(StockMovement).where(StockMovement.variant_id == variant.id))
        assert (movement.reason, movement.delta, movement.on_hand_after, movement.user_id) == (
            "initial",
            7,
            7,
            owner_id,
        )


def test_duplicate_sku_is_409_and_nothing_is_created(app, owner, shirt):
    with app.app_context():
        sku = db.session.scalars(select(Variant.sku)).one()
        before = db.session.query(StockMovement).count()
    response = owner.post(
        f"/admin/products/{shirt['id']}/variants",
        {"sku": sku, "name": "Copy", "initial_stock": "5", "low_stock_threshold": "1"},
    )
    assert response.status_code == 409
    assert f"Another variant already has the SKU {sku}." in response.text
    assert Page(response.text).inputs()["name"] == "Copy"
    with app.app_context():
        assert db.session.query(Variant).count() == 1
        assert db.session.query(StockMovement).count() == before
        assert db.session.scalars(select(Variant)).one().name == "M"


def test_bad_variant_input_is_422(app, owner, shirt):
    for changes, message in [
        ({"sku": ""}, "Please give a SKU."),
        ({"sku": "has space"}, "Letters, digits, '.', '_' and '-' only."),
        ({"sku": "-leading-dash"}, "Letters, digits, '.', '_' and '-' only."),
        ({"initial_stock": "-3"}, "Number must be between 0 and 1000000."),
        ({"initial_stock": "lots"}, "Not a valid integer value."),
        ({"price_override": "abc"}, "Enter an amount like 12.50."),
        ({"price_override": "99999999.99"}, "This amount is too large."),
    ]:
        fields = {"sku": "SHIRT-XL", "name": "XL", "initial_stock": "1", "low_stock_threshold": "1", **changes}
        response = owner.post(f"/admin/products/{shirt['id']}/variants", fields)
        assert response.status_code == 422, changes
        assert message in response.text, changes
        with app.app_context():
            assert db.session.query(Variant).count() == 1, changes
            assert db.session.query(StockMovement).count() == 1, changes


# --- photos -------------------------------------------------------------------------------


def test_photo_upload_accepts_a_real_image_and_refuses_the_rest(app, owner, shirt, shop):
    started = time.perf_counter()
    response = upload(owner, shirt["id"], png(), "shirt.png", "image/png")
    assert response.status_code == 303, response.text
    with app.app_context():
        photo = db.session.scalars(select(Photo)).one()
        expected = sorted(f"{photo.key}-{w}.{ext}" for w in photo.width_list for ext in ("jpg", "webp"))
        assert (photo.product_id, photo.width, photo.height, photo.alt) == (shirt["id"], 400, 300, "Red shirt")
        key = photo.key
    files = media_files(app)
    assert files == expected and len(files) == 2
    assert f"/media/{key}-320.jpg" in shop.client.get(f"/p/{shirt['slug']}").text
    assert time.perf_counter() - started < 5

    app.config["MAX_PHOTO_BYTES"] = 50_000
    refused = {
        "text named photo.jpg": (
            b"just some text, honest\n" * 20,
            "photo.jpg",
            "image/jpeg",
            "The file is not an image (JPEG, PNG, WebP or GIF).",
        ),
        "20000x20000 header": (
            png_header_only(20_000, 20_000),
            "big.png",
            "image/png",
            "The image is too large; the limit is 40 megapixels.",
        ),
        "over MAX_PHOTO_BYTES": (png() + os.urandom(60_000), "huge.png", "image/png", "The file is larger than"),
        "empty file": (b"", "empty.png", "image/png", "The file is empty."),
    }
    for name, (data, filename, content_type, message) in refused.items():
        started = time.perf_counter()
        response = upload(owner, shirt["id"], data, filename, content_type)
        elapsed = time.perf_counter() - started
        assert response.status_code == 422, name
        assert elapsed < 2, name
        shown = [text for text in Page(response.text).text if message in text]
        assert shown, f"{name}: message {message!r} not shown"
        with app.app_context():
            assert db.session.query(Photo).count() == 1, name
        assert media_files(app) == expected, name


def test_photo_delete_removes_row_and_files(app, owner, shirt):
    assert upload(owner, shirt["id"], png(), "shirt.png", "image/png").status_code == 303
    with app.app_context():
        photo_id = db.session.scalars(select(Photo.id)).one()
    assert media_files(app)
    assert owner.post(f"/admin/photos/{photo_id}/delete").status_code == 303
    with app.app_context():
        assert db.session.query(Photo).count() == 0
    assert media_files(app) == []


# --- archiving ----------------------------------------------------------------------------


def test_archived_product_leaves_the_shop(app, owner, shirt, shop):
    assert f"/p/{shirt['slug']}" in shop.client.get("/").text
    response = owner.post(f"/admin/products/{shirt['id']}/archive", {"archived": "1"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Product, shirt["id"]).archived is True
    assert f"/p/{shirt['slug']}" not in shop.client.get("/").text
    assert shop.client.get(f"/p/{shirt['slug']}").status_code == 404
    assert f'/admin/products/{shirt["id"]}"' not in owner.client.get("/admin/products").text
    assert f'/admin/products/{shirt["id"]}"' in owner.client.get("/admin/products?archived=1").text

    assert owner.post(f"/admin/products/{shirt['id']}/archive", {"archived": "0"}).status_code == 303
    with app.app_context():
        assert db.session.get(Product, shirt["id"]).status == "draft", "restored as a draft, to be published again"
    assert shop.client.get(f"/p/{shirt['slug']}").status_code == 404


def test_archive_and_photo_removal_ask_first(app, owner, shirt):
    assert upload(owner, shirt["id"], png(), "shirt.png", "image/png").status_code == 303
    with app.app_context():
        photo_id = db.session.scalars(select(Photo.id)).one()
    for url in (f"/admin/products/{shirt['id']}/archive", f"/admin/photos/{photo_id}/delete"):
        page = owner.client.get(url)
        assert page.status_code == 200, url
        forms = [a for t, a in Page(page.text).tags if t == "form"]
        assert url in [f.get("action") for f in forms if f.get("method") == "post"], url
        assert 'name="csrf_token"' in page.text
    with app.app_context():
        assert db.session.get(Product, shirt["id"]).status == "published", "asking changed nothing"
        assert db.session.query(Photo).count() == 1


def test_staff_cannot_archive(app, shirt, shop):
    staff = signed_in(app, "staff")
    response = staff.post(f"/admin/products/{shirt['id']}/archive", {"archived": "1"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Product, shirt["id"]).archived is False
    assert shop.client.get(f"/p/{shirt['slug']}").status_code == 200
