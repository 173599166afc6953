"""/sitemap.xml: valid against the sitemaps.org schemas, only what shoppers may see, split past its limit,
revalidated by the catalog generation, and announced in robots.txt."""

from __future__ import annotations

from datetime import datetime

import pytest
from lxml import etree

from storefront.catalog import service as catalog
from storefront.extensions import db
from tests.builders import make_category, make_product
from tests.pages.conftest import save_page

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def parsed(answer, schema) -> etree._Element:
    """The answer's XML, asserted valid against `schema`."""
    assert answer.status_code == 200, answer.status_code
    assert answer.mimetype == "application/xml"
    tree = etree.fromstring(answer.data)
    schema.assertValid(tree)
    return tree


def locations(tree) -> list[str]:
    return tree.xpath("//s:loc/text()", namespaces=NS)


@pytest.fixture
def catalogue(app):
    """A published product, a draft, an archived one, a Bengali-named one, three categories (one empty), a page."""
    with app.app_context():
        shelf = make_category("Mugs")
        bowls = make_category("বাটি", slug="বাটি")
        make_category("Empty shelf")  # nothing on sale in it: not listed
        make_product("Clay mug", category=shelf)
        make_product("শাড়ি", category=bowls)
        catalog.unpublish(db.session, make_product("Secret draft"))
        catalog.set_archived(db.session, make_product("Old vase"), True)
        db.session.commit()
    save_page(app, "about", "Our story", "Since 2019.")
    save_page(app, "terms", "Términos", "Sea amable.", locale="es")  # no default version: not for crawlers


def test_the_sitemap_lists_what_shoppers_may_see_and_is_valid(app, client, catalogue, sitemap_schemas):
    tree = parsed(client.get("/sitemap.xml"), sitemap_schemas["sitemap"])
    assert tree.tag == f"{{{NS['s']}}}urlset"
    assert locations(tree) == [
        "http://localhost/",
        "http://localhost/stores",
        "http://localhost/pages/about",
        "http://localhost/pages/contact",
        "http://localhost/c/mugs",
        "http://localhost/c/%E0%A6%AC%E0%A6%BE%E0%A6%9F%E0%A6%BF",
        "http://localhost/p/clay-mug",
        "http://localhost/p/%E0%A6%B6%E0%A6%BE%E0%A6%A1%E0%A6%BC%E0%A6%BF",
    ]
    for loc in locations(tree):  # every listed page opens for an anonymous visitor
        assert app.test_client().get(loc.removeprefix("http://localhost")).status_code == 200, loc
    mug = tree.xpath("//s:url[s:loc='http://localhost/p/clay-mug']/s:lastmod/text()", namespaces=NS)[0]
    assert datetime.fromisoformat(mug).utcoffset().total_seconds() == 0


def test_drafts_archived_and_private_pages_are_never_listed(app, client, catalogue):
    body = client.get("/sitemap.xml").text
    for hidden in (
        "secret-draft",
        "old-vase",
        "/admin",
        "/checkout",
        "/cart",
        "/o/",
        "/pages/terms",
        "/pages/privacy",
        "empty-shelf",
    ):
        assert hidden not in body


def test_past_the_limit_the_sitemap_becomes_an_index_of_parts(app, client, catalogue, sitemap_schemas):
    app.config["SITEMAP_MAX_URLS"] = 3
    index = parsed(client.get("/sitemap.xml"), sitemap_schemas["siteindex"])
    assert index.tag == f"{{{NS['s']}}}sitemapindex"
    parts = locations(index)
    assert parts == [f"http://localhost/sitemap-{n}.xml" for n in (1, 2, 3)]
    listed = []
    for part in parts:
        tree = parsed(client.get(part.removeprefix("http://localhost")), sitemap_schemas["sitemap"])
        assert 1 <= len(locations(tree)) <= 3
        listed += locations(tree)
    app.config["SITEMAP_MAX_URLS"] = 50_000
    assert listed == locations(etree.fromstring(client.get("/sitemap.xml").data))  # the same URLs, once each
    app.config["SITEMAP_MAX_URLS"] = 3
    assert client.get("/sitemap-4.xml").status_code == 404
    assert client.get("/sitemap-0.xml").status_code == 404
    app.config["SITEMAP_MAX_URLS"] = 50_000
    assert client.get("/sitemap-1.xml").status_code == 404  # not split: no parts


def test_absolute_urls_use_shop_url_when_set(app, client, catalogue):
    app.config["SHOP_URL"] = "https://shop.example.com/"
    assert "<loc>https://shop.example.com/p/clay-mug</loc>" in client.get("/sitemap.xml").text
    assert "Sitemap: https://shop.example.com/sitemap.xml\n" in client.get("/robots.txt").text
    app.config["SHOP_URL"] = ""
    assert "<loc>http://shop.test/p/clay-mug</loc>" in client.get("/sitemap.xml", base_url="http://shop.test").text


def test_cached_publicly_and_revalidated_by_the_catalog_generation(app, client, catalogue):
    first = client.get("/sitemap.xml")
    assert first.cache_control.public and 0 < first.cache_control.max_age <= 3600 and first.headers["ETag"]
    again = client.get("/sitemap.xml", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    with app.app_context():
        make_product("New teapot")
    changed = client.get("/sitemap.xml", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "new-teapot" in changed.text
    save_page(app, "privacy", "Privacy", "We keep little.")
    assert client.get("/sitemap.xml", headers={"If-None-Match": changed.headers["ETag"]}).status_code == 200


def test_robots_txt_points_to_the_sitemap_and_keeps_its_rules(client):
    body = client.get("/robots.txt").text
    assert body == (
        "User-agent: *\nDisallow: /admin\nDisallow: /checkout\nDisallow: /o/\nSitemap: http://localhost/sitemap.xml\n"
    )
