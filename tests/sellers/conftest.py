"""Seller test fixtures: quick password hashing (these tests are not about hashing)."""

from __future__ import annotations

import functools

import pytest
from werkzeug.security import generate_password_hash

from storefront.auth import models as auth_models


@pytest.fixture(autouse=True)
def quick_password_hash(monkeypatch):
    """One hashing round keeps account creation and sign-ins fast (tests/auth use the real hash)."""
    monkeypatch.setattr(
        auth_models, "generate_password_hash", functools.partial(generate_password_hash, method="pbkdf2:sha256:1")
    )
