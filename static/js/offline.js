/* The offline page lists the viewed products this device can show offline; "My orders" lists
 * the order links kept on this device. Both read what pwa.js remembered in localStorage. */
(() => {
  'use strict';
  function read(key) { try { return JSON.parse(localStorage.getItem(key)) || []; } catch (e) { return []; } }
  function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; return e; }

  const products = document.querySelector('[data-offline-products]');
  if (products) {
    const viewed = read('viewed');
    const available = 'caches' in window
      ? Promise.all(viewed.map((p) => caches.match(p.url).then((hit) => (hit ? p : null))))
      : Promise.resolve([]);
    available.then((list) => {
      list = list.filter(Boolean);
      list.forEach((p) => {
        const li = el('li', 'card');
        const a = el('a');
        a.href = p.url;
        if (p.image) { const img = el('img'); img.src = p.image; img.alt = ''; img.width = 320; img.height = 320; a.append(img); }
        a.append(el('span', 'card-title', p.title), el('span', 'card-price', p.price));
        li.append(a);
        products.append(li);
      });
      document.querySelector('[data-offline-empty]').hidden = list.length > 0;
    });
  }

  const orders = document.querySelector('[data-my-orders]');
  if (orders) {
    const placed = read('orders');
    placed.forEach((o) => {
      const li = el('li', 'line');
      const a = el('a', null, o.ref);
      a.href = o.url;
      li.append(a, el('span', 'muted', o.placed || ''), el('span', null, o.total || ''));
      orders.append(li);
    });
    document.querySelector('[data-my-orders-empty]').hidden = placed.length > 0;
  }
})();
