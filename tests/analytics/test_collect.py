"""POST /e: valid batches are stored, anything else is refused with nothing stored."""

from __future__ import annotations

import hashlib
import io
import json
import time

import pytest
from sqlalchemy import event as sa_event

from storefront.extensions import db
from tests.analytics.helpers import PHONE_UA, event_count, send, stored_events


def _now_ms() -> int:
    return int(time.time() * 1000)


def _batch(*events, **extra) -> dict:
    return {"events": list(events), **extra}


PAGE_VIEW = {"name": "page_view", "path": "/"}


def test_a_valid_batch_is_stored_with_its_fields(app, beacon):
    response = beacon(
        _batch(
            {
                "name": "page_view",
                "ts": _now_ms(),
                "path": "/p/merino-coat",
                "referrer": "https://www.google.com/search?q=private+words",
                "utm_source": "newsletter",
                "utm_medium": "email",
                "utm_campaign": "spring",
            },
            {"name": "view_item", "path": "/p/merino-coat", "product_slug": "merino-coat", "variant_id": 4}
            | {"value": 12000, "currency": "USD", "list": "Clothing"},
            {"name": "engagement", "path": "/p/merino-coat", "dwell_ms": 2500, "scroll_pct": 80}
            | {"product_slug": "merino-coat"},
            {"name": "search", "path": "/search", "query": "wool coat"},
            sid="ab" * 16,
        ),
        content_type="application/json",
    )
    assert response.status_code == 202 and response.data == b""
    page, item, engagement, search = stored_events(app)
    assert (page.name, page.path, page.source, page.referrer_host) == (
        "page_view",
        "/p/merino-coat",
        "utm",
        "google.com",
    )
    assert (page.utm_source, page.utm_medium, page.utm_campaign) == ("newsletter", "email", "spring")
    assert (item.product_slug, item.variant_id, item.value, item.currency, item.list_name) == (
        "merino-coat",
        4,
        12000,
        "USD",
        "Clothing",
    )
    assert item.source is None  # only landing information says where a visit came from
    assert (engagement.dwell_ms, engagement.scroll_pct, engagement.product_slug) == (2500, 80, "merino-coat")
    assert search.query == "wool coat"
    assert {e.session_id for e in (page, item, engagement, search)} == {"ab" * 16}
    assert len({e.visitor_id for e in (page, item, engagement, search)}) == 1 and len(page.visitor_id) == 32
    assert page.order_id is None and page.created_at is not None


def test_text_plain_is_what_send_beacon_sends(app, beacon):
    assert beacon(_batch(PAGE_VIEW), content_type="text/plain;charset=UTF-8").status_code == 202
    assert event_count(app) == 1


def test_session_id_from_the_cookie_and_cart_linked_by_hash(app, client):
    token = "C" * 43
    client.set_cookie("sid", "cd" * 16)
    client.set_cookie("cart", token)
    assert send(client, _batch(PAGE_VIEW)).status_code == 202
    client.set_cookie("sid", "not a session id")
    assert send(client, _batch(PAGE_VIEW)).status_code == 202
    first, second = stored_events(app)
    assert first.session_id == "cd" * 16 and second.session_id is None
    assert first.cart_hash == hashlib.sha256(token.encode()).hexdigest()[:32] == second.cart_hash


def test_order_tokens_never_reach_the_log(app, beacon):
    assert beacon(_batch({"name": "page_view", "path": "/o/" + "T" * 32})).status_code == 202
    assert stored_events(app)[0].path == "/o/-"


def _assert_refused(app, response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.data
    answer = response.get_json()
    assert set(answer) == {"error", "message"} and answer["message"]
    if code:
        assert answer["error"] == code
    assert event_count(app) == 0, "nothing of a refused batch is stored"
    return answer


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ("{not json", "bad_json", "JSON"),
        ('{"events": [NaN]}', "bad_json", "JSON"),
        (b"\xff\xfe{}", "bad_json", "JSON"),
        ("", "bad_json", "JSON"),
        ("[" * 4000 + "]" * 4000, "bad_json", "JSON"),
        (_batch(), "empty", "no events"),
        (_batch(PAGE_VIEW, {"name": "buy_now"}), "unknown_event", "unknown name"),
        (_batch(PAGE_VIEW, {"name": "page_view", "ip": "1.2.3.4"}), "unknown_field", "ip"),
        (_batch(PAGE_VIEW, {"name": "engagement", "dwell_ms": "10"}), "wrong_type", "dwell_ms"),
        (_batch(PAGE_VIEW, {"name": "search", "query": "q" * 101}), "too_long", "query"),
        (_batch(*[PAGE_VIEW] * 21), "too_many", "20"),
        (_batch(PAGE_VIEW, {"name": "purchase", "value": 100}), "unknown_event", "unknown name"),
    ],
)
def test_invalid_batches_get_400_and_nothing_is_stored(app, beacon, body, code, words):
    answer = _assert_refused(app, beacon(body, Accept="text/html"), 400, code)
    assert words in answer["message"]


