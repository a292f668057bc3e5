// After a save that posted a form and came back (day page, week grid without script),
// the address ends in the id of the row or cell just saved. The browser scrolls
// there; this puts the keyboard focus there too, so keyboard and screen-reader users
// carry on where they were instead of at the top of the page.
(() => {
  const id = decodeURIComponent(location.hash.slice(1));
  if (!/^(entry|cell)-[\w-]+$/.test(id) && !/^(day-state|entries|add-entry|week-grid)$/.test(id)) return;
  const target = document.getElementById(id);
  if (!target) return;
  if (!(target instanceof HTMLInputElement || target instanceof HTMLButtonElement || target.hasAttribute('tabindex'))) target.setAttribute('tabindex', '-1');
  target.focus({ preventScroll: false });
})();
