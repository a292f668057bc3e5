// Progressive enhancement of the week grid (src/timesheets/week-view.ts): a changed
// cell saves when it loses focus, through PUT /api/v1/me/week-cells, and the row, day
// and week totals follow. Without this file the grid's form posts all cells at once.
(() => {
  const form = document.getElementById('week-grid');
  if (!form) return;
  const csrf = form.querySelector('input[name=_csrf]');
  const status = document.getElementById('grid-status');
  const hm = (m) => `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`;
  const say = (text) => { if (status) status.textContent = text; };

  const sumRow = (row) => {
    let total = 0;
    for (const el of form.querySelectorAll('[data-row][data-minutes]')) if (el.dataset.row === row && el.tagName !== 'TR') total += Number(el.dataset.minutes) || 0;
    for (const el of form.querySelectorAll('[data-row-total]')) if (el.dataset.rowTotal === row) el.textContent = hm(total);
  };
  const sumWeek = () => {
    let total = 0;
    for (const el of form.querySelectorAll('[data-day-total]')) total += Number(el.dataset.minutes ?? NaN) || parse(el.textContent);
    const week = document.getElementById('week-total');
    if (week) week.textContent = hm(total);
  };
  const parse = (t) => { const m = /^(\d+):(\d{2})$/.exec((t || '').trim()); return m ? Number(m[1]) * 60 + Number(m[2]) : 0; };

  const save = async (input) => {
    const typed = input.value.trim();
    if (typed === (input.dataset.saved ?? input.defaultValue.trim())) return;
    const [project_id, task] = input.dataset.row.split('/');
    input.setAttribute('aria-busy', 'true');
    try {
      const res = await fetch('/api/v1/me/week-cells', {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf ? csrf.value : '' },
        body: JSON.stringify({ date: input.dataset.date, project_id, task_id: task || null, hours: typed }),
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) {
        input.setAttribute('aria-invalid', 'true');
        const fields = body && body.error && body.error.details;
        // The API answers in English (its clients depend on it); a page in another language says it in its own words.
        const why = status.dataset.problem || (Array.isArray(fields) ? fields.map((f) => f.message).join('; ') : (body && body.error && body.error.message) || res.status);
        say(`${status.dataset.failed} (${input.getAttribute('aria-label')}): ${why}`);
        return;
      }
      input.removeAttribute('aria-invalid');
      input.dataset.minutes = String(body.minutes);
      input.value = body.minutes ? hm(body.minutes) : '';
      input.dataset.saved = input.value;
      const day = form.querySelector(`[data-day-total="${body.date}"]`);
      if (day) { day.textContent = hm(body.day_total_minutes); day.dataset.minutes = String(body.day_total_minutes); }
      sumRow(input.dataset.row);
      sumWeek();
      say(`${status.dataset.saved} ${input.getAttribute('aria-label')}: ${input.value || '0:00'}`);
    } finally {
      input.removeAttribute('aria-busy');
    }
  };
  form.addEventListener('focusout', (e) => {
    const input = e.target;
    if (input instanceof HTMLInputElement && input.hasAttribute('data-cell')) void save(input);
  });
  // Enter in a cell saves that cell (as leaving it would) rather than posting the whole grid.
  form.addEventListener('keydown', (e) => {
    const input = e.target;
    if (e.key === 'Enter' && input instanceof HTMLInputElement && input.hasAttribute('data-cell')) {
      e.preventDefault();
      void save(input);
    }
  });
})();
