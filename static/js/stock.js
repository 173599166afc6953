// Stock adjust forms: the − and + buttons change the typed number by one (without JavaScript
// they stay hidden and the number is typed). One listener for the page, so a page that loads
// this script more than once still steps by one.
(() => {
  'use strict';
  if (document.documentElement.dataset.stockSteppers) return;
  document.documentElement.dataset.stockSteppers = '1';

  const reveal = () => {
    document.querySelectorAll('.stock-adjust [data-step]').forEach((button) => { button.hidden = false; });
  };

  document.addEventListener('click', (event) => {
    const button = event.target.closest('.stock-adjust [data-step]');
    if (!button) return;
    const field = document.getElementById(button.getAttribute('aria-controls'));
    if (!field) return;
    const now = parseInt(field.value, 10);
    field.value = String((Number.isNaN(now) ? 0 : now) + Number(button.dataset.step));
    field.dispatchEvent(new Event('input', { bubbles: true }));
  });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', reveal);
  else reveal();
})();
