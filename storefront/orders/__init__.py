"""The orders capability."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Give templates the words for order statuses and lifecycle steps."""
    from ..core.templating import register_labels
    from .labels import EVENT_LABELS, STATUS_LABELS

    register_labels(app, "status_label", STATUS_LABELS)
    register_labels(app, "event_label", EVENT_LABELS)
