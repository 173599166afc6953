"""Use cases of the shop's pages: reading the version a shopper gets, the owner's saves, the admin's overview.

Like every service: a session and `now` come in, rows are flushed, nothing is committed. A save
marks the catalog generation changed (catalog.generation), the number the page cache keys on,
so every cached page (whose footer lists the pages) is rendered afresh after it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..catalog.generation import mark_changed
from ..stores.models import Store
from .models import ShopPage
from .rules import PageVersion, check_page, linked_pages, shown_version

_VERSION_COLUMNS = (ShopPage.slug, ShopPage.locale, ShopPage.title, ShopPage.body_html)


def all_versions(session: Session) -> list[PageVersion]:
    """Every stored page version (at most six per language): what the links and the sitemap read."""
    return [PageVersion(*row) for row in session.execute(select(*_VERSION_COLUMNS))]


def page_for(session: Session, slug: str, locale: str) -> PageVersion | None:
    """The version of `slug` a shopper in `locale` (the stored form, '' = default) reads, or None."""
    rows = session.execute(select(*_VERSION_COLUMNS).where(ShopPage.slug == slug)).all()
    return shown_version([PageVersion(*row) for row in rows], slug, locale)


def stored_page(session: Session, slug: str, locale: str) -> ShopPage | None:
    """The row of exactly this page and language (no fallback), for the owner's form and preview."""
    return session.scalars(select(ShopPage).where(ShopPage.slug == slug, ShopPage.locale == locale)).first()


def pages_by_key(session: Session) -> dict[tuple[str, str], ShopPage]:
    """Every stored page row keyed by (slug, locale), for the admin's list of states."""
    return {(row.slug, row.locale): row for row in session.scalars(select(ShopPage))}


def save_page(
    session: Session, slug: str, locale: str, *, title: str, body: str, user_id: int | None, now: datetime
) -> ShopPage:
    """Check and store one page in one language; PageRefused (nothing written) for bad text.

    Empty title and text take the page down. The row is created on the first save; two first
    saves racing meet the UNIQUE(slug, locale) constraint, and the loser updates the winner's row.
    """
    text = check_page(slug, title, body)
    row = stored_page(session, slug, locale) or _create_row(session, slug, locale, now)
    row.title, row.body, row.body_html = text.title, text.body, text.body_html
    row.updated_at, row.updated_by = now, user_id
    mark_changed(session)  # cached shopper pages (their footer links too) are rendered afresh
    session.flush()
    return row


def _create_row(session: Session, slug: str, locale: str, now: datetime) -> ShopPage:
    """A new row in a savepoint; if a concurrent save inserted it meanwhile, that row instead."""
    try:
        with session.begin_nested():
            row = ShopPage(slug=slug, locale=locale, title="", body="", body_html="", updated_at=now)
            session.add(row)
        return row
    except IntegrityError:
        return session.scalars(
            select(ShopPage)
            .where(ShopPage.slug == slug, ShopPage.locale == locale)
            .execution_options(populate_existing=True)
        ).one()


def sitemap_pages(session: Session) -> list[tuple[str, datetime | None]]:
    """(slug, last change) of the pages a crawler (the shop's default language) can open; contact always."""
    rows = session.execute(
        select(ShopPage.slug, ShopPage.body_html, ShopPage.updated_at).where(ShopPage.locale == "")
    ).all()
    stored = {slug: (html, updated) for slug, html, updated in rows}
    versions = [PageVersion(slug, "", "", html) for slug, (html, _updated) in stored.items()]
    return [(slug, stored.get(slug, ("", None))[1]) for slug, _title in linked_pages(versions, "")]


@event.listens_for(Session, "before_flush")
def _stores_show_on_contact(session: Session, _flush_context, _instances) -> None:
    """A store change changes the cached contact page (it lists the open stores): renew the cache."""
    if any(isinstance(obj, Store) for obj in (*session.new, *session.deleted)) or any(
        isinstance(obj, Store) and session.is_modified(obj, include_collections=False) for obj in session.dirty
    ):
        mark_changed(session)
