"""Generated app icons look finished: brand colour backdrop, mark inside the maskable safe zone, rounded 'any' icons."""

from __future__ import annotations

import math

from PIL import Image

from storefront.pwa import icons

BRAND = icons.Branding("Green Leaf Tea", "#2e7d32", "#ffffff")


def _white_pixels(image: Image.Image) -> list[tuple[int, int]]:
    rgb = image.convert("RGB")
    return [(x, y) for x in range(rgb.width) for y in range(rgb.height) if min(rgb.getpixel((x, y))) > 200]


def test_maskable_mark_stays_inside_the_safe_circle():
    size = 192
    icon = icons.render_icon(BRAND, size, "maskable")
    assert icon.mode == "RGB", "maskable icons are full-bleed and opaque"
    marks = _white_pixels(icon)
    assert len(marks) > 200, "the initials and their ring are drawn"
    farthest = max(math.dist((x + 0.5, y + 0.5), (size / 2, size / 2)) for x, y in marks)
    assert farthest <= size * 0.4, "nothing the platform's mask may crop (the central 80% circle is safe)"


def test_any_icons_have_rounded_transparent_corners_and_apple_is_opaque():
    any_icon = icons.render_icon(BRAND, 192, "any")
    assert any_icon.mode == "RGBA" and any_icon.getpixel((0, 0))[3] == 0 and any_icon.getpixel((96, 96))[3] == 255
    apple = icons.render_icon(BRAND, 180, "apple")
    assert apple.mode == "RGB", "iOS paints transparency black: the apple icon is opaque"


def test_the_backdrop_is_the_brand_colour_with_depth_not_a_flat_fill():
    icon = icons.render_icon(BRAND, 192, "maskable").convert("RGB")
    corners = {icon.getpixel((4, 4)), icon.getpixel((187, 187)), icon.getpixel((4, 187)), icon.getpixel((187, 4))}
    assert len(corners) > 1, "a gradient, not one flat colour"
    for red, green, blue in corners:
        assert green > red and green > blue, "every corner is a shade of the brand's green"


def test_a_logo_sits_on_a_plate_in_the_middle(tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("RGB", (300, 200), "#ff0000").save(logo)
    icon = icons.render_icon(icons.Branding("X", "#1f4e5f", "#ffffff", logo), 512, "maskable")
    assert icon.getpixel((256, 256)) == (255, 0, 0)
    assert icon.getpixel((256, 150)) == (255, 255, 255), "the plate behind a wide logo"
    assert icon.getpixel((20, 20)) != (255, 255, 255)
