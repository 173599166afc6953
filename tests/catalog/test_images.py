"""Tests for validated, re-encoded product photos."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms

from storefront.catalog import demo_pictures, images
from storefront.catalog.demo_pictures import render_demo_logo
from storefront.catalog.images import (
    ALLOWED_FORMATS,
    WIDTHS,
    ImageRejected,
    StoredImage,
    delete_image,
    render_demo_photo,
    rendition_name,
    store_upload,
)
from tests.builders import png_header_only

RED = (220, 20, 20)
BLUE = (20, 20, 220)


# --- helpers ------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def solid(size: tuple[int, int], colour=RED, mode: str = "RGB") -> Image.Image:
    return Image.new(mode, size, colour)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def expected_files(stored: StoredImage) -> list[str]:
    return sorted(rendition_name(stored.key, width, ext) for width in stored.widths for ext in ("webp", "jpg"))


def close_to(pixel, colour, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def exif_photo(size: tuple[int, int]) -> bytes:
    """A JPEG, left half red and right half blue, with Make, GPS and orientation 6."""
    photo = solid(size, BLUE)
    photo.paste(RED, (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SnoopCam"
    exif[ExifTags.Base.Orientation] = 6  # stored sideways: display rotated 90° CW
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (52.0, 22.0, 7.0),
        }
    )
    return encode(photo, "JPEG", exif=exif, quality=95)


@pytest.fixture
def media(tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    return folder


# --- accepted uploads ---------------------------------------------------------------


def test_exif_jpeg_is_stored_upright_in_both_formats_without_metadata(media):
    data = exif_photo((1400, 700))
    source = Image.open(io.BytesIO(data)).getexif()
    assert source[ExifTags.Base.Make] == "SnoopCam"  # the input really carries EXIF
    assert source.get_ifd(ExifTags.IFD.GPSInfo)

    stored = store_upload(data, media)

    assert (stored.width, stored.height) == (700, 1400)
    assert stored.widths == (320, 640)
    assert files_in(media) == expected_files(stored)
    for width in stored.widths:
        for ext, fmt in (("webp", "WEBP"), ("jpg", "JPEG")):
            with Image.open(media / rendition_name(stored.key, width, ext)) as out:
                assert out.format == fmt
                assert out.size == (width, width * 2)
                assert len(out.getexif()) == 0
                assert "exif" not in out.info
                assert "icc_profile" not in out.info
                rgb = out.convert("RGB")
                # Rotated 90° clockwise: the red left half becomes the top half.
                assert close_to(rgb.getpixel((width // 2, 5)), RED)
                assert close_to(rgb.getpixel((width // 2, width * 2 - 5)), BLUE)


def test_orientation_6_turns_400x200_into_200x400(media):
    stored = store_upload(exif_photo((400, 200)), media)

    assert (stored.width, stored.height) == (200, 400)
    assert stored.widths == (200,)
    with Image.open(media / rendition_name(stored.key, 200, "jpg")) as out:
        assert out.size == (200, 400)


def test_jpeg_rendition_is_progressive(media):
    stored = store_upload(encode(solid((700, 500)), "JPEG"), media)

    with Image.open(media / rendition_name(stored.key, 640, "jpg")) as out:
        assert out.info.get("progressive") or out.info.get("progression")


def test_icc_profile_is_stripped(media):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(solid((400, 300)), "JPEG", icc_profile=srgb)
    assert "icc_profile" in Image.open(io.BytesIO(data)).info

    stored = store_upload(data, media)

    for ext in ("webp", "jpg"):
        with Image.open(media / rendition_name(stored.key, 320, ext)) as out:
            assert "icc_profile" not in out.info


def test_jpeg_comment_is_not_carried_over(media):
    data = encode(solid((400, 300)), "JPEG", comment=b"owner: Jane, +1 555 0100")
    assert Image.open(io.BytesIO(data)).info.get("comment")

    stored = store_upload(data, media)

    with Image.open(media / rendition_name(stored.key, 320, "jpg")) as out:
        assert "comment" not in out.info


def test_small_original_gets_one_rendition_at_its_own_width(media):
    stored = store_upload(encode(solid((200, 150)), "PNG"), media)

    assert stored.widths == (200,)
    assert files_in(media) == expected_files(stored)
    with Image.open(media / rendition_name(stored.key, 200, "webp")) as out:
        assert out.size == (200, 150)  # never upscaled to 320


@pytest.mark.parametrize(
    ("width", "widths"),
    [
        (320, (320,)),
        (1000, (320, 640)),
        (2000, (320, 640, 1024, 1600)),
    ],
)
def test_widths_never_exceed_the_original(media, width, widths):
    stored = store_upload(encode(solid((width, width // 2)), "JPEG"), media)

    assert stored.widths == widths
    assert files_in(media) == expected_files(stored)
    for w in widths:
        with Image.open(media / rendition_name(stored.key, w, "jpg")) as out:
            assert out.size == (w, w // 2)


def test_transparent_png_is_flattened_on_white_for_jpeg_only(media):
    picture = solid((400, 400), (0, 0, 0, 0), mode="RGBA")  # transparent *black*
    picture.paste((*RED, 255), (200, 0, 400, 400))

    stored = store_upload(encode(picture, "PNG"), media)

    with Image.open(media / rendition_name(stored.key, 320, "jpg")) as jpg:
        assert close_to(jpg.convert("RGB").getpixel((20, 160)), (255, 255, 255), 5)
        assert close_to(jpg.convert("RGB").getpixel((300, 160)), RED)
    with Image.open(media / rendition_name(stored.key, 320, "webp")) as webp:
        assert webp.convert("RGBA").getpixel((20, 160))[3] == 0


def test_animated_gif_keeps_its_first_frame(media):
    frames = [solid((400, 300), RED).convert("P"), solid((400, 300), BLUE).convert("P")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])

    stored = store_upload(data, media)

    with Image.open(media / rendition_name(stored.key, 320, "jpg")) as out:
        assert close_to(out.convert("RGB").getpixel((160, 120)), RED)


def test_multi_picture_jpeg_from_phone_cameras_is_accepted(media):
    picture = solid((640, 480))
    data = encode(picture, "MPO", save_all=True, append_images=[picture])
    assert Image.open(io.BytesIO(data)).format == "MPO"  # Pillow's name for it

    stored = store_upload(data, media)

    assert stored.widths == (320, 640)


def test_sixteen_bit_greyscale_png_keeps_its_tones(media):
    grey = Image.new("I;16", (400, 300), 32768)  # mid grey in 16 bits

    stored = store_upload(encode(grey, "PNG"), media)

    with Image.open(media / rendition_name(stored.key, 320, "jpg")) as out:
        assert close_to(out.convert("RGB").getpixel((100, 100)), (128, 128, 128), 8)


def test_every_upload_gets_a_fresh_random_key(media):
    data = encode(solid((400, 300)), "PNG")

    first, second = store_upload(data, media), store_upload(data, media)

    assert first.key != second.key
    for key in (first.key, second.key):
        assert len(key) == 32
        int(key, 16)


def test_media_root_is_created_when_missing(tmp_path):
    media = tmp_path / "not" / "yet"

    stored = store_upload(encode(solid((400, 300)), "PNG"), media)

    assert files_in(media) == expected_files(stored)


# --- rejected uploads ---------------------------------------------------------------


NOT_IMAGES = {
    "text": b"hello",
    "pdf": b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n",
    "html": b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>",
    "jpeg_magic_then_garbage": b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8,
    "bmp": encode(solid((50, 50)), "BMP"),
    "tiff": encode(solid((50, 50)), "TIFF"),
}


@pytest.mark.parametrize("data", NOT_IMAGES.values(), ids=NOT_IMAGES.keys())
def test_non_images_are_rejected_and_nothing_is_written(media, data):
    with pytest.raises(ImageRejected) as caught:
        store_upload(data, media)

    assert caught.value.message == "The file is not an image (JPEG, PNG, WebP or GIF)."
    assert str(caught.value) == caught.value.message
    assert files_in(media) == []


def test_rejection_does_not_create_the_media_root(tmp_path):
    media = tmp_path / "media"

    with pytest.raises(ImageRejected):
        store_upload(b"hello", media)

    assert not media.exists()


def test_truncated_jpeg_is_reported_as_damaged(media):
    noise = Image.effect_noise((600, 400), 80).convert("RGB")
    data = encode(noise, "JPEG", quality=95)

    with pytest.raises(ImageRejected) as caught:
        store_upload(data[: len(data) // 2], media)

    assert caught.value.message == "The image file is damaged."
    assert files_in(media) == []


def test_png_header_claiming_20000x20000_is_rejected_without_decoding(media):
    data = png_header_only(20_000, 20_000)

    started = time.perf_counter()
    with pytest.raises(ImageRejected) as caught:
        store_upload(data, media)
    elapsed = time.perf_counter() - started

    assert elapsed < 1.0
    assert "too large" in caught.value.message
    assert "the limit is 40 megapixels" in caught.value.message
    assert files_in(media) == []


def test_pixel_limit_message_names_the_dimensions(media):
    data = png_header_only(8000, 8000)  # 64 MP: above our 40 MP, below Pillow's guard

    started = time.perf_counter()
    with pytest.raises(ImageRejected) as caught:
        store_upload(data, media)

    assert time.perf_counter() - started < 1.0
    assert caught.value.message == ("The image is too large (8000×8000 pixels); the limit is 40 megapixels.")
    assert files_in(media) == []


def test_pillow_bomb_warning_is_a_rejection_even_under_a_generous_limit(media):
    # 100 MP is under max_pixels but over Pillow's own warning threshold (~89 MP).
    data = png_header_only(10_000, 10_000)

    started = time.perf_counter()
    with pytest.raises(ImageRejected) as caught:
        store_upload(data, media, max_pixels=500_000_000)

    assert time.perf_counter() - started < 1.0
    assert "too large" in caught.value.message
    assert files_in(media) == []


def test_custom_pixel_limit_is_applied(media):
    with pytest.raises(ImageRejected) as caught:
        store_upload(encode(solid((400, 300)), "PNG"), media, max_pixels=100_000)

    assert "(400×300 pixels)" in caught.value.message
    assert "0.1 megapixels" in caught.value.message
    assert files_in(media) == []


def test_data_over_max_bytes_is_rejected(media):
    data = encode(solid((400, 300)), "PNG")

    with pytest.raises(ImageRejected) as caught:
        store_upload(data, media, max_bytes=len(data) - 1)

    assert caught.value.message.startswith("The file is larger than")
    assert files_in(media) == []
    assert store_upload(data, media, max_bytes=len(data)).widths == (320,)


def test_default_size_limit_is_eight_megabytes(media):
    with pytest.raises(ImageRejected) as caught:
        store_upload(b"\x00" * (8 * 1024 * 1024 + 1), media)

    assert caught.value.message == "The file is larger than 8 MB."
    assert files_in(media) == []


def test_empty_file_is_rejected(media):
    with pytest.raises(ImageRejected) as caught:
        store_upload(b"", media)

    assert caught.value.message == "The file is empty."
    assert files_in(media) == []


def test_failure_midway_removes_files_already_written(media, monkeypatch):
    real_replace = images.os.replace
    calls = []

    def flaky_replace(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(images.os, "replace", flaky_replace)

    with pytest.raises(OSError, match="disk full"):
        store_upload(encode(solid((800, 600)), "PNG"), media)

    assert len(calls) == 3
    assert files_in(media) == []  # neither renditions nor temp files remain


# --- names and deletion ---------------------------------------------------------------


def test_rendition_name_format_and_validation():
    assert rendition_name("abc123", 640, "webp") == "abc123-640.webp"
    assert rendition_name("abc123", 320, "jpg") == "abc123-320.jpg"
    with pytest.raises(ValueError):
        rendition_name("abc123", 640, "png")
    with pytest.raises(ValueError):
        rendition_name("../etc/passwd", 640, "jpg")


def test_delete_image_removes_only_that_key(media):
    data = encode(solid((700, 400)), "JPEG")
    doomed, kept = store_upload(data, media), store_upload(data, media)
    small = store_upload(encode(solid((100, 100)), "PNG"), media)
    unrelated = media / f"{doomed.key}-notes.txt"  # not a rendition: left alone
    unrelated.write_text("keep me")

    delete_image(doomed.key, media)
    delete_image(small.key, media)

    assert files_in(media) == sorted([*expected_files(kept), unrelated.name])
    delete_image(doomed.key, media)  # already gone: no error
    delete_image(doomed.key, media / "missing-folder")


def test_delete_image_refuses_path_like_keys(media):
    with pytest.raises(ValueError):
        delete_image("../media", media)
    with pytest.raises(ValueError):
        delete_image("*", media)


# --- demo photos ----------------------------------------------------------------------


def test_demo_photo_is_deterministic():
    assert render_demo_photo("Linen tote", 3) == render_demo_photo("Linen tote", 3)
    assert render_demo_photo("Mug", 3, (200, 200), colour="Sage", view=2) == render_demo_photo(
        "Mug", 3, (200, 200), colour="Sage", view=2
    )


def test_demo_photo_depends_on_seed_and_title():
    base = render_demo_photo("Linen tote", 3, size=(400, 400))

    assert render_demo_photo("Linen tote", 4, size=(400, 400)) != base
    assert render_demo_photo("Wool scarf", 3, size=(400, 400)) != base


def test_demo_photo_is_a_png_of_the_requested_size():
    for view in (0, 1, 2):
        data = render_demo_photo("Crème brûlée mug", 7, size=(800, 600), view=view)

        with Image.open(io.BytesIO(data)) as picture:
            assert picture.format == "PNG"
            assert picture.size == (800, 600)
            assert picture.format in ALLOWED_FORMATS


def test_every_demo_kind_draws_its_own_picture_in_each_colour():
    pictures = {render_demo_photo("x", 1, (96, 96), kind=kind, colour="Sage") for kind in demo_pictures.KINDS}
    assert len(pictures) == len(demo_pictures.KINDS)
    colours = {render_demo_photo("x", 1, (96, 96), kind="mug", colour=name) for name in demo_pictures.COLOURS}
    assert len(colours) == len(demo_pictures.COLOURS)
    assert render_demo_photo("x", 1, (96, 96), kind="mug", colour="Sage") == render_demo_photo(
        "x", 1, (96, 96), kind="mug", colour=demo_pictures.COLOURS["Sage"]
    )


def test_demo_photo_kind_follows_the_title():
    assert render_demo_photo("Big latte mug", 5, (96, 96), colour="Oat") == render_demo_photo(
        "x", 5, (96, 96), kind="mug", colour="Oat"
    )
    assert render_demo_photo("Herb pot trio", 5, (96, 96), colour="Oat") == render_demo_photo(
        "x", 5, (96, 96), kind="planter", colour="Oat"
    )
    with pytest.raises(ValueError):
        render_demo_photo("Mug", 5, (96, 96), kind="spaceship")
    with pytest.raises(ValueError):
        render_demo_photo("Mug", 5, (16, 16))


def test_demo_photo_draws_no_text():
    """The title is on the page, not on the picture: another title gives the very same picture."""
    short = render_demo_photo("Mug", 9, (300, 300), kind="mug", colour="Ocean")
    long = render_demo_photo(
        "Speckled morning mug with a very long name indeed", 9, (300, 300), kind="mug", colour="Ocean"
    )
    assert short == long
    # ... and no label band at the bottom (the old placeholder's title strip): only the studio backdrop.
    with Image.open(io.BytesIO(render_demo_photo("Linen tote", 3, (300, 300)))) as picture:
        bottom = picture.convert("L").crop((0, 276, 300, 300))
        low, high = bottom.getextrema()
        assert high - low < 30


def test_demo_photo_views_show_the_object_turned_and_close_up():
    front = Image.open(io.BytesIO(render_demo_photo("Mug", 2, (200, 200), colour="Rust")))
    turned = Image.open(io.BytesIO(render_demo_photo("Mug", 2, (200, 200), colour="Rust", view=1)))
    close = Image.open(io.BytesIO(render_demo_photo("Mug", 2, (200, 200), colour="Rust", view=2)))
    assert front.tobytes() != turned.tobytes() and front.tobytes() != close.tobytes()

    # The handle is on the right in front and on the left when turned: the right third is darker.
    def dark_share(picture: Image.Image, box: tuple[int, int, int, int]) -> int:
        return sum(picture.convert("L").crop(box).histogram()[:120])

    assert dark_share(front, (130, 40, 200, 140)) > dark_share(front, (0, 40, 70, 140))
    assert dark_share(turned, (0, 40, 70, 140)) > dark_share(turned, (130, 40, 200, 140))


def test_demo_logo_is_a_round_mark_in_the_brand_colour():
    with Image.open(io.BytesIO(render_demo_logo("#2f5d50", 128))) as logo:
        assert logo.format == "PNG" and logo.size == (128, 128) and logo.mode == "RGBA"
        assert logo.getpixel((1, 1))[3] == 0  # transparent corners
        assert logo.getpixel((64, 8))[:3] == (0x2F, 0x5D, 0x50)  # the disc
        assert logo.getpixel((64, 62))[:3] == (255, 255, 255)  # the white bowl


def test_demo_photo_default_size_is_accepted_by_store_upload(media):
    stored = store_upload(render_demo_photo("Ceramic bowl", 11), media)

    assert (stored.width, stored.height) == (1200, 1200)
    assert stored.widths == tuple(w for w in WIDTHS if w <= 1200)
    assert files_in(media) == expected_files(stored)
