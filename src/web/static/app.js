// Progressive enhancement only: every page works without this file.
document.addEventListener('DOMContentLoaded', () => {
  // Moves focus to <main> after following the skip link, for browsers that do not.
  const skip = document.querySelector('.skip-link');
  const main = document.getElementById('main');
  if (skip && main) skip.addEventListener('click', () => main.focus());
});

// After a save the server redirects to the page with a fragment naming where the
// action was (a row, a form): focus goes back there, not to the top of the page.
// Done after load, because the browser's own scroll to the fragment resets focus.
window.addEventListener('load', () => {
  const id = decodeURIComponent(location.hash.slice(1));
  const target = id && document.getElementById(id);
  if (!target || target.id === 'main') return;
  const focusable = target.matches('a, button, input, select, textarea') ? target : target.querySelector('input:not([type=hidden]), select, textarea, button, a[href]');
  const to = focusable || target;
  if (!focusable && !to.hasAttribute('tabindex')) to.setAttribute('tabindex', '-1');
  setTimeout(() => to.focus(), 0);
});
