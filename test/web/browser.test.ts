/// <reference lib="dom" />
import test from 'ava';
import { startTestApp } from '../helpers/app.js';
import { launchBrowser } from '../helpers/browser.js';

test('Chromium: the start page renders under the CSP with no violations and works from the keyboard', async (t) => {
  const { url } = await startTestApp(t);
  const browser = await launchBrowser(t);
  const page = await browser.newPage();
  const problems: string[] = [];
  const outside: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(url) && !r.url().startsWith('data:')) outside.push(r.url());
  });
  await page.goto(url + '/?lang=en');
  t.is(await page.title(), 'Welcome to Uurwerk · Uurwerk');
  // The stylesheet applied (CSP allowed it): the skip link is moved off-screen.
  const skipLeft = await page.$eval('.skip-link', (el) => getComputedStyle(el).left);
  t.is(skipLeft, '-9999px');

  // Keyboard: the first Tab reaches the skip link, Enter moves focus to <main>.
  await page.keyboard.press('Tab');
  t.is(await page.evaluate(() => document.activeElement?.className), 'skip-link');
  await page.keyboard.press('Enter');
  t.is(await page.evaluate(() => document.activeElement?.id), 'main');
  // The language switch is reachable by Tab and works with Enter.
  let reached = false;
  for (let i = 0; i < 10 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = (await page.evaluate(() => document.activeElement?.getAttribute('hreflang'))) === 'nl';
  }
  t.true(reached, 'the NL link is reachable with Tab');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  t.is(await page.getAttribute('html', 'lang'), 'nl');

  t.deepEqual(problems, [], 'no console errors (CSP violations show up here)');
  t.deepEqual(outside, [], 'no request left the appliance');
});
