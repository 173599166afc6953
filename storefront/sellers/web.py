"""Request side of seller links: the `?ref=CODE` hook, the attribution cookie, attribution_from_request().

A shopper opening `/p/<slug>?ref=CODE` (or the shop's home page with `?ref=`) gets the normal
page (its canonical URL has no `ref`), and, when CODE is an active seller's:
  * one SellerClick (a reload within 30 minutes is the same click),
  * the signed first-party cookie `ref` listing their last few seller touches (code + server
    time), kept for the attribution window. Signed, so a shopper cannot invent or back-date a
    touch; HttpOnly and SameSite=Lax; Secure over HTTPS (core.security finishes every cookie).
Link-preview fetchers (chat apps) and the seller themself get the page and nothing else.
Malformed, unknown or disabled codes: the page works, nobody is credited.
Packages above this one add their own seller links with referral_source(endpoint, resolver):
the resolver names the page's seller code from the URL (a seller's page /s/<code>, a seller's
collection), else the page's `?ref=` counts as on the catalog's pages.

At checkout, the checkout view calls attribution_from_request(); the placed order's event hands
it to service.credit_order() (subscribers.py), whose pure rule decides who, if anyone, is credited.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, g, request, session
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..catalog.models import Product
from ..clock import utcnow
from ..extensions import db
from . import accounts, rules
from .service import DEFAULT_ATTRIBUTION_DAYS, Attribution

log = logging.getLogger(__name__)

REF_ENDPOINTS = frozenset({"catalog.product", "catalog.home"})
COOKIE_SALT = "seller-touches"
# endpoint -> a function of the page's view args giving its seller code (None: the page's `?ref=`).
# Filled by packages above sellers (showcase) at import: sellers may not import them.
CodeResolver = Callable[[dict], str | None]
_SOURCES: dict[str, CodeResolver] = {}


def referral_source(endpoint: str, resolver: CodeResolver) -> None:
    """Make `endpoint` a seller link: `resolver(view_args)` names its seller's code, or None to read `?ref=`."""
    _SOURCES[endpoint] = resolver


@dataclass(frozen=True)
class PageReferral:
    """This page was opened through an active seller's link."""

    seller_id: int
    code: str
    user_id: int
    product_id: int | None


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=COOKIE_SALT)


def _cookie_name() -> str:
    return current_app.config.get("SELLER_COOKIE_NAME", "ref")


def _window_days() -> int:
    return int(current_app.config.get("SELLER_ATTRIBUTION_DAYS", DEFAULT_ATTRIBUTION_DAYS))


def read_touches() -> list[rules.Touch]:
    """The seller touches in this browser's signed cookie; anything tampered with or malformed is ignored."""
    raw = request.cookies.get(_cookie_name())
    if not raw or len(raw) > 1000:
        return []
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return []
    touches = []
    for item in data if isinstance(data, list) else []:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], int)):
            continue
        code = rules.normalise_code(item[0] if isinstance(item[0], str) else None)
        if code and 0 < item[1] < 2**33:
            touches.append(rules.Touch(code, datetime.fromtimestamp(item[1], UTC).replace(tzinfo=None)))
    return touches[: rules.MAX_TOUCHES]


def attribution_from_request() -> Attribution:
    """What the order code hands to service.credit_order(): this shopper's touches and the window."""
    return Attribution(tuple(read_touches()), _window_days())


def note_referral() -> None:
    """Before a shop page: remember an active seller's `?ref=` for the page (share links) and the after hook."""
    g.page_referral = None
    code = _page_code()
    if code is None:
        return
    if rules.is_link_preview(request.headers.get("User-Agent")):
        return  # previews get the page and its Open Graph tags, never a click or a cookie
    seller = accounts.seller_by_code(db.session, code)
    if seller is None or not seller.active or not seller.user.active:
        return
    product_id = None
    if request.endpoint == "catalog.product":
        slug = (request.view_args or {}).get("slug", "")
        product_id = db.session.scalar(select(Product.id).where(Product.slug == slug[:120]))
    g.page_referral = PageReferral(seller.id, seller.code, seller.user_id, product_id)


def _page_code() -> str | None:
    """The seller code this page was opened with: its own seller (a registered source), else `?ref=`."""
    endpoint = request.endpoint
    if endpoint in _SOURCES:
        try:
            own = _SOURCES[endpoint](dict(request.view_args or {}))
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("could not read the seller of %s", endpoint)
            return None
        if own is not None:
            return own
    elif endpoint not in REF_ENDPOINTS:
        return None
    return request.args.get("ref")


def record_referral(response):
    """After a shop page opened through a seller link: count the click and set the attribution cookie."""
    referral: PageReferral | None = g.get("page_referral")
    if referral is None or request.method != "GET" or response.status_code != 200:
        return response
    if _signed_in_user_id() == referral.user_id:
        return response  # a seller checking their own link is not a shopper
    now = utcnow()
    touches = read_touches()
    if not rules.is_new_click(touches, referral.code, now):
        if _leads(touches, referral.code):
            # The same visit, and this seller already has the last touch: the cookie would say the
            # same (its time moves by minutes at most). Not re-set, the page stays public, so the
            # service worker may keep it for offline (a seller's page is a seller link every time).
            return response
    else:
        _record_click(referral, now)
    value = [[t.code, int(t.at.replace(tzinfo=UTC).timestamp())] for t in rules.add_touch(touches, referral.code, now)]
    response.set_cookie(
        _cookie_name(),
        _serializer().dumps(value),
        max_age=_window_days() * 86400,
        httponly=True,
        samesite="Lax",
        path="/",
    )
    return response


def _leads(touches: list[rules.Touch], code: str) -> bool:
    """True when `code` has the shopper's most recent touch (last touch wins)."""
    return bool(touches) and max(touches, key=lambda t: t.at).code == code


def _record_click(referral: PageReferral, now: datetime) -> None:
    """Store the click in its own short transaction; a failure never breaks the shopper's page."""
    try:
        # End the page's read transaction first: the click's transaction then starts with its
        # INSERT, so SQLite takes the write lock (waiting if busy) instead of failing on a stale read.
        db.session.rollback()
        accounts.record_click(db.session, referral.seller_id, referral.product_id, now)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not record a click for seller %s", referral.seller_id)


def _signed_in_user_id() -> int | None:
    """The signed-in account's id, without touching `current_user` for anonymous shoppers.

    Loading the user for an anonymous visitor makes Flask-Login write `_fresh` into the session:
    a Set-Cookie, and so a private (uncacheable) shop page, for nothing.
    """
    if "_user_id" not in session or not current_user.is_authenticated:
        return None
    return current_user.id


def share_code() -> str | None:
    """The ref code a share from this page carries: the signed-in seller's own, else the page's seller link."""
    if _signed_in_user_id() is not None and getattr(current_user, "role", "") == "seller":
        if "own_seller_code" not in g:
            seller = accounts.seller_for_user(db.session, current_user.id)
            g.own_seller_code = seller.code if seller is not None and seller.active else None
        if g.own_seller_code:
            return g.own_seller_code
    referral: PageReferral | None = g.get("page_referral")
    return referral.code if referral is not None else None
