"""Accessibility test kit: axe-core injected into a page, staff pages found on the URL map, a shop to walk.

axe-core is vendored (tests/browser/vendor/axe.min.js, MPL-2.0, licence beside it) so the browser
tests need no network and no extra Python package; `AXE_VERSION` says which release it is.
"""

from __future__ import annotations

import functools
import io
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from werkzeug.security import generate_password_hash

from storefront.auth import models as auth_models
from storefront.brand.rules import Picture
from storefront.brand.service import save_brand
from storefront.catalog import service as catalog
from storefront.catalog.demo_pictures import render_demo_logo
from storefront.catalog.images import render_demo_photo, store_upload
from storefront.catalog.models import Product
from storefront.catalog.video_service import attach_video
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders.service import apply_event
from storefront.payments import transfer_rules, transfer_service
from tests.builders import (
    CHECKOUT_DELIVERY,
    PASSWORD,
    make_category,
    make_product,
    make_user,
    mp4_bytes,
    nth_shopper,
    pickup_by,
)
from tests.helpers import _make_app
from tests.live_server import gunicorn
from tests.sellers.builders import make_seller
from tests.stores.builders import make_store

VENDOR = Path(__file__).resolve().parent / "vendor"
AXE_JS = VENDOR / "axe.min.js"
AXE_VERSION = "4.14.1"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and Deque's best practices (landmarks, headings, ...).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
WIDTHS = {"390": {"width": 390, "height": 844}, "1280": {"width": 1280, "height": 800}}

# The blueprints whose GET pages are for the owner, staff and sellers (found on app.url_map).
STAFF_BLUEPRINTS = ("admin", "reports", "seller", "account", "seller_profile", "showcase_seller")
# A parameter whose value differs by rule (the owner's collection under /admin, the seller's own under /seller).
PER_RULE = {"/seller/collections/<int:collection_id>": {"collection_id": "seller_collection_id"}}
ROLES = {"owner": "owner@example.com", "staff": "staff@example.com", "seller": "anna24@sellers.example"}
_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
# Second states of discovered staff pages, written like rules with a parameter of their own in the
# table: the admin product page of a draft (its publish checklist) besides the coat's (photos, video).
EXTRA_STAFF_RULES = ["/admin/products/<int:draft_product_id>", "/notify/alerts"]  # alerts: every account's own
EXTRA_STAFF_RULES.append("/admin/reports/?filter=product:<product_id>")  # a report drill-down (its filter box)


# --- known failures ------------------------------------------------------------------------------------
# A page whose axe or phone check is known to fail, with the reason (its test is xfail(strict=False)).
# Empty: every page passes. Add an entry only with an issue that will fix it.
KNOWN_AXE: dict[str, str] = {}
KNOWN_PHONE: dict[str, str] = {}


def page_param(key: str, known: dict[str, str]):
    """A pytest parameter for one page, xfail (not strict) while another branch fixes it."""
    marks = [pytest.mark.xfail(strict=False, reason=known[key])] if key in known else []
    return pytest.param(key, marks=marks)


# --- axe ------------------------------------------------------------------------------------------


# axe.run over the document, its violations reduced to what a failure message needs; a promise.
_AXE_RUN = """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
    .then((result) => result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
    })))"""


def start_axe(page) -> None:
    """Start axe-core over the page as it is now, without waiting: `axe_results` collects its violations.

    The run begins on the page's next task, after this call has returned, so the browser runs it
    while Python drives another page (the sweep's other screen): the two pages' axe runs and loads
    share the machine's cores instead of queueing.
    """
    start = f"""(tags) => {{
        if (typeof window.axe !== 'object') return false;
        window.__a11yAxe = new Promise((resolve) => setTimeout(resolve)).then(() => ({_AXE_RUN})(tags));
        return true;
    }}"""
    if not page.evaluate(start, AXE_TAGS):
        # The sweep's contexts load axe with every document (add_init_script); a page opened elsewhere
        # gets it here: evaluate() runs through the DevTools protocol, so the shop's CSP (script-src 'self') allows it.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;true")
        assert page.evaluate(start, AXE_TAGS), "axe-core could not be loaded into the page"


