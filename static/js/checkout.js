/* Checkout: when the shopper switches between delivery and pickup, show the delivery line, total
   and button label of that method. The server renders every method's figures (from its own
   pricing rule); this file only picks which to show and never computes a price. */
(() => {
  'use strict';

  // After a refused submit the error summary has the focus (autofocus; here too for browsers that
  // only autofocus form controls), and its links put the focus in the field, not just scroll to it.
  const summary = document.querySelector('[data-error-summary]');
  if (summary) {
    if (document.activeElement === document.body) summary.focus();
    summary.addEventListener('click', (e) => {
      const link = e.target.closest('a[href^="#"]');
      const box = link && document.getElementById(link.getAttribute('href').slice(1));
      const field = box && box.querySelector('input:not([type=hidden]), select, textarea');
      if (!field) return;
      e.preventDefault();
      field.scrollIntoView({ block: 'center' });
      field.focus();
    });
  }

  const box = document.querySelector('[data-checkout]');
  if (!box) return;
  const live = document.querySelector('[data-live]');

  function show(method, say) {
    const total = box.getAttribute(`data-total-${method}`);
    if (total === null) return; // not a method the server priced: leave the page as rendered
    box.dataset.method = method;
    box.dataset.js = 'on'; // app.css now hides the other methods' figures (without :has() too)
    document.body.dataset.value = total; // what analytics reports as the checkout's value
    const shown = box.querySelector(`[data-total] [data-for-method="${method}"] [data-amount]`);
    if (say && live && shown) {
      live.textContent = '';
      setTimeout(() => { live.textContent = `${box.dataset.msgTotal || 'Total'}: ${shown.textContent}`; }, 50);
    }
  }

  box.addEventListener('change', (e) => {
    if (e.target.name === 'delivery_method' && e.target.checked) show(e.target.value, true);
  });
  const checked = box.querySelector('[name=delivery_method]:checked');
  if (checked) show(checked.value, false); // the browser may restore a different choice on back
})();
