"""The database goes away while shoppers are buying (issue 22): 503 with Retry-After, plain words, nothing
half-done, and the shop serves normally on the very next request once the database is back.

The outage is simulated in-process on both databases: the engine's pool is emptied and its
connection function replaced by one raising the driver's own OperationalError (what a refused or
reset connection raises), then put back. On PostgreSQL two real faults are used too: an app whose
URL names a closed port, and backends terminated under the pool (what a restart does to it).
"""

from __future__ import annotations

import socket
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, func, select, text

from storefront.cart.models import Cart
from storefront.catalog import generation
from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import CHECKOUT_DELIVERY, make_product, stock_of, variant_ids
from tests.helpers import _make_app

TRACEBACK_WORDS = ("Traceback", "OperationalError", "psycopg", "sqlite3", 'File "')


@contextmanager
def database_down(app):
    """Every new connection is refused with the driver's OperationalError until the block ends."""
    with app.app_context():  # the app's pool, and the catalog generation's own (PostgreSQL)
        db.engine.dispose()  # the pooled connections go, as a restart takes them (the reader's with them)
        engines = {id(e): e for e in (db.engine, generation._reader(db.engine))}.values()
        refused = db.engine.dialect.loaded_dbapi.OperationalError

    def refuse(*_args, **_kwargs):
        raise refused("connection refused (the test's outage)")

    originals = []
    for engine in engines:
        originals.append((engine.pool, engine.pool._creator))
        engine.pool._creator = refuse
    try:
        yield
    finally:
        for pool, original in originals:
            pool._creator = original


# What PgBouncer answers (SQLSTATE 08P01) while PostgreSQL restarts and refuses its logins; psycopg
# raises it as errors.ProtocolViolation, an OperationalError, on the query that needed a server.
PGBOUNCER_LOGIN_FAILING = "server login has been failing, try again later (server_login_retry)"


