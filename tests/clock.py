"""The suite's clock: every test runs at a pinned instant, never at whatever the wall clock says.

Why: a test that reads "now" passes or fails by the hour it runs at (a history made at 23:30 in
New York plus two hours is tomorrow there). So every test is moved, with `time_machine`, to one
fixed instant, and time then flows from it (tick=True: timeouts, rate-limit windows and
signatures behave as in production). `STOREFRONT_TEST_NOW=2026-12-06T04:30:00+00:00` moves the
whole suite to another instant, to reproduce a failure seen at that hour.

Tests marked `clock_sensitive` (rollups, holds, commissions' return window, reports' "today",
expiry sweeps) also run at each instant of `BREAKING_INSTANTS`: late evening and just after
midnight in the test zones, the DST change days, and New Year's Eve.

Tests that talk to another process (gunicorn, Chromium) keep the real clock: the other process
cannot be moved, and the two must agree. They are marked `real_clock` (automatically for
tests/browser, tests/perf and modules that start a LiveServer) and must not depend on the hour.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

NEW_YORK, UTC_ZONE = ZoneInfo("America/New_York"), ZoneInfo("UTC")

# An ordinary instant: noon in New York, 16:00 UTC, on a day far from any DST change.
DEFAULT_NOW = datetime(2026, 6, 17, 12, 0, tzinfo=NEW_YORK)

# Instants that used to break (or would): named so a failure says which.
BREAKING_INSTANTS: dict[str, datetime] = {
    "ny-2330": datetime(2026, 12, 5, 23, 30, tzinfo=NEW_YORK),  # 04:30 UTC: the CI failure
    "ny-0005": datetime(2026, 12, 6, 0, 5, tzinfo=NEW_YORK),
    "utc-2330": datetime(2026, 6, 17, 23, 30, tzinfo=UTC_ZONE),
    "utc-0005": datetime(2026, 6, 18, 0, 5, tzinfo=UTC_ZONE),
    "ny-dst-spring-2330": datetime(2026, 3, 8, 23, 30, tzinfo=NEW_YORK),  # a 23-hour day
    "ny-dst-fall-0130": datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK, fold=0),  # the hour that repeats
    "ny-new-year-2330": datetime(2026, 12, 31, 23, 30, tzinfo=NEW_YORK),
    "utc-new-year-0005": datetime(2027, 1, 1, 0, 5, tzinfo=UTC_ZONE),
}


def default_now() -> datetime:
    """The instant every test starts at (STOREFRONT_TEST_NOW overrides it)."""
    override = os.environ.get("STOREFRONT_TEST_NOW")
    if not override:
        return DEFAULT_NOW
    instant = datetime.fromisoformat(override)
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    """Register the clock markers."""
    config.addinivalue_line("markers", "clock_sensitive: also run at each of tests/clock.py's BREAKING_INSTANTS")
    config.addinivalue_line(
        "markers", "real_clock: talks to another process (gunicorn, Chromium); keeps the real clock"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A clock-sensitive test runs at the default instant and at every breaking one."""
    if metafunc.definition.get_closest_marker("clock_sensitive"):
        names = ["default", *BREAKING_INSTANTS]
        metafunc.parametrize("wall_clock", names, indirect=True, ids=names)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests whose app runs in another process keep the real clock; breaking instants run on SQLite.

    The shop's date maths (days, hours, windows in the shop's zone) is done in Python, and the
    databases only store and sum its results: PostgreSQL runs each test at the default instant,
    SQLite at every instant, which keeps the matrix affordable.
    """
    kept, dropped = [], []
    for item in items:
        path = item.path.as_posix()
        module = getattr(item, "module", None)
        if "/tests/browser/" in path or "/tests/perf/" in path or "LiveServer" in vars(module or object):
            item.add_marker(pytest.mark.real_clock)
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("db_url") == "postgresql" and params.get("wall_clock", "default") != "default":
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture
def wall_clock(request: pytest.FixtureRequest) -> datetime:
    """The instant this test runs at (aware)."""
    name = getattr(request, "param", "default")
    return default_now() if name == "default" else BREAKING_INSTANTS[name]


@pytest.fixture(autouse=True)
def _pinned_clock(request: pytest.FixtureRequest, wall_clock: datetime):
    """Move the test (and the threads it starts) to its instant; time flows on from there."""
    if request.node.get_closest_marker("real_clock"):
        yield None
        return
    with time_machine.travel(wall_clock, tick=True):
        yield wall_clock
