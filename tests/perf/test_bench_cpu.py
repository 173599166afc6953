"""bench/cpu.py counts the CPU spent inside the app's WSGI callable, not the test client around it
(issue 22's checkout figure is the app's CPU); `--with-client` counts everything, as before."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


class FakeCPU:
    """A CPU clock the test moves by hand."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def cpu(monkeypatch):
    """bench/cpu.py as its script sees its folder (it imports its neighbours by name)."""
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("cpu")


def _step(now: FakeCPU, app):
    """One request as the test client makes it: work before the app, the app, work after it."""

    def request():
        now.seconds += 5.0  # building the request
        try:
            return app({}, None)
        finally:
            now.seconds += 3.0  # reading the response, keeping its cookies

    return request


def _app(now: FakeCPU, fails: bool = False):
    def wsgi_app(_environ, _start_response):
        now.seconds += 2.0  # the app's own work
        if fails:
            raise RuntimeError("the app failed")
        return [b"ok"]

    return wsgi_app


def test_a_step_counts_only_the_time_inside_the_app(cpu):
    now = FakeCPU()
    clock = cpu.AppClock(now=now)
    app = clock.around(_app(now))
    timer = cpu.Timer("", clock)
    timer("place", _step(now, app))
    timer("place", _step(now, app))
    timer("order_page", _step(now, app))
    assert timer.samples == {"place": [2.0, 2.0], "order_page": [2.0]}
    assert timer.medians_ms() == {"place": 2000.0, "order_page": 2000.0}


def test_an_app_that_raises_is_still_counted(cpu):
    now = FakeCPU()
    clock = cpu.AppClock(now=now)
    timer = cpu.Timer("", clock)
    with pytest.raises(RuntimeError):
        timer("place", _step(now, clock.around(_app(now, fails=True))))
    assert timer.samples == {"place": [2.0]}


def test_with_the_client_a_step_counts_everything(cpu):
    now = FakeCPU()
    clock = cpu.AppClock(whole=True, now=now)
    timer = cpu.Timer("", clock)
    timer("add", _step(now, clock.around(_app(now))))
    assert timer.samples == {"add": [10.0]}


def test_the_option_chooses_the_clock(cpu):
    assert cpu.parse_args(["--database", "sqlite://"]).with_client is False
    assert cpu.parse_args(["--database", "sqlite://", "--with-client"]).with_client is True
