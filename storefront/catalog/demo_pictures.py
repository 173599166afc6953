"""Generated demo product photos and logo: studio-lit pottery, candles, bags and paper goods.

Drawn with Pillow only (no network, no fonts, no text on the picture), deterministic for a
given title, seed, colour and view, so the demo shop looks the same on every machine. Each
object is built from shaded parts: a mask says where the part is, a small "cylinder"
profile (dark edges, a glaze highlight left of centre) says how light falls on it.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable
from functools import lru_cache

from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageFilter

# Glaze and fabric colours by name: the demo's variants use the same names, so a variant's
# photo shows that colour.
COLOURS: dict[str, str] = {
    "Sage": "#8da58a",
    "Terracotta": "#bf6440",
    "Cream": "#e8dcc4",
    "Charcoal": "#3b3b3e",
    "Ocean": "#3c6d8c",
    "Mustard": "#d3a23c",
    "Blush": "#e2ada0",
    "Forest": "#3d5e47",
    "Indigo": "#36416e",
    "Oat": "#d4c2a0",
    "Rust": "#9c4a2c",
    "Natural": "#e6dbc3",
}
KINDS = ("mug", "bowl", "plate", "vase", "planter", "candle", "tee", "tote", "notebook", "beanie")
VIEWS = ("front", "turned", "close-up")
# Title words that say what the object is (checked in this order).
_KIND_WORDS = (
    ("candle", "candle"),
    ("planter", "planter"),
    ("pot", "planter"),
    ("vase", "vase"),
    ("mug", "mug"),
    ("cup", "mug"),
    ("tumbler", "mug"),
    ("bowl", "bowl"),
    ("plate", "plate"),
    ("platter", "plate"),
    ("tee", "tee"),
    ("shirt", "tee"),
    ("tote", "tote"),
    ("bag", "tote"),
    ("notebook", "notebook"),
    ("sketchbook", "notebook"),
    ("journal", "notebook"),
    ("beanie", "beanie"),
    ("hat", "beanie"),
)
_BACKDROPS = (("#f7f4ef", "#e6e0d6"), ("#f3f5f4", "#dde3e0"), ("#f8f3f0", "#eadcd6"), ("#f4f4f6", "#dedfe5"))
_CLAY = "#c9a27e"
_SUPERSAMPLE = 2  # ImageDraw does not anti-alias: draw twice as large, then scale down


def render_demo_photo(
    title: str,
    seed: int,
    size: tuple[int, int] = (1200, 1200),
    *,
    kind: str | None = None,
    colour: str | None = None,
    view: int = 0,
) -> bytes:
    """Draw a product photo (PNG bytes): the object ``kind`` in ``colour`` seen from ``view``.

    ``kind`` defaults to what the title names (a "mug", a "tote" ...), ``colour`` (a name in
    COLOURS or a hex value) to one picked by ``seed``; ``view`` 0 is the front, 1 the object
    turned round in the same light, 2 a close-up.
    """
    width, height = size
    if width < 32 or height < 32:
        raise ValueError(f"Demo photos must be at least 32×32 pixels, not {width}×{height}.")
    kind = kind or _kind_for(title, seed)
    if kind not in _PAINTERS:
        raise ValueError(f"Unknown demo picture kind {kind!r}.")
    names = tuple(COLOURS)
    hex_colour = COLOURS.get(colour or "", colour) or COLOURS[names[(seed * 7 + len(title)) % len(names)]]
    # The title only picks the defaults: it is never drawn (the page shows it), nor does it move a speckle.
    rng = random.Random(f"{seed}|{hex_colour.lower()}|{view}")
    scale = 1.6 if view == 2 else 1.0
    side = int(min(width, height) * scale)
    form = random.Random(seed)  # each product's own proportions, the same in all its photos
    stretch = (0.88 + 0.24 * form.random(), 0.88 + 0.24 * form.random())
    stage = _Stage(
        (int(width * scale) * _SUPERSAMPLE, int(height * scale) * _SUPERSAMPLE), side * _SUPERSAMPLE, stretch
    )
    stage.backdrop(_BACKDROPS[(seed + view) % len(_BACKDROPS)])
    _PAINTERS[kind](stage, ImageColor.getrgb(hex_colour), rng)
    picture = stage.canvas
    if view == 1:
        picture = picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if view == 2:  # a close-up: the upper middle of a larger picture, where the detail is
        left = (picture.width - width * _SUPERSAMPLE) // 2
        top = int((picture.height - height * _SUPERSAMPLE) * 0.3)
        picture = picture.crop((left, top, left + width * _SUPERSAMPLE, top + height * _SUPERSAMPLE))
    picture = picture.reduce(_SUPERSAMPLE)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def render_demo_logo(colour: str = "#2f5d50", size: int = 512) -> bytes:
    """The demo brand's mark (PNG): a white bowl with a sprouting leaf on a ``colour`` disc."""
    big = size * _SUPERSAMPLE
    logo = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.ellipse((0, 0, big - 1, big - 1), fill=colour)
    white = (255, 255, 255, 255)
    u = big / 100
    draw.chord((22 * u, 30 * u, 78 * u, 78 * u), 0, 180, fill=white)  # the bowl
    draw.rectangle((40 * u, 77 * u, 60 * u, 81 * u), fill=white)  # its foot
    draw.line((50 * u, 54 * u, 50 * u, 36 * u), fill=white, width=int(3 * u))  # the stem
    draw.polygon(_leaf((50 * u, 40 * u), 22 * u, 9 * u, -2.35), fill=white)
    draw.polygon(_leaf((50 * u, 44 * u), 16 * u, 7 * u, -0.75), fill=white)
    buffer = io.BytesIO()
    logo.reduce(_SUPERSAMPLE).save(buffer, "PNG")
    return buffer.getvalue()


