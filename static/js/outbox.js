/* The outbox: POSTs made while offline (behaviour beacons, add-to-cart taps), kept in IndexedDB
 * and sent again when the network is back. Shared by the page (pwa.js) and the service worker
 * (importScripts), so whichever runs first when the shop is reachable again empties it. */
(function (scope) {
  'use strict';
  var DB = 'storefront-outbox', STORE = 'requests', MAX_ITEMS = 200;

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, {keyPath: 'id', autoIncrement: true}); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode), result;
        Promise.resolve(work(tx.objectStore(STORE))).then(function (r) { result = r; });
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }

  function all() {
    return run('readonly', function (store) {
      return new Promise(function (resolve) {
        var req = store.getAll();
        req.onsuccess = function () { resolve(req.result || []); };
        req.onerror = function () { resolve([]); };
      });
    });
  }

  // item: {kind, url, body, contentType, headers}
  function add(item) {
    return all().then(function (items) {
      if (items.length >= MAX_ITEMS) return false;  // bounded: an offline week must not fill the disk
      return run('readwrite', function (store) { store.add(item); return true; });
    });
  }

  // Page and worker may flush at the same moment: each item is claimed in a write
  // transaction first (IndexedDB runs those one at a time), so only one of them sends it.
  var CLAIM_MS = 30000;
  function claim(id, take) {
    return run('readwrite', function (store) {
      return new Promise(function (resolve) {
        var req = store.get(id);
        req.onsuccess = function () {
          var item = req.result;
          var busy = item && item.claimed && Date.now() - item.claimed < CLAIM_MS;
          if (!item || (take && busy)) { resolve(false); return; }
          if (take) item.claimed = Date.now(); else delete item.claimed;
          store.put(item);
          resolve(true);
        };
        req.onerror = function () { resolve(false); };
      });
    });
  }

  var flushing = null;
  // Send every queued request in order; stop at the first network failure (still offline).
  function flush(onSent) {
    if (flushing) return flushing;
    flushing = all().then(function (items) {
      return items.reduce(function (chain, item) {
        return chain.then(function (goOn) {
          if (!goOn) return false;
          return claim(item.id, true).then(function (mine) {
            if (!mine) return true;  // the other side is sending this one
            return send(item, onSent);
          });
        });
      }, Promise.resolve(true));
    }).catch(function () { return false; }).then(function (r) { flushing = null; return r; });
    return flushing;
  }

  function send(item, onSent) {
    return fetch(item.url, {method: 'POST', body: item.body, credentials: 'same-origin',
      headers: Object.assign({'Content-Type': item.contentType}, item.headers || {})})
      .then(function (response) {
        // Accepted, or refused for good (sold out meanwhile): either way it leaves the box.
        if (response.status >= 500 || response.status === 429) return claim(item.id, false).then(function () { return false; });
        return run('readwrite', function (store) { store.delete(item.id); }).then(function () {
          if (onSent) onSent(item, response);
          return true;
        });
      }, function () { return claim(item.id, false).then(function () { return false; }); });
  }

  scope.StorefrontOutbox = {add: add, flush: flush, all: all};
})(self);
