"""static/js/video.js in Chromium: a product video plays muted only while in view, pauses when it
leaves, stays paused once the shopper paused it, and never starts for reduced motion.

The script runs on a page of its own (the product page includes the video block once the
partial is merged): media playback is replaced by a recorder, so no video file is needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SCRIPT = (Path(__file__).resolve().parents[2] / "static" / "js" / "video.js").read_text(encoding="utf-8")
PAGE = """<!doctype html><html><body>
<div style="height:3000px"></div>
<video data-inview-video controls muted loop playsinline preload="none" width="320" height="240">
  <source src="/media/none.mp4" type="video/mp4"></video>
<div style="height:3000px"></div>
</body></html>"""
# play()/pause() record their calls and fire the events a real player fires.
RECORDER = """
window.calls = [];
Object.defineProperty(HTMLMediaElement.prototype, 'paused', { get() { return !this.__playing; }, configurable: true });
HTMLMediaElement.prototype.play = function play() {
  window.calls.push('play'); this.__playing = true; this.dispatchEvent(new Event('play')); return Promise.resolve();
};
HTMLMediaElement.prototype.pause = function pause() {
  window.calls.push('pause'); this.__playing = false; this.dispatchEvent(new Event('pause'));
};
// A second observer, made after the script's: when it has seen a change, so has the script's.
window.seen = [];
new IntersectionObserver((entries) => entries.forEach((e) => window.seen.push(e.isIntersecting)), { threshold: 0.5 })
  .observe(document.querySelector('video'));
"""


def open_page(browser, reduced_motion: str):
    context = browser.new_context(reduced_motion=reduced_motion, viewport={"width": 360, "height": 640})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.set_content(PAGE)
    page.add_script_tag(content=SCRIPT)
    page.evaluate(RECORDER)
    page.wait_for_function("window.seen.length === 1")  # the first (out of view) observation
    return context, page, requests


def scroll(page, into_view: bool) -> None:
    count = page.evaluate("window.seen.length")
    page.evaluate("document.querySelector('video').scrollIntoView()" if into_view else "window.scrollTo(0, 0)")
    page.wait_for_function(f"window.seen.length > {count}")


@pytest.fixture
def motion_ok(browser):
    context, page, requests = open_page(browser, "no-preference")
    yield page, requests
    context.close()


def test_plays_in_view_and_pauses_out_of_view(motion_ok):
    page, requests = motion_ok
    assert page.evaluate("window.calls") == []
    assert not [url for url in requests if url.endswith(".mp4")], "nothing of the video on load"
    scroll(page, into_view=True)
    assert page.evaluate("window.calls") == ["play"]
    assert page.evaluate("document.querySelector('video').muted") is True
    scroll(page, into_view=False)
    assert page.evaluate("window.calls") == ["play", "pause"]
    scroll(page, into_view=True)
    assert page.evaluate("window.calls") == ["play", "pause", "play"]


def test_a_video_the_shopper_paused_stays_paused(motion_ok):
    page, _requests = motion_ok
    scroll(page, into_view=True)
    page.evaluate("document.querySelector('video').pause()")  # the shopper's tap on pause
    scroll(page, into_view=False)
    scroll(page, into_view=True)
    assert page.evaluate("window.calls") == ["play", "pause"]
    page.evaluate("document.querySelector('video').play()")  # the shopper plays it again
    scroll(page, into_view=False)
    assert page.evaluate("window.calls") == ["play", "pause", "play", "pause"]


def test_reduced_motion_never_starts_the_video(browser):
    context, page, _requests = open_page(browser, "reduce")
    try:
        scroll(page, into_view=True)
        scroll(page, into_view=False)
        scroll(page, into_view=True)
        assert page.evaluate("window.calls") == []
        assert page.evaluate("document.querySelector('video').controls") is True
    finally:
        context.close()
