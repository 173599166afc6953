"""Job queue fixtures: handlers registered for one test only, and a record of what they ran."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest

from storefront.jobs import REGISTRY
from storefront.jobs.registry import Registry


@dataclass
class Ran:
    """What the test handlers were called with (thread-safe: workers run in threads too)."""

    payloads: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, payload: dict) -> None:
        with self.lock:
            self.payloads.append(payload)


@pytest.fixture
def registry(monkeypatch) -> Registry:
    """The process registry with only the app's handlers, and no periodic job: tests add their own.

    Restored afterwards, so a test's handlers and schedules never leak into another test.
    """
    monkeypatch.setattr(REGISTRY, "handlers", dict(REGISTRY.handlers))
    monkeypatch.setattr(REGISTRY, "periodic", {})
    return REGISTRY


@pytest.fixture
def ran() -> Ran:
    """The payloads the test handlers ran with, in order."""
    return Ran()
