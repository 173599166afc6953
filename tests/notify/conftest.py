"""Notification fixtures: the local push service (push_server.py) and a real SMTP server (smtp_server.py)."""

from __future__ import annotations

import pytest

from .push_server import PushService
from .smtp_server import serving


@pytest.fixture
def push_service():
    """A real Web Push service on 127.0.0.1 that verifies VAPID, decrypts and records every push."""
    service = PushService().start()
    yield service
    service.stop()


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 for one test (plain SMTP; the login shop / s3cret-pass works)."""
    with serving(users={"shop": "s3cret-pass"}) as server:
        yield server
