"""Identity without surveillance: no raw IP anywhere, daily visitor ids, salts that go away."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import String, Text, inspect, select, text

from storefront.analytics import rules, service
from storefront.analytics.models import Event, VisitorSalt
from storefront.extensions import db
from tests.analytics.helpers import PHONE_UA, SHOPPER_IP, send, stored_events
from tests.builders import CHECKOUT_DELIVERY, ShopClient, make_category, make_product


def _text_columns_holding(needle: str) -> list[str]:
    """Every `table.column` of text type that holds `needle` anywhere, found by inspection."""
    hits = []
    conn = db.session.connection()  # the session's own connection: SQLite allows one writer
    inspector = inspect(conn)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if isinstance(column["type"], String | Text):
                sql = text(f'SELECT COUNT(*) FROM "{table}" WHERE "{column["name"]}" LIKE :pattern')
                if conn.execute(sql, {"pattern": f"%{needle}%"}).scalar():
                    hits.append(f"{table}.{column['name']}")
    return hits


def test_no_raw_ip_in_any_table_after_a_shopping_session(app):
    with app.app_context():
        coat = make_product("Merino coat", category=make_category("Clothing"), variants=(("M", 5),))
        slug, variant = coat.slug, coat.variants[0].id
    shop = ShopClient(app.test_client())
    shop.client.environ_base.update(REMOTE_ADDR=SHOPPER_IP, HTTP_USER_AGENT=PHONE_UA)
    landing = {"name": "page_view", "path": f"/p/{slug}", "referrer": f"http://{SHOPPER_IP}/links"}
    assert send(shop.client, {"events": [landing, {"name": "view_item", "product_slug": slug}]}).status_code == 202
    assert shop.add(variant, 1).status_code == 303
    add = {"name": "add_to_cart", "variant_id": variant, "product_slug": slug, "value": 5000, "currency": "USD"}
    assert send(shop.client, {"events": [add]}).status_code == 202
    assert shop.checkout(CHECKOUT_DELIVERY).status_code == 303
    assert [e.name for e in stored_events(app)] == ["page_view", "view_item", "add_to_cart", "purchase"]
    with app.app_context():
        assert _text_columns_holding(SHOPPER_IP) == []
        assert _text_columns_holding("203.0.113") == []


def _record(app, now: datetime, ip: str = SHOPPER_IP, ua: str = PHONE_UA) -> str:
    """Store one page view as seen at `now`; returns its visitor id."""
    with app.app_context():
        batch = rules.Batch([rules.EventInput(name="page_view", path="/")])
        service.record_events(db.session, batch, service.VisitorContext(ip=ip, user_agent=ua), now)
        db.session.commit()
        return db.session.scalars(select(Event.visitor_id).order_by(Event.id.desc())).first()


def test_visitor_id_is_stable_within_a_day_and_changes_the_next(app):
    morning = datetime(2026, 11, 23, 0, 5)
    first = _record(app, morning)
    assert _record(app, morning + timedelta(hours=23, minutes=50)) == first
    assert _record(app, morning, ip="198.51.100.4") != first
    assert _record(app, morning, ua="Another browser") != first
    assert _record(app, morning + timedelta(days=1)) != first


def test_salts_rotate_daily_and_old_ones_are_deleted(app):
    start = datetime(2026, 11, 20, 9, 0)
    for day in range(4):
        _record(app, start + timedelta(days=day))
    with app.app_context():
        days = db.session.scalars(select(VisitorSalt.day).order_by(VisitorSalt.day)).all()
        salts = db.session.scalars(select(VisitorSalt.salt)).all()
    assert days == [date(2026, 11, 22), date(2026, 11, 23)]
    assert len(set(salts)) == 2 and all(len(s) == 64 for s in salts)


def test_a_salt_made_meanwhile_by_another_worker_is_used(app):
    day = date(2026, 11, 23)
    with app.app_context():
        db.session.add(VisitorSalt(day=day, salt="s" * 64))
        db.session.commit()
        cache = service.SaltCache()
        assert service.daily_salt(db.session, day, cache) == "s" * 64
        assert service._insert_salt(db.session, day, "t" * 64) is False  # the race loser inserts nothing
        db.session.commit()
        assert db.session.scalars(select(VisitorSalt.salt)).all() == ["s" * 64]
        assert cache.current == (day, "s" * 64)


def test_the_http_visitor_id_is_the_same_for_the_same_phone(app, client):
    body = {"events": [{"name": "page_view", "path": "/"}]}
    for ip in (SHOPPER_IP, SHOPPER_IP, "198.51.100.4"):
        assert send(client, body, ip=ip).status_code == 202
    same, again, other = (e.visitor_id for e in stored_events(app))
    assert same == again != other
