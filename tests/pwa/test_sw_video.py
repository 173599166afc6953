"""The service worker never answers or stores product videos: they go to the network, ranges and all.

The worker served at /service-worker.js runs in Node with stand-ins for the browser's caches and
fetch; each request is dispatched to its fetch handler as the browser would, and the test reads
whether the worker answered it (respondWith) and what reached its caches.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(not shutil.which("node"), reason="node is not installed: worker not run")

HARNESS = r"""
const vm = require('vm');
const source = require('fs').readFileSync(0, 'utf8');
const handlers = {};
const stored = [];
const fetched = [];
class SameOriginResponse extends Response { get type() { return 'basic'; } }  // as a browser's fetch gives
const cache = {
  match: async () => undefined,
  put: async (request) => { stored.push(typeof request === 'string' ? request : request.url); },
  keys: async () => [],
  delete: async () => true,
  addAll: async () => {},
};
const context = {
  self: {
    addEventListener: (type, handler) => { handlers[type] = handler; },
    location: new URL('https://shop.test/'),
    registration: { active: {} },
    clients: { matchAll: async () => [], claim: async () => {} },
    skipWaiting: () => {},
    StorefrontOutbox: { flush: async () => {} },
  },
  caches: { open: async () => cache, match: async () => undefined, keys: async () => [], delete: async () => true },
  fetch: async (request) => {
    fetched.push(typeof request === 'string' ? request : request.url);
    return new SameOriginResponse('bytes', { status: 200, headers: { 'Content-Type': 'image/jpeg' } });
  },
  importScripts: () => {},
  URL, Request, Response, Headers, setTimeout, clearTimeout, console, Promise,
};
vm.runInNewContext(source, context);

(async () => {
  const results = {};
  for (const item of JSON.parse(process.argv[process.argv.length - 1])) {
    let answered = null;
    const request = {
      url: `https://shop.test${item.path}`, method: 'GET', mode: 'no-cors',
      destination: item.destination || '', headers: new Headers(item.headers || {}),
    };
    stored.length = 0;
    handlers.fetch({ request, respondWith: (promise) => { answered = promise; } });
    if (answered) await answered;
    results[item.name] = { answered: answered !== null, stored: stored.slice() };
  }
  console.log(JSON.stringify(results));
})();
"""

PHOTO = "/media/" + "a" * 32 + "-640.jpg"
VIDEO = "/media/" + "b" * 32 + ".mp4"
CASES = [
    {"name": "photo", "path": PHOTO, "destination": "image"},
    {"name": "mp4 by its address", "path": VIDEO},
    {"name": "webm played by a <video>", "path": "/media/" + "c" * 32 + ".webm", "destination": "video"},
    {"name": "a range request", "path": VIDEO, "destination": "video", "headers": {"Range": "bytes=0-"}},
    {"name": "a range request for any media", "path": PHOTO, "headers": {"Range": "bytes=100-199"}},
]


def test_videos_bypass_the_worker_and_its_caches(sqlite_app):
    source = sqlite_app.test_client().get("/service-worker.js").text
    run = subprocess.run(
        ["node", "-e", HARNESS, json.dumps(CASES)], input=source, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    # The control: photos are answered from the image cache and stored there.
    assert results["photo"] == {"answered": True, "stored": [f"https://shop.test{PHOTO}"]}
    for case in CASES[1:]:
        assert results[case["name"]] == {"answered": False, "stored": []}, case["name"]
