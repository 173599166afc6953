"""Shared helpers of the shop pages' tests: saving a page, signed-in owners, the sitemap's schemas."""

from __future__ import annotations

from pathlib import Path

import pytest

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.pages import service
from tests.builders import ShopClient, make_user

HERE = Path(__file__).parent


def save_page(app, slug: str, title: str, body: str, locale: str = "") -> None:
    """Store one page in one language through the service, committed (as the admin's save does)."""
    with app.app_context():
        service.save_page(db.session, slug, locale, title=title, body=body, user_id=None, now=utcnow())
        db.session.commit()


@pytest.fixture
def owner(app, quick_password_hash) -> ShopClient:
    """A signed-in owner's browser."""
    with app.app_context():
        make_user("owner@example.com", "owner")
    browser = ShopClient(app.test_client())
    assert browser.login().status_code in (302, 303)
    return browser


@pytest.fixture(scope="session")
def sitemap_schemas():
    """The sitemaps.org schemas (urlset, sitemapindex) as lxml validators."""
    from lxml import etree

    return {name: etree.XMLSchema(etree.parse(str(HERE / f"{name}.xsd"))) for name in ("sitemap", "siteindex")}
