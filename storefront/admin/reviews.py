"""Admin: the review moderation queue (pending first). Staff may read it; only the owner publishes, hides
and replies publicly (the shop's public voice is the owner's)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.guards import role_required
from ..catalog.rules import parse_page
from ..clock import utcnow
from ..domain import DomainError
from ..extensions import db
from ..reviews import service as reviews
from ..reviews.rules import MAX_REPLY_CHARS, REFUSAL_MESSAGES, ReviewStatus
from .views import bp

PER_PAGE = 20
STATUS_LABELS = {
    ReviewStatus.PENDING: _l("Waiting"),
    ReviewStatus.PUBLISHED: _l("Published"),
    ReviewStatus.HIDDEN: _l("Hidden"),
}


def _status_arg() -> str:
    """The status filter from the address ("" for every review; anything unknown is every review)."""
    status = request.args.get("status", "")
    return status if status in set(ReviewStatus) else ""


def _queue_page(error: str | None = None, error_review: int | None = None, reply_text: str = "", status: int = 200):
    """The queue, filtered and paged; a refused reply is shown at its review with the text kept."""
    chosen, page = _status_arg(), parse_page(request.args.get("page"))
    items, total = reviews.moderation_queue(db.session, chosen or None, page, PER_PAGE)
    html = render_template(
        "admin/reviews.html",
        items=items,
        chosen=chosen,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        counts=reviews.status_counts(db.session),
        labels={key.value: str(label) for key, label in STATUS_LABELS.items()},
        refusals={i: _(REFUSAL_MESSAGES[why]) for i, why in reviews.queue_refusals(db.session, items).items()},
        error=error,
        error_review=error_review,
        reply_text=reply_text,
        max_reply=MAX_REPLY_CHARS,
    )
    return html, status


@bp.get("/reviews")
def review_queue():
    """Reviews waiting for the owner first, then the newest; filter by status."""
    return _queue_page()


def _back():
    """Back to the queue as it was filtered (the status and page ride along in the form's action)."""
    args = {k: v for k in ("status", "page") if (v := request.args.get(k))}
    return redirect(url_for("admin.review_queue", **args) + "#queue", code=303)


def _moderate(review_id: int, action, done: str):
    """Run one moderation step in one commit; a refused step says why (409), nothing changed."""
    try:
        review = reviews.review_by_id(db.session, review_id)
        action(db.session, review, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _queue_page(error=err.message, error_review=review_id, status=err.status_code)
    flash(done, "success")
    return _back()


@bp.post("/reviews/<int:review_id>/publish")
@role_required("owner")
def review_publish(review_id: int):
    """Publish a review: it shows on the product page and counts in its rating."""
    return _moderate(review_id, reviews.publish, _("Review published."))


@bp.post("/reviews/<int:review_id>/hide")
@role_required("owner")
def review_hide(review_id: int):
    """Hide a review: off the product page and out of its rating."""
    return _moderate(review_id, reviews.hide, _("Review hidden."))


@bp.post("/reviews/<int:review_id>/reply")
@role_required("owner")
def review_reply(review_id: int):
    """Answer a review publicly (an empty answer removes the reply)."""
    text = request.form.get("reply", "")[: MAX_REPLY_CHARS * 4]
    try:
        review = reviews.review_by_id(db.session, review_id)
        reviews.reply(db.session, review, text, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _queue_page(error=err.message, error_review=review_id, reply_text=text, status=err.status_code)
    flash(_("Reply saved.") if text.strip() else _("Reply removed."), "success")
    return _back()
