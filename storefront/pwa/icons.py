"""Home-screen icons and an install screenshot, generated with Pillow from the shop's logo or name."""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from ..hashing import file_digest

# (file name, size, purpose) — what the manifest and the iOS tags point at.
ICONS = (
    ("icon-192.png", 192, "any"),
    ("icon-512.png", 512, "any"),
    ("icon-maskable-512.png", 512, "maskable"),
    ("apple-touch-icon.png", 180, "apple"),
)
SCREENSHOT = ("screenshot-narrow.png", (540, 1200))


@dataclass(frozen=True)
class Branding:
    """What the generated images depend on: a change to any of these makes new files."""

    name: str
    theme_color: str
    background_color: str
    logo: Path | None = None

    @property
    def fingerprint(self) -> str:
        """A short hash of the branding (and the logo's bytes), used in file URLs."""
        digest = hashlib.sha256(f"{self.name}|{self.theme_color}|{self.background_color}".encode())
        if self.logo:
            digest.update(file_digest(self.logo).encode())  # cached: this runs on every page
        return digest.hexdigest()[:10]


def initials(name: str) -> str:
    """One or two letters for a monogram: 'Green Leaf Tea' -> 'GL'."""
    words = [w for w in name.split() if w[:1].isalnum()]
    letters = "".join(w[0] for w in words[:2]).upper()
    return letters or (name.strip()[:1].upper() or "S")


def _font(size: int) -> ImageFont.ImageFont:
    """Pillow's built-in scalable font (no font files needed on the server)."""
    return ImageFont.load_default(size=size)


def render_icon(brand: Branding, size: int, purpose: str) -> Image.Image:
    """A square icon; maskable icons keep their mark inside the central 80% safe zone."""
    image = Image.new("RGB", (size, size), brand.theme_color)
    safe = 0.6 if purpose == "maskable" else 0.8
    if brand.logo and brand.logo.exists():
        with Image.open(brand.logo) as logo:
            mark = ImageOps.contain(logo.convert("RGBA"), (int(size * safe), int(size * safe)))
        image.paste(mark, ((size - mark.width) // 2, (size - mark.height) // 2), mark)
        return image
    draw = ImageDraw.Draw(image)
    text = initials(brand.name)
    font = _font(int(size * safe * (0.62 if len(text) == 1 else 0.48)))
    draw.text((size / 2, size / 2), text, fill=brand.background_color, font=font, anchor="mm")
    return image


def render_screenshot(brand: Branding, size: tuple[int, int]) -> Image.Image:
    """A narrow install screenshot: the shop's header and a grid of product cards."""
    width, height = size
    image = Image.new("RGB", size, brand.background_color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 110), fill=brand.theme_color)
    draw.text((28, 55), brand.name, fill="#ffffff", font=_font(38), anchor="lm")
    card, gap = (width - 3 * 24) // 2, 24
    for row in range(4):
        for col in range(2):
            x, y = gap + col * (card + gap), 140 + row * (card + 90)
            draw.rounded_rectangle((x, y, x + card, y + card), radius=18, fill="#d7e4e8")
            draw.rectangle((x, y + card + 16, x + card * 0.8, y + card + 34), fill="#9fb4bb")
            draw.rectangle((x, y + card + 44, x + card * 0.4, y + card + 62), fill=brand.theme_color)
    return image


def generate(brand: Branding, folder: Path) -> list[Path]:
    """Write every icon and the screenshot for this branding into `folder`; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, size, purpose in ICONS:
        written.append(_save(render_icon(brand, size, purpose), folder / name))
    name, size = SCREENSHOT
    written.append(_save(render_screenshot(brand, size), folder / name))
    fingerprint = folder / f".fingerprint-{os.getpid()}-{threading.get_ident()}"
    fingerprint.write_text(brand.fingerprint)
    fingerprint.replace(folder / "fingerprint")
    return written


_generating = threading.Lock()


def ensure(brand: Branding, folder: Path) -> None:
    """Generate the files unless they exist for this very branding already.

    Several requests (threads, or worker processes) may ask at once: each writes complete
    files under unique temporary names and renames them into place, so any reader sees a
    whole PNG, and the fingerprint is written last.
    """
    if _current(brand, folder):
        return
    with _generating:
        if not _current(brand, folder):
            generate(brand, folder)


def _current(brand: Branding, folder: Path) -> bool:
    """True when the files in `folder` were made for this branding."""
    marker = folder / "fingerprint"
    try:
        return marker.read_text() == brand.fingerprint
    except OSError:
        return False


def _save(image: Image.Image, path: Path) -> Path:
    """Save atomically (write a temp file, then rename) so a request never sees half a PNG."""
    temp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    image.save(temp, "PNG", optimize=True)
    temp.replace(path)
    return path
