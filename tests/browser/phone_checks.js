/* What tests/browser/test_phone_pages.py measures in a page on a 360 px phone: returns the problems
   (document overflow, submit buttons cut off sideways, small tap targets), each naming the element.
   Evaluated by Playwright (a function expression; its argument: open every <details> first). */
(openDetails) => {
  if (openDetails) document.querySelectorAll('details').forEach((d) => { d.open = true; });
  const width = window.innerWidth;
  const name = (el) => {
    let text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim().replace(/\s+/g, ' ');
    if (text.length > 40) text = `${text.slice(0, 40)}...`;
    const id = el.id ? `#${el.id}` : '';
    const cls = typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
    const type = el.type && el.tagName === 'INPUT' ? `[type=${el.type}]` : '';
    const form = el.closest('form');
    const where = form ? ` in form[action=${form.getAttribute('action')}]` : '';
    return `${el.tagName.toLowerCase()}${id}${cls}${type} "${text}"${where}`;
  };
  const shown = (el) => {
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && r.bottom + window.scrollY > 0; // not the parked skip link
  };
  const inlineInText = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
    if (!block) return false;
    return block.textContent.replace(/\s+/g, '').length > el.textContent.replace(/\s+/g, '').length;
  };
  const problems = {overflow: [], submits: [], targets: []};
  const doc = document.documentElement;
  if (doc.scrollWidth > width) {
    const wide = [...document.body.querySelectorAll('*')].filter((el) => {
      const r = el.getBoundingClientRect();
      const parent = el.parentElement.getBoundingClientRect();
      return r.right > width + 1 && parent.right <= width + 1 && shown(el);
    });
    problems.overflow.push(`document is ${doc.scrollWidth} px wide; sticking out: ` +
      (wide.slice(0, 5).map((el) => `${name(el)} (right edge ${Math.round(el.getBoundingClientRect().right)} px)`).join('; ') || '?'));
  }
  const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  for (const el of document.querySelectorAll(controls)) {
    if (!shown(el) || inlineInText(el)) continue;
    let r = el.getBoundingClientRect();
    if ((el.type === 'checkbox' || el.type === 'radio') && el.labels && el.labels.length) {
      const l = el.labels[0].getBoundingClientRect(); // the label is the tap target too
      r = {width: Math.max(r.width, l.width), height: Math.max(r.height, l.height)};
    }
    const wordLink = el.tagName === 'A' && el.innerText.trim().length > 0; // a word is wide enough at 24 px
    if (r.height < 43.5 || r.width < (wordLink ? 23.5 : 43.5)) {
      problems.targets.push(`${name(el)} is ${Math.round(r.width)} x ${Math.round(r.height)} px`);
    }
  }
  const submits = 'button:not([type=button]):not([type=reset]), input[type=submit], input[type=image]';
  for (const form of document.forms) {
    for (const button of form.querySelectorAll(submits)) {
      if (!shown(button)) continue;
      const top = button.getBoundingClientRect().top + window.scrollY;
      window.scrollTo(0, Math.max(0, top - window.innerHeight / 2));
      const r = button.getBoundingClientRect();
      if (r.left < -0.5 || r.right > width + 0.5) {
        problems.submits.push(`${name(button)} spans ${Math.round(r.left)}..${Math.round(r.right)} px`);
      }
    }
  }
  window.scrollTo(0, 0);
  return problems;
}
