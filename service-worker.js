/* The shop's service worker: an offline app shell, viewed pages and photos kept for offline
 * browsing, an outbox that re-sends beacons and add-to-cart taps made while offline, and the
 * shop's push notifications (order news, back in stock, staff alerts) opening the right page.
 * The server fills in SHELL_VERSION and SHELL_URLS (hashes of the shell files), so any change
 * to a shell file makes a new worker with a new cache, and the old cache is deleted. */
'use strict';

const SHELL_VERSION = '__SHELL_VERSION__';
const SHELL_URLS = __SHELL_URLS__;
const SHELL_CACHE = `shell-${SHELL_VERSION}`;
const PAGE_CACHE = 'pages-v1';
const IMAGE_CACHE = 'images-v1';
const MAX_PAGES = 60;
const MAX_IMAGES = 120;
const NETWORK_TIMEOUT_MS = 3000;
// Personal or state-changing places: never stored, whatever their headers say.
const PRIVATE_PREFIXES = ['/admin', '/seller', '/cart', '/checkout', '/o/', '/login', '/logout', '/e', '/stripe'];
const PAGE_PATTERN = /^\/($|c\/|p\/|pages\/|search$|stores$|s\/|collections\/)/;  // catalog, the shop's own pages, stores, sellers' pages, collections
// Product videos (/media/<key>.mp4|webm) are never stored and never answered from here: players
// fetch them in byte ranges (206), which a cache cannot serve, and one would crowd out the photos.
const VIDEO_PATTERN = /^\/media\/[^/]+\.(mp4|webm)$/;
importScripts(__OUTBOX_URL__);

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL_URLS)));
  // The very first worker takes over at once; an update waits until the shopper agrees
  // (the page shows "New version - refresh" and posts 'skip-waiting').
  if (!self.registration.active) self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('shell-') && n !== SHELL_CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
    await flushOutbox();
  })());
});

self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type === 'skip-waiting') self.skipWaiting();
  if (data.type === 'keep-page' && typeof data.url === 'string') event.waitUntil(keepPage(data.url, data.images));
  if (data.type === 'flush-outbox') event.waitUntil(flushOutbox());
});

self.addEventListener('sync', (event) => {
  if (event.tag === 'outbox') event.waitUntil(flushOutbox());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || isPrivate(url.pathname)) return;
  if (isVideo(request, url)) return;  // straight to the network, range requests included
  if (request.mode === 'navigate') {
    event.respondWith(navigate(request, url));
  } else if (url.pathname.startsWith('/static/') || url.pathname.startsWith('/icons/') || url.pathname === '/manifest.json') {
    event.respondWith(shellFirst(request));
  } else if (url.pathname.startsWith('/media/')) {
    event.respondWith(imageCacheFirst(request));
  }
});

function isVideo(request, url) {
  const kind = request.destination;
  return kind === 'video' || kind === 'audio' || request.headers.has('range') || VIDEO_PATTERN.test(url.pathname);
}

function isPrivate(path) {
  return PRIVATE_PREFIXES.some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
}

// A response may be stored only if the server allows it: no Set-Cookie made it `private`
// (the server marks those), and nothing personal is `no-store`.
function storable(response) {
  if (!response || !response.ok || response.type !== 'basic') return false;
  const cc = (response.headers.get('Cache-Control') || '').toLowerCase();
  return !cc.includes('no-store') && !cc.includes('private');
}

async function navigate(request, url) {
  const keep = PAGE_PATTERN.test(url.pathname);
  const network = fetch(request).then(async (response) => {
    if (keep && storable(response)) await put(PAGE_CACHE, request, response.clone(), MAX_PAGES);
    return response;
  });
  network.catch(() => {});  // a late failure after the cache answered is not an error
  const timeout = new Promise((resolve) => setTimeout(resolve, NETWORK_TIMEOUT_MS, null));
  try {
    const first = await Promise.race([network, timeout]);
    if (first) return first;
    const cached = current(await cachedPage(url));
    return cached || await network;  // slow network and nothing (current) cached: keep waiting
  } catch (err) {
    return current(await cachedPage(url)) || (await caches.match('/offline')) || Response.error();
  }
}
// A page showing a sale says until when its prices hold (X-Valid-Until, Unix seconds: a sale
// starts or ends then). Past it, its copy is never shown: online the shopper waits for the network,
// offline they get the offline page rather than a price that is no longer true.
function current(response) {
  if (!response) return null;
  const until = Number(response.headers.get('X-Valid-Until'));
  return !until || Date.now() < until * 1000 ? response : null;
}

async function cachedPage(url) {
  const cache = await caches.open(PAGE_CACHE);
  return (await cache.match(url.href)) || (await cache.match(`${url.origin}${url.pathname}`))
    || (url.pathname === '/' ? await cache.match(`${url.origin}/`) : undefined)
    || ((await caches.open(SHELL_CACHE)).match(url.pathname));
}

async function shellFirst(request) {
  const hit = (await caches.match(request)) || (await caches.match(request, { ignoreSearch: true }));
  if (hit) return hit;
  const response = await fetch(request);
  return response;
}

