/// <reference lib="dom" />
import test from 'ava';
import { currentTotp } from '../../src/identity/totp.js';
import { launchBrowser } from '../helpers/browser.js';
import { GOOD_PASSWORD } from '../helpers/factories.js';
import { analyst, fold, reportsApp, seedFigures } from './helpers.js';

test('Chromium: the report page draws its SVG charts under the CSP, asks nothing from outside, and the form works from the keyboard', async (t) => {
  const { a, projectId, taskId, taskId2 } = await reportsApp(t);
  await seedFigures(a, { people: 6, teams: ['ward-a'], date: '2026-03-10', projectId, taskId, minutes: 450 });
  await seedFigures(a, { people: 2, teams: ['ward-a'], date: '2026-03-10', projectId, taskId: taskId2, minutes: 60 });
  await fold(a);
  const boss = await analyst(a);
  const browser = await launchBrowser(t);
  const page = await browser.newPage();
  // Signed in through the pages (the second factor's next step: this step's code is spent).
  await page.goto(`${a.url}/sign-in?lang=en`);
  await page.keyboard.type(boss.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(GOOD_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  await page.fill('input[name=code]', await currentTotp(boss.secret!, Date.now() + 30_000));
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  const problems: string[] = [];
  const outside: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(a.url) && !r.url().startsWith('data:')) outside.push(r.url());
  });
  await page.goto(`${a.url}/reports?period=month&from=2026-01-01&to=2026-06-30&group_by=project&lang=en`);
  t.is(await page.title(), 'Reports · Uurwerk');
  const chart = await page.locator('figure.chart svg').first().boundingBox();
  t.true(!!chart && chart.width > 100 && chart.height > 20, 'the bar chart is drawn');
  t.is(await page.locator('figure.chart svg rect[fill="#2b6cb0"]:not([height="0.0"])').count(), 1, 'one bar: March');
  t.is(await page.locator('#grand-total').textContent(), '45.00');
  // Keyboard: choose "task" and submit with Enter.
  await page.locator('select[name="group_by"]').focus();
  await page.keyboard.press('End');
  await page.selectOption('select[name="group_by"]', 'task');
  await Promise.all([page.waitForNavigation(), page.locator('input[name="to"]').press('Enter')]);
  t.regex(page.url(), /group_by=task/);
  t.regex((await page.locator('#report').textContent()) ?? '', /fewer than 5/);
  t.deepEqual(problems, [], 'no console errors (CSP violations show up here)');
  t.deepEqual(outside, [], 'no request left the appliance');
});
