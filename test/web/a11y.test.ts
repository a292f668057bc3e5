/// <reference lib="dom" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import { startTestApp } from '../helpers/app.js';
import { launchBrowser } from '../helpers/browser.js';
import { pageAs } from './browser-session.js';
import { pageWorld, type Viewer } from './page-list.js';

/** axe-core, read from node_modules and evaluated in the page by the test (the appliance never serves it). */
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Words that appear in English text but not in Dutch (catalogue fallbacks, hard-coded labels). */
const ENGLISH = /\b(the|and|with|your|you|yes|none|reason|state|draft|submitted|approved|returned|save|delete|add|running|stopped|never|not|from|who|when|what|page|sign|local)\b/gi;

interface AxeResult { violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> }

async function pages(browser: Browser, url: string, world: Awaited<ReturnType<typeof pageWorld>>, viewport: { width: number; height: number }): Promise<Record<Viewer, Page>> {
  const anonymous = await (await browser.newContext({ viewport })).newPage();
  const out = { anonymous } as Record<Viewer, Page>;
  for (const [role, p] of Object.entries(world.people)) out[role as Viewer] = (await pageAs(browser, url, p, viewport)).page;
  return out;
}

test('Chromium, every listed page in both languages: no WCAG 2.1 A/AA violation (axe-core) and no sideways scrolling at 390 px', async (t) => {
  const a = await startTestApp(t);
  const world = await pageWorld(a);
  const browser = await launchBrowser(t);
  const narrow = await pages(browser, a.url, world, { width: 390, height: 844 });
  const problems: string[] = [];
  let checked = 0;
  for (const { path, as } of world.pages) {
    for (const lang of ['nl', 'en'] as const) {
      const page = narrow[as];
      const res = await page.goto(`${a.url}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
      if (res?.status() !== 200) {
        problems.push(`${as} ${path} (${lang}): status ${res?.status()}`);
        continue;
      }
      // Let the timer widget fill itself in first: it is part of every signed-in page.
      if (as !== 'anonymous') await page.waitForSelector('#timer-count', { timeout: 5000 }).catch(() => problems.push(`${as} ${path}: the timer widget did not load`));
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > 390) problems.push(`${as} ${path} (${lang}): ${width} px wide at 390 px`);
      if (lang === 'nl') {
        // No English on a Dutch page: words that only English uses, outside code and user data.
        const text = await page.evaluate(() => {
          const main = document.body.cloneNode(true) as HTMLElement;
          main.querySelectorAll('code, pre, .note, q, [lang="en"], [translate="no"], script, dialog:not([open])').forEach((el) => el.remove());
          return main.innerText.replace(/`[^`]*`/g, ''); // commands to type are not prose
        });
        for (const m of text.matchAll(ENGLISH)) problems.push(`${as} ${path} (nl): English "${text.slice(Math.max(0, m.index - 30), m.index + 30).replace(/\s+/g, ' ')}"`);
      }
      await page.evaluate(AXE);
      const result = (await page.evaluate(() => (window as unknown as { axe: { run: (o: unknown) => Promise<unknown> } }).axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }))) as AxeResult;
      for (const v of result.violations) problems.push(`${as} ${path} (${lang}): ${v.id} — ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      checked++;
    }
  }
  t.deepEqual(problems, []);
  t.is(checked, world.pages.length * 2);

  // The check can fail: an image without a text alternative and a too-wide block are caught.
  const page = narrow.employee;
  await page.evaluate(() => {
    const img = document.createElement('img');
    img.src = '/static/favicon.svg';
    img.width = 600;
    document.querySelector('main')!.append(img);
  });
  const probe = (await page.evaluate(() => (window as unknown as { axe: { run: () => Promise<unknown> } }).axe.run())) as AxeResult;
  t.true(probe.violations.some((v) => v.id === 'image-alt'));
  t.true((await page.evaluate(() => document.documentElement.scrollWidth)) > 390);
});
