"""Shopper review pages (the form at /o/<token>/review/<line>) and the template globals other pages use.

The order token is the credential, as for the order page itself. The globals let the order page,
the product page and product cards show reviews without their packages importing this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel.numbers import format_decimal
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import IntegrityError

from ..catalog.models import Product
from ..clock import utcnow
from ..core.locales import native_digits
from ..core.pagecache import dont_store
from ..core.ratelimit import too_many_answered
from ..core.security import private_blueprint
from ..core.uploads import raise_body_cap_for_photos
from ..domain import Conflict, DomainError
from ..extensions import db, limiter, rate_limits_off
from ..orders import service as orders
from ..orders.models import Order, OrderLine
from . import rules, service

bp = Blueprint("reviews", __name__)
private_blueprint(bp, secret_urls=True)
raise_body_cap_for_photos(bp, "reviews.submit", rules.MAX_PHOTOS, orders.TOKEN_RE)

# Per client address: a family reviewing a big order fits, a script filling the queue does not.
REVIEW_RATE_LIMIT = "20 per hour;60 per day"


def _review_rate_limit() -> str:
    """The limit in force (setting REVIEW_RATE_LIMIT, else REVIEW_RATE_LIMIT above)."""
    return current_app.config.get("REVIEW_RATE_LIMIT") or REVIEW_RATE_LIMIT


_too_many_answered = too_many_answered(_l("Many reviews were sent from this address. Please try again later."))


def _line(token: str, line_id: int) -> tuple[Order, OrderLine]:
    """The order (by its token) and its line, or NotFound (404) for a wrong token or another order's line."""
    order = orders.find_order(db.session, token)
    return order, service.order_line(order, line_id)


def _form_page(order: Order, line: OrderLine, *, error: str | None = None, sent: dict | None = None, status: int = 200):
    """The review form (re-shown with the shopper's values and the message after a refusal)."""
    review = service.review_of_line(db.session, line.id)
    refusal = None if review else rules.refusal(service.line_facts(db.session, order, line))
    html = render_template(
        "reviews/form.html",
        order=order,
        line=line,
        review=review,
        refusal=_(rules.REFUSAL_MESSAGES[refusal]) if refusal else None,
        error=error,
        sent=sent or {},
        max_body=rules.MAX_BODY_CHARS,
        max_photos=rules.MAX_PHOTOS,
    )
    return current_app.make_response((html, status))


@bp.get("/o/<token>/review/<int:line_id>")
def form(token: str, line_id: int):
    """The review form for one bought line (or why it cannot be reviewed, or the review already sent)."""
    return _form_page(*_line(token, line_id))


@bp.post("/o/<token>/review/<int:line_id>")
@_too_many_answered
@limiter.limit(_review_rate_limit, key_func=get_remote_address, exempt_when=rate_limits_off)
def submit(token: str, line_id: int):
    """Store the review (pending until the owner publishes it); refusals re-show the form, nothing stored."""
    order, line = _line(token, line_id)
    sent = {"rating": request.form.get("rating", "")[:2], "body": request.form.get("body", "")[:10_000]}
    uploads = [f for f in request.files.getlist("photos") if f and f.filename]
    cfg = current_app.config
    try:
        rating, body = rules.parse_rating(sent["rating"]), rules.clean_text(sent["body"], rules.MAX_BODY_CHARS)
        rules.check_photo_count(len(uploads))
        photos = [f.stream.read(cfg["MAX_PHOTO_BYTES"] + 1) for f in uploads]
        submission = service.Submission(rating, body, photos, str(get_locale()))
        limits = service.PhotoLimits(Path(cfg["MEDIA_ROOT"]), cfg["MAX_PHOTO_BYTES"], cfg["MAX_PHOTO_PIXELS"])
        review = service.submit_review(db.session, order, line, submission, limits, utcnow())
        keys = [photo.key for photo in review.photos]
        _commit_or_forget(keys, limits.media_root)
    except DomainError as err:
        db.session.rollback()
        order, line = _line(token, line_id)
        return _form_page(order, line, error=_message(err), sent=sent, status=err.status_code)
    flash(_("Thank you for your review! It will appear once the shop has read it."), "success")
    return redirect(url_for("checkout.view", token=token) + "#reviews", code=303)


def _message(err: DomainError) -> str:
    """The refusal in the shopper's language (a photo's reason comes untranslated from the image checks)."""
    if isinstance(err, service.PhotoRefused):
        return _("Photo %(number)s: %(reason)s", number=err.number, reason=_(err.reason))
    return err.message


def _commit_or_forget(keys: list[str], media: Path) -> None:
    """Commit the review; if that fails (the race lost at commit), remove its photos and say so."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        service.forget_photos(keys, media)
        raise Conflict(rules.ALREADY_REVIEWED) from None
    except Exception:
        db.session.rollback()
        service.forget_photos(keys, media)
        raise


# -- template globals ---------------------------------------------------------------------------


@bp.app_template_global()
def order_reviews(order: Order) -> dict[int, str]:
    """The order page: per line, "eligible" or its review's status (lines in neither are left out)."""
    return service.order_reviews(db.session, order)


@dataclass(frozen=True)
class ProductReviews:
    """The product page's reviews section: the rating, one page of reviews and how it is sorted."""

    rating: rules.Rating | None
    reviews: list[service.PublishedReview]
    page: int
    pages: int
    photos_first: bool


@bp.app_template_global()
def product_reviews(product_id: int, photos_first: bool = False, page: int = 1) -> ProductReviews:
    """The product page's reviews (a page past the end shows the last one and is not cached).

    Read once per request: the page's structured data and its reviews section share them.
    """
    read = g.setdefault("product_reviews", {})
    key = (product_id, bool(photos_first), page)
    if key not in read:
        read[key] = _product_reviews(product_id, bool(photos_first), page)
    return read[key]


def _product_reviews(product_id: int, photos_first: bool, page: int) -> ProductReviews:
    rating = service.product_rating(db.session, product_id)
    pages = rules.page_count(rating.count if rating else 0)
    if page > pages:
        dont_store()  # a flood of page numbers must not fill the page cache
        page = pages
    reviews = service.published_reviews(db.session, product_id, photos_first=photos_first, page=page) if rating else []
    return ProductReviews(rating, reviews, page, pages, photos_first)


@bp.app_template_global()
def product_ratings(products: list[Product]) -> dict[int, rules.Rating]:
    """The ratings of a page of product cards, in one query."""
    return service.ratings_for(db.session, [p.id for p in products])


@bp.app_template_filter()
def rating_number(value) -> str:
    """An average rating with its one decimal kept ("4.0", "৪.৫"), by Babel in the shopper's digits."""
    locale = str(get_locale() or "en")
    return native_digits(format_decimal(value, format="0.0", locale=locale, numbering_system="default"), locale)
