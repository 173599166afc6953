"""Pages and JSON go out brotli/gzip-encoded when accepted, and still revalidate as empty 304s."""

from __future__ import annotations

import gzip
import json
import logging

import brotli
import pytest
from flask import Response, stream_with_context

from storefront import create_app
from storefront.core.compression import choose_coding
from tests.helpers import _test_config


def _decode(response) -> bytes:
    coding = response.headers.get("Content-Encoding")
    body = response.get_data()
    return brotli.decompress(body) if coding == "br" else gzip.decompress(body) if coding == "gzip" else body


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip", "gzip"),
        ("", None),
        ("identity", None),
        ("br;q=0", None),
        ("br;q=0, *;q=0.1", "gzip"),
        ("gzip;q=1.0, br;q=0.9", "gzip"),
        ("br;q=abc, gzip", "gzip"),
        (" Gzip ; q=0.3 ", "gzip"),
    ],
)
def test_choose_coding(header, coding):
    assert choose_coding(header) == coding


def test_a_page_is_compressed_and_keeps_revalidating(sqlite_app):
    client = sqlite_app.test_client()
    plain = client.get("/", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.vary
    for coding in ("br", "gzip"):
        response = client.get("/", headers={"Accept-Encoding": coding})
        assert response.status_code == 200 and response.headers["Content-Encoding"] == coding
        assert {"Accept-Encoding", "Cookie"} <= set(response.vary)
        assert int(response.headers["Content-Length"]) == len(response.get_data()) < len(plain.get_data())
        html = _decode(response).decode()
        assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
        etag, weak = response.get_etag()
        assert weak and etag == plain.get_etag()[0], "the same page: the same (weak) validator"
        again = client.get("/", headers={"Accept-Encoding": coding, "If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b""
        assert "Accept-Encoding" in again.vary


def test_head_of_a_compressed_answer_has_its_length(sqlite_app):
    client = sqlite_app.test_client()
    full = client.get("/service-worker.js", headers={"Accept-Encoding": "br"})
    head = client.head("/service-worker.js", headers={"Accept-Encoding": "br"})
    assert full.headers["Content-Encoding"] == head.headers["Content-Encoding"] == "br"
    assert head.get_data() == b"" and head.headers["Content-Length"] == str(len(full.get_data()))
    plain = client.get("/service-worker.js")
    assert _decode(full) == plain.get_data()
    revalidated = client.get(
        "/service-worker.js", headers={"Accept-Encoding": "br", "If-None-Match": full.headers["ETag"]}
    )
    assert revalidated.status_code == 304


def test_manifest_json_is_compressed(sqlite_app):
    client = sqlite_app.test_client()
    response = client.get("/manifest.json", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip" and response.mimetype == "application/manifest+json"
    assert _decode(response) == client.get("/manifest.json").get_data()


def test_small_answers_are_left_alone(sqlite_app):
    response = sqlite_app.test_client().get("/robots.txt", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200 and len(response.get_data()) < 500
    assert "Content-Encoding" not in response.headers


def test_it_can_be_switched_off(sqlite_app):
    sqlite_app.config["COMPRESS_RESPONSES"] = False
    response = sqlite_app.test_client().get("/", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in response.headers and response.text.startswith("<!doctype html>")


def test_streamed_encoded_and_no_transform_answers_are_not_touched(sqlite_app):
    text = "<p>line</p>\n" * 200

    @sqlite_app.get("/test-stream")
    def stream():
        return Response(stream_with_context(iter([text, text])), mimetype="text/html")

    @sqlite_app.get("/test-encoded")
    def encoded():
        response = Response(gzip.compress(text.encode()), mimetype="text/html")
        response.headers["Content-Encoding"] = "gzip"
        return response

    @sqlite_app.get("/test-no-transform")
    def no_transform():
        response = Response(text, mimetype="text/html")
        response.cache_control.no_transform = True
        return response

    client = sqlite_app.test_client()
    streamed = client.get("/test-stream", headers={"Accept-Encoding": "br"})
    assert "Content-Encoding" not in streamed.headers and streamed.text == text * 2
    encoded_once = client.get("/test-encoded", headers={"Accept-Encoding": "br"})
    assert encoded_once.headers["Content-Encoding"] == "gzip" and gzip.decompress(encoded_once.data) == text.encode()
    kept = client.get("/test-no-transform", headers={"Accept-Encoding": "br"})
    assert "Content-Encoding" not in kept.headers and kept.text == text


def test_error_pages_are_compressed_too(sqlite_app):
    client = sqlite_app.test_client()
    response = client.get("/p/no-such-product", headers={"Accept-Encoding": "br"})
    assert response.status_code == 404
    plain = client.get("/p/no-such-product")
    assert response.headers["Content-Encoding"] == "br" and len(response.get_data()) < len(plain.get_data())
    assert _decode(response).decode().startswith("<!doctype html>")


def test_the_request_log_counts_the_bytes_sent(tmp_path):
    database = f"sqlite:///{tmp_path / 's.db'}"
    app = create_app({**_test_config(), "REQUEST_LOG": True, "SQLALCHEMY_DATABASE_URI": database})
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logging.getLogger("storefront.request").addHandler(handler)
    try:
        sent = app.test_client().get("/service-worker.js", headers={"Accept-Encoding": "br"})
    finally:
        logging.getLogger("storefront.request").removeHandler(handler)
    assert sent.headers["Content-Encoding"] == "br"
    assert json.loads(lines[-1])["bytes"] == len(sent.get_data())
