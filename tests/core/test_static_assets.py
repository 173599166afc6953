"""Static files go out pre-compressed (brotli, gzip) with per-encoding ETags, and never stale."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
from pathlib import Path

import brotli
import pytest

from storefront.core.templating import static_url

CSS = "body{color:#123456}\n" + "".join(f".item-{n}{{margin:{n}px;padding:{n % 7}px}}\n" for n in range(200))


def _decode(response) -> bytes:
    body = response.get_data()
    coding = response.headers.get("Content-Encoding")
    if coding == "br":
        return brotli.decompress(body)
    if coding == "gzip":
        return gzip.decompress(body)
    assert coding is None, coding
    return body


@pytest.fixture
def static_app(sqlite_app, tmp_path):
    """The shop serving a static folder of our own, with its own variant folder."""
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    (folder / "css" / "shop.css").write_text(CSS)
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    sqlite_app.static_folder = str(folder)
    sqlite_app.config["STATIC_COMPRESSED_DIR"] = str(tmp_path / "variants")
    return sqlite_app


def _url(app, name: str) -> str:
    with app.test_request_context():
        return static_url(name)


def test_the_shop_stylesheet_goes_out_as_brotli_gzip_or_as_is(sqlite_app):
    client = sqlite_app.test_client()
    url = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{10})"', client.get("/").text).group(1)
    original = (Path(sqlite_app.static_folder) / "css" / "app.css").read_bytes()
    etags = set()
    for accept, coding in (("gzip, deflate, br, zstd", "br"), ("gzip", "gzip"), ("", None), ("identity", None)):
        response = client.get(url, headers={"Accept-Encoding": accept})
        assert response.status_code == 200
        assert response.headers.get("Content-Encoding") == coding, accept
        assert response.mimetype == "text/css"
        assert "Accept-Encoding" in response.vary
        assert int(response.headers["Content-Length"]) == len(response.get_data())
        assert _decode(response) == original
        cache = response.headers["Cache-Control"]
        assert "public" in cache and "max-age=31536000" in cache and "immutable" in cache
        etags.add(response.headers["ETag"])
    assert len(etags) == 3, "br, gzip and identity each have their own ETag"


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=0.5, br;q=0.4", "gzip"),
        ("br;q=0, gzip;q=0", None),
        ("*", "br"),
        ("gzip;q=0, *", "br"),
        ("*;q=0", None),
        ("compress, deflate", None),
        ("BR", "br"),
    ],
)
def test_q_values_are_respected(static_app, accept, coding):
    response = static_app.test_client().get(_url(static_app, "css/shop.css"), headers={"Accept-Encoding": accept})
    assert response.headers.get("Content-Encoding") == coding
    assert _decode(response) == CSS.encode()


def test_variants_are_made_on_first_request_and_named_by_content_hash(static_app, tmp_path):
    client = static_app.test_client()
    client.get(_url(static_app, "css/shop.css"), headers={"Accept-Encoding": "br"})
    digest = hashlib.sha256(CSS.encode()).hexdigest()
    assert sorted(p.name for p in (tmp_path / "variants").iterdir()) == [f"{digest}.br"]
    assert brotli.decompress((tmp_path / "variants" / f"{digest}.br").read_bytes()) == CSS.encode()


def test_an_edited_file_is_never_sent_from_an_old_compressed_copy(static_app, tmp_path):
    client = static_app.test_client()
    path = tmp_path / "static" / "css" / "shop.css"
    first_url = _url(static_app, "css/shop.css")
    old = client.get(first_url, headers={"Accept-Encoding": "br"})
    assert _decode(old) == CSS.encode()
    # An old-looking sibling (as nginx's gzip_static would use) must not fool the app either.
    Path(f"{path}.br").write_bytes(brotli.compress(b"stale"))
    stat = path.stat()
    edited = CSS.replace("#123456", "#abcdef") + ".new{}\n"
    path.write_text(edited)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the old mtime kept
    new_url = _url(static_app, "css/shop.css")
    assert new_url != first_url
    for url in (new_url, first_url):  # an old page's URL gets the current file too
        for accept in ("br", "gzip", ""):
            response = client.get(url, headers={"Accept-Encoding": accept})
            assert _decode(response) == edited.encode(), (url, accept)
            assert response.headers["ETag"] != old.headers["ETag"]


def test_head_range_and_revalidation_work_on_each_encoding(static_app):
    client = static_app.test_client()
    url = _url(static_app, "css/shop.css")
    full = client.get(url, headers={"Accept-Encoding": "br"})
    head = client.head(url, headers={"Accept-Encoding": "br"})
    assert head.status_code == 200 and head.get_data() == b""
    for name in ("Content-Encoding", "Content-Length", "ETag", "Content-Type", "Cache-Control"):
        assert head.headers[name] == full.headers[name], name

    partial = client.get(url, headers={"Accept-Encoding": "br", "Range": "bytes=0-99"})
    assert partial.status_code == 206 and partial.headers["Content-Encoding"] == "br"
    assert partial.headers["Content-Range"] == f"bytes 0-99/{len(full.get_data())}"
    assert partial.get_data() == full.get_data()[:100]

    etag = full.headers["ETag"]
    again = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag and "Accept-Encoding" in again.vary
    other = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert other.status_code == 200 and other.headers["Content-Encoding"] == "gzip", "a br copy is not a gzip copy"


def test_already_compressed_files_are_sent_as_they_are(static_app, tmp_path):
    response = static_app.test_client().get("/static/logo.png", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert response.get_data() == (tmp_path / "static" / "logo.png").read_bytes()
    assert static_app.test_client().get("/static/../conftest.py").status_code == 404


def test_compress_static_command_builds_variants_and_nginx_siblings_and_drops_stale_ones(static_app, tmp_path):
    runner = static_app.test_cli_runner()
    source = tmp_path / "static" / "css" / "shop.css"
    result = runner.invoke(args=["compress-static"])
    assert result.exit_code == 0, result.output
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    variants = tmp_path / "variants"
    assert sorted(p.name for p in variants.iterdir()) == [f"{digest}.br", f"{digest}.gz"]
    sibling_br, sibling_gz = Path(f"{source}.br"), Path(f"{source}.gz")
    assert brotli.decompress(sibling_br.read_bytes()) == source.read_bytes()
    assert gzip.decompress(sibling_gz.read_bytes()) == source.read_bytes()
    assert sibling_gz.stat().st_mtime_ns == source.stat().st_mtime_ns
    assert not Path(f"{tmp_path / 'static' / 'logo.png'}.gz").exists()

    source.write_text(CSS + ".more{}\n")
    (tmp_path / "static" / "gone.js").write_text("console.log('x');\n" * 100)
    assert runner.invoke(args=["compress-static"]).exit_code == 0
    (tmp_path / "static" / "gone.js").unlink()
    result = runner.invoke(args=["compress-static"])
    assert result.exit_code == 0, result.output
    new_digest = hashlib.sha256(source.read_bytes()).hexdigest()
    assert sorted(p.name for p in variants.iterdir()) == [f"{new_digest}.br", f"{new_digest}.gz"]
    assert brotli.decompress(sibling_br.read_bytes()) == source.read_bytes()
    assert not list((tmp_path / "static").glob("gone.js.*")), "siblings of a deleted file are removed"


def test_shell_files_precached_by_the_service_worker_are_served_compressed(sqlite_app):
    client = sqlite_app.test_client()
    worker = client.get("/service-worker.js").text
    shell = [u for u in re.findall(r'"(/static/[^"]+)"', worker)]
    assert shell, "the worker precaches versioned static files"
    for url in shell:
        response = client.get(url, headers={"Accept-Encoding": "br"})
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "br", url
        name = url.split("?")[0].removeprefix("/static/")
        assert _decode(response) == (Path(sqlite_app.static_folder) / name).read_bytes()


def test_files_fixed_by_their_url_do_not_vary_by_cookie(sqlite_app):
    client = sqlite_app.test_client()
    page = client.get("/")
    assert "Cookie" in page.vary, "pages do depend on the shopper's cookies"
    client.set_cookie("cart_n", "3")
    url = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{10})"', page.text).group(1)
    for accept in ("br", ""):
        response = client.get(url, headers={"Accept-Encoding": accept})
        assert "immutable" in response.headers["Cache-Control"]
        assert list(response.vary) == ["Accept-Encoding"], response.headers.get("Vary")
