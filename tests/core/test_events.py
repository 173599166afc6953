"""Domain events: in-transaction subscribers run at once and roll back with the fact; after-commit
ones run only once the transaction committed (never after a rollback, of it or of its savepoint)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from storefront.core.events import Phase, announce, declare
from storefront.extensions import db

NOW_EVENT = declare("test-now", Phase.IN_TRANSACTION)
LATER_EVENT = declare("test-later", Phase.AFTER_COMMIT)


@pytest.fixture
def heard():
    """What the test subscribers heard, as (event name, payload) pairs; unsubscribed afterwards."""
    log: list[tuple[str, dict]] = []

    def listen(event, **payload):
        log.append((event.name, payload))

    NOW_EVENT.connect(listen)
    LATER_EVENT.connect(listen)
    yield log
    NOW_EVENT.disconnect(listen)
    LATER_EVENT.disconnect(listen)


def _write(value: str) -> None:
    """A row in the announcing transaction (a settings-free table of the test's own)."""
    db.session.execute(text("INSERT INTO event_probe (value) VALUES (:value)"), {"value": value})


def _rows() -> list[str]:
    return list(db.session.scalars(text("SELECT value FROM event_probe ORDER BY value")))


@pytest.fixture
def probe(app):
    """A scratch table, inside an app context."""
    with app.app_context():
        db.session.execute(text("CREATE TABLE IF NOT EXISTS event_probe (value VARCHAR(20))"))
        db.session.execute(text("DELETE FROM event_probe"))
        db.session.commit()
        yield
        db.session.rollback()
        db.session.execute(text("DROP TABLE event_probe"))
        db.session.commit()


def test_in_transaction_subscribers_run_at_once_with_the_session(probe, heard):
    _write("fact")
    announce(db.session, NOW_EVENT, order_id=7)
    assert heard == [("test-now", {"session": db.session, "order_id": 7})]


def test_an_in_transaction_subscriber_failing_rolls_the_fact_back(probe):
    def refuse(_event, **_payload):
        raise RuntimeError("no")

    NOW_EVENT.connect(refuse)
    try:
        _write("fact")
        with pytest.raises(RuntimeError):
            announce(db.session, NOW_EVENT)
        db.session.rollback()
    finally:
        NOW_EVENT.disconnect(refuse)
    assert _rows() == []


def test_after_commit_subscribers_wait_for_the_commit(probe, heard):
    _write("fact")
    announce(db.session, LATER_EVENT, order_id=7)
    assert heard == []
    db.session.commit()
    assert heard == [("test-later", {"order_id": 7})]
    db.session.commit()
    assert len(heard) == 1, "fired once"


def test_nothing_runs_after_a_rollback(probe, heard):
    _write("fact")
    announce(db.session, LATER_EVENT, order_id=7)
    db.session.rollback()
    _write("next")
    db.session.commit()
    assert heard == []


def test_a_rolled_back_savepoint_drops_only_what_it_announced(probe, heard):
    _write("fact")
    announce(db.session, LATER_EVENT, step="before")
    with pytest.raises(RuntimeError), db.session.begin_nested():
        announce(db.session, LATER_EVENT, step="in the failed savepoint")
        raise RuntimeError("undo just this")
    with db.session.begin_nested():
        announce(db.session, LATER_EVENT, step="in the released savepoint")
    assert heard == [], "releasing a savepoint is not the commit"
    db.session.commit()
    assert [payload["step"] for _name, payload in heard] == ["before", "in the released savepoint"]


def test_a_failing_after_commit_subscriber_is_logged_and_the_commit_stands(probe, caplog):
    def broken(_event, **_payload):
        raise RuntimeError("mail server down")

    LATER_EVENT.connect(broken)
    try:
        _write("fact")
        announce(db.session, LATER_EVENT)
        db.session.commit()
    finally:
        LATER_EVENT.disconnect(broken)
    assert _rows() == ["fact"]
    assert "test-later failed" in caplog.text


def test_without_subscribers_nothing_is_kept(probe):
    announce(db.session, LATER_EVENT, order_id=7)
    assert not db.session().info.get("storefront.after_commit_events")
