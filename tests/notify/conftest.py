"""Notification fixtures: the local push service (tests/notify/push_server.py)."""

from __future__ import annotations

import pytest

from .push_server import PushService


@pytest.fixture
def push_service():
    """A real Web Push service on 127.0.0.1 that verifies VAPID, decrypts and records every push."""
    service = PushService().start()
    yield service
    service.stop()
