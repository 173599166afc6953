"""The request log: one JSON line per request with route, status and latency, and no personal data."""

from __future__ import annotations

import json
import logging

from storefront import create_app
from tests.helpers import _test_config


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_one_line_per_request_without_personal_data(tmp_path):
    app = create_app(
        {
            **_test_config(),
            "REQUEST_LOG": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 's.db'}",
            "MEDIA_ROOT": str(tmp_path / "media"),
        }
    )
    with app.app_context():
        from storefront.extensions import db

        db.create_all()
    client = app.test_client()
    token = "Zq3sK9vX2mN8pL4rT6wY1bC5dF7gH0jQ"
    captured = _Lines()
    logging.getLogger("storefront.request").addHandler(captured)
    try:
        client.get(
            "/search?q=secret+words",
            headers={"User-Agent": "Agent/1.0", "X-Forwarded-For": "203.0.113.9"},
            environ_base={"REMOTE_ADDR": "198.51.100.7"},
        )
        client.get(f"/o/{token}")
        client.get("/no/such/page/ada@example.com")
    finally:
        logging.getLogger("storefront.request").removeHandler(captured)
    lines = [json.loads(line) for line in captured.lines]
    assert [(x["method"], x["route"], x["status"]) for x in lines] == [
        ("GET", "/search", 200),
        ("GET", "/o/<token>", 404),
        ("GET", "<unmatched>", 404),
    ]
    assert all(x["ms"] >= 0 and isinstance(x["bytes"], int) for x in lines)
    text = "\n".join(captured.lines)
    for private in ("secret", token, "ada@example.com", "198.51.100.7", "203.0.113.9", "Agent/1.0"):
        assert private not in text
