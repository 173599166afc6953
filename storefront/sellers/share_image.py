"""The 1200x630 share image chat apps show in a link preview: product photo, name and price.

Files are cached under MEDIA_ROOT/share/ as `<product id>-<version>.jpg`. The version hashes
everything drawn (title, price text, photo key, shop name, this design's number), so a change
of any of them gives a new file name and URL: the URL can be cached for a year, and the old
file is removed once the new one is written. JPEG, because chat apps skip previews over a few
hundred kilobytes and a PNG of a photo is several times larger.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFont, ImageOps

WIDTH, HEIGHT = 1200, 630
DESIGN = "1"  # bump when the drawing below changes, so every cached image is redrawn
SUBDIR = "share"
NAME_RE = re.compile(r"^(\d{1,12})-([0-9a-f]{16})\.jpg$")
# DejaVu (Debian's fonts-dejavu-core) draws accents and currency signs; Pillow's own font is the fallback.
FONT_FILES = {True: "DejaVuSans-Bold.ttf", False: "DejaVuSans.ttf"}
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts")


def image_version(title: str, price_text: str, photo_key: str | None, shop_name: str) -> str:
    """A short hash of everything the image shows."""
    raw = "\x1f".join((DESIGN, title, price_text, photo_key or "", shop_name))
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:16]


def image_path(media_root: Path, product_id: int, version: str) -> Path:
    """Where the image of this product version lives."""
    return Path(media_root) / SUBDIR / f"{int(product_id)}-{version}.jpg"


def ensure_image(
    media_root: Path,
    product_id: int,
    version: str,
    *,
    title: str,
    price_text: str,
    shop_name: str,
    photo_file: Path | None,
    accent: str = "#1f4e5f",
) -> Path:
    """The cached image for this version, drawn (and older versions removed) when missing."""
    target = image_path(media_root, product_id, version)
    if target.exists():
        return target
    return store(target, render(title, price_text, shop_name, photo_file, accent), f"{int(product_id)}-*.jpg", NAME_RE)


def store(target: Path, payload: bytes, older: str, name_re: re.Pattern) -> Path:
    """Write a drawn image atomically, then remove the older versions (`older` glob, names `name_re` knows)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    try:
        with open(temp, "xb") as handle:
            handle.write(payload)
        os.replace(temp, target)  # atomic: concurrent requests never see half a file
    finally:
        temp.unlink(missing_ok=True)
    for old in target.parent.glob(older):
        if old != target and name_re.match(old.name):
            old.unlink(missing_ok=True)
    return target


def render(title: str, price_text: str, shop_name: str, photo_file: Path | None, accent: str = "#1f4e5f") -> bytes:
    """Draw the image: the photo as a square on the left, name, price and shop on the right."""
    canvas = Image.new("RGB", (WIDTH, HEIGHT), "#ffffff")
    _paste_photo(canvas, photo_file, accent)
    draw = ImageDraw.Draw(canvas)
    left, right = HEIGHT + 48, WIDTH - 48
    colour = _colour(accent)
    shop_font, title_font, price_font = _font(30, False), _font(52, True), _font(64, True)
    draw.text(
        (left, 56), _fit(_drawable(shop_name, shop_font), shop_font, right - left), font=shop_font, fill="#5b6b70"
    )
    y = 130
    for line in _wrap(_drawable(title, title_font), title_font, right - left, max_lines=4):
        draw.text((left, y), line, font=title_font, fill="#1a2a30")
        y += 66
    price = _fit(_drawable(price_text, price_font), price_font, right - left)
    draw.text((left, max(y + 24, HEIGHT - 150)), price, font=price_font, fill=colour)
    draw.rectangle((HEIGHT, HEIGHT - 14, WIDTH, HEIGHT), fill=colour)
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue()


def _paste_photo(canvas: Image.Image, photo_file: Path | None, accent: str) -> None:
    """The product photo cropped to a 630x630 square, or a soft accent block without a photo."""
    square = (HEIGHT, HEIGHT)
    photo = None
    if photo_file is not None:
        try:
            with Image.open(photo_file) as source:
                photo = ImageOps.fit(source.convert("RGB"), square, Image.Resampling.LANCZOS)
        except (OSError, ValueError):
            photo = None  # a missing or damaged rendition must not cost the shop its preview
    if photo is None:
        r, g, b = _colour(accent)
        photo = Image.new("RGB", square, (int(r + (255 - r) * 0.8), int(g + (255 - g) * 0.8), int(b + (255 - b) * 0.8)))
    canvas.paste(photo, (0, 0))


def _colour(value: str) -> tuple[int, int, int]:
    """An RGB colour from the theme setting; a dark teal when it cannot be read."""
    try:
        return ImageColor.getrgb(value)[:3]
    except ValueError:
        return (31, 78, 95)


def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans at `size` when installed, else Pillow's built-in font."""
    for folder in FONT_DIRS:
        path = Path(folder) / FONT_FILES[bold]
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _drawable(text: str, font) -> str:
    """The text with characters the font cannot draw removed (no tofu boxes in a preview)."""
    text = " ".join((text or "").split())
    if isinstance(font, ImageFont.FreeTypeFont) and "DejaVu" in (font.getname()[0] or ""):
        return "".join(ch for ch in text if ch.isprintable())
    return "".join(ch for ch in text if ch.isascii() and ch.isprintable())


def _fit(text: str, font, limit: float) -> str:
    """The text, cut with an ellipsis when wider than `limit` pixels."""
    if font.getlength(text) <= limit:
        return text
    while text and font.getlength(text.rstrip() + "…") > limit:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(text: str, font, limit: float, max_lines: int) -> list[str]:
    """Break the text into lines no wider than `limit`; the last line is cut with an ellipsis."""
    lines: list[str] = []
    current = ""
    words = text.split(" ")
    for index, word in enumerate(words):
        candidate = f"{current} {word}".strip()
        if font.getlength(candidate) <= limit or not current:
            current = candidate
            continue
        lines.append(current)
        current = word
        if len(lines) == max_lines - 1:
            current = " ".join(words[index:])
            break
    if current:
        lines.append(_fit(current, font, limit))
    return [_fit(line, font, limit) for line in lines[:max_lines]]
