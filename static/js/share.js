/* Share button on the product page. Without this file the WhatsApp, Telegram and QR links and the
   link field still work; here we add the phone's own share sheet (Web Share API) and "Copy link". */
(() => {
  'use strict';

  const live = () => document.querySelector('[data-live]');

  function announce(text) {
    const region = live();
    if (!region) return;
    region.textContent = '';
    setTimeout(() => { region.textContent = text; }, 50);
  }

  function setUp(box) {
    const data = { title: box.dataset.shareTitle, text: box.dataset.shareText, url: box.dataset.shareUrl };
    const native = box.querySelector('[data-share-native]');
    if (native && navigator.share && (!navigator.canShare || navigator.canShare(data))) {
      native.hidden = false;
      native.addEventListener('click', () => {
        // A dismissed sheet rejects with AbortError: nothing to tell the shopper.
        navigator.share(data).catch(() => {});
      });
    }
    const field = box.querySelector('[data-share-url-field]');
    if (field) field.addEventListener('focus', () => field.select());
    const copy = box.querySelector('[data-share-copy]');
    if (copy && navigator.clipboard && window.isSecureContext) {
      copy.hidden = false;
      copy.addEventListener('click', () => {
        navigator.clipboard.writeText(data.url).then(
          () => announce(box.dataset.msgCopied || 'Link copied.'),
          () => {
            if (field) { field.focus(); field.select(); }
            announce(box.dataset.msgCopyFailed || 'Could not copy. Select the link and copy it.');
          },
        );
      });
    }
  }

  document.querySelectorAll('[data-share-box]').forEach(setUp);
})();
