"""Reports on a read replica (issue 22): with DATABASE_REPLICA_URL the report pages, CSV exports, feeds and
segment counts read there, no write reaches it, its lag is shown, a dead replica falls back to the primary.

The "replica" is the test database itself reached through read-only connections (PostgreSQL:
default_transaction_read_only; SQLite: query_only); each engine's statements are recorded with
SQLAlchemy's cursor events. bench/replica.py shows a real streaming replica.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from storefront.core import replica
from storefront.extensions import db
from storefront.reports import sections
from storefront.segments.models import Segment
from tests.builders import ShopClient, make_product, make_user
from tests.feeds.conftest import make_link, photographed
from tests.helpers import _make_app

pytestmark = pytest.mark.usefixtures("quick_password_hash")

ZONE = ZoneInfo("America/New_York")
REPORT_PAGES = [f"/admin/reports/{page}" for page in ("", "funnel", "products", "interest", "when", "customers")]
REPORT_PAGES += [f"/admin/reports/{page}" for page in ("where", "sources", "promotions")]
REPORT_FILES = [f"/admin/reports/{name}.csv?product=linen-shirt" for name in sections.EXPORTS]
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|TRUNCATE)\b", re.IGNORECASE)
REFUSING = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"  # port 1: connection refused at once


def _app(db_url, tmp_path, replica_url):
    extra = {"SHOP_TIMEZONE": ZONE.key, "BABEL_DEFAULT_TIMEZONE": ZONE.key, "FEEDS_CACHE_DIR": str(tmp_path / "feeds")}
    if replica_url is not None:
        extra["DATABASE_REPLICA_URL"] = replica_url
    yield from _make_app(db_url, tmp_path, extra)


@pytest.fixture
def replica_app(db_url, tmp_path):
    """The shop with the test database as its own read-only "replica"."""
    yield from _app(db_url, tmp_path, db_url)


@pytest.fixture
def down_app(db_url, tmp_path):
    """The shop whose replica refuses connections."""
    yield from _app(db_url, tmp_path, REFUSING)


@pytest.fixture
def plain_app(db_url, tmp_path):
    """The shop without DATABASE_REPLICA_URL."""
    yield from _app(db_url, tmp_path, None)


class Statements:
    """Every SQL statement each engine ran, recorded by SQLAlchemy's before_cursor_execute event."""

    def __init__(self, app):
        with app.app_context():
            self.engines = {
                "primary": db.engine,
                **({"replica": db.engines["replica"]} if "replica" in db.engines else {}),
            }
        self.seen: dict[str, list[str]] = {name: [] for name in self.engines}
        for name, engine in self.engines.items():
            event.listen(engine, "before_cursor_execute", self._recorder(name))

    def _recorder(self, name):
        def record(_conn, _cursor, statement, *_args):
            self.seen[name].append(statement)

        return record

    def clear(self) -> None:
        for found in self.seen.values():
            found.clear()

    def writes(self, name: str) -> list[str]:
        return [s for s in self.seen[name] if WRITE.match(s)]

    def reading(self, name: str, table: str) -> list[str]:
        return [s for s in self.seen[name] if s.lstrip().upper().startswith("SELECT") and table in s]


def _owner(app) -> ShopClient:
    with app.app_context():
        make_user("owner@example.com", "owner")
        make_product("Linen shirt", 4500, (("M", 3),))
    shop = ShopClient(app.test_client())
    assert shop.login("owner@example.com").status_code == 303
    return shop


def _segment(app) -> int:
    with app.app_context():
        segment = Segment(name="Everyone", definition="{}")
        db.session.add(segment)
        db.session.commit()
        return segment.id


def test_every_report_page_and_file_reads_the_replica_and_never_writes_there(replica_app):
    shop = _owner(replica_app)
    statements = Statements(replica_app)
    for url in REPORT_PAGES + REPORT_FILES:
        statements.clear()
        response = shop.client.get(url)
        assert response.status_code == 200, url
        assert response.headers["X-Figures-Source"] == "replica", url
        assert statements.seen["replica"], url  # the figures were read there
        assert statements.writes("replica") == [], url
    # The catch-up a report page triggers writes the rollups, on the primary only.
    statements.clear()
    assert shop.client.get("/admin/reports/").status_code == 200
    assert statements.reading("replica", "rollup_days")
    assert statements.writes("replica") == []


def test_a_csv_says_how_old_its_figures_are_and_a_lagging_page_says_so(replica_app, monkeypatch):
    shop = _owner(replica_app)
    pinned = datetime(2026, 3, 14, 12, 0)  # naive UTC, like utcnow()
    monkeypatch.setattr(replica, "utcnow", lambda: pinned)
    monkeypatch.setattr(replica, "lag_seconds", lambda _session: 600.0)
    shown = format_time(datetime(2026, 3, 14, 11, 50, tzinfo=UTC), "short", tzinfo=ZONE, locale="en")
    page = shop.client.get("/admin/reports/").text
    assert f"Figures as of {shown} (10 minutes behind)" in page
    exported = shop.client.get(REPORT_FILES[0])
    assert exported.headers["X-Figures-As-Of"] == "2026-03-14T11:50:00Z"
    assert exported.headers["X-Replica-Lag-Seconds"] == "600"
    assert "Figures as of" not in exported.text  # the file itself stays plain CSV
    monkeypatch.setattr(replica, "lag_seconds", lambda _session: 45.0)
    assert "(45 seconds behind)" in shop.client.get("/admin/reports/funnel").text
    monkeypatch.setattr(replica, "lag_seconds", lambda _session: 3.0)  # under REPLICA_LAG_NOTICE_SECONDS
    assert "Figures as of" not in shop.client.get("/admin/reports/funnel").text


