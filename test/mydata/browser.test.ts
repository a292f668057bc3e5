/// <reference lib="dom" />
import { readFileSync } from 'node:fs';
import test from 'ava';
import { strFromU8, unzipSync } from 'fflate';
import { startTestApp } from '../helpers/app.js';
import { launchBrowser } from '../helpers/browser.js';
import { buildEmployee, buildEntry, buildProject } from '../helpers/factories.js';

test('Chromium, keyboard only: My data shows the profile, builds the download (the page follows the job) and fetches the zip once', async (t) => {
  const a = await startTestApp(t, {}, { jobs: true });
  const emp = await buildEmployee(a);
  const { projectId } = await buildProject(a);
  await buildEntry(emp, { projectId, note: 'keyboard marker' });
  const browser = await launchBrowser(t);
  const ctx = await browser.newContext({ acceptDownloads: true });
  const host = new URL(a.url).hostname;
  await ctx.addCookies([...emp.client.cookies].map(([name, value]) => ({ name, value, domain: host, path: '/', secure: true, httpOnly: true, sameSite: 'Strict' as const })));
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });

  await page.goto(`${a.url}/me/data?lang=en`);
  t.is((await page.textContent('h1'))?.trim(), 'My data');
  t.regex((await page.textContent('#profile-fields')) ?? '', new RegExp(emp.username));
  // Tab from the top of the page to the button, as a keyboard user would.
  let reached = false;
  for (let i = 0; i < 80 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.textContent?.trim() === 'Build my download');
  }
  t.true(reached, 'the download button is reachable with Tab');
  await Promise.all([page.waitForURL(/\/me\/data\/exports\/[0-9a-f-]{36}\?token=/), page.keyboard.press('Enter')]);
  // The status page refreshes itself (Refresh header) until the link shows.
  await page.waitForSelector('#download-link', { timeout: 60_000 });
  await page.focus('#download-link');
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  const files = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
  t.true(strFromU8(files['export.json']!).includes('keyboard marker'));
  t.truthy(files['export.schema.json']);

  t.deepEqual(errors, [], 'no console errors on the way');
  // The link worked once: the same URL now answers 410.
  const again = await page.goto(`${a.url}/me/data/exports/${page.url().split('/exports/')[1]!.split('?')[0]}/download?${page.url().split('?')[1]}`);
  t.is(again?.status(), 410);
  await page.goto(`${a.url}/me/data?lang=nl`);
  t.is((await page.textContent('h1'))?.trim(), 'Mijn gegevens');
});
