/* "Use my location" on /stores. Without this file (or when the shopper says no) the city/postcode
   form and the list of all stores still work; here the browser's position fills a GET form. */
(() => {
  'use strict';

  const form = document.querySelector('[data-geo-form]');
  if (!form || !('geolocation' in navigator)) return;
  const button = form.querySelector('[data-geo-button]');
  const live = document.querySelector('[data-live]');
  const fallback = document.querySelector('[data-geo-fallback]');

  function say(text) {
    if (!live) return;
    live.textContent = '';
    setTimeout(() => { live.textContent = text; }, 50);
  }

  form.hidden = false;
  button.addEventListener('click', () => {
    button.disabled = true;
    say(form.dataset.msgLocating);
    navigator.geolocation.getCurrentPosition(
      (position) => {
        // Five decimals (about a metre) are plenty to rank stores, and say less about the shopper.
        form.querySelector('[data-geo-lat]').value = position.coords.latitude.toFixed(5);
        form.querySelector('[data-geo-lng]').value = position.coords.longitude.toFixed(5);
        form.submit();
      },
      (error) => {
        button.disabled = false;
        say(error.code === error.PERMISSION_DENIED ? form.dataset.msgDenied : form.dataset.msgFailed);
        if (fallback) fallback.focus();
      },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 },
    );
  });
})();
