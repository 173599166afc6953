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


CPU_OUTPUT = """CPU ms per request in this process, inside the app (median), postgresql, commit 08cc11f
  checkout, 100 orders (SQL statements per step in brackets):
    product          1.55  [0.0]
    add              4.25  [3.0]
    checkout_form    5.41  [1.0]
    place           11.67  [17.0]
    order_page       5.64  [1.0]
    one order       28.52
  cached pages, 200 hits each (ratio: baseline / page):
    robots          0.535  1.00
    product         1.298  0.41
"""


@pytest.fixture
def pairs(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("pairs")


def test_pairs_reads_each_step_of_the_checkout(pairs):
    assert pairs.parse_steps(CPU_OUTPUT) == {
        "product": 1.55, "add": 4.25, "checkout_form": 5.41, "place": 11.67, "order_page": 5.64, "one order": 28.52
    }  # fmt: skip


def test_pairs_refuses_an_output_without_the_figures(pairs):
    with pytest.raises(ValueError, match="place"):
        pairs.parse_steps(CPU_OUTPUT.replace("    place ", "    placed "))


def test_pairs_takes_the_median_of_each_pairs_ratio(pairs):
    def run(one: float) -> dict[str, float]:
        return dict.fromkeys(pairs.STEPS, one)

    # The machine drifts: the second pair ran slower on both sides; each pair's ratio stays fair.
    measured = [(run(40.0), run(20.0)), (run(60.0), run(36.0)), (run(50.0), run(40.0))]
    a, b, ratio = pairs.summarize(measured)["one order"]
    assert (a, b) == (50.0, 36.0)
    assert ratio == pytest.approx(0.6)  # the ratios 0.5, 0.6 and 0.8, not 36 / 50


def test_pairs_options(pairs):
    args, extra = pairs.parse_args(["--a", "/x=sqlite://", "--b", "/y=sqlite://", "--", "--orders", "5"])
    assert (args.a, args.b, args.pairs, extra) == (
        (Path("/x"), "sqlite://"),
        (Path("/y"), "sqlite://"),
        8,
        ["--orders", "5"],
    )
    with pytest.raises(SystemExit):
        pairs.parse_args(["--a", "/x", "--b", "/y=sqlite://"])
