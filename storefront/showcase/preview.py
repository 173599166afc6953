"""The 1200x630 chat-preview images of a seller's page and of a collection (Pillow, JPEG).

A seller's page: their photo in a circle, their name and the shop's, and up to four of their
products' photos. A collection: a collage of its first four products, its title and its maker.
Files are cached under MEDIA_ROOT/share/ as `s-<seller id>-<version>.jpg` and
`c-<collection id>-<version>.jpg`; the version hashes everything drawn (texts, photo keys, this
design's number), so a change gives a new file and URL (cached for a year by browsers and chat
apps), and the older file of the same page is removed once the new one is written. The drawing
helpers (fonts, wrapping, fitting) are the product share image's (sellers.share_image).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from ..sellers import share_image
from ..sellers.share_image import HEIGHT, SUBDIR, WIDTH

DESIGN = "1"  # bump when the drawing below changes, so every cached image is redrawn
KINDS = ("s", "c")  # a seller's page, a collection
MAX_PHOTOS = 4
NAME_RE = re.compile(r"^([sc])-(\d{1,12})-([0-9a-f]{16})\.jpg$")
BACKGROUND = "#ffffff"
INK, MUTED = "#1a2a30", "#5b6b70"


@dataclass(frozen=True)
class Drawing:
    """Everything one preview image shows; its version is a hash of all of it."""

    kind: str  # "s" a seller's page, "c" a collection
    owner_id: int  # the seller's or the collection's id (names the file)
    title: str  # the seller's name, or the collection's title
    subtitle: str  # the shop's name, or the collection's maker
    portrait: Path | None  # the seller's photo (seller pages only)
    photos: tuple[Path | None, ...]  # up to MAX_PHOTOS product photos, in the page's order
    accent: str = "#1f4e5f"

    @property
    def version(self) -> str:
        """A short hash of everything the image shows (file names stand for the photos' content)."""
        parts = (DESIGN, self.kind, self.title, self.subtitle, self.accent, _name(self.portrait))
        raw = "\x1f".join((*parts, *(_name(p) for p in self.photos)))
        return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:16]


def _name(path: Path | None) -> str:
    return path.name if path is not None else ""


def image_path(media_root: Path, drawing: Drawing) -> Path:
    """Where the image of this drawing's version lives."""
    return Path(media_root) / SUBDIR / f"{drawing.kind}-{int(drawing.owner_id)}-{drawing.version}.jpg"


def ensure_image(media_root: Path, drawing: Drawing) -> Path:
    """The cached image of this version, drawn (and older versions of the same page removed) when missing."""
    target = image_path(media_root, drawing)
    if target.exists():
        return target
    return share_image.store(target, render(drawing), f"{drawing.kind}-{int(drawing.owner_id)}-*.jpg", NAME_RE)


def render(drawing: Drawing) -> bytes:
    """Draw the image: a collage of the photos on the left, the texts on the right."""
    canvas = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    colour = share_image._colour(drawing.accent)  # noqa: SLF001 - the shop's one share-image style
    _collage(canvas, drawing.photos, colour)
    draw = ImageDraw.Draw(canvas)
    left, right, y = HEIGHT + 48, WIDTH - 48, 64
    if drawing.kind == "s":
        y = _portrait(canvas, drawing.portrait, (left, y), colour) + 28
    title_font, sub_font = share_image._font(52, True), share_image._font(32, False)  # noqa: SLF001
    width = right - left
    for line in share_image._wrap(_drawable(drawing.title, title_font), title_font, width, max_lines=3):  # noqa: SLF001
        draw.text((left, y), line, font=title_font, fill=INK)
        y += 64
    subtitle = share_image._fit(_drawable(drawing.subtitle, sub_font), sub_font, width)  # noqa: SLF001
    draw.text((left, max(y + 20, HEIGHT - 110)), subtitle, font=sub_font, fill=MUTED)
    draw.rectangle((HEIGHT, HEIGHT - 14, WIDTH, HEIGHT), fill=colour)
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue()


def _drawable(text: str, font) -> str:
    """The text without characters the font has no glyph for (a "৳" would be a tofu box in DejaVu)."""
    text = share_image._drawable(text, font)  # noqa: SLF001
    if not isinstance(font, ImageFont.FreeTypeFont):
        return text
    missing = _glyph(font, "\ue000")  # a private-use character: the font's "no glyph" box
    kept = "".join(ch for ch in text if ch.isascii() or _glyph(font, ch) != missing)
    return " ".join(kept.split())


@lru_cache(maxsize=4096)
def _glyph(font, ch: str) -> bytes:
    mask = font.getmask(ch)
    return repr(mask.size).encode() + bytes(mask)


def _open(path: Path | None, size: tuple[int, int]) -> Image.Image | None:
    """The photo cropped to `size`, or None when missing or damaged (the preview is drawn anyway)."""
    if path is None:
        return None
    try:
        with Image.open(path) as source:
            return ImageOps.fit(source.convert("RGB"), size, Image.Resampling.LANCZOS)
    except (OSError, ValueError):
        return None


def _tint(colour: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    r, g, b = colour
    return (int(r + (255 - r) * amount), int(g + (255 - g) * amount), int(b + (255 - b) * amount))


def _collage(canvas: Image.Image, photos: Sequence[Path | None], colour: tuple[int, int, int]) -> None:
    """Up to four photos in the left 630x630 square: one fills it, two split it, three or four make a grid."""
    count = max(1, min(len(photos), MAX_PHOTOS))
    half, gap = HEIGHT // 2, 4
    if count == 1:
        boxes = [(0, 0, HEIGHT, HEIGHT)]
    elif count == 2:
        boxes = [(0, 0, half - gap // 2, HEIGHT), (half + gap // 2, 0, HEIGHT, HEIGHT)]
    else:
        boxes = [(0, 0, half - 2, half - 2), (half + 2, 0, HEIGHT, half - 2), (0, half + 2, half - 2, HEIGHT)]
        boxes.append((half + 2, half + 2, HEIGHT, HEIGHT))
    paths = list(photos[:MAX_PHOTOS]) + [None] * (len(boxes) - min(len(photos), MAX_PHOTOS))
    for index, (x0, y0, x1, y1) in enumerate(boxes):
        size = (x1 - x0, y1 - y0)
        tile = _open(paths[index], size) or Image.new("RGB", size, _tint(colour, 0.8 if index % 2 == 0 else 0.7))
        canvas.paste(tile, (x0, y0))


def _portrait(canvas: Image.Image, path: Path | None, at: tuple[int, int], colour: tuple[int, int, int]) -> int:
    """The seller's photo in a 140 px circle at `at` (a tinted disc without one); returns its bottom y."""
    size = 140
    photo = _open(path, (size, size)) or Image.new("RGB", (size, size), _tint(colour, 0.6))
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, size - 1, size - 1), fill=255)
    canvas.paste(photo, at, mask)
    return at[1] + size