def _kind_for(title: str, seed: int) -> str:
    """The object a title names, else one picked by the seed."""
    words = title.lower()
    for word, kind in _KIND_WORDS:
        if word in words:
            return kind
    return KINDS[seed % len(KINDS)]


# --- the stage: backdrop, parts, shadows --------------------------------------------


class _Stage:
    """A supersampled RGB canvas with a unit square centred on it (unit 1.0 = the square's side).

    ``stretch`` widens or heightens everything drawn a little: a taller mug, a wider bowl.
    """

    def __init__(self, size: tuple[int, int], side: int, stretch: tuple[float, float] = (1.0, 1.0)) -> None:
        self.canvas = Image.new("RGB", size)
        self.side = side
        self.cx, self.cy = size[0] / 2, size[1] / 2
        self.sx, self.sy = side * stretch[0], side * stretch[1]

    def px(self, x: float, y: float) -> tuple[float, float]:
        """Canvas pixels of unit coordinates (0, 0 is the centre)."""
        return self.cx + x * self.sx, self.cy + y * self.sy

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        """Canvas pixel box of a unit box."""
        (a, b), (c, d) = self.px(x0, y0), self.px(x1, y1)
        return int(a), int(b), int(math.ceil(c)), int(math.ceil(d))

    def backdrop(self, colours: tuple[str, str]) -> None:
        """A light studio sweep: lighter at the top, a soft glow behind the object."""
        self.canvas = _backdrop(self.canvas.size, *colours).copy()

    def shadow(self, x0: float, y0: float, x1: float, y1: float, strength: int = 90) -> None:
        """A soft contact shadow in the unit box (an ellipse, blurred)."""
        box = self.box(x0, y0, x1, y1)
        pad = max(2, (box[3] - box[1]))
        width, height = box[2] - box[0] + 2 * pad, box[3] - box[1] + 2 * pad
        mask = Image.new("L", (width, height), 0)
        ImageDraw.Draw(mask).ellipse((pad, pad, width - pad, height - pad), fill=strength)
        # Blurring a quarter-size mask and scaling it back is as soft and much faster.
        small = mask.reduce(4).filter(ImageFilter.GaussianBlur(pad / 10))
        mask = small.resize((width, height), Image.Resampling.BILINEAR)
        self.canvas.paste((70, 58, 50), (box[0] - pad, box[1] - pad), mask)

    def part(
        self,
        unit_box: tuple[float, float, float, float],
        shape: Mask,
        colour: tuple[int, ...],
        *,
        edge: float = 0.45,
        sheen: float = 0.5,
        fall: float = 0.1,
        flat: bool = False,
    ) -> None:
        """Paint a shaded part: ``shape`` draws its mask (white) in a box of w x h pixels."""
        box = self.box(*unit_box)
        width, height = max(1, box[2] - box[0]), max(1, box[3] - box[1])
        mask = Image.new("L", (width, height), 0)
        shape(ImageDraw.Draw(mask), width, height)
        fill = (
            Image.new("RGB", (width, height), colour[:3]) if flat else _shaded(colour, width, height, edge, sheen, fall)
        )
        self.canvas.paste(fill, box[:2], mask)


