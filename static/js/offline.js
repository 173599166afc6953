/* The offline page lists the viewed products this device can show offline; "My orders" lists
 * the order links kept on this device. Both read what pwa.js remembered in localStorage. */
(function () {
  'use strict';
  function read(key) { try { return JSON.parse(localStorage.getItem(key)) || []; } catch (e) { return []; } }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; return e; }

  var products = document.querySelector('[data-offline-products]');
  if (products) {
    var viewed = read('viewed');
    var available = 'caches' in window
      ? Promise.all(viewed.map(function (p) { return caches.match(p.url).then(function (hit) { return hit ? p : null; }); }))
      : Promise.resolve([]);
    available.then(function (list) {
      list = list.filter(Boolean);
      list.forEach(function (p) {
        var li = el('li', 'card'), a = el('a');
        a.href = p.url;
        if (p.image) { var img = el('img'); img.src = p.image; img.alt = ''; img.width = 320; img.height = 320; a.append(img); }
        a.append(el('span', 'card-title', p.title), el('span', 'card-price', p.price));
        li.append(a);
        products.append(li);
      });
      document.querySelector('[data-offline-empty]').hidden = list.length > 0;
    });
  }

  var orders = document.querySelector('[data-my-orders]');
  if (orders) {
    var placed = read('orders');
    placed.forEach(function (o) {
      var li = el('li', 'line'), a = el('a', null, o.ref);
      a.href = o.url;
      li.append(a, el('span', 'muted', o.placed || ''), el('span', null, o.total || ''));
      orders.append(li);
    });
    document.querySelector('[data-my-orders-empty]').hidden = placed.length > 0;
  }
})();
