/* Copy buttons on the seller's dashboard. Without this file the links sit in read-only fields to
   select and copy by hand; here each gets a Copy button (clipboard, or the selected field and
   execCommand where the clipboard API is missing), announced in a live region. */
(() => {
  'use strict';

  const status = document.querySelector('[data-copy-status]');

  function announce(text) {
    if (!status) return;
    status.textContent = '';
    setTimeout(() => { status.textContent = text; }, 50);
  }

  function fallback(field) {
    field.focus();
    field.select();
    let done = false;
    try { done = document.execCommand('copy'); } catch (err) { done = false; }
    announce(done ? status.dataset.msgCopied : status.dataset.msgCopyFailed);
  }

  document.querySelectorAll('[data-copy-field]').forEach((field) => {
    field.addEventListener('focus', () => field.select());
  });
  document.querySelectorAll('[data-copy-for]').forEach((button) => {
    const field = document.getElementById(button.dataset.copyFor);
    if (!field) return;
    button.hidden = false;
    button.addEventListener('click', () => {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(
          () => announce(status.dataset.msgCopied),
          () => fallback(field),
        );
      } else {
        fallback(field);
      }
    });
  });
})();
