"""Review use cases: submit (once per line), moderate, and read ratings and reviews for shopper pages.

Functions take the session (and `now` where they write), flush and never commit: the view commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..catalog.generation import mark_changed
from ..catalog.images import ImageRejected, StoredImage, delete_image, store_upload
from ..catalog.models import Product, Variant
from ..domain import N_, Conflict, Invalid, NotFound
from ..orders.models import Order, OrderLine
from ..payments.models import Payment
from . import rules
from .models import Review, ReviewPhoto
from .rules import Rating, ReviewStatus

IDS_PER_QUERY = 500  # well under SQLite's bound-parameter limit

__all__ = ["Rating", "product_rating", "published_reviews", "ratings_for"]


@dataclass(frozen=True)
class Submission:
    """A shopper's review as sent: the stars, the text and each photo's bytes."""

    rating: int
    body: str
    photos: list[bytes]
    locale: str = ""


@dataclass(frozen=True)
class PhotoLimits:
    """Where photos are stored and the upload limits (the product photos' settings)."""

    media_root: Path
    max_bytes: int
    max_pixels: int


@dataclass(frozen=True)
class PublishedReview:
    """A published review as the product page and structured data show it."""

    id: int
    author_name: str
    rating: int
    body: str
    published_at: datetime
    reply: str
    replied_at: datetime | None
    photos: list[ReviewPhoto]


class PhotoRefused(Invalid):
    """One photo failed the upload checks (422); `reason` is the image check's English message."""

    def __init__(self, number: int, reason: str) -> None:
        super().__init__(N_("Photo %(number)s: %(reason)s"), number=number, reason=reason)
        self.number, self.reason = number, reason


def order_line(order: Order, line_id: int) -> OrderLine:
    """The order's own line `line_id`, or NotFound (another order's line is not this token's)."""
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        raise NotFound(N_("We could not find that item in this order."))
    return line


def line_facts(session: Session, order: Order, line: OrderLine) -> rules.LineFacts:
    """What eligibility needs: the order's status, the line's refunded units and the card payment."""
    return _facts(order, line, _payment(session, order))


def _payment(session: Session, order: Order) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.order_id == order.id))


def _facts(order: Order, line: OrderLine, payment: Payment | None) -> rules.LineFacts:
    replacement = rules.is_replacement(order.checkout_key, line.unit_price)
    if payment is None:
        return rules.LineFacts(order.status, line.quantity, line.refunded_quantity, replacement=replacement)
    return rules.LineFacts(
        order.status, line.quantity, line.refunded_quantity, payment.amount, payment.amount_refunded, replacement
    )


def review_of_line(session: Session, line_id: int) -> Review | None:
    """The line's review, if it has one."""
    return session.scalar(select(Review).where(Review.order_line_id == line_id))


def order_reviews(session: Session, order: Order) -> dict[int, str]:
    """Per line id: its review's status, or "eligible" when it may be reviewed (lines in neither are left out)."""
    # A review is only ever written for a received order (rules.refusal), and an order is received
    # through its status history: one that never was has none, and needs no read (most order pages).
    if order.status not in rules.REVIEWABLE and not any(c.to_status in rules.REVIEWABLE for c in order.history):
        return {}
    existing = dict(
        session.execute(select(Review.order_line_id, Review.status).where(Review.order_id == order.id)).all()
    )
    if order.status not in rules.REVIEWABLE and not existing:
        return {}
    shown: dict[int, str] = {}
    payment = _payment(session, order)
    for line in order.lines:
        if line.id in existing:
            shown[line.id] = existing[line.id]
        elif rules.refusal(_facts(order, line, payment)) is None:
            shown[line.id] = "eligible"
    return shown


def _product_id(session: Session, line: OrderLine) -> int:
    """The reviewed product: through the line's variant, else by the slug it was bought under."""
    if line.variant_id is not None:
        found = session.scalar(select(Variant.product_id).where(Variant.id == line.variant_id))
        if found is not None:
            return found
    found = session.scalar(select(Product.id).where(Product.slug == line.product_slug))
    if found is None:
        raise Conflict(N_("This product is no longer in the shop, so it cannot be reviewed."))
    return found


