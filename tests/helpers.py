"""Plain helpers shared by the tests: building a test app, its settings, emptying PostgreSQL, a page's CSRF token."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event, text

from storefront import create_app
from storefront.config import TestConfig
from storefront.extensions import db


def _truncate_all(url: str) -> None:
    """Empty every table between PostgreSQL tests (ids restart too)."""
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def _make_app(db_url: str, tmp_path, extra: dict | None = None):
    """Build a test app on `db_url`; SQLite gets a fresh schema (PostgreSQL was truncated)."""
    application = create_app(
        {**_test_config(), "SQLALCHEMY_DATABASE_URI": db_url, "MEDIA_ROOT": str(tmp_path / "media"), **(extra or {})}
    )
    with application.app_context():
        if db_url.startswith("sqlite"):
            db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _test_config() -> dict:
    return {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


def csrf_from(html: str) -> str:
    """The CSRF token embedded in a page."""
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


REDIS_URL = os.environ.get("STOREFRONT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextmanager
def recorded_statements(app) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block (PRAGMA and savepoints left out)."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if not statement.startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
