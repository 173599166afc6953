"""After-sales: returns, exchanges and problem reports on delivered orders, with their refunds and stock."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Give the order page its after-sales panel, and templates the words for kinds, statuses and reasons."""
    from ..core.templating import register_labels
    from .rules import KIND_LABELS, REASONS, STATUS_LABELS
    from .views import aftersales_panel

    app.jinja_env.globals["aftersales_panel"] = aftersales_panel
    register_labels(app, "aftersales_kind", KIND_LABELS)
    register_labels(app, "aftersales_status", STATUS_LABELS)
    register_labels(app, "aftersales_reason", REASONS)
