"""Where the structured data's borrowed facts come from: ratings, reviews and the return window.

The builders (jsonld.py) take these values as plain parameters; this module reads them from the
features that own them (reviews: published ratings and reviews; after-sales: the owner's return
window).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..aftersales.service import window_days
from ..reviews.service import product_rating as published_rating
from ..reviews.service import published_reviews
from .jsonld import RatingLike, ReviewFacts

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

REVIEWS_SHOWN = 10  # the product page's first page of reviews: the ones the page shows


def product_rating(session: Session, product_id: int) -> RatingLike | None:
    """The average of the product's published reviews, or None (none yet)."""
    return published_rating(session, product_id)


def product_reviews(session: Session, product_id: int) -> tuple[ReviewFacts, ...]:
    """The published reviews the product page shows first, newest first."""
    return tuple(review_facts(r) for r in published_reviews(session, product_id, per_page=REVIEWS_SHOWN))


def review_facts(row: object) -> ReviewFacts:
    """A published review row (author name, rating, body, published_at) as the builders take it."""
    author = getattr(row, "author_name", None) or getattr(row, "author", "")
    return ReviewFacts(
        author=str(author),
        rating=int(getattr(row, "rating")),  # noqa: B009 - any row type with these attributes
        published=getattr(row, "published_at", None),
        body=str(getattr(row, "body", "") or ""),
    )


def return_window_days(session: Session) -> int:
    """Days a customer has to return an item (0: no returns): the owner's after-sales setting."""
    return window_days(session)
