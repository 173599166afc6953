"""Login throttling holds across processes: four app instances on one database stand in for workers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine

from storefront.auth import rules
from storefront.auth.rules import backoff
from tests.builders import PASSWORD, ShopClient, make_user
from tests.helpers import _make_app

pytestmark = pytest.mark.usefixtures("quick_password_hash")

WORKERS, ATTEMPTS = 4, 40


@pytest.fixture
def workers(db_url, tmp_path):
    """Four apps on one database, as four gunicorn workers (no Redis: nothing shared in memory)."""
    shops = [_make_app(db_url, tmp_path) for _ in range(WORKERS)]
    apps = [next(shop) for shop in shops]
    with apps[0].app_context():
        make_user("owner@example.com", "owner")
    yield apps
    for shop in shops:
        next(shop, None)


def _hammer(apps, address_of) -> list[int]:
    """ATTEMPTS wrong passwords at once, spread over the workers; their status codes."""
    browsers = []
    for n in range(ATTEMPTS):
        shop = ShopClient(apps[n % WORKERS].test_client())
        shop.client.environ_base["REMOTE_ADDR"] = address_of(n)
        shop.csrf()
        browsers.append(shop)
    barrier = threading.Barrier(ATTEMPTS)
    statuses: list[int] = [0] * ATTEMPTS

    def attempt(n: int) -> None:
        barrier.wait()
        statuses[n] = browsers[n].login(password="wrong password!").status_code

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_one_address_gets_five_tries_across_four_workers(workers):
    statuses = _hammer(workers, lambda n: "203.0.113.9")
    assert sorted(set(statuses)) == [401, 429], statuses
    assert statuses.count(401) == 5, statuses


def test_one_account_gets_five_tries_from_forty_addresses(workers):
    statuses = _hammer(workers, lambda n: f"203.0.113.{n + 1}")
    assert sorted(set(statuses)) == [401, 429], statuses
    assert statuses.count(401) == 5, statuses


def test_the_owner_on_a_known_device_signs_in_while_a_stranger_is_throttled(workers):
    phone = ShopClient(workers[0].test_client())
    phone.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert phone.login().status_code == 303
    assert phone.post("/logout").status_code == 303
    device = phone.client.get_cookie("device").value
    statuses = _hammer(workers, lambda n: f"203.0.113.{n + 1}")
    assert statuses.count(401) == 5, statuses
    stranger = ShopClient(workers[1].test_client())
    stranger.client.environ_base["REMOTE_ADDR"] = "192.0.2.200"
    assert stranger.login().status_code == 429, "the right password from an unknown device waits too"
    # The same phone, its request landing on another worker: its allowance is its own.
    elsewhere = ShopClient(workers[3].test_client())
    elsewhere.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    elsewhere.client.set_cookie("device", device)
    assert elsewhere.login().status_code == 303


def test_the_account_backs_off_exponentially_and_never_hard_locks(workers):
    app = workers[0]
    start = time_machine.travel("2026-12-01 10:00:00", tick=False)
    traveller = start.start()
    try:
        for n in range(5):
            assert _attempt(app, n, "wrong password!") == 401
        assert _attempt(app, 10, "wrong password!") == 429
        traveller.shift(timedelta(seconds=15))
        assert _attempt(app, 11, "wrong password!") == 401, "after 15 s, one more try"
        traveller.shift(timedelta(seconds=16))
        assert _attempt(app, 12, PASSWORD) == 429, "then 30 s"
        traveller.shift(timedelta(seconds=15))
        assert _attempt(app, 13, PASSWORD) == 303, "the right password gets in once the wait is over"
        assert _attempt(app, 14, "wrong password!") == 401, "and a success starts the count again"
    finally:
        start.stop()


def _attempt(app, n: int, password: str) -> int:
    shop = ShopClient(app.test_client())
    shop.client.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 1}"
    return shop.login(password=password).status_code


def test_backoff_doubles_up_to_a_cap():
    assert [backoff(n).total_seconds() for n in range(1, 9)] == [0, 0, 0, 0, 15, 30, 60, 120]
    assert backoff(40) == rules.BACKOFF_CAP == timedelta(minutes=15)
