"""The service worker never shows a kept page past its X-Valid-Until (a sale started or ended then).

As in test_sw_video.py, the worker served at /service-worker.js runs in Node with stand-ins for the
browser's caches and fetch. Here the network is down (offline) or answers, and the page cache holds
a copy of the product page whose X-Valid-Until is past or still ahead.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest

pytestmark = pytest.mark.skipif(not shutil.which("node"), reason="node is not installed: worker not run")

HARNESS = r"""
const vm = require('vm');
const source = require('fs').readFileSync(0, 'utf8');
const [casesJson] = process.argv.slice(-1);
const handlers = {};
class SameOriginResponse extends Response { get type() { return 'basic'; } }
let current = null;  // the case being run
const pageCache = {
  match: async (url) => (String(url).endsWith('/p/coat') && current.kept
    ? new SameOriginResponse('kept copy', { headers: current.kept }) : undefined),
  put: async () => {}, keys: async () => [], delete: async () => true, addAll: async () => {},
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
  caches: {
    open: async () => pageCache,
    match: async (url) => (url === '/offline' ? new SameOriginResponse('offline page') : undefined),
    keys: async () => [], delete: async () => true,
  },
  fetch: async () => {
    if (current.offline) throw new TypeError('Failed to fetch');
    return new SameOriginResponse('network page', { headers: { 'Cache-Control': 'no-cache' } });
  },
  importScripts: () => {},
  URL, Request, Response, Headers, setTimeout, clearTimeout, console, Promise, Date, Number,
};
vm.runInNewContext(source, context);
(async () => {
  const results = {};
  for (const item of JSON.parse(casesJson)) {
    current = item;
    let answered = null;
    const request = {
      url: 'https://shop.test/p/coat', method: 'GET', mode: 'navigate', destination: 'document', headers: new Headers(),
    };
    handlers.fetch({ request, respondWith: (promise) => { answered = promise; } });
    results[item.name] = answered ? await (await answered).text() : null;
  }
  console.log(JSON.stringify(results));
})();
"""


@pytest.mark.real_clock  # Node reads the real clock: the instants must be real ones
def test_an_ended_sale_s_page_is_never_shown_from_the_worker_s_cache(sqlite_app):
    source = sqlite_app.test_client().get("/service-worker.js").text
    now = int(time.time())
    cases = [
        {"name": "offline, sale still on", "offline": True, "kept": {"X-Valid-Until": str(now + 3600)}},
        {"name": "offline, sale over", "offline": True, "kept": {"X-Valid-Until": str(now - 1)}},
        {"name": "offline, no sale", "offline": True, "kept": {}},
        {"name": "online, sale over", "offline": False, "kept": {"X-Valid-Until": str(now - 1)}},
    ]
    run = subprocess.run(
        ["node", "-e", HARNESS, json.dumps(cases)], input=source, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    assert results == {
        "offline, sale still on": "kept copy",
        "offline, sale over": "offline page",  # refused: its prices are no longer true
        "offline, no sale": "kept copy",
        "online, sale over": "network page",
    }
