"""Card payment fixtures: the shop wired to an in-process fake Stripe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.builders import make_product
from tests.helpers import _make_app

from .fake_stripe import API_KEY, WEBHOOK_SECRET, FakeStripe


@pytest.fixture
def fake_stripe():
    """Stripe, in memory."""
    return FakeStripe()


@pytest.fixture
def app(db_url, tmp_path, fake_stripe):
    """The shop with card payments on (every fixture built on `app` gets this one here)."""
    yield from _make_app(
        db_url,
        tmp_path,
        {
            "STRIPE_SECRET_KEY": API_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_HTTP_CLIENT": fake_stripe,
            "STRIPE_MAX_NETWORK_RETRIES": 0,
        },
    )


@pytest.fixture
def coat(app):
    """A product with 5 units of one variant at 50.00; returns the variant id."""
    with app.app_context():
        return make_product("Wool coat", price=5000, variants=(("M", 5),)).variants[0].id
