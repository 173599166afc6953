"""Shopper photo forms: a per-route request body cap that fits every photo the form allows plus its fields.

The app-wide MAX_CONTENT_LENGTH (two photos) protects every route; a photo form that takes more
photos would otherwise answer a generic 413 and the shopper would lose everything typed.
"""

from __future__ import annotations

import re
from decimal import Decimal

from flask import Blueprint, current_app, request

from .numerals import number

# The form's other fields (stars, text, reason, quantities, CSRF) and the multipart framing.
FORM_FIELDS_BYTES = 64 * 1024


def photo_form_cap(max_photo_bytes: int, photos: int) -> int:
    """The body a form with `photos` photos of up to `max_photo_bytes` each (and its fields) may need."""
    return max_photo_bytes * photos + FORM_FIELDS_BYTES


def raise_body_cap_for_photos(bp: Blueprint, endpoint: str, photos: int, token_shape: re.Pattern[str]) -> None:
    """Let POSTs to `endpoint` carry `photos` full-size photos, once the URL's order token has the right shape.

    A URL preprocessor because it runs before every before_request hook, and the app-wide ones
    (the CSRF check, the NUL-byte check) read the body first. A malformed token keeps the app-wide
    limit, so a made-up address cannot make the shop read a large body. The form's template gets
    `max_photo_megabytes()` for its hint.
    """
    bp.add_app_template_global(max_photo_megabytes, "max_photo_megabytes")

    @bp.url_value_preprocessor
    def _photo_body_cap(found: str | None, values: dict | None) -> None:
        token = str((values or {}).get("token", ""))
        app_wide = current_app.config.get("MAX_CONTENT_LENGTH")
        if app_wide and found == endpoint and request.method == "POST" and token_shape.fullmatch(token):
            # Only ever raised: a shop with small photos keeps the app-wide room (one too-big photo
            # then gets the form's message, not a bare 413).
            request.max_content_length = max(app_wide, photo_form_cap(current_app.config["MAX_PHOTO_BYTES"], photos))


def max_photo_megabytes() -> str:
    """The per-photo size limit in MB ("8", "1.5"), in the shopper's digits, for the photo forms' hints."""
    size = (Decimal(current_app.config["MAX_PHOTO_BYTES"]) / 2**20).quantize(Decimal("0.1"))
    return number(size.to_integral_value() if size == size.to_integral_value() else size)
