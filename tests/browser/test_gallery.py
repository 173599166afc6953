"""The product gallery in a real browser: swiped, keyed and linked without JavaScript; dots follow with it."""

from __future__ import annotations

import pytest

from tests.builders import add_demo_photos, make_product
from tests.live_server import gunicorn

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}


@pytest.fixture
def gallery_shop(sqlite_app, tmp_path):
    """A product with three photos served by gunicorn; yields its page URL."""
    with sqlite_app.app_context():
        product = make_product("Striped scarf", price=2500, variants=(("", 5),))
        add_demo_photos(product, 3, size=(900, 900), alt="Striped scarf")
        slug = product.slug
    with gunicorn(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1) as base:
        yield f"{base}/p/{slug}"


@pytest.fixture
def no_script_phone(browser):
    context = browser.new_context(java_script_enabled=False, **PHONE)
    yield context.new_page()
    context.close()


def _swipe_left(page, track) -> None:
    """A finger dragged from right to left across the track (raw touch events, as a phone sends them)."""
    box = track.bounding_box()
    x, y = box["x"] + box["width"] * 0.85, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 11):  # 250 px in small moves: a swipe, not a jump
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x - step * 25, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_a_swipe_shows_the_second_photo_without_javascript(no_script_phone, gallery_shop, expect):
    page = no_script_phone
    page.goto(gallery_shop)
    track = page.get_by_role("region", name="Photos of Striped scarf")
    expect(page.locator("#photo-1")).to_be_in_viewport(ratio=0.9)
    _swipe_left(page, track)
    expect(page.locator("#photo-2")).to_be_in_viewport(ratio=0.9)  # snapped onto it, not half-way
    expect(page.locator("#photo-1")).not_to_be_in_viewport()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page itself does not scroll sideways ({width}px)"


def test_the_dots_and_the_keyboard_move_the_gallery_without_javascript(no_script_phone, gallery_shop, expect):
    page = no_script_phone
    page.goto(gallery_shop)
    page.get_by_role("link", name="Photo 3 of 3").click()
    expect(page).to_have_url(gallery_shop + "#photo-3")
    expect(page.locator("#photo-3")).to_be_in_viewport(ratio=0.9)
    expect(page.locator("#photo-1")).not_to_be_in_viewport()
    page.get_by_role("link", name="Photo 1 of 3").click()
    expect(page.locator("#photo-1")).to_be_in_viewport(ratio=0.9)
    track = page.get_by_role("region", name="Photos of Striped scarf")
    expect(track).to_have_attribute("tabindex", "0")  # in the Tab order, named
    track.focus()
    expect(track).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#photo-2")).to_be_in_viewport(ratio=0.9)
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#photo-1")).to_be_in_viewport(ratio=0.9)


def test_with_javascript_the_dot_follows_the_photo_in_view(browser, gallery_shop, expect):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(gallery_shop)
    dots = page.locator("[data-gallery-dot]")
    expect(dots.nth(0)).to_have_attribute("aria-current", "true")
    _swipe_left(page, page.get_by_role("region", name="Photos of Striped scarf"))
    expect(dots.nth(1)).to_have_attribute("aria-current", "true")
    expect(dots.nth(0)).not_to_have_attribute("aria-current", "true")
    scroll_y = page.evaluate("scrollY")
    dots.nth(2).click()
    expect(page.locator("#photo-3")).to_be_in_viewport(ratio=0.9)
    expect(dots.nth(2)).to_have_attribute("aria-current", "true")
    assert page.evaluate("scrollY") == scroll_y, "a dot moves the photos, not the page"
    context.close()
