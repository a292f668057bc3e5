// The timer widget in the header of every page (progressive enhancement: without this
// file the widget is a link to /timesheets/timer). Talks to the JSON API with the
// page's CSRF token; strings come from data attributes set by the server.
(() => {
  const box = document.getElementById('timer-widget');
  const token = document.querySelector('meta[name="csrf-token"]');
  if (!box || !token) return;
  const s = (k) => box.dataset['timer' + k.charAt(0).toUpperCase() + k.slice(1)] || k;
  let projects = [];
  let state = null;
  let tick = null;
  let last = null; // the entry the last stop made

  const api = async (method, path, body) => {
    const res = await fetch('/api/v1' + path, {
      method, credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': token.content, accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) throw new Error((data && data.message) || String(res.status));
    return data;
  };
  const el = (tag, attrs = {}, text) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const clock = (secs) => {
    const h = Math.floor(secs / 3600), m = Math.floor((secs % 3600) / 60), x = secs % 60;
    return `${h}:${String(m).padStart(2, '0')}:${String(x).padStart(2, '0')}`;
  };
  const localDate = (iso) => {
    const d = new Date(iso);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  const picker = (selected) => {
    const sel = el('select', { id: 'timer-project', name: 'project', 'aria-label': s('project') });
    for (const p of projects) {
      const o = el('option', { value: p.id }, (p.customer_name ? p.customer_name + ' — ' : '') + p.name);
      if (selected === p.id) o.selected = true;
      sel.append(o);
      for (const task of p.tasks || []) {
        const ot = el('option', { value: p.id + '/' + task.id }, p.name + ' › ' + task.name);
        if (selected === p.id + '/' + task.id) ot.selected = true;
        sel.append(ot);
      }
    }
    return sel;
  };
  const chosen = () => {
    const [project_id, task_id] = document.getElementById('timer-project').value.split('/');
    return { project_id, task_id: task_id || null, note: document.getElementById('timer-note').value };
  };
  const button = (id, label, fn) => {
    const b = el('button', { type: 'button', id, class: 'link' }, label);
    b.addEventListener('click', () => act(fn, id));
    return b;
  };
  const message = el('span', { id: 'timer-message', role: 'status' });

  async function act(fn, focusId) {
    message.textContent = '';
    try {
      await fn();
      render(focusId);
    } catch (err) {
      message.textContent = s('failed') + ': ' + err.message;
    }
  }

  function render(focusId) {
    clearInterval(tick);
    box.replaceChildren();
    const running = state && state.running;
    const count = el('span', { id: 'timer-count', class: running ? 'running' : '' }, running ? clock(state.elapsed_seconds) : s('idle'));
    box.append(count);
    if (running) {
      const startedAt = Date.now() - state.elapsed_seconds * 1000;
      tick = setInterval(() => { count.textContent = clock(Math.floor((Date.now() - startedAt) / 1000)); }, 1000);
    }
    const form = el('form', { id: 'timer-form', class: 'timer-form' });
    form.append(picker(running ? (state.task_id ? state.project_id + '/' + state.task_id : state.project_id) : undefined));
    const note = el('input', { type: 'text', id: 'timer-note', name: 'note', 'aria-label': s('note'), placeholder: s('note') });
    note.value = running ? state.note || '' : '';
    form.append(note);
    if (running) {
      form.append(button('timer-save', s('save'), async () => { state = await api('PATCH', '/me/timer', chosen()); }));
      form.append(button('timer-switch', s('switch'), async () => { const r = await api('POST', '/me/timer/switch', chosen()); state = r.timer; last = r.entry; }));
      form.append(button('timer-stop', s('stop'), async () => { const r = await api('POST', '/me/timer/stop', {}); state = r.timer; last = r.entry; }));
    } else {
      form.append(button('timer-start', s('start'), async () => { state = await api('POST', '/me/timer/start', chosen()); }));
    }
    // Enter in the note field saves (running) or starts (stopped).
    form.addEventListener('submit', (e) => { e.preventDefault(); document.getElementById(running ? 'timer-save' : 'timer-start').click(); });
    box.append(form);
    if (last) {
      const date = localDate(last.start || last.date);
      const p = el('span', { id: 'timer-last' }, `${s('recorded')}: ${Math.floor(last.minutes / 60)}:${String(last.minutes % 60).padStart(2, '0')} — `);
      p.append(el('a', { href: `/timesheets/day/${date}#entries` }, `${s('onDay')} ${date}`));
      box.append(p);
    }
    box.append(message);
    const again = focusId && document.getElementById(focusId);
    if (again) again.focus();
    else if (focusId) document.getElementById(running ? 'timer-stop' : 'timer-start')?.focus();
  }

  /** Start or stop from the keyboard shortcut (shortcuts.js). */
  window.uurwerkTimerToggle = () => {
    const b = document.getElementById('timer-stop') || document.getElementById('timer-start');
    if (b) b.click();
  };

  Promise.all([api('GET', '/me/timer'), api('GET', '/projects')])
    .then(([timer, list]) => { state = timer; projects = list.projects; render(); })
    .catch(() => { /* the link to the timer page stays */ });
})();