def submit_review(
    session: Session, order: Order, line: OrderLine, sent: Submission, limits: PhotoLimits, now: datetime
) -> Review:
    """Store a pending review of the line; Conflict when it cannot be reviewed or already was.

    Photos are checked and stored before the row; any refusal removes those already written.
    Two submissions at once race on the UNIQUE line id: the loser's insert fails and it gets
    the same "already reviewed" Conflict (its photos removed).
    """
    rules.check_eligible(line_facts(session, order, line))
    if review_of_line(session, line.id) is not None:
        raise Conflict(rules.ALREADY_REVIEWED)
    rules.check_photo_count(len(sent.photos))
    product_id = _product_id(session, line)
    stored = _store_photos(sent.photos, limits)
    review = Review(
        order_line_id=line.id,
        order_id=order.id,
        product_id=product_id,
        rating=sent.rating,
        body=sent.body,
        author_name=rules.author_name(order.customer_name),
        locale=sent.locale[:16],
        status=ReviewStatus.PENDING,
        photo_count=len(stored),
        created_at=now,
        updated_at=now,
        photos=[_photo_row(image, i) for i, image in enumerate(stored)],
    )
    try:
        with session.begin_nested():  # the loser of a race rolls back to here, not the whole request
            session.add(review)
            session.flush()
    except IntegrityError:
        forget_photos([image.key for image in stored], limits.media_root)
        raise Conflict(rules.ALREADY_REVIEWED) from None
    except Exception:
        forget_photos([image.key for image in stored], limits.media_root)
        raise
    return review


def _store_photos(photos: list[bytes], limits: PhotoLimits) -> list[StoredImage]:
    """Check and store every photo (store_upload, as product photos); all or none (Invalid names the file)."""
    stored: list[StoredImage] = []
    for number, data in enumerate(photos, start=1):
        try:
            stored.append(
                store_upload(data, limits.media_root, max_bytes=limits.max_bytes, max_pixels=limits.max_pixels)
            )
        except ImageRejected as err:
            forget_photos([image.key for image in stored], limits.media_root)
            raise PhotoRefused(number, err.message) from None
    return stored


def _photo_row(image: StoredImage, position: int) -> ReviewPhoto:
    return ReviewPhoto(
        key=image.key,
        width=image.width,
        height=image.height,
        widths=",".join(str(w) for w in image.widths),
        position=position,
    )


def forget_photos(keys: Iterable[str], media_root: Path) -> None:
    """Remove stored renditions (a refused or rolled-back review leaves no files behind)."""
    for key in keys:
        delete_image(key, media_root)


# -- moderation -----------------------------------------------------------------------------------


def review_by_id(session: Session, review_id: int) -> Review:
    """A review, or NotFound."""
    review = session.get(Review, review_id)
    if review is None:
        raise NotFound(N_("We could not find that review."))
    return review