def axe_results(page) -> list[dict]:
    """The violations (rule id, impact, help, nodes' targets) of the axe run `start_axe` began on the page."""
    violations = page.evaluate("() => window.__a11yAxe")
    assert isinstance(violations, list), f"the axe run started on {page.url} was lost (did the page navigate?)"
    return violations


def axe_violations(page) -> list[dict]:
    """Run axe-core over the page as it is now; its violations (rule id, help, nodes' targets)."""
    start_axe(page)
    return axe_results(page)


def describe(violations: list[dict], where: str) -> str:
    """axe's findings, one rule per paragraph: id, impact, help, and where (selectors)."""
    lines = [f"axe-core {AXE_VERSION} found {len(violations)} rule(s) broken on {where}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:8]:
            summary = " ".join((node["summary"] or "").split())[:200]
            lines.append(f"    {node['target']}  -- {summary}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


# --- shopper pages: listed by hand, one entry per state of a page ------------------------------------

# name -> (path with {placeholders} from shop.shopper, whose cart: "empty" or "filled"); prepare() does
# what reaches a state (a refused submit).
SHOPPER_PAGES = {
    "home": ("/", "empty"),
    "category": ("/c/{category}", "empty"),
    "search-results": ("/search?q=coat", "empty"),
    "search-nothing": ("/search?q=zzzzqqq", "empty"),
    "product-variants": ("/p/{coat}", "empty"),
    "product-sold-out": ("/p/{hat}", "empty"),
    "product-added": ("/p/{coat}", "filled"),
    "product-added-js": ("/p/{coat}", "filled"),
    "cart-empty": ("/cart", "empty"),
    "cart-lines": ("/cart", "filled"),
    "checkout": ("/checkout", "filled"),
    "checkout-failed": ("/checkout", "filled"),
    "order-cash-delivery": ("/o/{order-cash-delivery}", "empty"),
    "order-pickup-confirmed": ("/o/{order-pickup-confirmed}", "empty"),
    "order-transfer": ("/o/{order-transfer}", "empty"),
    "order-transfer-refused-id": ("/o/{order-transfer}", "empty"),
    "order-transfer-claimed": ("/o/{order-transfer-claimed}", "empty"),
    "order-cancelled": ("/o/{order-cancelled}", "empty"),
    "order-delivered-reviews": ("/o/{order-delivered}", "empty"),
    "review-form": ("/o/{order-delivered}/review/{review-line}", "empty"),
    "order-aftersales": ("/o/{order-aftersales}", "empty"),
    "aftersales-form": ("/o/{order-aftersales}/help", "empty"),
    "stores": ("/stores", "empty"),
    "contact": ("/pages/contact", "empty"),  # the brand's contact and the stores (storefront/pages)
    "back-in-stock-request": ("/notify/watch/{watch}", "empty"),
    "email-choices": ("/notify/email/{email-token}", "empty"),
    "unsubscribe": ("/notify/email/{email-token}/unsubscribe", "empty"),
    "stores-place": ("/stores?q=94103", "empty"),
    "my-orders": ("/my-orders", "empty"),
    "offline": ("/offline", "empty"),
    "login": ("/login", "empty"),
    "login-failed": ("/login", "empty"),
    "not-found": ("/no-such-page", "empty"),
}


def shopper(browser, shop: A11yShop, cart: str, expect, **options):
    """A new shopper's page; with cart "filled" a coat is in the cart."""
    page = browser.new_context(**options).new_page()
    if cart == "filled":
        page.goto(f"{shop.base}/p/{shop.shopper['coat']}")
        page.get_by_role("button", name="Add to cart").click()
        expect(page.locator("[data-cart-count]").first).to_have_text("1")
    return page


def prepare(page, name: str) -> None:
    """The states reached by doing something on the page: an add to cart, a failed submit."""
    if name == "product-added":  # the no-script add: form.submit() skips app.js, the server redirects back
        with page.expect_navigation():
            page.locator("form[action$='/cart/add']").first.evaluate("(form) => form.submit()")
        assert page.locator(".flash-links").count(), "no View cart / Checkout links after a no-script add"
    if name == "product-added-js":  # app.js's panel under the button
        page.get_by_role("button", name="Add to cart").click()
        page.locator("[data-added] .added-links").wait_for(state="visible")
        # Its fade-in over: axe measures the colours as they end, not half-way through .25 s.
        page.locator("[data-added]").evaluate("(el) => Promise.all(el.getAnimations().map((a) => a.finished))")
    if name == "checkout-failed":
        page.get_by_role("button", name=re.compile("Place order")).click()
        page.wait_for_load_state()
        assert page.locator(".field.has-error").count(), "the empty checkout form was accepted"
    if name == "order-transfer-refused-id":
        page.get_by_label(re.compile("^Transaction id")).fill("!!")
        page.get_by_role("button", name="Send transaction id").click()
        page.wait_for_load_state()
        assert page.locator(".field.has-error").count(), "a transaction id of !! was accepted"
    if name == "login-failed":
        page.locator("#email").fill("nobody@example.com")
        page.locator("#password").fill("wrong password here")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()


# --- staff pages from the URL map -----------------------------------------------------------------


def staff_rules(app) -> list[str]:
    """Every GET rule of the staff blueprints, as written in the URL map ("/admin/orders/<reference>")."""
    rules = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint.split(".")[0] in STAFF_BLUEPRINTS
    }
    return sorted(rules)


def parameters_of(rule: str) -> list[str]:
    """The path parameters a rule needs ("<int:product_id>" -> "product_id")."""
    return _PARAMETER.findall(rule)


def fill(rule: str, table: dict[str, object]) -> str:
    """The rule with its parameters filled from the table; fails the test for a parameter it lacks."""
    keys = {name: PER_RULE.get(rule, {}).get(name, name) for name in parameters_of(rule)}
    missing = [key for key in keys.values() if key not in table]
    if missing:
        pytest.fail(f"{rule}: add {missing} to the fixture table in tests/browser/a11y.py (_build) so it is checked")
    return _PARAMETER.sub(lambda m: str(table[keys[m.group(1)]]), rule)


def vendored_axe_version() -> str:
    """The release named in the vendored file's banner ("/*! axe v4.14.1")."""
    with AXE_JS.open(encoding="utf-8") as handle:
        match = re.match(r"/\*! axe v(\d+\.\d+\.\d+)", handle.read(64))
    assert match, f"{AXE_JS} does not start with axe-core's banner"
    return match.group(1)


@functools.cache
def discover_staff_rules() -> list[str]:
    """The staff GET rules of the shop as built now (an app made only to read its URL map, at collection).

    Cached: test_axe.py and test_phone_pages.py both collect them, the app is built once.
    """
    with tempfile.TemporaryDirectory() as tmp:
        generator = _make_app("sqlite://", Path(tmp))
        app = next(generator)
        rules = staff_rules(app)
        generator.close()
    return rules


# --- a shop with every kind of page ---------------------------------------------------------------


@dataclass
class A11yShop:
    """The served shop: its address, the fixture table for staff pages, and the shopper pages' data."""

    base: str
    table: dict[str, object]
    shopper: dict[str, str] = field(default_factory=dict)


def _orders(app, variant: int, store_id: int, method_id: int) -> dict[str, tuple[str, str]]:
    """Orders in each cheap state, placed through the real checkout: name -> (token, reference)."""
    from storefront.orders.models import Order

    placed = {}
    forms = {
        "cash-delivery": CHECKOUT_DELIVERY,
        "pickup-confirmed": {**pickup_by(1), "pickup_store": store_id},
        "transfer": {
            **pickup_by(2),
            "pickup_store": store_id,
            "payment_method": transfer_rules.choice_value(method_id),
        },
        "cancelled": {**pickup_by(3), "pickup_store": store_id},
        "transfer-claimed": {
            **pickup_by(4),
            "pickup_store": store_id,
            "payment_method": transfer_rules.choice_value(method_id),
        },
    }
    for n, (name, form) in enumerate(forms.items()):
        shop = nth_shopper(app, n + 10)
        assert shop.add(variant).status_code in (200, 302, 303)
        response = shop.checkout(form)
        assert response.status_code in (302, 303), (name, response.status_code, response.get_data(as_text=True)[:500])
        token = response.headers["Location"].rstrip("/").split("/o/")[1].split("?")[0]
        if name == "transfer-claimed":
            claim = shop.post(f"/o/{token}/transfer", {"transaction_id": "8N7A2K5Q1Z"})
            assert claim.status_code == 303, claim.get_data(as_text=True)[:500]
        with app.app_context():
            order = db.session.query(Order).filter_by(token=token).one()
            if name == "pickup-confirmed":
                apply_event(db.session, order, "confirm", utcnow())
            if name == "cancelled":
                apply_event(db.session, order, "cancel", utcnow())
            db.session.commit()
            placed[name] = (token, order.reference)
    return placed


def _aftersales(app, variant: int, store_id: int) -> tuple[int, str]:
    """A collected order with a return request and a reply in its thread: (request id, order token)."""
    from storefront.aftersales import service as aftersales
    from storefront.orders.models import Order

    shop = nth_shopper(app, 30)
    assert shop.add(variant).status_code in (200, 302, 303)
    response = shop.checkout({**pickup_by(6), "pickup_store": store_id})
    token = response.headers["Location"].rstrip("/").split("/o/")[1].split("?")[0]
    with app.app_context():
        order = db.session.query(Order).filter_by(token=token).one()
        for step in ("confirm", "pack", "mark_ready", "collect"):
            apply_event(db.session, order, step, utcnow())
        asked = aftersales.NewRequest("return", "wrong_size", "Too big.", {order.lines[0].id: 1})
        found = aftersales.open_request(db.session, order, asked, [], utcnow(), ZoneInfo("UTC"))
        aftersales.add_message(db.session, found, "staff", "Bring it to the shop, please.", utcnow())
        db.session.commit()
        return found.id, token


def _brand(app, media_root: Path, category_id: int) -> None:
    """Save a brand with every field set: logo, hero, announcement bar, featured shelf, contacts, notes."""
    logo = store_upload(render_demo_logo("#2f5d50", 256), media_root)
    hero = store_upload(render_demo_photo("Hero", 3, (1200, 675)), media_root)
    save_brand(
        db.session,
        app.config,
        name="Alder & Clay",
        short_name="Alder",
        theme_color="#2f5d50",
        background_color="#faf7f2",
        accent_color="#f2e1d0",
        logo=Picture(logo.key, logo.width, logo.height, logo.widths),
        hero=Picture(hero.key, hero.width, hero.height, hero.widths),
        headline="Warm clothes, made slowly",
        subheadline="Coats, hats and scarves from small mills, sent within two days.",
        hero_category=category_id,
        announcement="Free pickup at Market Street this week",
        announcement_url="/stores",
        announcement_on=True,
        featured=(category_id,),
        whatsapp="15035550142",
        phone="(503) 555-0142",
        email="hello@alder.example.com",
        instagram="https://www.instagram.com/alder.example",
        facebook="https://www.facebook.com/alder.example",
        shipping_note="Sent within two business days; $5 anywhere in the US.",
        returns_note="Return anything unworn within 30 days.",
        contact_note="Call or text us Tuesday to Sunday, 10am to 6pm.",
    )


def _reviews(app, media_root: Path, product_ids: list[int]) -> tuple[str, int]:
    """Delivered orders: one review published (a photo, a reply), one pending, one line left to review.

    Returns the order with the line to review (its page and the review form are shopper pages).
    """
    import secrets

    from storefront.catalog.models import Product
    from storefront.orders.models import Order, OrderLine
    from storefront.orders.service import new_reference
    from storefront.reviews import service as reviews

    with app.app_context():
        products = [db.session.get(Product, pid) for pid in product_ids]
        order = Order(
            token=secrets.token_urlsafe(24),
            reference=new_reference(),
            checkout_key=secrets.token_urlsafe(24),
            status="delivered",
            customer_name="Rosa Parks",
            phone="+15035550100",
            delivery_method="pickup",
            payment_method="cash",
            currency="USD",
            subtotal=0,
            shipping=0,
            total=0,
            lines=[
                OrderLine(
                    variant_id=p.variants[0].id,
                    product_slug=p.slug,
                    title=p.title,
                    sku=p.variants[0].sku,
                    unit_price=p.variants[0].unit_price,
                    quantity=1,
                )
                for p in products
            ],
        )
        db.session.add(order)
        db.session.flush()
        limits = reviews.PhotoLimits(media_root, 8 * 2**20, 40_000_000)
        photo = render_demo_photo("Review", 4, (400, 400))
        first = reviews.Submission(5, "Warm, soft and it fits well.", [photo], "en")
        published = reviews.submit_review(db.session, order, order.lines[0], first, limits, utcnow())
        reviews.publish(db.session, published, utcnow())
        reviews.reply(db.session, published, "Thank you, Rosa!", utcnow())
        reviews.submit_review(db.session, order, order.lines[1], reviews.Submission(3, "", [], "en"), limits, utcnow())
        db.session.commit()
        return order.token, order.lines[2].id


def _build(app, media_root: Path) -> tuple[dict[str, object], dict[str, str]]:
    """Fill the shop: staff, a seller, products (variants, sold out, a photo), stores, a transfer method, orders."""
    with app.app_context():
        owner = make_user(ROLES["owner"], "owner")
        make_user(ROLES["staff"], "staff")
        seller = make_seller("ANNA24")
        clothing = make_category("Clothing")
        coat = make_product("Merino coat", price=12000, variants=(("S", 12), ("M", 2)), category=clothing)
        photo = catalog.store_photo(
            db.session, coat, render_demo_photo(coat.title, 1, (400, 400)), media_root, alt="A coat"
        )
        for n in (2, 3):  # a gallery: its dots and arrows
            catalog.store_photo(
                db.session, coat, render_demo_photo(coat.title, n, (400, 400)), media_root, alt=f"The coat, view {n}"
            )
        attach_video(  # the product page's video block, the admin's video section and poster form
            db.session, coat, io.BytesIO(mp4_bytes()), media_root, max_bytes=10**6, poster_photo_id=None
        )
        hat = make_product("Felt hat", price=2000, variants=(("", 0),), category=clothing)
        make_product("Linen scarf", price=1500, variants=(("", 20),), category=clothing)
        draft = make_product("Wool mittens", price=0, variants=(("", 0),), category=clothing)
        catalog.unpublish(db.session, draft)  # a draft missing a price, stock and a photo: its checklist
        draft_id = draft.id
        _brand(app, media_root, clothing.id)
        store = make_store("Market Street", 37.779, -122.419, "San Francisco", "94103", address="870 Market St")
        make_store("Harbour Street", 37.795, -122.393, "San Francisco", "94111")
        values = transfer_rules.check_method(
            "bKash", "01712345678", "Send Money from the app.", app.config["SHOP_CURRENCY"], "24"
        )
        method = transfer_service.save_method(db.session, None, values, utcnow())
        db.session.commit()
        ids = {
            "coat": coat.slug,
            "hat": hat.slug,
            "hat_variant": hat.variants[0].id,
            "category": clothing.slug,
            "variant": coat.variants[0].id,
            "product_id": coat.id,
            "variant_id": coat.variants[0].id,
            "seller_id": seller.id,
            "seller_code": seller.code,
            "store_id": store.id,
            "method_id": method.id,
            "user_id": owner.id,
            "photo_id": photo.id,
            "draft_product_id": draft_id,
        }
    orders = _orders(app, ids["variant"], ids["store_id"], ids["method_id"])
    with app.app_context():
        reviewed = [ids["product_id"], db.session.query(Product.id).filter_by(slug=ids["hat"]).scalar()]
        reviewed.append(db.session.query(Product.id).filter_by(slug="linen-scarf").scalar())
    delivered, review_line = _reviews(app, media_root, reviewed)
    with app.app_context():
        from storefront.jobs.models import Job

        job = db.session.query(Job).order_by(Job.id).first()
        job_id = job.id if job is not None else 1
    token, reference = orders["cash-delivery"]
    request_id, aftersales_token = _aftersales(app, ids["variant"], ids["store_id"])
    with app.app_context():
        from storefront.feeds.service import create_link

        feed_link, _token = create_link(db.session, "Merchant Center", "google", None, datetime(2026, 12, 6, 12))
        db.session.commit()
        feed_link_id = feed_link.id
        from tests.promotions.helpers import make_code

        code_id = make_code("A11Y10", description="Ten percent off")
    with app.app_context():
        from storefront.segments.service import save_segment

        coat_buyers = {"bought_products": [ids["product_id"]]}
        segment = save_segment(db.session, None, "Coat buyers", coat_buyers, None, utcnow())
        db.session.commit()
        segment_id = segment.id
    with app.app_context():  # a running sale: struck prices and time left for shoppers, sale cards for the owner
        from storefront.catalog.sale_rules import PERCENT, SaleTerms
        from storefront.catalog.sales import create_sale

        now = utcnow()
        sale = SaleTerms(PERCENT, 20, now - timedelta(hours=1), now + timedelta(days=2))
        create_sale(db.session, ids["product_id"], sale, now)
        db.session.commit()
        from storefront.customers.models import Customer

        customer_id = db.session.query(Customer.id).order_by(Customer.id).limit(1).scalar() or 1
        from storefront.showcase import service as showcase

        shop_list = showcase.create_collection(db.session, None, "Staff picks", "Our favourites.", now)
        showcase.add_item(db.session, shop_list, ids["product_id"], now)
        own_list = showcase.create_collection(db.session, ids["seller_id"], "Warm gifts", "", now)
        showcase.add_item(db.session, own_list, ids["product_id"], now)
        db.session.commit()
        collection_ids = {"collection_id": shop_list.id, "seller_collection_id": own_list.id}
        from storefront.campaigns import service as campaigns
        from storefront.segments.models import Segment

        segment = Segment(name="Everyone", definition="{}")
        db.session.add(segment)
        db.session.flush()
        messages = {"en": {"title": "Winter sale", "body": "Coats at half price."}}
        draft = campaigns.Draft("Winter sale", segment.id, "email", messages, "/", "A11Y10", None, 60)
        campaign_id = campaigns.create(db.session, draft, None, datetime(2026, 12, 6, 12)).id
        db.session.commit()
    table = {
        "segment_id": segment_id,  # /admin/segments/<segment_id> (members, edit, delete confirmation)
        "code_id": code_id,  # /admin/promotions/<code_id> (storefront/admin/promotions.py)
        "request_id": request_id,
        "customer_id": customer_id,  # /admin/customers/<customer_id> (a customer of the orders above)
        "link_id": feed_link_id,  # /admin/feeds/<link_id>/revoke (its confirmation page)
        "campaign_id": campaign_id,  # /admin/campaigns/<campaign_id> (a draft: its preview, send, cancel)
        "reference": reference,
        "token": token,
        "product_id": ids["product_id"],
        "variant_id": ids["variant_id"],
        "seller_id": ids["seller_id"],
        "store_id": ids["store_id"],
        "method_id": ids["method_id"],
        "user_id": ids["user_id"],
        "photo_id": ids["photo_id"],
        "draft_product_id": ids["draft_product_id"],
        "job_id": job_id,
        "name": "products",  # /admin/reports/<name>.csv
        "code": ids["seller_code"],
        "slug": ids["coat"],
        "page_slug": "about",  # /admin/pages/<page_slug> (storefront/admin/pages.py)
        **collection_ids,  # /admin/collections/<id> (the shop's own), /seller/collections/<id> (the seller's)
        "month": "2026-12",  # /seller/statements/<month>.csv
    }
    with app.app_context(), app.test_request_context():
        from storefront.notify import links
        from storefront.notify import service as notify

        watch = notify.watch_variant(db.session, ids["hat_variant"], "ana@example.com", "en", utcnow())
        db.session.commit()
        watch_token, email_token = watch.token, links.token_for("ana@example.com")
    shopper = {
        "coat": ids["coat"],
        "hat": ids["hat"],
        "category": ids["category"],
        "watch": watch_token,
        "email-token": email_token,
        **{f"order-{name}": token for name, (token, _ref) in orders.items()},
        "order-delivered": delivered,
        "review-line": review_line,
        "order-aftersales": aftersales_token,
    }
    return table, shopper


@contextmanager
def _quick_hashes():
    """Sign-ins in this shop are not what is tested: one hashing round keeps them fast."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            auth_models,
            "generate_password_hash",
            lambda password, **_kw: generate_password_hash(password, method="pbkdf2:sha256:1"),
        )
        yield


@contextmanager
def serve_a11y_shop(tmp: Path):
    """Build the shop in a fresh SQLite file and serve it with gunicorn; yields an A11yShop."""
    generator = _make_app(f"sqlite:///{tmp / 'shop.db'}", tmp)
    app = next(generator)
    try:
        with _quick_hashes():
            table, shopper = _build(app, tmp / "media")
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        with gunicorn(url, tmp / "media", workers=1, LOGIN_RATE_LIMIT="200 per minute") as base:
            yield A11yShop(base, table, shopper)
    finally:
        generator.close()


def sign_in(browser, base: str, role: str, **options):
    """Sign the role in, once, in a new context made with options; its signed-in page."""
    page = browser.new_context(**options).new_page()
    page.goto(f"{base}/login")
    page.locator("#email").fill(ROLES[role])
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{role} could not sign in"
    return page


def visit_as(context, url: str) -> str:
    """How a role fares on a staff page: "page" (HTML 200), "file" (a CSV ...), or "refused" (403, redirect)."""
    response = context.request.get(url, max_redirects=0)
    if response.status != 200:
        return "refused"
    if not response.headers.get("content-type", "").startswith("text/html"):
        return "file"
    return "page"


def check_seen(rule: str, seen: list[str]) -> None:
    """Someone may open every staff page: the owner each /admin one, the seller each /seller one."""
    assert seen, f"{rule}: no role may open it (owner, staff and seller were all refused)"
    if rule.startswith("/admin"):
        assert "owner" in seen, f"{rule}: the owner was refused"
    if rule.startswith("/seller"):
        assert "seller" in seen, f"{rule}: the seller was refused"


# --- the sweep: each page loaded once per walker and screen, every check run on that load -----------

# The phone checks (tests/browser/phone_checks.js) measure on a 360 x 640 touch screen.
PHONE = {"viewport": {"width": 360, "height": 640}, "has_touch": True}
PHONE_MEASURE = (Path(__file__).resolve().parent / "phone_checks.js").read_text(encoding="utf-8")
STAFF_ROLES = ("owner", "staff", "seller")


def phone_problems(page) -> list[str]:
    """What is wrong on the page as rendered, then with every <details> open (duplicates once)."""
    found: list[str] = []
    for open_details in (False, True):
        for kind, items in page.evaluate(PHONE_MEASURE, open_details).items():
            for item in items:
                line = f"{kind}: {item}"
                if line not in found:
                    found.append(line)
    return found


@dataclass
class Findings:
    """One page's checks for one walker: axe's violations by width ("390", "1280"), the 360 px phone problems."""

    axe: dict[str, list[dict]]
    phone: list[str]


@dataclass
class StaffFindings:
    """A staff rule swept: the roles that may open it, and the findings of each role shown an HTML page."""

    seen: list[str]
    found: dict[str, Findings]


class Screens:
    """One walker's two pages: a 1280 x 800 one, and a phone one (390 x 844 for axe, then 360 x 640 with touch).

    The phone page is loaded at 390 x 844 without touch, as axe's phone width always was; for the
    phone checks the same loaded page is shrunk to 360 x 640 and touch is switched on (what a context
    made with has_touch does, over the DevTools protocol). The shop's CSS and scripts read no width
    at load time (media queries only, none between 360 and 390 px) and its images carry their sizes,
    so the layout measured is the one a page loaded at 360 x 640 has; `phone_problems` runs after
    axe, which only reads the page. The 1280 px page is a load of its own: it crosses every breakpoint.
    """

    def __init__(self, wide, phone) -> None:
        """Take the two pages; both load axe-core with every document they open."""
        self.wide, self.phone = wide, phone
        for page in (wide, phone):
            page.context.add_init_script(path=str(AXE_JS))
        self._cdp = phone.context.new_cdp_session(phone)
        self._small = False

    def _phone_screen(self, small: bool) -> None:
        """The phone page at 360 x 640 with touch (small) or at 390 x 844 without."""
        if small == self._small:
            return
        self.phone.set_viewport_size(PHONE["viewport"] if small else WIDTHS["390"])
        self._cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": small})
        self._small = small
        size = self.phone.evaluate("[innerWidth, innerHeight, matchMedia('(pointer: coarse)').matches]")
        expected = [*PHONE["viewport"].values(), True] if small else [*WIDTHS["390"].values(), False]
        assert size == expected, f"the phone page is {size}, not {expected}"

    def check(self, url: str, name: str | None = None) -> Findings:
        """Load the page on both screens (reaching shopper state `name` on each) and run every check."""
        self.wide.goto(url)
        if name:
            prepare(self.wide, name)
        start_axe(self.wide)  # the wide page's axe runs while the phone page loads and runs its own
        self._phone_screen(False)
        self.phone.goto(url)
        if name:
            prepare(self.phone, name)
        start_axe(self.phone)
        axe = {"390": axe_results(self.phone), "1280": axe_results(self.wide)}
        self._phone_screen(True)
        return Findings(axe, phone_problems(self.phone))

    def close(self) -> None:
        """Close both pages' contexts."""
        for page in (self.wide, self.phone):
            page.context.close()


class Sweep:
    """The a11y shop's pages, each loaded once per walker (shopper's cart, staff role), every check run then.

    test_axe.py and test_phone_pages.py ask for the same pages: the first ask loads a page on the
    walker's Screens, later asks read its findings. A failed load or prepare is kept and raised
    again to every test asking for that page.
    """

    def __init__(self, browser, shop: A11yShop, expect) -> None:
        """Nothing opened yet: walkers sign in and open their screens when first needed."""
        self.browser, self.shop, self.expect = browser, shop, expect
        self._walkers: dict[str, Screens] = {}
        self._memo: dict[tuple[str, str], object] = {}

    def shopper(self, name: str) -> Findings:
        """The findings on shopper page `name` (SHOPPER_PAGES), with its cart and its prepared state."""
        path, cart = SHOPPER_PAGES[name]
        url = self.shop.base + path.format(**self.shop.shopper)
        return self._once(("shopper", name), lambda: self._walker(cart).check(url, name))

    def staff(self, rule: str) -> StaffFindings:
        """The roles that may open the staff rule, and the findings of each role shown an HTML page."""
        url = self.shop.base + fill(rule, self.shop.table)
        return self._once(("staff", rule), lambda: self._staff(url))

    def _staff(self, url: str) -> StaffFindings:
        """Visit the URL as owner, staff and seller; check it where it is a page."""
        seen, found = [], {}
        for role in STAFF_ROLES:
            walker = self._walker(role)
            outcome = visit_as(walker.wide.context, url)
            if outcome == "refused":
                continue
            seen.append(role)
            if outcome == "page":
                found[role] = walker.check(url)
        return StaffFindings(seen, found)

    def _once(self, key: tuple[str, str], sweep):
        """The memoised result of sweep(); its exception raised again on every later ask."""
        if key not in self._memo:
            try:
                self._memo[key] = sweep()
            except Exception as error:
                self._memo[key] = error
                raise
        result = self._memo[key]
        if isinstance(result, Exception):
            raise result
        return result

    def _walker(self, who: str) -> Screens:
        """The screens of a shopper ("empty" or "filled" cart) or of a staff role, opened on first use."""
        if who not in self._walkers:
            if who in ROLES:  # signed in once, on the wide page; the phone page gets its cookies
                wide = sign_in(self.browser, self.shop.base, who, viewport=WIDTHS["1280"])
                state = wide.context.storage_state()
                phone = self.browser.new_context(viewport=WIDTHS["390"], storage_state=state).new_page()
            else:
                wide, phone = (
                    shopper(self.browser, self.shop, who, self.expect, viewport=WIDTHS[width])
                    for width in ("1280", "390")
                )
            self._walkers[who] = Screens(wide, phone)
        return self._walkers[who]

    def close(self) -> None:
        """Close every walker's contexts (idle pages left open would keep using the machine); keep the findings.

        A page not swept yet opens its walker again.
        """
        for screens in self._walkers.values():
            screens.close()
        self._walkers = {}
