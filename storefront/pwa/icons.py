"""Home-screen icons and an install screenshot, generated with Pillow from the shop's logo or name."""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps

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


# A bold face reads better on a small icon than Pillow's built-in one; any of these will do.
_BOLD_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
)
_SUPERSAMPLE = 4  # ImageDraw does not anti-alias: draw large, scale down


def _font(size: int, bold: bool = False) -> ImageFont.ImageFont:
    """A bold system font when asked and present, else Pillow's built-in scalable one (no files needed)."""
    if bold:
        for path in _BOLD_FONTS:
            if Path(path).exists():
                return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _backdrop(color: str, size: int) -> Image.Image:
    """The brand colour as a soft diagonal light: lighter top-left, deeper bottom-right (not a flat fill)."""
    base = _rgb(color)
    light = tuple(round(c + (255 - c) * 0.18) for c in base)
    deep = tuple(round(c * 0.78) for c in base)
    down = Image.linear_gradient("L")
    across = down.transpose(Image.Transpose.ROTATE_90).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    ramp = ImageChops.add(down, across, scale=2)
    ramp = ramp.resize((size, size))
    return Image.composite(Image.new("RGB", (size, size), deep), Image.new("RGB", (size, size), light), ramp)


def render_icon(brand: Branding, size: int, purpose: str) -> Image.Image:
    """A square icon: the logo on a light plate, or the initials, on the brand colour.

    Maskable icons keep their mark inside the central 80% circle (the platform crops the rest);
    "any" icons get rounded corners (transparent); the apple icon is opaque (iOS rounds it).
    """
    big = size * _SUPERSAMPLE
    image = _backdrop(brand.theme_color, big)
    safe = 0.56 if purpose == "maskable" else 0.72  # the mark's box: 0.56 fits in the 80% circle
    draw = ImageDraw.Draw(image)
    if brand.logo and brand.logo.exists():
        plate = int(big * safe)
        inset = (big - plate) // 2
        box = (inset, inset, inset + plate, inset + plate)
        draw.rounded_rectangle(box, radius=plate // 5, fill=brand.background_color)
        with Image.open(brand.logo) as logo:
            mark = ImageOps.contain(logo.convert("RGBA"), (int(plate * 0.8), int(plate * 0.8)))
        image.paste(mark, ((big - mark.width) // 2, (big - mark.height) // 2), mark)
    else:
        text = initials(brand.name)
        ring = int(big * safe / 2)
        centre = big // 2
        circle = (centre - ring, centre - ring, centre + ring, centre + ring)
        draw.ellipse(circle, outline="#ffffff", width=max(2, big // 64))
        font = _font(int(big * safe * (0.5 if len(text) == 1 else 0.38)), bold=True)
        draw.text((centre, centre), text, fill="#ffffff", font=font, anchor="mm")
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    if purpose != "any":
        return image
    mask = Image.new("L", (big, big), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, big - 1, big - 1), radius=int(big * 0.22), fill=255)
    rounded = image.convert("RGBA")
    rounded.putalpha(mask.resize((size, size), Image.Resampling.LANCZOS))
    return rounded


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