def moderation_queue(session: Session, status: str | None, page: int, per_page: int = 20) -> tuple[list[Review], int]:
    """Reviews for the owner: pending first, then newest; filtered by status. Returns (page's rows, total)."""
    where = [Review.status == status] if status in set(ReviewStatus) else []
    total = session.scalar(select(func.count(Review.id)).where(*where)) or 0
    pending_first = case((Review.status == ReviewStatus.PENDING, 0), else_=1)
    stmt = (
        select(Review)
        .where(*where)
        .options(
            selectinload(Review.photos),
            selectinload(Review.product),
            selectinload(Review.line).selectinload(OrderLine.order),
        )
        .order_by(pending_first, Review.created_at.desc(), Review.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(session.scalars(stmt)), total


def status_counts(session: Session) -> dict[str, int]:
    """How many reviews in each status (the queue's filter labels)."""
    found = dict(session.execute(select(Review.status, func.count(Review.id)).group_by(Review.status)).all())
    return {status.value: int(found.get(status.value, 0)) for status in ReviewStatus}


def queue_refusals(session: Session, items: Iterable[Review]) -> dict[int, rules.Refusal]:
    """Per review id on a queue page: why its line can no longer be reviewed (eligible ones are left out)."""
    items = list(items)
    order_ids = {review.order_id for review in items}
    payments = {p.order_id: p for p in session.scalars(select(Payment).where(Payment.order_id.in_(order_ids)))}
    found = {
        review.id: rules.refusal(_facts(review.line.order, review.line, payments.get(review.order_id)))
        for review in items
    }
    return {review_id: reason for review_id, reason in found.items() if reason is not None}


def publish(session: Session, review: Review, now: datetime) -> None:
    """Show the review on its product page (product pages re-render: the catalog generation moves).

    Eligibility is checked again: a line refunded or cancelled since the review was sent cannot count.
    """
    if not rules.can_publish(review.status):
        raise Conflict(N_("This review is already published."))
    rules.check_eligible(line_facts(session, review.line.order, review.line))
    review.status, review.published_at, review.updated_at = ReviewStatus.PUBLISHED, now, now
    mark_changed(session)
    session.flush()


def hide(session: Session, review: Review, now: datetime) -> None:
    """Take the review off its product page (it stays in the queue, and can be published again)."""
    if not rules.can_hide(review.status):
        raise Conflict(N_("This review is already hidden."))
    review.status, review.updated_at = ReviewStatus.HIDDEN, now
    mark_changed(session)
    session.flush()


def reply(session: Session, review: Review, text: str | None, now: datetime) -> None:
    """Set (or, when empty, remove) the owner's public reply."""
    review.reply = rules.clean_text(text, rules.MAX_REPLY_CHARS)
    review.replied_at = now if review.reply else None
    review.updated_at = now
    mark_changed(session)
    session.flush()


# -- what shoppers see ----------------------------------------------------------------------------


def _still_owned(stmt):
    """Keep only reviews whose line the shopper still owns: a refund or cancellation after the review
    takes it off the page and out of the rating (no review can be bought), the same test as `rules.refusal`.
    """
    return (
        stmt.join(OrderLine, OrderLine.id == Review.order_line_id)
        .join(Order, Order.id == Review.order_id)
        .outerjoin(Payment, Payment.order_id == Review.order_id)
        .where(
            Review.status == ReviewStatus.PUBLISHED,
            Order.status.in_(sorted(rules.REVIEWABLE)),
            ~Order.checkout_key.startswith(rules.REPLACEMENT_KEY_PREFIX, autoescape=True),
            OrderLine.unit_price > 0,
            OrderLine.refunded_quantity < OrderLine.quantity,
            or_(Payment.id.is_(None), Payment.amount_refunded < Payment.amount),
        )
    )


def _published(*where):
    return _still_owned(select(Review.product_id, Review.rating, func.count(Review.id))).where(*where)


def ratings_for(session: Session, product_ids: Iterable[int]) -> dict[int, Rating]:
    """The published rating of each of these products that has one, in ONE query (cards, feeds)."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    counts: dict[int, list[tuple[int, int]]] = {}
    for start in range(0, len(ids), IDS_PER_QUERY):  # one query for a page of cards; chunks for a report
        chunk = ids[start : start + IDS_PER_QUERY]
        rows = session.execute(_published(Review.product_id.in_(chunk)).group_by(Review.product_id, Review.rating))
        for product_id, stars, n in rows:
            counts.setdefault(product_id, []).append((stars, n))
    found = {product_id: rules.rating_from(pairs) for product_id, pairs in counts.items()}
    return {product_id: rating for product_id, rating in found.items() if rating is not None}


def product_rating(session: Session, product_id: int) -> Rating | None:
    """The product's published rating (average to 1 decimal, count, distribution), or None without reviews."""
    return ratings_for(session, [product_id]).get(product_id)


def published_reviews(
    session: Session, product_id: int, *, photos_first: bool = False, page: int = 1, per_page: int = rules.PER_PAGE
) -> list[PublishedReview]:
    """One page of the product's published reviews, newest first (those with photos first, if asked)."""
    order = [Review.published_at.desc(), Review.id.desc()]
    if photos_first:
        order.insert(0, case((Review.photo_count > 0, 0), else_=1))
    stmt = (
        _still_owned(select(Review))
        .where(Review.product_id == product_id)
        .options(selectinload(Review.photos))
        .order_by(*order)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    )
    return [
        PublishedReview(r.id, r.author_name, r.rating, r.body, r.published_at, r.reply, r.replied_at, list(r.photos))
        for r in session.scalars(stmt)
    ]
