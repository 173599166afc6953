"""Card payment settings: a key without its webhook secret refuses to start, with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storefront import create_app
from storefront.config import ConfigError
from storefront.payments.provider import card_enabled
from tests.helpers import _test_config

ROOT = Path(__file__).resolve().parents[2]


def _config(tmp_path, **changes) -> dict:
    return {**_test_config(), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shop.db'}", **changes}


def test_a_secret_key_without_the_webhook_secret_refuses_to_start(tmp_path):
    with pytest.raises(ConfigError) as refused:
        create_app(_config(tmp_path, STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET=""))
    assert "STRIPE_WEBHOOK_SECRET is not" in str(refused.value) and "cash only" in str(refused.value)


def test_the_flask_command_prints_the_reason(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "FLASK_"))}
    env.update(STRIPE_SECRET_KEY="sk_test_x", DATABASE_URL=f"sqlite:///{tmp_path / 'shop.db'}")
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run(
        [str(flask), "--app", "wsgi", "routes"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "ConfigError: STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not" in done.stderr


def test_both_secrets_offer_card_and_neither_is_cash_only(tmp_path):
    both = create_app(_config(tmp_path, STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_x"))
    with both.test_request_context():
        assert card_enabled()
    neither = create_app(_config(tmp_path))
    with neither.test_request_context():
        assert not card_enabled()


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"STRIPE_TIMEOUT_SECONDS": 0}, "STRIPE_TIMEOUT_SECONDS"),
        ({"STRIPE_TIMEOUT_SECONDS": 600}, "STRIPE_TIMEOUT_SECONDS"),
        ({"STRIPE_MAX_NETWORK_RETRIES": -1}, "STRIPE_MAX_NETWORK_RETRIES"),
        (  # 0.505 KWD: card payments could not charge the delivery line
            {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x", "SHOP_CURRENCY": "KWD"}
            | {"SHIPPING_FLAT_FEE": 505},
            "SHIPPING_FLAT_FEE: Card payments can only charge KWD in steps of 0.010.",
        ),
    ],
)
def test_settings_stripe_cannot_work_with_are_refused(tmp_path, changes, says):
    with pytest.raises(ConfigError) as refused:
        create_app(_config(tmp_path, **changes))
    assert says in str(refused.value)


def test_the_timeout_and_retries_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("STRIPE_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "0")
    code = "from storefront.config import Config as C; print(C.STRIPE_TIMEOUT_SECONDS, C.STRIPE_MAX_NETWORK_RETRIES)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["2.5", "0"]
