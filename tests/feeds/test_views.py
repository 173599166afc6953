"""The feeds' private addresses: tokens, revocation, headers, fetch counts, rate limit, the file cache, 304."""

from __future__ import annotations

import gzip
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from storefront.catalog.models import Product
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.feeds import cache, service
from storefront.feeds.models import FeedLink
from tests.feeds.conftest import make_link, photographed, rebuild_feeds
from tests.helpers import _make_app


@contextmanager
def counted_queries(app):
    """The SQL statements run meanwhile on the app's engine."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def link_row(app, fmt: str = "google") -> FeedLink:
    with app.app_context():
        (link,) = db.session.query(FeedLink).filter_by(format=fmt).all()
        db.session.expunge(link)
        return link


@pytest.fixture
def google_token(app, shelf):
    with app.app_context():
        return make_link("google")


def test_unknown_odd_revoked_and_other_format_tokens_answer_404(app, client, google_token):
    assert client.get(f"/feeds/{google_token}/google.xml").data
    assert client.get(f"/feeds/{google_token}/meta.csv").status_code == 404, "a token serves its own format only"
    assert client.get(f"/feeds/{'A' * 43}/google.xml").status_code == 404
    assert client.get("/feeds/short/google.xml").status_code == 404
    assert client.get(f"/feeds/{google_token}x%20y/google.xml").status_code == 404
    with app.app_context():
        service.revoke_link(db.session, link_row(app).id, utcnow())
        db.session.commit()
    assert client.get(f"/feeds/{google_token}/google.xml").status_code == 404


def test_only_the_tokens_digest_is_stored(app, google_token):
    link = link_row(app)
    assert google_token not in link.token_hash and len(link.token_hash) == 64


def test_a_feed_is_private_counted_and_tagged(app, client, google_token):
    response = client.get(f"/feeds/{google_token}/google.xml")
    assert response.data and response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "private" in response.headers["Cache-Control"] and "Set-Cookie" not in response.headers
    assert client.get(f"/feeds/{google_token}/google.xml").data
    link = link_row(app)
    assert link.fetch_count == 2 and link.last_fetched_at is not None
    assert abs((utcnow() - link.last_fetched_at).total_seconds()) < 60


def test_cold_streams_then_the_file_serves_then_304(app, client, google_token, feed_cache):
    cold = client.get(f"/feeds/{google_token}/google.xml")
    assert cold.status_code == 200 and cold.is_streamed
    assert cold.data.endswith(b"</rss>\n")  # read to the end, as a fetcher does
    etag = cold.headers["ETag"]
    kept = sorted(p.name.split(".", 1)[1] for p in feed_cache.iterdir())
    assert kept == ["xml", "xml.gz"], "kept for the next fetch, with a gzip copy"
    with counted_queries(app) as queries:
        warm = client.get(f"/feeds/{google_token}/google.xml")
    assert warm.data == cold.data and warm.headers["ETag"] == etag
    assert not [q for q in queries if "FROM products" in q], "served from the file, no catalog read"
    for held in (etag, "W/" + etag):
        again = client.get(f"/feeds/{google_token}/google.xml", headers={"If-None-Match": held})
        assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert link_row(app).fetch_count == 4, "a 304 is a fetch too"


def test_a_product_change_changes_the_etag_and_replaces_the_file(app, client, shelf, google_token, feed_cache):
    app.config["SHOP_URL"] = ""  # no background rebuild then (test_jobs.py): the fetch builds the new feed
    first = client.get(f"/feeds/{google_token}/google.xml")
    assert first.data
    old_files = list(feed_cache.iterdir())
    with app.app_context():
        db.session.get(Product, shelf["one"]).title = "Linen tea towel"
        db.session.commit()
    second = client.get(f"/feeds/{google_token}/google.xml", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.headers["ETag"] != first.headers["ETag"]
    assert b"Linen tea towel" in second.data
    assert not any(f.exists() for f in old_files), "the old generation's files are gone"
    assert len(list(feed_cache.iterdir())) == 2


def test_the_two_formats_are_cached_apart(app, client, google_token, feed_cache):
    with app.app_context():
        meta_token = make_link("meta", "Meta")
    # Each body read before the next request (a streamed body holds its request's context until read).
    google = client.get(f"/feeds/{google_token}/google.xml")
    assert google.data
    meta = client.get(f"/feeds/{meta_token}/meta.csv")
    assert meta.data
    assert google.headers["ETag"] != meta.headers["ETag"]
    assert sorted(p.name.split(".", 1)[1] for p in feed_cache.iterdir()) == ["csv", "csv.gz", "xml", "xml.gz"]
    assert client.get(f"/feeds/{meta_token}/meta.csv").data == meta.data


def test_shop_url_makes_the_links_absolute_on_the_public_address(app, client, google_token):
    app.config["SHOP_URL"] = "https://shop.example.com/"
    body = client.get(f"/feeds/{google_token}/google.xml").get_data(as_text=True)
    assert "<g:link>https://shop.example.com/p/" in body and "http://localhost" not in body


def test_the_rate_limit_counts_per_token(app, client, google_token):
    app.config["FEEDS_RATE_LIMIT"] = "2 per hour"
    with app.app_context():
        other = make_link("google", "Second")
    fetches = (client.get(f"/feeds/{google_token}/google.xml") for _ in range(3))
    answers = [(r.status_code, bool(r.data)) for r in fetches]  # each read before the next fetch
    assert answers == [(200, True), (200, True), (429, True)]
    assert client.get(f"/feeds/{other}/google.xml").data.endswith(b"</rss>\n")


def test_an_unwritable_cache_folder_still_serves_the_feed(app, client, google_token, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app.config["FEEDS_CACHE_DIR"] = str(blocker / "feeds")
    response = client.get(f"/feeds/{google_token}/google.xml")
    assert response.status_code == 200 and b"</rss>" in response.data


def test_a_fetcher_that_accepts_gzip_gets_the_gzip_copy(app, client, google_token):
    plain = client.get(f"/feeds/{google_token}/google.xml").data  # cold: streamed as it is built
    zipped = client.get(f"/feeds/{google_token}/google.xml", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain and len(zipped.data) < len(plain)
    assert zipped.headers["ETag"].startswith("W/"), "another representation of the same feed"
    again = client.get(
        f"/feeds/{google_token}/google.xml",
        headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]},
    )
    assert again.status_code == 304
    refused = client.get(f"/feeds/{google_token}/google.xml", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers and refused.data == plain


def test_a_fetch_cut_short_leaves_no_file(tmp_path):
    target = tmp_path / "google-abc.xml"
    stream = cache.written_through(iter(["<rss>", "<item/>", "</rss>"]), target)
    assert next(stream) == b"<rss>"
    stream.close()  # the client went away
    assert list(tmp_path.iterdir()) == []
    assert b"".join(cache.written_through(iter(["a", "b"]), target)) == b"ab" and target.read_bytes() == b"ab"
    assert gzip.decompress(cache.gzipped(target).read_bytes()) == b"ab"


def test_a_catalog_error_mid_feed_leaves_no_file(tmp_path):
    def failing():
        yield "<rss>"
        raise RuntimeError("database gone")

    target = tmp_path / "google-abc.xml"
    with pytest.raises(RuntimeError):
        list(cache.written_through(failing(), target))
    assert list(tmp_path.iterdir()) == []


def test_a_new_photo_reaches_the_feed(app, client, google_token):
    first = client.get(f"/feeds/{google_token}/google.xml")
    assert first.data
    with app.app_context():
        photographed("Oak board")
    rebuild_feeds(app)
    second = client.get(f"/feeds/{google_token}/google.xml", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and b"Oak board" in second.data


def test_the_request_log_does_not_turn_the_stream_into_a_buffer(tmp_path):
    # The request log asks every response for its length: on a plain generator response that reads
    # the whole feed into memory first (the first byte would leave only once the last is built).
    folder = tmp_path / "feeds"
    made = _make_app(
        f"sqlite:///{tmp_path / 'log.db'}", tmp_path, {"REQUEST_LOG": True, "FEEDS_CACHE_DIR": str(folder)}
    )
    app = next(made)
    with app.app_context():
        photographed("Oak board")
        token = make_link("google")
    response = app.test_client().get(f"/feeds/{token}/google.xml", buffered=False)
    assert not list(folder.glob("google-*")), "the headers left before the feed was built"
    assert response.get_data().endswith(b"</rss>\n")
    assert list(folder.glob("google-*")), "kept once read to the end"
    next(made, None)
