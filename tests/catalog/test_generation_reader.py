"""On PostgreSQL the catalog generation is read on its own autocommit connections (one round trip a page).

They skip the pool's ping, so a connection the server dropped must be replaced on the spot, and
they must go away with the application's engine.
"""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool.base import ResetStyle

from storefront.catalog import generation
from storefront.extensions import db
from tests.builders import make_product
from tests.helpers import _make_app


@pytest.fixture
def pg_app(postgres_url, tmp_path):
    from tests.helpers import _truncate_all

    _truncate_all(postgres_url)
    yield from _make_app(postgres_url, tmp_path)


def _reader_backends(admin, database: str) -> list[tuple[int, str | None]]:
    """(pid, state) of the reader connections open on this database."""
    rows = admin.execute(
        text("SELECT pid, state FROM pg_stat_activity WHERE application_name = :name AND datname = :db"),
        {"name": generation.READER_NAME, "db": database},
    )
    return [tuple(row) for row in rows]


def test_a_dropped_reader_connection_is_replaced_and_readers_go_with_the_engine(pg_app, postgres_url):
    with pg_app.app_context():
        slug = make_product("Brass lamp", price=4500).slug
        engine = db.engine
        database = engine.url.database
    admin_engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    shopper = pg_app.test_client()
    try:
        with admin_engine.connect() as admin:
            assert "$45.00" in shopper.get(f"/p/{slug}").get_data(as_text=True)
            reader = generation._reader(engine)  # noqa: SLF001
            # one round trip a read: no ping before it, no ROLLBACK after it (autocommit)
            assert reader is not engine and reader.pool._pre_ping is False  # noqa: SLF001
            assert reader.pool._reset_on_return is ResetStyle.reset_none  # noqa: SLF001
            backends = _reader_backends(admin, database)
            assert backends and all(state == "idle" for _pid, state in backends)  # autocommit: no open transaction

            held = [reader.raw_connection() for _ in range(3)]  # several idle connections, as busy threads leave
            for conn in held:
                conn.close()
            backends = _reader_backends(admin, database)
            assert len(backends) >= 3
            for pid, _state in backends:  # the server drops them all (restart, idle timeout)
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pg_app.app_context():
                assert generation.current(engine) is not None  # read on a new connection, not given up
                product = db.session.scalars(db.select(generation.Product).where(generation.Product.slug == slug)).one()
                product.price = 3990
                db.session.commit()
            page = shopper.get(f"/p/{slug}")
            assert page.status_code == 200 and "$39.90" in page.get_data(as_text=True)  # read again, not stale
            assert _reader_backends(admin, database)  # a fresh connection replaced the dropped one

            with pg_app.app_context():
                db.engine.dispose()
            deadline = time.monotonic() + 5
            while _reader_backends(admin, database) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _reader_backends(admin, database) == []  # closed with the engine
            assert all(entry[1] is not reader for entry in generation._readers.values())  # noqa: SLF001
    finally:
        admin_engine.dispose()


def test_sqlite_reads_the_generation_through_the_engine_itself(sqlite_app):
    with sqlite_app.app_context():
        assert generation._reader(db.engine) is db.engine  # noqa: SLF001
        assert generation.current(db.engine)


def test_a_forked_worker_reads_on_its_own_connections_and_leaves_the_parents_alone(pg_app, postgres_url):
    with pg_app.app_context():
        slug = make_product("Brass lamp", price=4500).slug
        engine = db.engine
    shopper = pg_app.test_client()
    assert "$45.00" in shopper.get(f"/p/{slug}").get_data(as_text=True)
    reader = generation._reader(engine)  # noqa: SLF001
    parent_connections = reader.pool.checkedin()
    assert parent_connections >= 1
    pid = os.fork()
    if pid == 0:  # the child: nothing inherited in its pool, and a read of its own that works
        code = 1
        try:
            if reader.pool.checkedin() == 0 and generation.current(engine):
                code = 0
        finally:
            os._exit(code)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert reader.pool.checkedin() == parent_connections  # the parent's connections were not closed by the child
    assert "$45.00" in shopper.get(f"/p/{slug}").get_data(as_text=True)  # and still work


def test_an_unreadable_generation_renders_the_page_without_the_cache(pg_app, monkeypatch):
    with pg_app.app_context():
        slug = make_product("Brass lamp", price=4500).slug
    shopper = pg_app.test_client()
    assert "$45.00" in shopper.get(f"/p/{slug}").get_data(as_text=True)

    def refuse(engine):
        raise engine.dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(generation, "_read", refuse)
    with pg_app.app_context():
        assert generation.current(db.engine) is None
        product = db.session.scalars(db.select(generation.Product).where(generation.Product.slug == slug)).one()
        product.price = 3990
        db.session.commit()
    page = shopper.get(f"/p/{slug}")
    assert page.status_code == 200 and "$39.90" in page.get_data(as_text=True)  # rendered, not a stale hit


def test_an_engine_collected_while_a_reader_is_made_does_not_hang_the_thread(monkeypatch):
    """Its finalizer may run inside the locked block (a garbage collection during create_engine) and
    takes the same lock: a plain Lock hung the test run there for good (seen in a suite on 2026-12-07)."""
    import gc
    import threading

    unused = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # never connected: engines connect lazily
    old = create_engine(unused)
    generation._reader(old)  # noqa: SLF001 - registers old's finalizer
    dropped = {"old": old}
    del old
    real = generation.create_engine

    def collecting(*args, **kwargs):
        if dropped.pop("old", None) is not None:  # the last reference (an engine sits in cycles) ...
            gc.collect()  # ... and a collection right here, as create_engine's allocations may start one
        return real(*args, **kwargs)

    monkeypatch.setattr(generation, "create_engine", collecting)
    new = create_engine(unused)
    made: list[object] = []
    worker = threading.Thread(target=lambda: made.append(generation._reader(new)), daemon=True)  # noqa: SLF001
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "the reader's lock was taken twice by one thread"
    assert made and made[0] is not new and made[0].url == new.url
    assert all(entry[0]() is not None for entry in generation._readers.values())  # noqa: SLF001 - old's entry gone
    new.dispose()
