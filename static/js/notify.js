/* "Tell me when ..." buttons ([data-push]): shown only where the browser can take push messages;
 * a tap (never the page load) asks for permission, subscribes with the shop's key, and posts the
 * subscription for this order, watch or account to data-push-url with the CSRF header. */
(() => {
  'use strict';
  if (!('serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window)) return;
  const READY_MS = 10000;

  // The server's key is base64url text; subscribe() takes its bytes.
  function keyBytes(text) {
    const b64 = (text + '='.repeat((4 - text.length % 4) % 4)).replace(/-/g, '+').replace(/_/g, '/');
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }
  function sameKey(sub, key) {
    const old = sub.options && sub.options.applicationServerKey;
    return !old || new Uint8Array(old).join() === key.join();
  }
  function ready() {
    return Promise.race([navigator.serviceWorker.ready,
      new Promise((resolve, reject) => setTimeout(reject, READY_MS, new Error('no worker')))]);
  }

  async function subscribe(el, status) {
    const d = el.dataset;
    const permission = Notification.permission === 'denied' ? 'denied' : await Notification.requestPermission();
    if (permission !== 'granted') {  // 'default': the prompt was dismissed, it may be asked again
      status.textContent = permission === 'denied' ? d.msgDenied : d.msgFailed;
      return;
    }
    const key = keyBytes(d.pushKey);
    let sub;
    try {
      const push = (await ready()).pushManager;
      sub = await push.getSubscription();
      if (sub && !sameKey(sub, key)) { await sub.unsubscribe(); sub = null; }  // the shop's key changed
      sub = sub || await push.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    } catch (err) {
      status.textContent = d.msgFailed;
      return;
    }
    const owner = d.pushFor === 'account' ? { account: true } : { [d.pushFor]: d.pushToken };
    const csrf = el.querySelector('[name="csrf_token"]') || document.querySelector('meta[name="csrf-token"]');
    let reply = {};
    try {
      const response = await fetch(d.pushUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json',
          'X-CSRFToken': csrf ? csrf.value || csrf.content : '' },
        body: JSON.stringify({ subscription: sub.toJSON(), ...owner }),
      });
      try { reply = (await response.json()) || {}; } catch (err) { /* not JSON: the generic message */ }
      reply.ok = response.ok && reply.ok !== false;
    } catch (err) { /* offline */ }
    status.textContent = reply.message || (reply.ok ? d.msgDone : d.msgFailed);
  }

  document.querySelectorAll('[data-push]').forEach((el) => {
    const button = el.querySelector('[data-push-button]');
    const status = el.querySelector('[data-push-status]');
    if (!button || !status) return;
    el.hidden = false;
    button.addEventListener('click', () => {
      button.disabled = true;
      status.textContent = '';
      subscribe(el, status).catch(() => { status.textContent = el.dataset.msgFailed; })
        .then(() => { button.disabled = false; });
    });
  });
})();