async function imageCacheFirst(request) {
  const cache = await caches.open(IMAGE_CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (storable(response)) await put(IMAGE_CACHE, request, response.clone(), MAX_IMAGES);
  return response;
}

// Keep a page the shopper saw before this worker controlled it (its first response set the
// session cookie, so it could not be stored then), with the photos it showed.
async function keepPage(href, images) {
  const url = new URL(href);
  if (url.origin !== self.location.origin || isPrivate(url.pathname) || !PAGE_PATTERN.test(url.pathname)) return;
  try {
    const response = await fetch(url.href, { credentials: 'same-origin' });
    if (storable(response)) await put(PAGE_CACHE, url.href, response, MAX_PAGES);
    for (const src of (Array.isArray(images) ? images : []).slice(0, 12)) {
      const img = new URL(src, url);
      if (img.origin === url.origin && img.pathname.startsWith('/media/') && !VIDEO_PATTERN.test(img.pathname)) {
        await imageCacheFirst(new Request(img.href));
      }
    }
  } catch (err) { /* offline: nothing to keep now */ }
}

// Put a response in a cache and trim the oldest entries so storage cannot grow without bound.
async function put(name, request, response, limit) {
  const cache = await caches.open(name);
  await cache.put(request, response);
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(keys.length - limit, 0))) await cache.delete(old);
}

// ---- The outbox (static/js/outbox.js, shared with the page) ----
async function flushOutbox() {
  await self.StorefrontOutbox.flush((item, response) =>
    notifyClients({ type: 'outbox-sent', kind: item.kind, status: response.status }));
}

async function notifyClients(message) {
  const clients = await self.clients.matchAll({ type: 'window' });
  clients.forEach((client) => client.postMessage(message));
}

// ---- Push notifications (payload from storefront.notify.messages.push_payload) ----
// {"title", "body", "url", "tag", "lang"}: shown as sent, opening `url` when tapped. Anything
// else (not JSON, no title) still shows a plain notice with the shop's name opening the home
// page: Chrome would otherwise show its own "updated in the background" message.
// No `pushsubscriptionchange` handler: a subscription belongs to an order, a watch or an
// account, and re-registering it needs that owner's token, which the worker does not hold; the
// server drops the old endpoint when the push service answers 404/410, and the next tap on
// "Tell me ..." subscribes again.
// No `badge`: Android draws only a badge's alpha channel, and the shop's icons are opaque
// squares (a white blob); without one, Chrome shows its own small icon.
const NOTICE_ICON = SHELL_URLS.find((u) => u.split('?')[0] === '/icons/icon-192.png') || '/icons/icon-192.png';
const LANG_PATTERN = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;

self.addEventListener('push', (event) => {
  event.waitUntil(showPush(event.data));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(openNotification(event.notification.data));
});

function text(value, max) {
  return typeof value === 'string' ? value.slice(0, max) : '';
}

// Only this shop's own pages are opened from a notification; anything else opens the home page.
function shopUrl(value) {
  try {
    const url = new URL(typeof value === 'string' ? value : '/', self.location.origin);
    if (url.origin === self.location.origin) return url.href;
  } catch (err) { /* not a URL */ }
  return new URL('/', self.location.origin).href;
}

async function shopName() {
  try {
    const response = (await caches.match('/manifest.json')) || (await fetch('/manifest.json'));
    const name = text((await response.json()).name, 100);
    if (name) return name;
  } catch (err) { /* offline and not cached yet */ }
  return self.location.hostname;
}

async function showPush(data) {
  let message = null;
  try { message = data ? data.json() : null; } catch (err) { /* not JSON: the plain notice */ }
  if (!message || typeof message !== 'object' || Array.isArray(message)) message = {};
  const title = text(message.title, 200) || await shopName();
  const tag = text(message.tag, 100);
  const lang = LANG_PATTERN.test(text(message.lang, 35)) ? message.lang : '';
  await self.registration.showNotification(title, {
    body: text(message.body, 1000),
    lang,
    tag,
    renotify: !!tag,  // a newer message about the same order replaces the old one, and still alerts
    icon: NOTICE_ICON,
    data: { url: shopUrl(message.url || '/') },
  });
}

// Tapped: a window already showing the page comes forward; else an open window of the shop goes
// there; else a new window opens. focus() and openWindow() are allowed only while the browser's
// real tap is being handled, so a failed focus is not an error (the page still navigates).
async function openNotification(data) {
  const url = shopUrl(data && data.url);
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const showing = windows.find((client) => client.url === url);
  if (showing) return focusQuietly(showing);
  const [ours] = await self.clients.matchAll({ type: 'window' });  // navigate() needs a window this worker controls
  if (ours) {
    const moving = ours.navigate(url);  // started before focus() so the tap's permission is still fresh
    await focusQuietly(ours);
    try {
      return await moving;
    } catch (err) { /* the window closed meanwhile: open a new one */ }
  }
  return self.clients.openWindow(url);
}

async function focusQuietly(client) {
  try {
    return await client.focus();
  } catch (err) {
    return client;
  }
}
