// Progressive enhancement of project pickers (select[data-picker], from
// src/timesheets/page-kit.ts): an ARIA 1.2 combobox with a list box that searches as
// one types (GET /api/v1/me/project-search: exact code, then prefix, then contains,
// recent first). The <select> stays in the form, hidden, and carries the value;
// without this file it is an ordinary grouped select.
(() => {
  let n = 0;
  const enhance = (select) => {
    const id = `picker-${++n}`;
    const label = document.querySelector(`label[for="${select.id}"]`);
    const box = document.createElement('span');
    box.className = 'picker';
    const input = document.createElement('input');
    input.type = 'text';
    input.id = `${id}-input`;
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', `${id}-list`);
    input.setAttribute('autocomplete', 'off');
    input.placeholder = select.dataset.searchLabel || '';
    const hint = document.createElement('span');
    hint.id = `${id}-hint`;
    hint.className = 'visually-hidden';
    hint.textContent = select.dataset.searchLabel || '';
    input.setAttribute('aria-describedby', hint.id);
    const list = document.createElement('ul');
    list.id = `${id}-list`;
    list.setAttribute('role', 'listbox');
    if (label) { label.htmlFor = input.id; list.setAttribute('aria-label', label.textContent); }
    list.hidden = true;
    const chosen = select.selectedOptions[0];
    input.value = chosen ? chosen.textContent : '';
    box.append(input, hint, list);
    select.hidden = true;
    select.tabIndex = -1;
    select.after(box);

    let items = [];
    let active = -1;
    let timer;
    const open = (yes) => { list.hidden = !yes; input.setAttribute('aria-expanded', yes ? 'true' : 'false'); if (!yes) { active = -1; input.removeAttribute('aria-activedescendant'); } };
    const mark = (i) => {
      active = i;
      [...list.children].forEach((li, j) => li.setAttribute('aria-selected', j === i ? 'true' : 'false'));
      const li = list.children[i];
      if (li && li.id) { input.setAttribute('aria-activedescendant', li.id); li.scrollIntoView({ block: 'nearest' }); }
    };
    const choose = (i) => {
      const item = items[i];
      if (!item) return;
      select.value = item.value;
      input.value = item.label;
      select.dispatchEvent(new Event('change', { bubbles: true }));
      open(false);
    };
    const render = () => {
      list.replaceChildren();
      if (!items.length) {
        const li = document.createElement('li');
        li.className = 'picker-none';
        li.textContent = select.dataset.none || '';
        list.append(li);
      }
      items.forEach((item, i) => {
        const li = document.createElement('li');
        li.id = `${id}-opt-${i}`;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.textContent = item.label;
        li.addEventListener('mousedown', (e) => { e.preventDefault(); choose(i); });
        list.append(li);
      });
      open(true);
      if (items.length) mark(0);
    };
    const search = async () => {
      const q = input.value.trim();
      const res = await fetch(`/api/v1/me/project-search?q=${encodeURIComponent(q)}`, { headers: { accept: 'application/json' } });
      if (!res.ok) return;
      const body = await res.json();
      if (q !== input.value.trim()) return; // typed on meanwhile
      items = body.results.filter((r) => [...select.options].some((o) => o.value === r.value));
      render();
    };
    // Focus selects the current choice's text, so typing starts a new search.
    input.addEventListener('focus', () => input.select());
    input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => void search(), 120); });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        if (list.hidden) void search(); else mark(Math.min(active + 1, items.length - 1));
      } else if (e.key === 'ArrowUp') {
        e.preventDefault();
        if (!list.hidden) mark(Math.max(active - 1, 0));
      } else if (e.key === 'Enter') {
        if (!list.hidden && active >= 0) { e.preventDefault(); choose(active); }
      } else if (e.key === 'Escape') {
        if (!list.hidden) { e.preventDefault(); open(false); }
      }
    });
    input.addEventListener('blur', () => {
      open(false);
      const current = select.selectedOptions[0];
      input.value = current ? current.textContent : '';
    });
  };
  document.querySelectorAll('select[data-picker]').forEach(enhance);
})();
