/* The outbox: POSTs made while offline (behaviour beacons, add-to-cart taps), kept in IndexedDB
 * and sent again when the network is back. Shared by the page (pwa.js) and the service worker
 * (importScripts), so whichever runs first when the shop is reachable again empties it. */
((scope) => {
  'use strict';
  const DB = 'storefront-outbox';
  const STORE = 'requests';
  const MAX_ITEMS = 200;

  function open() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => { req.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true }); };
      req.onsuccess = () => { resolve(req.result); };
      req.onerror = () => { reject(req.error); };
    });
  }

  function run(mode, work) {
    return open().then((db) => new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      let result;
      Promise.resolve(work(tx.objectStore(STORE))).then((r) => { result = r; });
      tx.oncomplete = () => { resolve(result); };
      tx.onerror = () => { reject(tx.error); };
    }));
  }

  function all() {
    return run('readonly', (store) => new Promise((resolve) => {
      const req = store.getAll();
      req.onsuccess = () => { resolve(req.result || []); };
      req.onerror = () => { resolve([]); };
    }));
  }

  // item: {kind, url, body, contentType, headers}
  function add(item) {
    return all().then((items) => {
      if (items.length >= MAX_ITEMS) return false;  // bounded: an offline week must not fill the disk
      return run('readwrite', (store) => { store.add(item); return true; });
    });
  }

  // Page and worker may flush at the same moment: each item is claimed in a write
  // transaction first (IndexedDB runs those one at a time), so only one of them sends it.
  const CLAIM_MS = 30000;
  function claim(id, take) {
    return run('readwrite', (store) => new Promise((resolve) => {
      const req = store.get(id);
      req.onsuccess = () => {
        const item = req.result;
        const busy = item && item.claimed && Date.now() - item.claimed < CLAIM_MS;
        if (!item || (take && busy)) { resolve(false); return; }
        if (take) item.claimed = Date.now(); else delete item.claimed;
        store.put(item);
        resolve(true);
      };
      req.onerror = () => { resolve(false); };
    }));
  }

  let flushing = null;
  // Send every queued request in order; stop at the first network failure (still offline).
  function flush(onSent) {
    if (flushing) return flushing;
    flushing = all().then((items) => items.reduce(
      (chain, item) => chain.then((goOn) => {
        if (!goOn) return false;
        return claim(item.id, true).then((mine) => {
          if (!mine) return true;  // the other side is sending this one
          return send(item, onSent);
        });
      }),
      Promise.resolve(true),
    )).catch(() => false).then((r) => { flushing = null; return r; });
    return flushing;
  }

  function send(item, onSent) {
    const release = () => claim(item.id, false).then(() => false);  // back in the box for a later flush
    return fetch(item.url, { method: 'POST', body: item.body, credentials: 'same-origin',
      headers: { 'Content-Type': item.contentType, ...item.headers } })
      .then((response) => {
        // Accepted, or refused for good (sold out meanwhile): either way it leaves the box.
        if (response.status >= 500 || response.status === 429) return release();
        return run('readwrite', (store) => { store.delete(item.id); }).then(() => {
          if (onSent) onSent(item, response);
          return true;
        });
      }, release);
  }

  scope.StorefrontOutbox = { add, flush, all };
})(self);
