"""Fixtures of the notification tests."""

from __future__ import annotations

import pytest

# --- notify: mail helper (a self-contained block: its import is inside the fixture) ---------


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 for one test (plain SMTP; the login shop / s3cret-pass works)."""
    from tests.notify.smtp_server import serving

    with serving(users={"shop": "s3cret-pass"}) as server:
        yield server
