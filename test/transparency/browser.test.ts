/// <reference lib="dom" />
import test from 'ava';
import { currentTotp } from '../../src/identity/totp.js';
import { startTestApp } from '../helpers/app.js';
import { launchBrowser } from '../helpers/browser.js';
import { buildEmployee } from '../helpers/factories.js';

test('Chromium: after sign-in the notice asks to be read, renders under the CSP with its stylesheet, prints without the navigation, and returns to the page asked for', async (t) => {
  const a = await startTestApp(t, { privacy: { require_acknowledgement: true } });
  const emp = await buildEmployee(a);
  const browser = await launchBrowser(t);
  const page = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${a.url}/sign-in?lang=en`);
  await page.fill('input[name=username]', emp.username);
  await page.fill('input[name=password]', emp.password!);
  await Promise.all([page.waitForNavigation(), page.press('input[name=password]', 'Enter')]);
  if (emp.totpSecret) {
    await page.fill('input[name=code]', await currentTotp(emp.totpSecret, Date.now() + 30_000));
    await Promise.all([page.waitForNavigation(), page.press('input[name=code]', 'Enter')]);
  }
  await page.goto(`${a.url}/me/data?lang=en`);
  t.regex(page.url(), /\/privacy\/notice\?return=%2Fme%2Fdata/);
  t.is(await page.textContent('h1'), 'Privacy notice');
  t.regex((await page.textContent('tr[data-category="raw_capture"]')) ?? '', /30 days/);
  // The page's own stylesheet is applied (no inline style is needed or allowed).
  t.is(await page.$eval('table.retention', (el) => getComputedStyle(el).borderCollapse), 'collapse');
  await page.emulateMedia({ media: 'print' });
  t.is(await page.$eval('.site-header', (el) => getComputedStyle(el).display), 'none');
  await page.emulateMedia({ media: 'screen' });

  await Promise.all([page.waitForNavigation(), page.click('form.ack button[type=submit]')]);
  t.regex(page.url(), /\/me\/data\?lang=en$/);
  t.deepEqual(errors, []);
});
