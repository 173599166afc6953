"""The feeds' request helper shared by their addresses and the owner's page: the shop's public address."""

from __future__ import annotations

from flask import current_app, request


def base_url() -> str:
    """The shop's public address for feed links: SHOP_URL, else the address this request came to ("/"-ended)."""
    configured = current_app.config.get("SHOP_URL", "")
    return configured.rstrip("/") + "/" if configured else request.url_root
