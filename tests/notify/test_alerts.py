"""Staff and seller alerts: the choices page (per role), the test alert, and alerts end to end through the job
queue to the local push service: new orders (only to who chose them; a seller only of their own), a job that
keeps failing (the owner, once), stock running low (once per variant and day)."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront import jobs
from storefront.auth.models import User
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.inventory.service import adjust_stock
from storefront.jobs import REGISTRY
from storefront.jobs import service as job_service
from storefront.jobs.models import Job
from storefront.notify.models import AlertChoice, Notification
from tests.builders import CHECKOUT_DELIVERY, ShopClient, make_product, make_user
from tests.sellers.builders import make_seller

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here
PHONE_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 Mobile Safari/537.36"
_addresses = itertools.count(1)


@pytest.fixture(autouse=True)
def no_periodic_jobs(app, monkeypatch):
    """Only the jobs these tests cause run in a burst (no rollups, no hold sweeps); handlers restored after.

    After `app`: building the app imports every feature's jobs module, which registers their handlers.
    """
    monkeypatch.setattr(REGISTRY, "handlers", dict(REGISTRY.handlers))
    monkeypatch.setattr(REGISTRY, "periodic", {})
    return REGISTRY


@pytest.fixture
def people(app) -> dict[str, int]:
    """An owner, two staff (Sam and Kim) and a seller (ANNA24); their user ids."""
    with app.app_context():
        ids = {
            "owner": make_user("owner@example.com", "owner").id,
            "sam": make_user("sam@example.com", "staff").id,
            "kim": make_user("kim@example.com", "staff").id,
        }
        ids["anna"] = make_seller("ANNA24", email="anna@sellers.example").user_id
        return ids


def signed_in(app, email: str) -> ShopClient:
    """A browser of its own (its own address: the login limit is per address), signed in."""
    shop = ShopClient(app.test_client())
    shop.client.environ_base["REMOTE_ADDR"] = f"192.0.2.{next(_addresses) % 250 + 1}"
    response = shop.login(email)
    assert response.status_code == 303, response.text
    return shop


def subscribe_device(shop: ShopClient, push_service) -> dict:
    """Turn alerts on for this signed-in browser ("Get alerts on this device"); the subscription."""
    subscription = push_service.new_subscription()
    response = shop.client.post(
        "/notify/push",
        json={"subscription": subscription, "account": True},
        headers={"X-CSRFToken": shop.csrf()},
    )
    assert response.status_code == 201, response.text
    return subscription


def run_jobs(app, seconds: float = 5) -> None:
    """Run every job due a little after now (a failure's follow-up is queued at the failure's end)."""
    with app.app_context():
        jobs.run_due(db.session, utcnow() + timedelta(seconds=seconds))


def payloads(push_service, subscription: dict) -> list[dict]:
    """The decrypted pushes one device received."""
    return [m.payload for m in push_service.messages_for(subscription)]


# -- the page ----------------------------------------------------------------------------------------


def test_anonymous_visitors_go_to_the_login_page(app, people):
    client = app.test_client()
    page = client.get("/notify/alerts")
    assert page.status_code == 302 and page.headers["Location"] == "/login?next=/notify/alerts"
    shop = ShopClient(client)
    for url in ("/notify/alerts", "/notify/alerts/test"):
        response = shop.post(url, {"alert": "new-order"})
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url
    with app.app_context():
        assert db.session.scalar(select(AlertChoice)) is None


@pytest.mark.parametrize(
    ("email", "offered"),
    [
        ("owner@example.com", {"new-order", "payment", "stock-low", "job-failing", "aftersales"}),
        ("sam@example.com", {"new-order", "payment", "stock-low", "aftersales"}),
        ("anna@sellers.example", {"new-order"}),
    ],
)
def test_each_role_is_offered_only_its_own_alerts(app, people, email, offered):
    shop = signed_in(app, email)
    page = shop.client.get("/notify/alerts")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert set(re.findall(r'name="alert" value="([^"]+)"', page.text)) == offered
    assert len(re.findall(r'name="alert" value="[^"]+"[^>]* checked', page.text)) == len(offered), "all on by default"
    assert "Also by email" not in page.text, "no SMTP, no email choice"
    assert 'data-push-for="account"' in page.text and "Get alerts on this device" in page.text
    assert 'data-alert-devices="0"' in page.text and "/static/js/notify.js" in page.text
    layout = "seller-area" if email.startswith("anna") else 'class="admin"'
    assert layout in page.text
    assert 'href="/notify/alerts"' in shop.client.get("/account/").text, "linked from the account page"


def test_choices_are_saved_and_what_the_role_may_not_choose_is_ignored(app, people):
    sam = signed_in(app, "sam@example.com")
    saved = sam.post("/notify/alerts", {"alert": ["payment", "job-failing", "nonsense"]})
    assert saved.status_code == 303 and saved.headers["Location"] == "/notify/alerts"
    page = sam.client.get("/notify/alerts").text
    assert "Saved: your alerts are changed." in page
    assert re.search(r'value="payment"[^>]* checked', page) and not re.search(r'value="new-order"[^>]* checked', page)
    with app.app_context():
        choice = db.session.get(AlertChoice, people["sam"])
        assert choice.kinds == ["payment"] and choice.by_email is False
    assert sam.client.post("/notify/alerts", data={"alert": "new-order"}).status_code == 400, "no CSRF token"
    with app.app_context():
        assert db.session.get(AlertChoice, people["sam"]).kinds == ["payment"]


def test_email_is_offered_when_smtp_is_set_up(app, people):
    app.config["SMTP_HOST"] = "127.0.0.1"
    kim = signed_in(app, "kim@example.com")
    assert "Also by email to kim@example.com" in kim.client.get("/notify/alerts").text
    assert kim.post("/notify/alerts", {"alert": "new-order", "by_email": "1"}).status_code == 303
    with app.app_context():
        choice = db.session.get(AlertChoice, people["kim"])
        assert choice.kinds == ["new-order"] and choice.by_email is True
    app.config["SMTP_HOST"] = ""  # email switched off: saving keeps the email choice for later
    assert kim.post("/notify/alerts", {"alert": ["new-order", "payment"]}).status_code == 303
    with app.app_context():
        assert db.session.get(AlertChoice, people["kim"]).by_email is True


def test_the_test_alert_goes_to_each_of_ones_own_devices(app, people, push_service):
    owner = signed_in(app, "owner@example.com")
    nothing = owner.post("/notify/alerts/test")
    assert nothing.status_code == 303
    assert "No device gets your alerts yet" in owner.client.get("/notify/alerts").text
    phone, laptop = subscribe_device(owner, push_service), subscribe_device(owner, push_service)
    sam_device = subscribe_device(signed_in(app, "sam@example.com"), push_service)
    assert 'data-alert-devices="2"' in owner.client.get("/notify/alerts").text
    assert owner.post("/notify/alerts/test").status_code == 303
    assert "Test alert queued" in owner.client.get("/notify/alerts").text
    with app.app_context():
        rows = db.session.scalars(select(Notification)).all()
        assert [(r.kind, r.channel, r.user_id, r.status) for r in rows] == [
            ("alert-test", "push", people["owner"], "queued")
        ] * 2
        queued = db.session.scalars(select(Job).where(Job.name == "notify.send")).all()
        assert sorted(j.payload["id"] for j in queued) == sorted(r.id for r in rows)
    run_jobs(app)
    for device in (phone, laptop):
        (payload,) = payloads(push_service, device)
        assert payload["title"].startswith("Test alert from ") and payload["url"] == "/notify/alerts"
    assert payloads(push_service, sam_device) == [] and push_service.rejected == []
    with app.app_context():
        assert {r.status for r in db.session.scalars(select(Notification))} == {"sent"}


# -- alerts end to end -----------------------------------------------------------------------------


def place_order(app, variant_id: int, via: str | None = None, n: int = 1) -> str:
    """A shopper's cash delivery order (through a seller's link when `via`); its reference."""
    from storefront.orders.models import Order

    shop = ShopClient(app.test_client())
    shop.client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
    if via:
        assert shop.client.get(f"/?ref={via}", headers={"User-Agent": PHONE_UA}).status_code == 200
    assert shop.add(variant_id, 1).status_code == 303
    placed = shop.checkout({**CHECKOUT_DELIVERY, "phone": f"+44 20 7946 09{n:02d}"})
    assert placed.status_code == 303, placed.text
    token = placed.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        return db.session.scalars(select(Order.reference).where(Order.token == token)).one()


@pytest.fixture
def coat(app) -> int:
    """A product of $50.00 with 20 in stock; its variant id."""
    with app.app_context():
        return make_product("Wool coat", price=5000, variants=(("M", 20),)).variants[0].id


def test_new_orders_reach_only_those_who_chose_them(app, people, push_service, coat):
    owner, sam, kim = (signed_in(app, f"{who}@example.com") for who in ("owner", "sam", "kim"))
    assert sam.post("/notify/alerts", {"alert": "payment"}).status_code == 303  # Sam: no new orders
    devices = {
        name: subscribe_device(shop, push_service) for name, shop in (("owner", owner), ("sam", sam), ("kim", kim))
    }
    reference = place_order(app, coat)
    run_jobs(app)
    assert payloads(push_service, devices["sam"]) == []
    for name in ("owner", "kim"):
        (payload,) = payloads(push_service, devices[name])
        assert reference in payload["title"] and "$" in payload["title"], payload
        assert "delivery to London" in payload["body"] and "Ada Shopper" in payload["body"]
        assert payload["url"] == f"/admin/orders/{reference}"
    with app.app_context():
        totals = db.session.execute(select(Notification.status, Notification.kind)).all()
        assert totals == [("sent", "alert-new-order")] * 2
    run_jobs(app, seconds=600)
    assert len(push_service.received) == 2, "each alert once"
    assert push_service.rejected == []


def test_the_orders_total_is_in_the_alert(app, people, push_service, coat):
    owner = signed_in(app, "owner@example.com")
    device = subscribe_device(owner, push_service)
    reference = place_order(app, coat)
    run_jobs(app)
    (payload,) = payloads(push_service, device)
    with app.app_context():
        from storefront.core.templating import money
        from storefront.orders.models import Order

        order = db.session.scalars(select(Order).where(Order.reference == reference)).one()
        with app.test_request_context("/"):
            assert payload["title"] == f"New order {reference}: {money(order.total, order.currency)}"


def test_a_seller_hears_only_of_orders_from_their_own_links(app, people, push_service, coat):
    anna = signed_in(app, "anna@sellers.example")
    owner = signed_in(app, "owner@example.com")
    anna_device, owner_device = subscribe_device(anna, push_service), subscribe_device(owner, push_service)
    theirs = place_order(app, coat, via="anna24", n=1)
    other = place_order(app, coat, n=2)
    run_jobs(app)
    assert [p["title"].split(":")[0] for p in payloads(push_service, anna_device)] == [f"New order {theirs}"]
    assert sorted(p["title"].split(":")[0] for p in payloads(push_service, owner_device)) == sorted(
        [f"New order {theirs}", f"New order {other}"]
    )


def test_a_job_that_keeps_failing_alerts_the_owner_once(app, people, no_periodic_jobs, push_service):
    @jobs.job("tests.always_fails", max_attempts=1)
    def always_fails(session, payload, now):
        raise RuntimeError("the printer is on fire")

    owner_device = subscribe_device(signed_in(app, "owner@example.com"), push_service)
    sam_device = subscribe_device(signed_in(app, "sam@example.com"), push_service)
    with app.app_context():
        job_id = jobs.enqueue(db.session, "tests.always_fails", {}, now=utcnow())
        db.session.commit()
    run_jobs(app, seconds=1)  # it fails and gives up
    run_jobs(app, seconds=10)  # the alert goes out
    (payload,) = payloads(push_service, owner_device)
    assert payload["title"] == "A background job keeps failing"
    assert "tests.always_fails" in payload["body"] and "the printer is on fire" in payload["body"]
    assert payloads(push_service, sam_device) == [], "staff cannot choose job alerts"
    with app.app_context():  # retried by hand, it fails again: still one alert for that job
        assert job_service.retry(db.session, job_id, utcnow() + timedelta(seconds=20))
        db.session.commit()
    run_jobs(app, seconds=30)
    run_jobs(app, seconds=60)
    assert len(payloads(push_service, owner_device)) == 1
    with app.app_context():
        assert db.session.scalars(select(Notification.status)).all() == ["sent"]


def test_running_low_is_told_once_per_variant_and_day(app, people, push_service, coat):
    owner_device = subscribe_device(signed_in(app, "owner@example.com"), push_service)
    with app.app_context():
        owner_id = db.session.scalars(select(User.id).where(User.role == "owner")).one()
        for delta in (-18, +10, -10):  # 20 -> 2 (low), 12, 2 (low again, the same day)
            adjust_stock(db.session, coat, delta, "count", utcnow(), owner_id)
            db.session.commit()
    run_jobs(app)
    (payload,) = payloads(push_service, owner_device)
    assert payload["title"] == "Running low: Wool coat" and "2 left" in payload["body"]
    run_jobs(app, seconds=3600)
    assert len(payloads(push_service, owner_device)) == 1
