"""Use-cases of a product's video: attach (or replace), pick its poster, remove; and its files' fate.

The functions flush and never commit. Files follow the transaction, whoever ends it: a video
row deleted (removed, replaced, or gone with its product) has its file deleted after the
commit, never before, so a rolled-back change never loses a playing video; a file stored for a
row that is rolled back is deleted at the rollback, so a failed save leaves no orphan file.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..domain import N_, Invalid, NotFound
from .generation import mark_changed
from .models import Product, ProductVideo
from .video import VIDEO_NAME, store_video

_DOOMED = "video_files_doomed"  # Session.info: files whose rows this transaction deleted
_FRESH = "video_files_fresh"  # Session.info: files stored for rows this transaction added


class PosterNotFound(Invalid):
    """The chosen poster is not one of this product's photos."""


def attach_video(
    session: Session,
    product: Product,
    upload: BinaryIO,
    media_root: Path,
    *,
    max_bytes: int,
    poster_photo_id: int | None,
) -> ProductVideo:
    """Check and store an upload as the product's video, replacing the one it had.

    VideoRejected (nothing written) for a bad file, PosterNotFound for a foreign poster.
    """
    poster_id = _own_photo_id(product, poster_photo_id)
    stored = store_video(upload, media_root, max_bytes=max_bytes)
    session.info.setdefault(_FRESH, set()).add(stored.file_name)
    if product.video is not None:
        product.video = None
        session.flush()  # the old row goes first: product_id is unique
    video = ProductVideo(key=stored.key, content_type=stored.content_type, size=stored.size)
    video.poster_photo_id = poster_id
    product.video = video
    mark_changed(session)
    session.flush()
    return video


def choose_poster(session: Session, product: Product, photo_id: int | None) -> ProductVideo:
    """Show another of the product's photos (None: the first) before its video plays."""
    video = product.video
    if video is None:
        raise NotFound(N_("This product has no video."))
    video.poster_photo_id = _own_photo_id(product, photo_id)
    mark_changed(session)
    session.flush()
    return video


def remove_video(session: Session, product: Product) -> bool:
    """Remove the product's video (its file goes after the commit); False if it had none."""
    if product.video is None:
        return False
    product.video = None
    mark_changed(session)
    session.flush()
    return True


def _own_photo_id(product: Product, photo_id: int | None) -> int | None:
    """``photo_id`` if it is one of the product's photos (0 or None: the first), else PosterNotFound."""
    if not photo_id:
        return None
    if photo_id not in {photo.id for photo in product.photos}:
        raise PosterNotFound(N_("Please choose one of this product's photos."))
    return photo_id


# --- the files follow the transaction ------------------------------------------------------------


@event.listens_for(Session, "persistent_to_deleted")
def _row_deleted(session: Session, instance: object) -> None:
    """A video row was deleted in a flush (removed, replaced, orphaned or cascaded from its product)."""
    if isinstance(instance, ProductVideo):
        session.info.setdefault(_DOOMED, set()).add(instance.file_name)


@event.listens_for(Session, "after_commit")
def _delete_doomed_files(session: Session) -> None:
    """Committed: the deleted rows' files go; the new rows' files stay."""
    session.info.pop(_FRESH, None)
    _delete_files(session.info.pop(_DOOMED, set()))


@event.listens_for(Session, "after_rollback")
def _delete_fresh_files(session: Session) -> None:
    """Rolled back: the files stored for rows that never existed go; the "deleted" rows are back."""
    session.info.pop(_DOOMED, None)
    _delete_files(session.info.pop(_FRESH, set()))


def _delete_files(names: set[str]) -> None:
    """Delete video files by name from the media folder; files already gone are ignored."""
    if not names or not has_app_context():
        return
    root = Path(current_app.config["MEDIA_ROOT"])
    for name in names:
        if VIDEO_NAME.match(name):  # only a video's own name, never a path
            (root / name).unlink(missing_ok=True)
