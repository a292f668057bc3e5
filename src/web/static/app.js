// Progressive enhancement only: every page works without this file.
// Moves focus to <main> after following the skip link, for browsers that do not.
document.addEventListener('DOMContentLoaded', () => {
  const skip = document.querySelector('.skip-link');
  const main = document.getElementById('main');
  if (skip && main) skip.addEventListener('click', () => main.focus());
});
