// Admin > Brand: keeps each colour picker and its hex field in step, and shows a live preview
// with the contrast of each pair (the server checks again before saving: this only helps).
(() => {
  'use strict';
  const form = document.querySelector('.brand-form');
  if (!form) return;
  const preview = document.querySelector('[data-brand-preview]');
  const report = document.querySelector('[data-contrast-report]');
  const HEX = /^#?([0-9a-f]{6}|[0-9a-f]{3})$/i;

  function normal(text) {
    const m = HEX.exec((text || '').trim());
    if (!m) return null;
    const d = m[1].length === 3 ? m[1].split('').map((c) => c + c).join('') : m[1];
    return '#' + d.toLowerCase();
  }
  // WCAG 2.x relative luminance and contrast ratio (as storefront/brand/rules.py).
  function luminance(hex) {
    const ch = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  }
  function ratio(a, b) {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }
  function value(name) {
    const field = form.elements[name];
    return field ? normal(field.value) : null;
  }

  function update() {
    const br = value('theme_color');
    const bg = value('background_color');
    const acc = value('accent_color');
    if (!preview || !br || !bg || !acc) return;
    preview.style.setProperty('--br', br);
    preview.style.setProperty('--bg', bg);
    preview.style.setProperty('--acc', acc);
    const pairs = [[report.dataset.buttons, '#ffffff', br], [report.dataset.links, br, bg],
      [report.dataset.cards, br, '#ffffff'], [report.dataset.announce, '#1a2a30', acc]];
    report.textContent = pairs.map(([label, fg, back]) => {
      const r = ratio(fg, back);
      return `${label}: ${r.toFixed(2)}:1 ${r >= 4.5 ? '✓' : '✗'}`;
    }).join(' · ');
  }

  for (const picker of form.querySelectorAll('input[type=color][data-colour-for]')) {
    const text = document.getElementById(picker.dataset.colourFor);
    picker.addEventListener('input', () => { text.value = picker.value; update(); });
    text.addEventListener('input', () => {
      const hex = normal(text.value);
      if (hex) picker.value = hex;
      update();
    });
  }
  const name = form.elements.name;
  const shown = preview && preview.querySelector('[data-preview-name]');
  if (name && shown) name.addEventListener('input', () => { shown.textContent = name.value; });
  if (preview) {
    preview.hidden = false;
    update();
  }
})();
