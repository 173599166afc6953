/* Several products in one share (templates/showcase/_share_many.html). Without this file the
   read-only message and the WhatsApp and Telegram links still work; here we add "Copy message"
   (clipboard, or the selected text and execCommand) and "Share": the phone's share sheet with each
   product's photo as a file where the browser can share files (Web Share Level 2), else the text
   alone, else nothing (the text block stays). Results are announced in the box's live region. */
(() => {
  'use strict';

  function announcer(box) {
    const status = box.querySelector('[data-share-many-status]');
    return (text) => {
      if (!status || !text) return;
      status.textContent = '';
      setTimeout(() => { status.textContent = text; }, 50);
    };
  }

  // Each product's photo (same origin) as a File; a photo that fails to load is left out.
  async function photoFiles(box) {
    const entries = Array.from(box.querySelectorAll('[data-share-many-photos] [data-photo]'));
    const files = await Promise.all(entries.map(async (entry) => {
      try {
        const response = await fetch(entry.dataset.photo, { credentials: 'same-origin' });
        if (!response.ok) return null;
        const blob = await response.blob();
        return new File([blob], entry.dataset.name, { type: blob.type || 'image/jpeg' });
      } catch (err) {
        return null;
      }
    }));
    return files.filter(Boolean);
  }

  async function share(box, field, announce, ready) {
    const data = { title: box.dataset.shareTitle, text: field.value };
    let files = [];
    try { files = await ready; } catch (err) { files = []; }
    const withFiles = Object.assign({ files }, data);
    try {
      if (files.length && navigator.canShare && navigator.canShare({ files })) {
        await navigator.share(withFiles);
        announce(box.dataset.msgShared);
      } else {
        await navigator.share(data);
        announce(box.dataset.msgSharedText);
      }
    } catch (err) {
      // A dismissed sheet rejects with AbortError: nothing to tell the seller.
      if (!err || err.name !== 'AbortError') announce(box.dataset.msgShareFailed);
    }
  }

  function copy(box, field, announce) {
    const fallback = () => {
      field.focus();
      field.select();
      let done = false;
      try { done = document.execCommand('copy'); } catch (err) { done = false; }
      announce(done ? box.dataset.msgCopied : box.dataset.msgCopyFailed);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(() => announce(box.dataset.msgCopied), fallback);
    } else {
      fallback();
    }
  }

  function setUp(box) {
    const field = box.querySelector('[data-share-many-text]');
    if (!field) return;
    const announce = announcer(box);
    field.addEventListener('focus', () => field.select());
    const copyButton = box.querySelector('[data-share-many-copy]');
    if (copyButton) {
      copyButton.hidden = false;
      copyButton.addEventListener('click', () => copy(box, field, announce));
    }
    const shareButton = box.querySelector('[data-share-many-share]');
    if (shareButton && typeof navigator.share === 'function') {
      // Photos are fetched now, not on the tap: the share sheet must open while the tap still counts.
      const ready = photoFiles(box);
      shareButton.hidden = false;
      shareButton.addEventListener('click', () => {
        shareButton.disabled = true;
        share(box, field, announce, ready).finally(() => { shareButton.disabled = false; });
      });
    }
  }

  document.querySelectorAll('[data-share-many]').forEach(setUp);
})();
