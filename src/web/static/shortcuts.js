// Keyboard shortcuts for signed-in pages, listed in the help dialog (?). They never
// fire while typing in a field or with a modifier held, so they do not steal keys.
(() => {
  const dialog = document.getElementById('shortcuts');
  const opener = document.getElementById('shortcuts-open');
  if (!dialog) return;
  let returnTo = null;
  const openHelp = () => {
    returnTo = document.activeElement;
    dialog.showModal(); // modal: focus stays inside, Escape closes
  };
  dialog.addEventListener('close', () => { if (returnTo && returnTo.focus) returnTo.focus(); });
  if (opener) {
    opener.hidden = false;
    opener.addEventListener('click', openHelp);
  }
  const typing = (t) => t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  const today = () => {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  const shift = (date, days) => {
    const d = new Date(date + 'T12:00:00Z');
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  };
  // Previous/next: a link the page marks rel=prev / rel=next, else the day or week
  // next to the one in the address (day page, week page).
  const follow = (rel) => {
    const a = document.querySelector(`main a[rel~="${rel}"]`);
    if (a) return location.assign(a.href);
    const step = rel === 'next' ? 1 : -1;
    const day = /^\/timesheets\/day\/(\d{4}-\d{2}-\d{2})$/.exec(location.pathname);
    if (day) return location.assign(`/timesheets/day/${shift(day[1], step)}`);
    if (location.pathname === '/timesheets') {
      const week = new URLSearchParams(location.search).get('week') || today();
      location.assign(`/timesheets?week=${shift(week, 7 * step)}`);
    }
  };
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target) || dialog.open) return;
    const actions = {
      '?': openHelp,
      t: () => window.uurwerkTimerToggle && window.uurwerkTimerToggle(),
      n: () => {
        const form = document.querySelector('#add-entry');
        const first = form && form.querySelector('select, input:not([type=hidden])');
        if (first) first.focus();
        else location.assign(`/timesheets/day/${today()}#add-entry`);
      },
      w: () => location.assign('/timesheets'),
      '[': () => follow('prev'),
      ']': () => follow('next'),
    };
    const fn = actions[e.key];
    if (!fn) return;
    e.preventDefault();
    fn();
  });
})();
