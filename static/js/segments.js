/* The segment builder's live count. Without this file the owner presses "Count" (the form posts
   and the page comes back with the count); here every change asks the JSON count endpoint, at
   most once per pause in typing, and the answer replaces the count in its live region. */
(() => {
  'use strict';

  const form = document.querySelector('[data-segment-builder]');
  const box = document.querySelector('[data-segment-count]');
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
    box.textContent = '';
    const p = document.createElement('p');
    const strong = document.createElement('strong');
    strong.dataset.countValue = '';
    strong.textContent = data.label || data.error || '';
    p.appendChild(strong);
    box.appendChild(p);
    if (data.summary && data.summary.length) {
      const list = document.createElement('ul');
      list.className = 'segment-summary';
      data.summary.forEach((phrase) => {
        const li = document.createElement('li');
        li.textContent = phrase;
        list.appendChild(li);
      });
      box.appendChild(list);
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

  form.addEventListener('input', later);
  form.addEventListener('change', later);
})();