@contextmanager
def pgbouncer_login_failing(app):
    """Every statement fails with PgBouncer's login-failing error, as the app's own driver raises it."""
    with app.app_context():
        engine = db.engine
        dbapi = engine.dialect.loaded_dbapi
    kind = getattr(getattr(dbapi, "errors", None), "ProtocolViolation", dbapi.OperationalError)  # sqlite3: none

    def fail(*_args, **_kwargs):
        raise kind(PGBOUNCER_LOGIN_FAILING)

    event.listen(engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", fail)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clean(body: str) -> bool:
    return not any(word in body for word in TRACEBACK_WORDS)


def test_pages_answer_503_with_retry_after_then_recover(app, client):
    with app.app_context():
        url = f"/p/{make_product('Clay pot').slug}"
    assert client.get(url).status_code == 200
    with database_down(app):
        page = client.get(url, headers={"Accept-Language": "es"})
        body = page.get_data(as_text=True)
        assert page.status_code == 503
        assert page.headers["Retry-After"].isdigit()
        assert "tienda" in body and _clean(body), "a translated sentence, no internals"
        as_json = client.get(url, headers={"Accept": "application/json"})
        assert as_json.status_code == 503 and as_json.get_json()["error"] == "unavailable"
        beacon = client.post("/e", json={"events": []}, headers={"Accept": "application/json"})
        assert beacon.status_code in (202, 400, 503) and _clean(beacon.get_data(as_text=True))
    assert client.get(url).status_code == 200, "the very next request is served"


def test_a_checkout_that_met_the_outage_placed_nothing_and_keeps_the_cart(app, shop):
    with app.app_context():
        variant = variant_ids(make_product("Clay pot", variants=(("M", 5),)))[0]
    shop.add(variant, 2)
    key = shop.checkout_key()
    with database_down(app):
        answer = shop.checkout(CHECKOUT_DELIVERY, key=key)
        body = answer.get_data(as_text=True)
    assert answer.status_code == 503 and "Retry-After" in answer.headers
    assert "order was not placed" in body and "cart is kept" in body and _clean(body)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
        assert stock_of(variant) == 5
        assert db.session.scalar(select(func.count()).select_from(Cart)) == 1
    placed = shop.checkout(CHECKOUT_DELIVERY, key=key)  # the same form sent again once it is back
    assert placed.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert stock_of(variant) == 3


def test_an_unreachable_database_at_startup_answers_503(db_url, tmp_path):
    """A real refused connection: PostgreSQL on a closed port, SQLite in a folder that does not exist."""
    if db_url.startswith("sqlite"):
        broken = f"sqlite:///{tmp_path / 'missing' / 'shop.db'}"
    else:
        broken = db_url.replace("127.0.0.1:5432", f"127.0.0.1:{closed_port()}")
        assert broken != db_url
    application = next(_make_app(broken, tmp_path)) if not db_url.startswith("sqlite") else None
    if application is None:  # _make_app would create the schema; build the app without it
        from storefront import create_app
        from tests.helpers import _test_config

        application = create_app({**_test_config(), "SQLALCHEMY_DATABASE_URI": broken})
    page = application.test_client().get("/")
    assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
    assert _clean(page.get_data(as_text=True))


@pytest.fixture
def pg_app(postgres_url, tmp_path):
    """The shop on PostgreSQL only: the faults below are PostgreSQL's own."""
    from tests.helpers import _truncate_all

    _truncate_all(postgres_url)
    yield from _make_app(postgres_url, tmp_path, {"CACHE_TYPE": "NullCache"})  # every page reads the database


@pytest.mark.filterwarnings("ignore:Flask-Caching. CACHE_TYPE is set to NullCache")
def test_connections_postgresql_ended_are_replaced_without_an_error(pg_app, postgres_url):
    """A restart (here pg_terminate_backend) kills every pooled connection: the next request still works."""
    with pg_app.app_context():
        url = f"/p/{make_product('Clay pot').slug}"
        pool = db.engine.pool
    client = pg_app.test_client()
    assert client.get(url).status_code == 200
    assert pool.checkedin() >= 1, "a connection waits in the pool"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        ended = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    admin.dispose()
    assert ended >= 1
    for _ in range(3):
        assert client.get(url).status_code == 200, "no request fails after the database came back"


def test_a_wrong_query_is_still_a_500_and_a_fault_met_late_a_503(app):
    """Outside tests exceptions do not propagate: a bug's SQL error stays a plain 500 page, a fault a 503."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    def wrong_query():
        raise IntegrityError("INSERT ...", {}, Exception("duplicate key"))

    def fault():
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    app.add_url_rule("/test-wrong-query", view_func=wrong_query)
    app.add_url_rule("/test-fault", view_func=fault)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    bug = client.get("/test-wrong-query")
    assert bug.status_code == 500 and _clean(bug.get_data(as_text=True)) and "Retry-After" not in bug.headers
    down = client.get("/test-fault")
    assert down.status_code == 503 and _clean(down.get_data(as_text=True))


def test_pgbouncers_login_failing_error_is_a_clear_503_and_places_nothing(app, shop):
    """PostgreSQL restarting behind PgBouncer: psycopg's ProtocolViolation is a 503 with advice, not a 500."""
    with app.app_context():
        variant = variant_ids(make_product("Clay pot", variants=(("M", 5),)))[0]
    shop.add(variant, 1)
    key = shop.checkout_key()
    with pgbouncer_login_failing(app):
        form = shop.client.get("/checkout", headers={"Accept-Language": "es"})
        answer = shop.checkout(CHECKOUT_DELIVERY, key=key)
        as_json = shop.client.get("/cart", headers={"Accept": "application/json"})
    assert form.status_code == 503 and form.headers["Retry-After"].isdigit()
    assert "tienda" in form.get_data(as_text=True) and _clean(form.get_data(as_text=True))
    body = answer.get_data(as_text=True)
    assert answer.status_code == 503 and "order was not placed" in body and _clean(body)
    assert PGBOUNCER_LOGIN_FAILING not in body
    assert as_json.status_code == 503 and as_json.get_json()["error"] == "unavailable"
    assert shop.checkout(CHECKOUT_DELIVERY, key=key).status_code == 303, "served normally once it is back"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert stock_of(variant) == 4


def test_a_connection_lost_under_a_caught_error_is_a_503_but_a_failed_flush_stays_a_500(app):
    """PostgreSQL restarting mid-checkout, its first error caught by a best-effort savepoint (the purchase
    event): the next statement meets SQLAlchemy's "can't reconnect until invalid transaction is rolled
    back" (code 8s2b), a fault; the session's "rolled back due to a previous exception during flush"
    (another code) is a bug and stays a 500."""
    from sqlalchemy.exc import PendingRollbackError

    def lost():
        raise PendingRollbackError("Can't reconnect until invalid transaction is rolled back.", code="8s2b")

    def flush_bug():
        raise PendingRollbackError("This Session's transaction has been rolled back", code="7s2a")

    app.add_url_rule("/test-lost", view_func=lost)
    app.add_url_rule("/test-flush-bug", view_func=flush_bug)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    down = client.get("/test-lost")
    assert down.status_code == 503 and down.headers["Retry-After"].isdigit() and _clean(down.get_data(as_text=True))
    bug = client.get("/test-flush-bug")
    assert bug.status_code == 500 and "Retry-After" not in bug.headers and _clean(bug.get_data(as_text=True))


def test_a_rollback_the_dead_connection_cannot_do_does_not_turn_the_answer_into_a_500(app):
    """PgBouncer mid-restart: the session's ROLLBACK at teardown fails ("received 2 results from command
    'ROLLBACK'"); the answer already made still goes out and the next request gets a fresh connection."""
    with app.app_context():
        broken = db.engine.dialect.loaded_dbapi.InternalError
    failed = []

    def read():
        session = db.session()
        value = str(session.execute(text("SELECT 1")).scalar())
        close = session.close

        def close_fails():  # what the teardown's session.remove() meets: the rollback raises
            session.close = close
            failed.append(True)
            raise broken("received 2 results from command 'ROLLBACK'")

        session.close = close_fails
        return value

    app.add_url_rule("/test-read", view_func=read)
    client = app.test_client()
    answer = client.get("/test-read")
    assert failed, "the teardown met the fault"
    assert answer.status_code == 200 and answer.get_data(as_text=True) == "1"
    assert client.get("/test-read").get_data(as_text=True) == "1", "served normally on the next request"
