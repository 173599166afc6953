"""Fixtures for the behaviour-logging tests: a beacon from a shopper's phone (helpers in helpers.py)."""

from __future__ import annotations

import pytest

from tests.analytics.helpers import send


@pytest.fixture
def beacon(client):
    """Send beacon bodies from a shopper's phone."""

    def _send(body, **kwargs):
        return send(client, body, **kwargs)

    return _send