@lru_cache(maxsize=16)
def _backdrop(size: tuple[int, int], top: str, bottom: str) -> Image.Image:
    """A studio sweep (``top`` to ``bottom``) with a soft glow in the middle; cached, copy before use."""
    mask = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    canvas = Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)
    glow = Image.radial_gradient("L").resize(size, Image.Resampling.BILINEAR)
    canvas.paste(Image.new("RGB", size, top), mask=glow.point(lambda v: max(0, 255 - v) // 3))
    return canvas


def _shaded(colour: tuple[int, ...], width: int, height: int, edge: float, sheen: float, fall: float) -> Image.Image:
    """``colour`` lit like a cylinder from the upper left: darker edges, a highlight, darker low down."""
    light, spec = _profiles(round(edge * 20), round(sheen * 20))
    across = light.resize((width, 1)).resize((width, height))
    down = _falloff(round(fall * 20)).resize((1, height)).resize((width, height))
    shade = ImageChops.multiply(across, down)
    body = ImageChops.multiply(Image.new("RGB", (width, height), colour[:3]), Image.merge("RGB", (shade,) * 3))
    glint = spec.resize((width, 1)).resize((width, height))
    return ImageChops.screen(body, Image.merge("RGB", (glint,) * 3))


@lru_cache(maxsize=64)
def _profiles(edge20: int, sheen20: int) -> tuple[Image.Image, Image.Image]:
    """One row each: the brightness across a cylinder (x 255 = full) and its highlight."""
    edge, sheen = edge20 / 20, sheen20 / 20
    light, spec = [], []
    for i in range(256):
        t = i / 255 * 2 - 1  # -1 at the left edge, 1 at the right
        facing = math.sqrt(max(0.0, 1 - t * t))
        light.append(int(255 * (1 - edge + edge * facing) * (1.08 - 0.16 * (t + 1) / 2)))
        spec.append(int(255 * sheen * math.exp(-(((t + 0.42) / 0.13) ** 2))))
    return _row([min(255, v) for v in light]), _row(spec)


@lru_cache(maxsize=64)
def _falloff(fall20: int) -> Image.Image:
    """One column: darker towards the bottom (fall > 0) or towards the top (fall < 0)."""
    fall = fall20 / 20
    column = [int(255 - (v if fall > 0 else 255 - v) * abs(fall)) for v in range(256)]
    image = Image.new("L", (1, 256))
    image.putdata(column)
    return image


def _row(values: list[int]) -> Image.Image:
    """A 256 x 1 greyscale image of ``values``."""
    row = Image.new("L", (256, 1))
    row.putdata(values)
    return row


def _tint(colour: tuple[int, ...], amount: float) -> tuple[int, int, int]:
    """Lighter (amount > 0, towards white) or darker (amount < 0) ``colour``."""
    if amount >= 0:
        return tuple(int(c + (255 - c) * amount) for c in colour[:3])  # type: ignore[return-value]
    return tuple(int(c * (1 + amount)) for c in colour[:3])  # type: ignore[return-value]


def _leaf(base: tuple[float, float], length: float, width: float, angle: float) -> list[tuple[float, float]]:
    """A pointed leaf's outline from ``base`` along ``angle`` (radians, 0 = right)."""
    cos, sin = math.cos(angle), math.sin(angle)
    side_a, side_b = [], []
    for step in range(13):
        t = step / 12
        along, half = t * length, math.sin(math.pi * t) ** 0.8 * width / 2
        side_a.append((base[0] + along * cos - half * sin, base[1] + along * sin + half * cos))
        side_b.append((base[0] + along * cos + half * sin, base[1] + along * sin - half * cos))
    return side_a + side_b[::-1]


# --- the objects ----------------------------------------------------------------------


Mask = Callable[[ImageDraw.ImageDraw, int, int], None]  # draws a part's shape (white) in a w x h box


def _full_ellipse(draw: ImageDraw.ImageDraw, w: int, h: int) -> None:
    draw.ellipse((0, 0, w - 1, h - 1), fill=255)


def _rect(draw: ImageDraw.ImageDraw, w: int, h: int) -> None:
    draw.rectangle((0, 0, w - 1, h - 1), fill=255)


def _rounded(width_share: int = 0, height_share: int = 0) -> Mask:
    """A rounded rectangle whose corner radius is w // width_share (or h // height_share)."""

    def shape(draw: ImageDraw.ImageDraw, w: int, h: int) -> None:
        radius = w // width_share if width_share else h // height_share
        draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=radius, fill=255)

    return shape


def _handle(draw: ImageDraw.ImageDraw, w: int, h: int) -> None:
    """A bag handle: the upper half of an ellipse's outline."""
    draw.arc((0, 0, w - 1, h * 2), 180, 360, fill=255, width=w // 9)


def _lower_half(draw: ImageDraw.ImageDraw, w: int, h: int) -> None:
    """The lower half of an ellipse (a bowl seen from the side)."""
    draw.chord((0, -h, w - 1, h - 1), 0, 180, fill=255)


def _upper_half(draw: ImageDraw.ImageDraw, w: int, h: int) -> None:
    """The upper half of an ellipse (a dome)."""
    draw.chord((0, 0, w - 1, h * 2), 180, 360, fill=255)


def _cylinder(top: float, bottom: float, lip: float) -> Mask:
    """Mask of an upright cylinder between ``top`` and ``bottom`` (fractions), rounded by ``lip``."""

    def shape(draw: ImageDraw.ImageDraw, w: int, h: int) -> None:
        draw.rectangle((0, top * h, w - 1, bottom * h), fill=255)
        draw.ellipse((0, (top - lip) * h, w - 1, (top + lip) * h), fill=255)
        draw.ellipse((0, (bottom - lip) * h, w - 1, (bottom + lip) * h), fill=255)

    return shape


def _speckle(stage: _Stage, box: tuple[float, float, float, float], rng: random.Random, n: int = 45) -> None:
    """Iron speckles in a glaze: small dots, a few darker, in the unit box."""
    draw = ImageDraw.Draw(stage.canvas)
    x0, y0, x1, y1 = stage.box(*box)
    dot = max(1.0, stage.side / 520)
    for _ in range(n):
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        r = dot * rng.uniform(0.5, 1.3)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.choice(((104, 84, 66), (128, 104, 84), (80, 64, 52))))


def _mug(stage: _Stage, colour: tuple[int, ...], rng: random.Random) -> None:
    """A stoneware mug: handle, glazed body with a raw clay foot, the inside of the rim."""
    stage.shadow(-0.26, 0.19, 0.32, 0.29)
    stage.part(
        (0.06, -0.12, 0.33, 0.15),
        lambda d, w, h: d.ellipse((0, 0, w - 1, h - 1), outline=255, width=w // 5),
        colour,
        edge=0.2,
    )
    stage.part((-0.22, -0.24, 0.18, 0.27), _cylinder(0.09, 0.9, 0.07), colour)
    stage.part(
        (-0.22, 0.18, 0.18, 0.27),
        lambda d, w, h: (d.rectangle((0, 0, w - 1, h / 2), fill=255), d.ellipse((0, 0, w - 1, h - 1), fill=255)),
        ImageColor.getrgb(_CLAY),
        edge=0.35,
        sheen=0.15,
    )
    if rng.random() < 0.6:
        _speckle(stage, (-0.19, -0.15, 0.15, 0.17), rng)
    stage.part((-0.22, -0.265, 0.18, -0.175), _full_ellipse, _tint(colour, 0.25), sheen=0.2)
    stage.part((-0.205, -0.258, 0.165, -0.183), _full_ellipse, _tint(colour, -0.35), edge=0.6, sheen=0.1, fall=-0.6)


def _bowl(stage: _Stage, colour: tuple[int, ...], rng: random.Random) -> None:
    """A wide bowl from slightly above: glazed outside, a lighter glazed inside, a clay foot ring."""
    stage.shadow(-0.3, 0.24, 0.3, 0.34)
    stage.part((-0.11, 0.24, 0.11, 0.31), _full_ellipse, ImageColor.getrgb(_CLAY), sheen=0.1)
    stage.part((-0.36, 0.0, 0.36, 0.29), _lower_half, colour, fall=0.35)
    stage.part((-0.36, -0.1, 0.36, 0.1), _full_ellipse, _tint(colour, 0.2), sheen=0.15)
    inside = _tint(colour, 0.35) if sum(colour[:3]) < 360 else _tint(colour, 0.1)
    stage.part((-0.34, -0.088, 0.34, 0.088), _full_ellipse, inside, edge=0.2, sheen=0.25, fall=-0.5)
    if rng.random() < 0.5:
        _speckle(stage, (-0.3, 0.0, 0.3, 0.16), rng, 40)


def _plate(stage: _Stage, colour: tuple[int, ...], rng: random.Random) -> None:
    """Two stacked plates seen from above at an angle."""
    stage.shadow(-0.42, 0.06, 0.42, 0.3, 70)
    for lift, tone in ((0.05, -0.25), (0.0, 0.0)):
        stage.part(
            (-0.4, -0.2 + lift, 0.4, 0.22 + lift), _full_ellipse, _tint(colour, tone - 0.15), edge=0.3, sheen=0.1
        )
        stage.part((-0.4, -0.22 + lift, 0.4, 0.2 + lift), _full_ellipse, _tint(colour, tone), edge=0.2, sheen=0.3)
    stage.part((-0.27, -0.13, 0.27, 0.13), _full_ellipse, _tint(colour, -0.08), edge=0.15, sheen=0.2, fall=-0.3)
    if rng.random() < 0.5:
        _speckle(stage, (-0.25, -0.1, 0.25, 0.1), rng, 50)


def _vase(stage: _Stage, colour: tuple[int, ...], rng: random.Random) -> None:
    """A bottle vase with a dried stem in it."""
    stage.shadow(-0.2, 0.3, 0.2, 0.38)
    stem = (122, 128, 104)
    draw = ImageDraw.Draw(stage.canvas)
    base, tip = stage.px(0, -0.2), stage.px(rng.uniform(-0.1, 0.1), -0.46)
    draw.line((base, tip), fill=stem, width=max(2, stage.side // 160))
    for n in range(6):  # eucalyptus-like leaves along the stem
        t = 0.25 + n * 0.13
        at = (base[0] + (tip[0] - base[0]) * t, base[1] + (tip[1] - base[1]) * t)
        draw.polygon(
            _leaf(at, stage.side * 0.07, stage.side * 0.045, math.pi * (0.15 if n % 2 else 0.85) - math.pi / 2 * 0.4),
            fill=_tint(stem, 0.15 * (n % 2)),
        )

    def shape(d: ImageDraw.ImageDraw, w: int, h: int) -> None:
        d.ellipse((0, h * 0.3, w - 1, h - 1), fill=255)  # the belly
        d.polygon(((w * 0.33, h * 0.1), (w * 0.67, h * 0.1), (w * 0.92, h * 0.5), (w * 0.08, h * 0.5)), fill=255)
        d.rectangle((w * 0.33, h * 0.03, w * 0.67, h * 0.2), fill=255)

    stage.part((-0.22, -0.3, 0.22, 0.36), shape, colour)
    stage.part((-0.085, -0.305, 0.085, -0.265), _full_ellipse, _tint(colour, 0.15), sheen=0.2)
    stage.part((-0.055, -0.298, 0.055, -0.272), _full_ellipse, _tint(colour, -0.6), sheen=0)


def _planter(stage: _Stage, colour: tuple[int, ...], rng: random.Random) -> None:
    """A tapered plant pot with a rim, soil and a leafy plant."""
    stage.shadow(-0.22, 0.27, 0.22, 0.35)
    draw = ImageDraw.Draw(stage.canvas)
    greens = ((74, 122, 72), (58, 102, 60), (96, 142, 84))
    base = stage.px(0, 0.0)
    for n in range(9):
        angle = -math.pi / 2 + rng.uniform(-1.15, 1.15)
        length = stage.side * rng.uniform(0.2, 0.34)
        leaf = _leaf(base, length, length * 0.42, angle)
        draw.polygon(leaf, fill=greens[n % 3])
        tip = (base[0] + math.cos(angle) * length * 0.9, base[1] + math.sin(angle) * length * 0.9)
        draw.line((base, tip), fill=_tint(greens[n % 3], 0.25), width=max(1, stage.side // 400))

    def pot(d: ImageDraw.ImageDraw, w: int, h: int) -> None:
        d.polygon(((0, 0), (w - 1, 0), (w * 0.86, h * 0.95), (w * 0.14, h * 0.95)), fill=255)
        d.ellipse((w * 0.14, h * 0.9, w * 0.86, h - 1), fill=255)

    stage.part((-0.22, 0.02, 0.22, 0.32), pot, colour, fall=0.2)
    stage.part((-0.245, -0.03, 0.245, 0.07), _rounded(height_share=5), _tint(colour, 0.08), edge=0.4)
    stage.part((-0.245, -0.06, 0.245, 0.0), _full_ellipse, _tint(colour, 0.2), sheen=0.2)
    stage.part((-0.225, -0.05, 0.225, -0.01), _full_ellipse, (74, 56, 42), edge=0.3, sheen=0)


def _candle(stage: _Stage, colour: tuple[int, ...], rng: random.Random) -> None:
    """A candle poured in a ceramic tumbler: a plain kraft band, cream wax, a lit wick."""
    stage.shadow(-0.22, 0.22, 0.22, 0.31)
    stage.part((-0.19, -0.17, 0.19, 0.28), _cylinder(0.08, 0.92, 0.06), colour)
    stage.part((-0.19, 0.0, 0.19, 0.14), _rect, (196, 164, 122), edge=0.4, sheen=0.15)
    stage.part((-0.19, -0.2, 0.19, -0.12), _full_ellipse, _tint(colour, 0.25), sheen=0.2)
    stage.part((-0.175, -0.193, 0.175, -0.127), _full_ellipse, (236, 226, 204), edge=0.2, sheen=0.1, fall=-0.3)
    draw = ImageDraw.Draw(stage.canvas)
    wick_base, wick_top = stage.px(0, -0.16), stage.px(0.004, -0.19)
    draw.line((wick_base, wick_top), fill=(40, 34, 30), width=max(2, stage.side // 220))
    glow_box = stage.box(-0.1, -0.33, 0.1, -0.13)
    glow = Image.radial_gradient("L").resize((glow_box[2] - glow_box[0], glow_box[3] - glow_box[1]))
    stage.canvas.paste((255, 214, 150), glow_box[:2], glow.point(lambda v: max(0, 200 - v) // 2))
    flame = stage.box(-0.022, -0.275, 0.022, -0.185)
    _draw_flame(draw, flame, (255, 176, 64))
    core = stage.box(-0.011, -0.245, 0.011, -0.19)
    _draw_flame(draw, core, (255, 240, 196))
    if rng.random() < 0.5:
        _speckle(stage, (-0.17, -0.1, 0.17, 0.0), rng, 20)


def _draw_flame(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], colour: tuple[int, int, int]) -> None:
    """A candle flame (a drop shape, pointed at the top) filling ``box``."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    draw.ellipse((x0, y0 + h * 0.45, x1, y1), fill=colour)
    draw.polygon(((x0 + w / 2, y0), (x1 - w * 0.02, y0 + h * 0.7), (x0 + w * 0.02, y0 + h * 0.7)), fill=colour)


def _tee(stage: _Stage, colour: tuple[int, ...], rng: random.Random) -> None:
    """A t-shirt laid flat, with a ribbed collar and soft folds."""
    outline = (
        (0.29, 0.0),
        (0.12, 0.02),
        (0.0, 0.2),
        (0.13, 0.32),
        (0.22, 0.24),
        (0.22, 1.0),
        (0.78, 1.0),
        (0.78, 0.24),
        (0.87, 0.32),
        (1.0, 0.2),
        (0.88, 0.02),
        (0.71, 0.0),
        (0.64, 0.1),
        (0.5, 0.13),
        (0.36, 0.1),
    )
    neckline = ((0.29, 0.0), (0.36, 0.1), (0.5, 0.13), (0.64, 0.1), (0.71, 0.0))
    unit = (-0.38, -0.32, 0.38, 0.36)

    def shirt(d: ImageDraw.ImageDraw, w: int, h: int) -> None:
        d.polygon([(x * (w - 1), y * (h - 1)) for x, y in outline], fill=255)

    x0, y0, x1, y1 = stage.box(*unit)
    lift = Image.new("L", (x1 - x0, y1 - y0), 0)
    shirt(ImageDraw.Draw(lift), *lift.size)
    offset = stage.side // 60
    stage.canvas.paste(
        (90, 80, 70), (x0 + offset, y0 + offset), lift.filter(ImageFilter.GaussianBlur(offset)).point(lambda v: v // 3)
    )
    stage.part(unit, shirt, colour, edge=0.12, sheen=0.05, fall=0.12)
    stage.part(
        unit,
        lambda d, w, h: d.polygon([(x * (w - 1), y * (h - 1)) for x, y in neckline], fill=255),
        _tint(colour, -0.3),
        edge=0.3,
        sheen=0,
    )
    stage.part(
        unit,
        lambda d, w, h: d.line(
            [(x * (w - 1), y * (h - 1)) for x, y in neckline[1:-1]], fill=255, width=max(2, h // 40), joint="curve"
        ),
        _tint(colour, -0.1),
        flat=True,
    )
    folds = ImageDraw.Draw(stage.canvas)
    for n in range(3):
        y = rng.uniform(0.0, 0.25) + n * 0.03
        start, end = stage.px(-0.15, y), stage.px(0.1 + n * 0.04, y + rng.uniform(-0.06, 0.06))
        folds.line((start, end), fill=_tint(colour, -0.08), width=max(2, stage.side // 150))


def _tote(stage: _Stage, colour: tuple[int, ...], rng: random.Random) -> None:
    """A canvas tote with two handles, a stitched hem and a small printed leaf."""
    stage.shadow(-0.27, 0.3, 0.27, 0.38)
    handle = _tint(colour, -0.2)
    stage.part((-0.14, -0.38, 0.1, 0.02), _handle, handle, edge=0.2, sheen=0.1)
    stage.part((-0.1, -0.36, 0.14, 0.04), _handle, _tint(colour, -0.05), edge=0.2, sheen=0.1)
    stage.part(
        (-0.26, -0.04, 0.26, 0.34),
        lambda d, w, h: d.polygon(((0, 0), (w - 1, 0), (w * 0.97, h - 1), (w * 0.03, h - 1)), fill=255),
        colour,
        edge=0.18,
        sheen=0.12,
        fall=0.15,
    )
    stage.part((-0.26, -0.04, 0.26, 0.015), _rect, _tint(colour, -0.1), edge=0.18, sheen=0.1)
    draw = ImageDraw.Draw(stage.canvas)
    y = stage.px(0, 0.03)[1]
    dash = stage.side // 70
    for x in range(int(stage.px(-0.24, 0)[0]), int(stage.px(0.24, 0)[0]), dash * 2):
        draw.line(((x, y), (x + dash, y)), fill=_tint(colour, 0.35), width=max(1, stage.side // 400))
    mark = _tint(colour, -0.45) if sum(colour[:3]) > 400 else _tint(colour, 0.6)
    centre = stage.px(0, 0.16)
    draw.polygon(
        _leaf(
            (centre[0], centre[1] + stage.side * 0.06),
            stage.side * 0.14,
            stage.side * 0.07,
            -math.pi / 2 + rng.uniform(-0.4, 0.4),
        ),
        fill=mark,
    )


def _notebook(stage: _Stage, colour: tuple[int, ...], rng: random.Random) -> None:
    """A cloth-bound notebook: page block, spine, an elastic band, a ribbon marker."""
    stage.shadow(-0.24, 0.24, 0.28, 0.36, 70)
    tilt = rng.uniform(-0.02, 0.02)
    stage.part((-0.2 + tilt, -0.3, 0.235 + tilt, 0.33), _rounded(30), (240, 234, 220), edge=0.1, sheen=0)
    stage.part((-0.22, -0.32, 0.22, 0.31), _rounded(25), colour, edge=0.08, sheen=0.1, fall=0.08)
    stage.part((-0.22, -0.32, -0.17, 0.31), _rect, _tint(colour, -0.18), edge=0.3, sheen=0.2)
    stage.part((0.13, -0.325, 0.16, 0.315), _rect, (38, 36, 36), edge=0.5, sheen=0.3)
    stage.part(
        (-0.04, 0.3, 0.0, 0.39),
        lambda d, w, h: d.polygon(((0, 0), (w - 1, 0), (w - 1, h - 1), (w / 2, h * 0.85), (0, h - 1)), fill=255),
        (168, 52, 46),
        flat=True,
    )


def _beanie(stage: _Stage, colour: tuple[int, ...], rng: random.Random) -> None:
    """A ribbed knit beanie with a folded cuff (and sometimes a pompom)."""
    stage.shadow(-0.28, 0.2, 0.28, 0.3)
    if rng.random() < 0.5:
        stage.part((-0.08, -0.38, 0.08, -0.22), _full_ellipse, _tint(colour, 0.1), edge=0.5, sheen=0.2)
    stage.part((-0.25, -0.3, 0.25, 0.12), _upper_half, colour, edge=0.5, sheen=0.25, fall=-0.2)
    stage.part((-0.27, 0.04, 0.27, 0.26), _rounded(height_share=4), _tint(colour, -0.06), edge=0.45, sheen=0.2)
    draw = ImageDraw.Draw(stage.canvas)
    rib = _tint(colour, -0.22)
    for n in range(1, 18):
        x = -0.27 + n * 0.03
        draw.line((stage.px(x, 0.06), stage.px(x, 0.24)), fill=rib, width=max(1, stage.side // 300))


_PAINTERS: dict[str, Callable[[_Stage, tuple[int, ...], random.Random], None]] = {
    "mug": _mug,
    "bowl": _bowl,
    "plate": _plate,
    "vase": _vase,
    "planter": _planter,
    "candle": _candle,
    "tee": _tee,
    "tote": _tote,
    "notebook": _notebook,
    "beanie": _beanie,
}
