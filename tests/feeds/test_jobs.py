"""The background rebuild: files built ahead after a catalog change, the previous feed served meanwhile."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storefront import jobs
from storefront.catalog.models import Product
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.feeds import cache, service
from storefront.feeds.jobs import REBUILD, REBUILD_EVERY_SECONDS
from storefront.jobs.models import Job
from tests.feeds.conftest import make_link, rebuild_feeds
from tests.feeds.test_views import counted_queries


def catalog_reads(queries: list[str]) -> list[str]:
    """The statements that read products: a feed being built (a file served reads none)."""
    return [q for q in queries if "FROM products" in q]


def run_worker(app, seconds: float = 1) -> None:
    """The job worker: every job due a little after now (periodic slots included)."""
    with app.app_context():
        jobs.run_due(db.session, utcnow() + timedelta(seconds=seconds))


def rename(app, product_id: int, title: str) -> None:
    """A catalog change, committed (it bumps the catalog generation)."""
    with app.app_context():
        db.session.get(Product, product_id).title = title
        db.session.commit()


def test_the_job_is_periodic_every_minute():
    spec = jobs.REGISTRY.periodic[REBUILD]
    assert spec.interval({}) == timedelta(seconds=REBUILD_EVERY_SECONDS) == timedelta(minutes=1)


def test_the_worker_builds_each_live_format_and_fetches_then_read_no_catalog(app, client, shelf, feed_cache):
    with app.app_context():
        google = make_link("google")
        revoked = service.create_link(db.session, "Old Meta", "meta", None, utcnow())[0]
        service.revoke_link(db.session, revoked.id, utcnow())
        db.session.commit()
    run_worker(app)
    names = sorted(p.name for p in feed_cache.iterdir())
    assert [n.split(".", 1)[1] for n in names] == ["xml", "xml.gz"], "google only: the meta link is revoked"
    assert names[0].startswith("google-")
    with counted_queries(app) as queries:
        fetched = client.get(f"/feeds/{google}/google.xml")
        body = fetched.data
    assert fetched.status_code == 200 and b"Stoneware mug" in body and body.endswith(b"</rss>\n")
    assert not catalog_reads(queries), "served from the job's file: no build"
    assert fetched.headers["ETag"].strip('"') in names[0]
    assert rebuild_feeds(app) == [], "generation unchanged: nothing to do"
    assert sorted(p.name for p in feed_cache.iterdir()) == names


def test_a_change_serves_the_previous_feed_until_the_job_ran(app, client, shelf, feed_cache):
    with app.app_context():
        token = make_link("meta", "Meta")
    assert rebuild_feeds(app) == ["meta"]
    first = client.get(f"/feeds/{token}/meta.csv")
    etag = first.headers["ETag"]
    rename(app, shelf["one"], "Linen tea towel")

    with counted_queries(app) as queries:
        stale = client.get(f"/feeds/{token}/meta.csv")
        body = stale.data
    assert stale.status_code == 200 and body == first.data and b"Linen tea towel" not in body
    assert stale.headers["ETag"] == etag, "the previous feed, under its own ETag"
    assert not catalog_reads(queries), "the fetcher did not wait for a build"
    assert client.get(f"/feeds/{token}/meta.csv", headers={"If-None-Match": etag}).status_code == 304

    old_files = list(feed_cache.iterdir())
    assert rebuild_feeds(app) == ["meta"]
    fresh = client.get(f"/feeds/{token}/meta.csv", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and b"Linen tea towel" in fresh.data
    assert fresh.headers["ETag"] != etag
    assert not any(f.exists() for f in old_files), "the previous generation's files are cleaned up"
    assert len(list(feed_cache.iterdir())) == 2


def test_the_worker_catches_up_on_its_next_slot(app, client, shelf, feed_cache):
    with app.app_context():
        token = make_link("google")
    run_worker(app)
    before = client.get(f"/feeds/{token}/google.xml").data
    rename(app, shelf["two"], "Porcelain mug")
    assert b"Porcelain mug" not in client.get(f"/feeds/{token}/google.xml").data, "stale until the job runs"
    run_worker(app, seconds=REBUILD_EVERY_SECONDS + 1)
    with counted_queries(app) as queries:
        after = client.get(f"/feeds/{token}/google.xml").data
    assert b"Porcelain mug" in after and after != before and not catalog_reads(queries)


def test_without_shop_url_the_job_does_nothing_and_a_fetch_builds(app, client, shelf, feed_cache):
    app.config["SHOP_URL"] = ""
    with app.app_context():
        token = make_link("google")
    assert rebuild_feeds(app) == []
    run_worker(app)
    assert not feed_cache.exists() or not list(feed_cache.iterdir()), "the job cannot know the address"
    first = client.get(f"/feeds/{token}/google.xml")
    assert first.is_streamed and first.data
    rename(app, shelf["one"], "Linen tea towel")
    assert rebuild_feeds(app) == []
    with counted_queries(app) as queries:
        second = client.get(f"/feeds/{token}/google.xml")
        body = second.data
    assert b"Linen tea towel" in body and catalog_reads(queries), "never stale: nothing would catch up"


def test_another_address_never_gets_the_previous_address_feed(app, client, shelf, feed_cache):
    with app.app_context():
        token = make_link("google")
    assert rebuild_feeds(app) == ["google"]
    app.config["SHOP_URL"] = "https://shop.example.com"
    with counted_queries(app) as queries:
        body = client.get(f"/feeds/{token}/google.xml").get_data(as_text=True)
    assert "https://shop.example.com/p/" in body and "http://localhost" not in body
    assert catalog_reads(queries), "no file of this address yet: built while streaming"


def test_a_new_link_queues_a_rebuild_so_its_first_fetch_finds_a_file(app, client, shelf, feed_cache):
    with app.app_context():
        token = make_link("meta", "Meta")
        queued = db.session.scalars(select(Job.key).where(Job.name == REBUILD)).all()
    assert len(queued) == 1 and queued[0].startswith("link:")
    run_worker(app)
    assert sorted(p.name.split(".", 1)[1] for p in feed_cache.iterdir()) == ["csv", "csv.gz"]
    with counted_queries(app) as queries:
        assert client.get(f"/feeds/{token}/meta.csv").data.startswith(b"id,title")
    assert not catalog_reads(queries)


def test_a_previous_file_removed_meanwhile_makes_the_fetch_build(app, client, shelf, feed_cache, monkeypatch):
    with app.app_context():
        token = make_link("google")
    gone = feed_cache / "google-0000-ffff.xml"  # found, then deleted by a newer build's clean-up
    monkeypatch.setattr(cache, "newest", lambda *_args: (gone, "ffff"))
    fetched = client.get(f"/feeds/{token}/google.xml")
    assert fetched.status_code == 200 and fetched.data.endswith(b"</rss>\n")
    assert fetched.headers["ETag"] != '"ffff"'
