/* The segment builder's live count. Without this file the owner presses "Count" (the form posts
   and the page comes back with the count); here every change asks the JSON count endpoint, at
   most once per pause in typing, and the answer replaces the count in its live region. */
(() => {
  'use strict';

  const form = document.querySelector('[data-segment-builder]');
  const box = document.querySelector('[data-segment-count]');
  const summaryBox = document.querySelector('[data-segment-summary]');
  if (!form || !box || !window.fetch) return;
  let timer = null;
  let asked = 0;

  function criteria() {
    const params = new URLSearchParams();
    new FormData(form).forEach((value, key) => {
      if (key !== 'csrf_token' && key !== 'name' && key !== 'action') params.append(key, value);
    });
    return params;
  }

  function show(data) {
    const strong = document.createElement('strong');
    strong.dataset.countValue = '';
    strong.textContent = data.label || data.error || '';
    box.replaceChildren(strong);
    if (!summaryBox) return;
    summaryBox.replaceChildren();
    if (data.summary && data.summary.length) {
      const list = document.createElement('ul');
      list.className = 'segment-summary';
      data.summary.forEach((phrase) => {
        const li = document.createElement('li');
        li.textContent = phrase;
        list.appendChild(li);
      });
      summaryBox.appendChild(list);
    }
  }

  function ask() {
    const ticket = ++asked;
    fetch(form.dataset.countUrl + '?' + criteria().toString(), {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    })
      .then((response) => response.json())
      .then((data) => { if (ticket === asked) show(data); })
      .catch(() => {});  // offline or refused: the Count button still works
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(ask, 350);
  }

  form.addEventListener('input', (event) => { if (!event.target.matches('[data-picker-filter]')) later(); });
  form.addEventListener('change', (event) => { if (!event.target.matches('[data-picker-filter]')) later(); });

  // Long pickers (products ...) get a filter box: typing hides the options that do not match;
  // picked options always stay visible. Without JavaScript the whole list is there.
  form.querySelectorAll('select[multiple]').forEach((select) => {
    if (select.options.length < 9) return;
    const input = document.createElement('input');
    input.type = 'search';
    input.id = select.id + '-filter';
    input.dataset.pickerFilter = '';
    input.className = 'picker-filter';
    input.setAttribute('aria-label', (form.dataset.msgFilter || '') + ' ' + (select.labels[0] ? select.labels[0].textContent : ''));
    input.setAttribute('aria-controls', select.id);
    input.autocomplete = 'off';
    input.addEventListener('input', () => {
      const words = input.value.trim().toLowerCase();
      Array.from(select.options).forEach((option) => {
        option.hidden = Boolean(words) && !option.selected && !option.text.toLowerCase().includes(words);
      });
    });
    select.parentNode.insertBefore(input, select);
  });
})();
