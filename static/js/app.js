/* Storefront progressive enhancement. Every flow works without this file (plain form
   posts); here we only save full page loads for "add to cart" and cart quantity changes. */
(() => {
  'use strict';

  // English fallbacks. A translated page can override any of them with a data-msg-* attribute
  // on the form or any ancestor (e.g. <body data-msg-network="...">).
  const MSG = {
    network: 'Could not reach the shop. Please try again.',
    queued: "You're offline; we'll add it when you're back.",
    failed: 'Something went wrong. Please try again.',
  };
  const TOAST_MS = 4000;
  const DEBOUNCE_MS = 400;

  const $$ = (sel, root = document) => root.querySelectorAll(sel);
  const live = () => document.querySelector('[data-live]');
  const msg = (el, key) => el.closest(`[data-msg-${key}]`)?.getAttribute(`data-msg-${key}`) || MSG[key];

  // Announce through the role=status region. Clearing first makes a repeated, identical
  // message ("Cart updated.") get announced again.
  function announce(text) {
    const region = live();
    if (!region) return;
    region.textContent = '';
    setTimeout(() => { region.textContent = text; }, 50);
  }

  // Badge: every [data-cart-count]; visually hidden (still read) when the cart is empty. The
  // number is written in the page's digits, as the server writes it (bn: ৩, not 3); without a
  // count given, the cart_n cookie the server keeps says it. <html data-numbering> names the
  // server's digits: a browser's default for the language may differ (ar: ١ in Chromium).
  const root = document.documentElement;
  const countFormat = new Intl.NumberFormat(root.lang || undefined, { numberingSystem: root.dataset.numbering });
  const cookieCount = () => +(/(?:^|;\s*)cart_n=(\d+)/.exec(document.cookie)?.[1] || 0);
  function setCount(n) {
    const count = n ?? cookieCount();
    for (const el of $$('[data-cart-count]')) {
      el.textContent = countFormat.format(count);
      el.classList.toggle('is-empty', !(count > 0));
    }
  }

  // The error sits in a <p class="alert" role="alert"> just before the form: reuse the one the
  // server rendered (or a previous one) so messages never pile up. role=alert announces it,
  // so the status region is cleared instead of repeating the same words.
  function showError(form, text) {
    let box = form.previousElementSibling;
    if (!box || !box.matches('.alert')) {
      box = document.createElement('p');
      box.className = 'alert';
      box.setAttribute('role', 'alert');
      form.before(box);
    }
    box.textContent = text;
    box.scrollIntoView({ block: 'nearest' }); // on a phone it can sit above the fold
    const region = live();
    if (region) region.textContent = '';
    const toast = form.querySelector('.toast'); // an older "Added ..." would contradict it (the panel too)
    if (toast) toast.hidden = true;
  }

  function clearError(form) {
    const box = form.previousElementSibling;
    if (box && box.matches('.alert')) box.remove();
  }

  // POST the form as the browser would, but ask for JSON. Resolves to {ok, message, count}
  // or throws an Error whose message is ready to show the shopper.
  async function post(form) {
    const token = document.querySelector('meta[name="csrf-token"]')?.content || '';
    let res;
    try {
      res = await fetch(form.action, {
        method: 'POST',
        body: new FormData(form),
        headers: { Accept: 'application/json', 'X-CSRFToken': token },
        credentials: 'same-origin',
      });
    } catch (e) {
      const offline = new Error(msg(form, 'network')); // fetch only rejects when the network failed
      offline.offline = true;
      throw offline;
    }
    const data = await res.json().catch(() => null); // a proxy error page is not JSON
    if (res.ok && data && data.ok) return data;
    const refused = new Error((data && data.message) || msg(form, 'failed'));
    refused.variant = data && data.variant; // the variant's stock now, when the shop says why
    throw refused;
  }

  // A refused add tells us the variant's current stock: the page may be older than it. Show the
  // server's words for it and, when it is sold out, stop offering it (as a fresh page would).
  function showVariantState(form, variant) {
    for (const el of $$(`[data-stock-for="${variant.id}"]`, form)) {
      el.textContent = variant.label;
      el.className = `v-stock stock-${variant.state}`;
    }
    if (variant.state !== 'sold_out') return;
    const radio = form.querySelector(`input[type=radio][name=variant_id][value="${variant.id}"]`);
    if (radio) {
      radio.checked = false;
      radio.disabled = true;
      radio.closest('.variant')?.classList.add('is-out');
    }
    if (form.querySelector('input[type=radio][name=variant_id]:not(:disabled)')) return; // others are left
    const button = form.querySelector('button[type=submit]');
    if (!button) return;
    button.disabled = true;
    button.removeAttribute('aria-disabled');
    button.textContent = variant.label;
  }

  // While a request is in flight: aria-disabled (not `disabled`, which would drop keyboard
  // focus from the button) plus aria-busy; the `busy` set blocks double submits.
  const busy = new WeakSet();
  const flag = (el, name, on) => (on ? el.setAttribute(name, 'true') : el.removeAttribute(name));
  function setBusy(form, on) {
    on ? busy.add(form) : busy.delete(form);
    flag(form, 'aria-busy', on);
    // A sold-out button is really disabled by the server and stays so.
    for (const b of $$('button:not(:disabled)', form)) flag(b, 'aria-disabled', on);
  }

  // 1. Add to cart
  const toastTimers = new WeakMap();

  // The product page's panel under the button: the message, then "View cart" and "Checkout".
  // Focus stays on the button (the next Tab reaches the links); the status region says so. It
  // holds links, so it does not vanish on a timer; an offline add (queued) shows no links.
  function showAdded(form, data) {
    const panel = form.querySelector('[data-added]');
    if (!panel) return false;
    panel.querySelector('[data-added-message]').textContent = data.message;
    const links = panel.querySelector('.added-links');
    if (links) links.hidden = data.count === undefined;
    panel.hidden = false;
    announce(data.count === undefined ? data.message : `${data.message} ${panel.dataset.msgNext || ''}`);
    return true;
  }
  async function addToCart(form) {
    setBusy(form, true);
    try {
      let data;
      try {
        data = await post(form);
      } catch (err) {
        if (!err.offline || !window.StorefrontOutbox) throw err;
        // Offline: pwa.js keeps the tap in the outbox and sends it when the shop is reachable.
        const body = new URLSearchParams(new FormData(form)).toString();
        window.dispatchEvent(new CustomEvent('storefront:cart-offline', { detail: body }));
        data = { message: msg(form, 'queued') };
      }
      clearError(form);
      if (data.count !== undefined) setCount(data.count);
      if (showAdded(form, data)) return;
      announce(data.message);
      // Visible confirmation under the button; it is not a live region (the status region
      // already speaks), it just fades in and hides itself again.
      let toast = form.querySelector('.toast');
      if (!toast) {
        toast = document.createElement('p');
        toast.className = 'toast';
        form.append(toast);
      }
      toast.textContent = data.message;
      toast.hidden = false;
      clearTimeout(toastTimers.get(form));
      toastTimers.set(form, setTimeout(() => { toast.hidden = true; }, TOAST_MS));
    } catch (err) {
      showError(form, err.message);
      if (err.variant) showVariantState(form, err.variant);
    } finally {
      setBusy(form, false);
    }
  }

  // 2. Cart quantities. After a saved change the simplest correct view is the server's own:
  // fetch the cart page and swap <main>'s content, keeping our status region node (a freshly
  // inserted live region is often not announced) and the keyboard focus.
  let generation = 0; // bumped on every keystroke: a stale answer must not redraw over new typing

  async function refreshCart(fallbackId) {
    // location.href is the cart page: only cart.html has data-cart-update forms.
    const res = await fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (!res.ok) return; // the change is saved; a failed redraw is not worth an error
    const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
    const main = document.querySelector('main');
    const fresh = doc.querySelector('main');
    if (!main || !fresh) return;
    // Keep focus only if it was ours to keep (in <main>, or lost to <body> with the old node).
    const active = document.activeElement;
    const keep = main.contains(active) || active === document.body;
    const focusId = (active && active.id) || fallbackId;
    const region = live();
    const freshRegion = fresh.querySelector('[data-live]');
    if (region && freshRegion) freshRegion.replaceWith(region);
    main.replaceChildren(...fresh.childNodes);
    // The line may be gone (quantity 0): focus then falls back to <main> (tabindex=-1).
    if (keep) (document.getElementById(focusId) || main).focus();
  }

  // One request per line at a time, so the server sees the changes in order; a change made
  // meanwhile is sent right after (it reads the input's value at that moment).
  const queued = new WeakSet();
  async function updateCart(form) {
    if (busy.has(form)) { queued.add(form); return; }
    const mine = generation;
    setBusy(form, true);
    try {
      // Quantity changes are not queued offline: the cart page itself needs the network.
      const data = await post(form);
      clearError(form);
      setCount(data.count);
      announce(data.message);
      if (mine === generation && !queued.has(form)) {
        await refreshCart(form.elements.quantity.id).catch(() => {}); // same when offline
      }
    } catch (err) {
      showError(form, err.message);
    } finally {
      setBusy(form, false);
      if (queued.delete(form)) updateCart(form);
    }
  }

  const timers = new WeakMap();
  document.addEventListener('input', (e) => {
    const input = e.target;
    const form = input.form;
    if (!form || !form.matches('form[data-cart-update]') || input.name !== 'quantity') return;
    generation++;
    clearTimeout(timers.get(form));
    timers.set(form, setTimeout(() => {
      // Half-typed or out-of-range values wait; the Update button shows the browser's message.
      if (input.value !== '' && input.checkValidity()) updateCart(form);
    }, DEBOUNCE_MS));
  });

  // One delegated listener: it keeps working after the cart content is swapped.
  document.addEventListener('submit', (e) => {
    const form = e.target;
    const add = form.matches('form[data-add-to-cart]');
    if (!add && !form.matches('form[data-cart-update]')) return;
    e.preventDefault();
    if (add) { if (!busy.has(form)) addToCart(form); }
    else { clearTimeout(timers.get(form)); generation++; updateCart(form); }
  });

  // 3. Gallery: mark the dot of the photo in view (the swipe and the #photo-N links need no script),
  // and move to a photo without the page jumping to the gallery's top.
  for (const gallery of $$('[data-gallery]')) {
    const track = gallery.querySelector('[data-gallery-track]');
    const dots = [...$$('[data-gallery-dot]', gallery)];
    if (!track || !dots.length) continue;
    let frame = 0;
    const mark = () => {
      frame = 0;
      const index = Math.round(Math.abs(track.scrollLeft) / (track.clientWidth || 1)); // RTL scrolls negative
      dots.forEach((dot, i) => flag(dot, 'aria-current', i === index));
    };
    track.addEventListener('scroll', () => { frame = frame || requestAnimationFrame(mark); }, { passive: true });
    gallery.addEventListener('click', (e) => {
      const dot = e.target.closest('[data-gallery-dot]');
      const slide = dot && document.getElementById(dot.hash.slice(1));
      if (!slide) return;
      e.preventDefault();
      slide.scrollIntoView({ block: 'nearest', inline: 'center' });
    });
    mark();
  }

  // 4. Badge: hide "0" now, and re-read it when the page comes back from the back/forward
  // cache (the count may have changed on another page); the server keeps it in cookie cart_n.
  setCount();
  addEventListener('pageshow', (e) => {
    if (e.persisted) setCount();
  });
})();
