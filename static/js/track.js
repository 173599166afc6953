/* Storefront's first-party behaviour tracker: no third party, no inline script, and no cookie
   but a 30-minute session id. Events are batched and sent to POST /e with navigator.sendBeacon
   (fetch keepalive as a fallback) every 15 s and when the page is hidden. The page's context
   comes from data-* attributes on <main> or <body> (listed in the README). Every value is
   trimmed to the server's caps here, because the server refuses a whole batch that breaks them. */
(() => {
  'use strict';
  const nav = navigator;
  const doc = document;
  const path = location.pathname.slice(0, 300);
  // The visitor asked not to be tracked: send nothing at all (the server checks the headers too).
  // Staff pages are not shopper behaviour.
  if (nav.doNotTrack === '1' || nav.globalPrivacyControl || /^\/(admin|login)\b/.test(path)) return;

  const ENDPOINT = '/e';
  // Everything listens on window; `capture` for events that must be seen before app.js acts.
  const on = (type, listener, capture) => addEventListener(type, listener, capture);
  const main = doc.querySelector('main');
  const ctx = (key) => (main && main.dataset[key]) || doc.body.dataset[key] || '';
  // Text: no control characters, and no half of a surrogate pair left at the cut.
  const cut = (s, n) => (s ? s.replace(/[\0-\x1f\x7f]/g, ' ').slice(0, n).replace(/[\ud800-\udbff]$/, '') : undefined);
  const int = (s, max) => (/^\d+$/.test(s) && +s <= max ? +s : undefined);
  const slug = (s) => (s && /^[\p{L}\p{N}_-]{1,120}$/u.test(s) ? s : undefined);
  const cur = (s) => (/^[A-Z]{3}$/.test(s) ? s : undefined);
  const product = slug(ctx('productSlug'));
  const money = (el) => ({ value: int(el.dataset.value || ctx('value'), 1e9), currency: cur(el.dataset.currency) || cur(ctx('currency')) });

  // Session id: 128 random bits in a first-party cookie whose 30 minutes restart with each event.
  const sid = (/(?:^|; )sid=([0-9a-f]{32})/.exec(doc.cookie) || [])[1]
    || Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => (b | 256).toString(16).slice(1)).join('');

  let queue = [];
  const track = (name, fields) => {
    queue.push({ name, ts: Date.now(), path, ...fields }); // JSON.stringify drops undefined fields
    doc.cookie = `sid=${sid};path=/;max-age=1800;samesite=lax${location.protocol === 'https:' ? ';secure' : ''}`;
  };

  // Batches keep to the server's limits: at most 20 events and 8 kB (halved until they fit).
  function send(events) {
    const body = JSON.stringify({ sid, events });
    const half = events.length >> 1;
    if (half && new Blob([body]).size > 8000) return send(events.slice(0, half)), send(events.slice(half));
    // The service worker layer may listen for this hook and send the body again when online.
    const failed = () => dispatchEvent(new CustomEvent('storefront:beacon-failed', { detail: body }));
    if (nav.onLine === false) return failed();
    // A string body is sent as text/plain, like the beacon's Blob: no CORS preflight.
    if (!nav.sendBeacon?.(ENDPOINT, new Blob([body], { type: 'text/plain' }))) {
      fetch(ENDPOINT, { method: 'POST', body, keepalive: true }).catch(failed);
    }
  }

  function flush() {
    while (queue.length) send(queue.splice(0, 20));
  }

  // Dwell: time the page is both visible and focused; scroll: the deepest point seen.
  let dwell = 0;
  let since = 0;
  let scroll = 0;
  let reported = -1;
  let focused = doc.hasFocus();
  function tick(focus) {
    const now = performance.now();
    if (since) dwell += now - since;
    if (focus !== undefined) focused = focus;
    since = !doc.hidden && focused ? now : 0;
  }
  function measure() {
    const pct = Math.round(((scrollY + innerHeight) / Math.max(doc.documentElement.scrollHeight, 1)) * 100);
    scroll = Math.max(scroll, Math.min(100, pct));
  }
  // Each engagement event carries the dwell since the previous one: sum them per page view.
  function hidden() {
    tick();
    const ms = Math.min(Math.round(dwell), 864e5);
    if (ms || scroll !== reported) {
      track('engagement', { dwell_ms: ms, scroll_pct: scroll, product_slug: product });
      dwell = 0;
      reported = scroll;
    }
    flush();
  }

  const page = ctx('trackPage') || ctx('page'); // data-page is what the templates already set
  const params = new URLSearchParams(location.search);
  const landing = { referrer: cut(doc.referrer, 300), source: params.get('source') === 'pwa' ? 'pwa' : undefined };
  for (const key of ['utm_source', 'utm_medium', 'utm_campaign']) landing[key] = cut(params.get(key), 80);
  const ref = params.get('ref');
  if (ref && /^[\w-]{1,32}$/.test(ref)) landing.ref = ref;
  track('page_view', landing);
  const list = cut(ctx('list'), 80);
  if (page === 'product' && product) {
    track('view_item', { product_slug: product, variant_id: int(ctx('variantId'), 1e9), list, ...money(doc.body) });
  } else if (list) track('view_item_list', { list });
  if (page === 'search' && ctx('query')) track('search', { query: cut(ctx('query'), 100) });
  if (page === 'checkout' || path === '/checkout') track('begin_checkout', money(doc.body));

  // Capture phase, and only watching: app.js may turn the submit into a fetch.
  on('submit', ({ target: form }) => {
    const remove = /\/cart\/remove$/.test(form.getAttribute('action'));
    const data = new FormData(form);
    const variant = int(data.get('variant_id'), 1e9);
    if (!variant || !(remove || form.matches('[data-add-to-cart]'))) return;
    const quantity = int(data.get('quantity'), 1000) || 1;
    const choice = form.querySelector('[name=variant_id]:checked[data-value]') || form;
    const { value, currency } = money(choice);
    track(remove ? 'remove_from_cart' : 'add_to_cart', {
      variant_id: variant,
      product_slug: slug(form.dataset.productSlug) || product,
      quantity,
      value: value === undefined ? value : Math.min(value * quantity, 1e9),
      currency,
    });
    // Soon, not now: once the add has answered, the batch carries the new cart cookie. A plain
    // form post leaves the page first, and pagehide sends the batch then.
    setTimeout(flush, 1500);
  }, true);

  on('click', ({ target }) => {
    const share = target.closest('[data-share]');
    if (share) track('share', { product_slug: slug(share.dataset.productSlug) || product });
    const link = list && target.closest('a[href*="/p/"]');
    const item = link && link.origin === location.origin && /\/p\/([^/]+)/.exec(link.pathname);
    try {
      const picked = item && slug(decodeURIComponent(item[1]));
      if (picked) track('select_item', { product_slug: picked, list });
    } catch (e) { /* a malformed link is not a product */ }
  }, true);

  on('focus', () => tick(true));
  on('blur', () => tick(false));
  on('pagehide', hidden);
  on('scroll', measure);
  doc.addEventListener('visibilitychange', () => (doc.hidden ? hidden() : tick()));
  measure();
  tick();
  setInterval(() => queue.length && flush(), 15e3);
})();
