"""Validated, re-encoded product photos: upload checks, responsive renditions (demo pictures: demo_pictures)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

# Re-exported: the demo pictures moved to their own module; older imports keep working.
from .demo_pictures import render_demo_photo as render_demo_photo

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
WIDTHS: tuple[int, ...] = (320, 640, 1024, 1600)

# Pillow reports multi-picture JPEGs (written by many phone cameras) as "MPO";
# they are ordinary JPEGs to a shopper, so they count as JPEG.
_FORMAT_ALIASES = {"MPO": "JPEG"}
_EXTENSIONS = ("webp", "jpg")
# Keys become file names: no dots, slashes or hyphens (the hyphen separates the width).
_KEY_RE = re.compile(r"[A-Za-z0-9_]{1,64}")
_SIXTEEN_BIT_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})
_BOMB_ERRORS = (Image.DecompressionBombError, Image.DecompressionBombWarning)
_SRGB = ImageCms.createProfile("sRGB")
# What a malformed EXIF block can make exif_transpose raise.
_EXIF_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    struct.error,
)

_NOT_AN_IMAGE = "The file is not an image (JPEG, PNG, WebP or GIF)."
_DAMAGED = "The image file is damaged."


class ImageRejected(ValueError):
    """An upload that cannot become a product photo; ``message`` is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class StoredImage:
    """A stored photo: its key, upright size and the rendition widths on disk."""

    key: str
    width: int
    height: int
    widths: tuple[int, ...]


def rendition_name(key: str, width: int, ext: str) -> str:
    """Return the file name of one rendition, e.g. ``<key>-640.webp``."""
    _check_key(key)
    if ext not in _EXTENSIONS:
        raise ValueError(f"Unknown rendition extension {ext!r}; use 'webp' or 'jpg'.")
    if isinstance(width, bool) or not isinstance(width, int) or width <= 0:
        raise ValueError(f"Rendition width must be a positive integer, not {width!r}.")
    return f"{key}-{width}.{ext}"


def store_upload(
    data: bytes,
    media_root: Path,
    *,
    max_bytes: int = 8 * 1024 * 1024,
    max_pixels: int = 40_000_000,
) -> StoredImage:
    """Validate an uploaded photo, write its WebP and JPEG renditions, describe them."""
    if not data:
        raise ImageRejected("The file is empty.")
    if len(data) > max_bytes:
        raise ImageRejected(f"The file is larger than {_megabytes(max_bytes)}.")
    image = _open_and_decode(data, max_pixels)
    upright = _prepare(image)
    widths = _rendition_widths(upright.width)
    # Encode everything in memory first so an encoder failure never leaves files behind.
    encoded = _encode_renditions(upright, widths)
    key = secrets.token_hex(16)
    _write_renditions(Path(media_root), key, encoded)
    return StoredImage(key=key, width=upright.width, height=upright.height, widths=widths)


def delete_image(key: str, media_root: Path) -> None:
    """Remove every rendition of ``key``; files already gone are ignored."""
    _check_key(key)
    # Match on disk rather than WIDTHS: small originals have an odd width and
    # WIDTHS may change after photos were stored.
    own_file = re.compile(rf"{re.escape(key)}-\d+\.(?:webp|jpg)")
    for path in Path(media_root).glob(f"{key}-*"):
        if own_file.fullmatch(path.name):
            path.unlink(missing_ok=True)


def _check_key(key: str) -> None:
    """Refuse keys that could escape the media directory or collide with another key."""
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise ValueError(f"Invalid image key {key!r}.")


# --- validation ---------------------------------------------------------------


@contextlib.contextmanager
def _bomb_guard(max_pixels: int) -> Iterator[None]:
    """Turn Pillow's decompression-bomb error and warning into ImageRejected."""
    # catch_warnings touches process-wide filters; it is scoped as tightly as possible.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except _BOMB_ERRORS as exc:
            # Pillow refuses before we can read the size, so no dimensions here.
            limit = f"{max_pixels / 1_000_000:g}"
            raise ImageRejected(f"The image is too large; the limit is {limit} megapixels.") from exc