def test_other_content_types_get_415(app, beacon):
    _assert_refused(app, beacon(_batch(PAGE_VIEW), content_type="application/x-www-form-urlencoded"), 415)
    _assert_refused(app, beacon(_batch(PAGE_VIEW), content_type="multipart/form-data; boundary=x"), 415)


def _padded_batch(size: int) -> str:
    """A valid batch of exactly `size` bytes (JSON allows trailing white space)."""
    body = json.dumps(_batch(PAGE_VIEW))
    return body + " " * (size - len(body))


def test_over_8_kb_gets_413_and_nothing_is_stored(app, beacon):
    _assert_refused(app, beacon(_padded_batch(8193)), 413, "too_large")
    assert beacon(_padded_batch(8192)).status_code == 202  # exactly at the cap is fine
    assert event_count(app) == 1


class CountingStream(io.BytesIO):
    """A request body that remembers how many bytes the server read."""

    taken = 0

    def read(self, size=-1):
        chunk = super().read(size)
        CountingStream.taken += len(chunk)
        return chunk


def test_a_body_without_content_length_is_read_only_to_the_cap(app, client):
    CountingStream.taken = 0
    response = client.post(
        "/e",
        input_stream=CountingStream(b'{"events": [' + b" " * 1_000_000 + b"]}"),
        content_type="text/plain",
        headers={"Transfer-Encoding": "chunked", "User-Agent": PHONE_UA},
        environ_overrides={"wsgi.input_terminated": True},  # what gunicorn says for a chunked body
    )
    _assert_refused(app, response, 413, "too_large")
    assert CountingStream.taken <= 8193 + 8192, "the server must not read the whole body"


def test_the_121st_request_in_a_minute_gets_429(app, client):
    for _ in range(120):
        assert send(client, _batch(PAGE_VIEW)).status_code == 202
    refused = send(client, _batch(PAGE_VIEW))
    assert refused.status_code == 429 and refused.get_json()["error"] == "http_429"
    assert event_count(app) == 120
    assert send(client, _batch(PAGE_VIEW), ip="198.51.100.20").status_code == 202, "limited per address"


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1",
        "WhatsApp/2.23.20.0",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    ],
)
def test_bots_get_202_and_nothing_is_stored(app, beacon, agent):
    assert beacon(_batch(PAGE_VIEW), ua=agent).status_code == 202
    assert event_count(app) == 0


def test_headless_chrome_is_a_shopper(app, beacon):
    agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36"
    assert beacon(_batch(PAGE_VIEW), ua=agent).status_code == 202
    assert event_count(app) == 1


@pytest.mark.parametrize("header", [{"DNT": "1"}, {"Sec-GPC": "1"}])
def test_do_not_track_and_gpc_get_202_and_nothing_is_stored(app, beacon, header):
    assert beacon(_batch(PAGE_VIEW), **header).status_code == 202
    assert event_count(app) == 0
    assert beacon(_batch(PAGE_VIEW), DNT="0").status_code == 202
    assert event_count(app) == 1


def test_the_beacon_needs_no_csrf_token_and_changes_no_cookie(app, beacon):
    response = beacon(_batch(PAGE_VIEW))
    assert response.status_code == 202 and "Set-Cookie" not in response.headers


def test_a_batch_costs_one_insert_once_the_salt_is_known(app, client):
    assert send(client, _batch(PAGE_VIEW)).status_code == 202  # first use of the day: salt made
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa_event.listen(engine, "before_cursor_execute", remember)
    try:
        assert send(client, _batch(*[PAGE_VIEW] * 20)).status_code == 202
    finally:
        sa_event.remove(engine, "before_cursor_execute", remember)
    writes = [s for s in statements if s.split()[0].upper() in ("INSERT", "SELECT", "UPDATE", "DELETE")]
    assert len(writes) == 1 and "INSERT INTO events" in writes[0], writes
    assert not any("orders" in s for s in statements)
    assert event_count(app) == 21