def test_the_lag_line_is_translated(replica_app, monkeypatch):
    shop = _owner(replica_app)
    monkeypatch.setattr(replica, "lag_seconds", lambda _session: 180.0)
    page = shop.client.get("/admin/reports/", headers={"Accept-Language": "es"}).text
    assert "(3 minutos de retraso)" in page


def test_the_replica_connections_refuse_writes(replica_app):
    with replica_app.test_request_context("/admin/reports/"):
        reads = replica.reads()
        assert reads is not db.session and reads.get_bind() is db.engines["replica"]
        with pytest.raises(DBAPIError, match="(?i)read-only|readonly"):
            reads.execute(text("DELETE FROM products"))


def test_the_lag_query_on_a_primary_says_current(replica_app):
    with replica_app.test_request_context("/admin/reports/"):
        replica.reads()
        assert replica.state() == replica.ReplicaState(on_replica=True, lag_seconds=0.0, as_of=None)


def test_feeds_read_the_replica_and_count_the_fetch_on_the_primary(replica_app):
    with replica_app.app_context():
        photographed("Stoneware mug", 1250)
        token = make_link("google")
    statements = Statements(replica_app)
    response = replica_app.test_client().get(f"/feeds/{token}/google.xml")
    assert response.status_code == 200 and "Stoneware mug" in response.get_data(as_text=True)
    assert statements.reading("replica", "products")  # the catalog came from the replica
    assert statements.reading("primary", "products") == []
    assert statements.writes("replica") == []
    assert any("feed_links" in s for s in statements.writes("primary"))  # the fetch is counted on the primary
    again = replica_app.test_client().get(f"/feeds/{token}/google.xml")
    assert again.status_code == 200 and "Stoneware mug" in again.get_data(as_text=True)  # the kept file


def test_segment_counts_members_and_file_read_the_replica(replica_app):
    shop = _owner(replica_app)
    segment_id = _segment(replica_app)
    statements = Statements(replica_app)
    for url in (
        "/admin/segments",
        "/admin/segments/count.json?orders_min=0",
        "/admin/segments/new?orders_min=1",
        f"/admin/segments/{segment_id}",
        f"/admin/segments/{segment_id}/export.csv",
    ):
        statements.clear()
        response = shop.client.get(url)
        assert response.status_code == 200, url
        assert statements.reading("replica", "customers"), url  # the count / members
        assert statements.reading("primary", "FROM customers") == [], url
        assert statements.writes("replica") == [], url


def test_a_replica_that_refuses_connections_falls_back_to_the_primary_with_a_notice(down_app):
    shop = _owner(down_app)
    segment_id = _segment(down_app)
    for url in REPORT_PAGES + REPORT_FILES + [f"/admin/segments/{segment_id}", "/admin/segments/count.json"]:
        response = shop.client.get(url)
        assert response.status_code == 200, url
        assert response.headers["X-Figures-Source"] == "primary", url
        assert "X-Figures-As-Of" not in response.headers, url
    page = shop.client.get("/admin/reports/sources").text
    assert "The reports database could not be reached: these figures come from the main database." in page
    with down_app.app_context():
        token = make_link("meta")
    feed = down_app.test_client().get(f"/feeds/{token}/meta.csv")
    assert feed.status_code == 200 and "id," in feed.get_data(as_text=True)


def test_without_the_setting_everything_reads_the_primary_as_before(plain_app):
    shop = _owner(plain_app)
    statements = Statements(plain_app)
    assert list(statements.engines) == ["primary"]
    for url in [*REPORT_PAGES, REPORT_FILES[0], "/admin/segments"]:
        statements.clear()
        response = shop.client.get(url)
        assert response.status_code == 200, url
        assert "X-Figures-Source" not in response.headers, url
        assert not any("pg_is_in_recovery" in s for s in statements.seen["primary"]), url  # no extra query
        assert "Figures as of" not in response.text and "reports database" not in response.text, url
    with plain_app.test_request_context("/admin/reports/"):
        assert replica.reads() is db.session and replica.notice() is None


def test_the_owner_csv_files_read_the_replica_but_the_stock_file_stays_on_the_primary(replica_app):
    shop = _owner(replica_app)
    statements = Statements(replica_app)
    for url, table in (
        ("/admin/customers.csv", "customers"),
        ("/admin/stores/report.csv", "orders"),
        ("/admin/sellers/export.csv", "sellers"),
    ):
        statements.clear()
        response = shop.client.get(url)
        assert response.status_code == 200 and response.mimetype == "text/csv", url
        assert response.headers["X-Figures-Source"] == "replica", url
        assert statements.reading("replica", table), url
        assert statements.writes("replica") == [], url
    # The stock file is taken back by the stock import: written from a lagging copy it would undo
    # newer stock changes, so it is read from the primary.
    statements.clear()
    assert shop.client.get("/admin/stock/export.csv").status_code == 200
    assert statements.seen["replica"] == [] and statements.reading("primary", "variants")