def _open_and_decode(data: bytes, max_pixels: int) -> Image.Image:
    """Identify the image by content, check its header size, then decode it."""
    with _bomb_guard(max_pixels):
        try:
            # Only the allowed decoders are tried: less attack surface, no Ghostscript etc.
            image = Image.open(io.BytesIO(data), formats=sorted(ALLOWED_FORMATS))
        except _BOMB_ERRORS:
            raise
        except Exception as exc:
            raise ImageRejected(_NOT_AN_IMAGE) from exc
        if _FORMAT_ALIASES.get(image.format or "", image.format) not in ALLOWED_FORMATS:
            raise ImageRejected(_NOT_AN_IMAGE)
        width, height = image.size
        if width * height > max_pixels:
            limit = f"{max_pixels / 1_000_000:g}"
            raise ImageRejected(f"The image is too large ({width}×{height} pixels); the limit is {limit} megapixels.")
        try:
            image.load()
        except _BOMB_ERRORS:
            raise
        except Exception as exc:
            raise ImageRejected(_DAMAGED) from exc
    return image


# --- normalisation --------------------------------------------------------------


def _prepare(image: Image.Image) -> Image.Image:
    """Return the first frame upright, in sRGB, as RGB or RGBA, with no metadata."""
    try:
        # exif_transpose copies the current (first) frame, so animations end here.
        upright = ImageOps.exif_transpose(image)
    except _EXIF_ERRORS:
        # A mangled EXIF block is common and harmless; keep the photo as stored.
        upright = image.copy()
    upright = _normalise_mode(_to_srgb(upright))
    # Nothing from the upload's metadata (EXIF, GPS, ICC, comments) may reach the output.
    upright.info = {}
    return upright


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert colours from an embedded ICC profile to sRGB before it is stripped."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # A broken profile is not worth rejecting a photo over; colours may be a bit off.
        return image
    return converted if converted is not None else image


def _normalise_mode(image: Image.Image) -> Image.Image:
    """Return an RGB image, or RGBA when it has real transparency."""
    if image.mode in _SIXTEEN_BIT_MODES:
        # 16-bit greyscale would clip to white in a plain convert(); scale to 8 bits.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    has_alpha = image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    if has_alpha and image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")  # a fully opaque alpha channel only bloats files
    return image


def _flatten_on_white(image: Image.Image) -> Image.Image:
    """Composite an RGBA image onto white, since JPEG has no transparency."""
    if image.mode != "RGBA":
        return image
    background = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, image).convert("RGB")


# --- encoding and writing ---------------------------------------------------------


def _rendition_widths(original_width: int) -> tuple[int, ...]:
    """Return the WIDTHS not wider than the original, or just the original width."""
    widths = tuple(width for width in WIDTHS if width <= original_width)
    return widths or (original_width,)


def _encode_renditions(image: Image.Image, widths: tuple[int, ...]) -> list[tuple[int, str, bytes]]:
    """Encode every width as WebP (alpha kept) and progressive JPEG (on white)."""
    flat = _flatten_on_white(image)
    encoded = []
    for width in widths:
        encoded.append((width, "webp", _encode(image, width, "WEBP", quality=80, method=4)))
        jpeg = _encode(flat, width, "JPEG", quality=82, optimize=True, progressive=True)
        encoded.append((width, "jpg", jpeg))
    return encoded


def _encode(image: Image.Image, width: int, fmt: str, **options: object) -> bytes:
    """Resize a copy to ``width`` (aspect kept, never upscaled) and encode it."""
    resized = image.copy()
    # The height bound never binds, so the width comes out exact; reducing_gap=3
    # is visually lossless and much faster than a full LANCZOS from camera size.
    resized.thumbnail((width, image.height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    buffer = io.BytesIO()
    # No exif=/icc_profile= arguments and an empty .info: the output has no metadata.
    resized.save(buffer, fmt, **options)
    return buffer.getvalue()


def _write_renditions(media_root: Path, key: str, encoded: list[tuple[int, str, bytes]]) -> None:
    """Write all renditions atomically; on any failure remove those already written."""
    media_root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for width, ext, payload in encoded:
            target = media_root / rendition_name(key, width, ext)
            _write_atomic(target, payload)
            written.append(target)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _write_atomic(target: Path, payload: bytes) -> None:
    """Write to a hidden temp file in the same directory, then rename over ``target``."""
    temp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    try:
        # open(..., "xb") honours the umask (mkstemp would make the file 0600,
        # which a separate web server could not read).
        with open(temp, "xb") as handle:
            handle.write(payload)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _megabytes(size: int) -> str:
    """A size limit for people: '8 MB', '1.5 MB', or '50 kB' for small limits."""
    if size < 2**20:
        return f"{size / 1024:.0f} kB"
    return f"{size / 2**20:.1f}".rstrip("0").rstrip(".") + " MB"
