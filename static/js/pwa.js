/* The installable app in the page: registers the service worker, offers "Install app" at a
 * sensible moment (or the iOS hint), shows offline state and the "New version" prompt, keeps
 * a list of viewed products and placed orders on this device, and queues offline POSTs. */
(() => {
  'use strict';
  const body = document.body;
  const store = window.localStorage;
  const DAY = 86400000;
  const standalone = window.matchMedia('(display-mode: standalone)').matches || navigator.standalone === true;

  function $(sel) { return document.querySelector(sel); }
  function show(el, on) { if (el) el.hidden = !on; }
  function say(text) { const live = $('[data-live]'); if (live && text) live.textContent = text; }
  function readJSON(key) { try { return JSON.parse(store.getItem(key)) || []; } catch (e) { return []; } }
  function remember(key, entry, max) {
    const list = readJSON(key).filter((e) => e.url !== entry.url);
    list.unshift(entry);
    try { store.setItem(key, JSON.stringify(list.slice(0, max))); } catch (e) { /* storage full: skip */ }
  }
  function setBadge() {
    const m = document.cookie.match(/(?:^|; )cart_n=(\d+)/);
    const n = m ? m[1] : '0';
    document.querySelectorAll('[data-cart-count]').forEach((b) => {
      // In the page's digits, as the server writes it (bn: ৩).
      const root = document.documentElement;
      b.textContent = new Intl.NumberFormat(root.lang || undefined, { numberingSystem: root.dataset.numbering }).format(+n);
      b.classList.toggle('is-empty', n === '0');
    });
  }

  // ---- What this device has seen: viewed products (for /offline) and orders (for /my-orders).
  const page = body.dataset;
  if (page.page === 'product') {
    const img = $('.gallery img');
    remember('viewed', { url: location.pathname, title: page.title, price: page.price,
      image: img ? (img.currentSrc || img.src) : '' }, 30);
  }
  if (page.page === 'order') {
    remember('orders', { url: location.pathname, ref: page.orderRef, placed: page.orderPlaced, total: page.orderTotal }, 50);
  }

  // ---- Offline indicator.
  const offlineBar = $('[data-offline-bar]');
  function onlineState() {
    show(offlineBar, !navigator.onLine);
    if (navigator.onLine) flushOutbox();
  }
  window.addEventListener('online', onlineState);
  window.addEventListener('offline', onlineState);

  // ---- Outbox: beacons and add-to-cart taps made offline go out when the network is back.
  const outbox = window.StorefrontOutbox;
  function queue(item, message) {
    if (!outbox) return;
    outbox.add(item).then(() => {
      if (message) say(message);
      if (navigator.serviceWorker && navigator.serviceWorker.ready) {
        navigator.serviceWorker.ready.then((reg) => {
          if (reg.sync) return reg.sync.register('outbox');  // Background Sync where the browser has it
        }).catch(() => {});
      }
    });
  }
  function flushOutbox() {
    if (outbox && navigator.onLine) outbox.flush((item, response) => { if (item.kind === 'cart') sent(response); });
  }
  function sent(response) {
    setBadge();
    if (response.ok) say(body.dataset.msgQueuedSent || 'Added the items you chose while offline.');
  }
  window.addEventListener('storefront:beacon-failed', (e) => {
    queue({ kind: 'beacon', url: '/e', body: e.detail, contentType: 'text/plain' });
  });
  window.addEventListener('storefront:cart-offline', (e) => {
    const token = $('meta[name="csrf-token"]');
    queue({ kind: 'cart', url: '/cart/add', body: e.detail, contentType: 'application/x-www-form-urlencoded',
      headers: { Accept: 'application/json', 'X-CSRFToken': token ? token.content : '' } });  // app.js tells the shopper
  });

  // ---- Service worker: register, keep the first page, offer updates.
  // hadController: a worker already controlled this page when it loaded (so a new one is an update);
  // reloading: the shopper agreed to the update, so the next controller change reloads the page.
  const hadController = 'serviceWorker' in navigator && !!navigator.serviceWorker.controller;
  let reloading = false;
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/service-worker.js', { scope: '/' }).then((reg) => {
      if (reg.waiting && hadController) offerUpdate(reg.waiting);
      reg.addEventListener('updatefound', () => {
        const fresh = reg.installing;
        fresh.addEventListener('statechange', () => {
          if (fresh.state === 'installed' && navigator.serviceWorker.controller) offerUpdate(fresh);
        });
      });
    }).catch(() => {});
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (reloading) { location.reload(); return; }
      keepThisPage();
    });
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data && e.data.type === 'outbox-sent' && e.data.kind === 'cart') sent({ ok: e.data.status < 400 });
    });
    if (hadController) keepThisPage();
  }
  function keepThisPage() {
    // This page came from the network before the worker controlled it: ask it to keep a copy.
    if (hadController && performance.getEntriesByType('navigation')[0] &&
        performance.getEntriesByType('navigation')[0].workerStart > 0) return;
    const images = Array.from(document.querySelectorAll('main img'), (i) => i.currentSrc || i.src);
    const target = navigator.serviceWorker.controller;
    if (target) target.postMessage({ type: 'keep-page', url: location.href, images });
  }
  function offerUpdate(worker) {
    const bar = $('[data-update-bar]');
    show(bar, true);
    const button = $('[data-update-refresh]');
    if (button) button.onclick = () => { reloading = true; worker.postMessage({ type: 'skip-waiting' }); };
  }

  // ---- Install: a button once the shopper has looked around; the iOS hint; never when installed.
  const views = (parseInt(store.getItem('page-views') || '0', 10) || 0) + 1;
  try { store.setItem('page-views', String(views)); } catch (e) { /* private mode */ }
  const dismissedAt = parseInt(store.getItem('install-dismissed') || '0', 10) || 0;
  const mayOffer = !standalone && views >= 2 && Date.now() - dismissedAt > 30 * DAY;
  const installBar = $('[data-install-bar]');
  let deferred = null;
  window.addEventListener('beforeinstallprompt', (e) => {
    e.preventDefault();
    deferred = e;
    show(installBar, mayOffer);
  });
  const installButton = $('[data-install]');
  if (installButton) installButton.addEventListener('click', () => {
    if (!deferred) return;
    deferred.prompt();
    deferred.userChoice.then(() => { deferred = null; show(installBar, false); });
  });
  window.addEventListener('appinstalled', () => { show(installBar, false); show($('[data-ios-hint]'), false); });
  const ios = /iphone|ipad|ipod/i.test(navigator.userAgent) && !/crios|fxios/i.test(navigator.userAgent);
  show($('[data-ios-hint]'), ios && mayOffer);
  document.querySelectorAll('[data-install-dismiss]').forEach((b) => {
    b.addEventListener('click', () => {
      try { store.setItem('install-dismissed', String(Date.now())); } catch (e) { /* private mode */ }
      show(installBar, false); show($('[data-ios-hint]'), false);
    });
  });

  onlineState();
  setBadge();
})();
