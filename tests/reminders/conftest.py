"""The reminder tests' shop sends email (SMTP configured, never reached: the tests only queue)."""

from __future__ import annotations

import pytest

from tests.helpers import _make_app

MAIL = {
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": 2525,
    "SMTP_SECURITY": "none",
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "MAIL_FROM": "shop@example.com",
    "SHOP_URL": "https://shop.example",
}


@pytest.fixture
def app(db_url, tmp_path):
    """The shop, configured for tests, with email sending set up."""
    yield from _make_app(db_url, tmp_path, MAIL)
