"""QR codes of share links as SVG responses (product, shop and collection links)."""

from __future__ import annotations

import io

import segno
from flask import current_app

ONE_DAY = 86400


def svg_response(data: str, title: str):
    """A printable QR code as SVG (white background, quiet zone, scalable), cached for a day."""
    qr = segno.make(data, error="m", micro=False)
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=10, border=4, dark="#000000", light="#ffffff", xmldecl=False, title=title)
    response = current_app.response_class(out.getvalue(), mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = ONE_DAY
    return response
