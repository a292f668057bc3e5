/// <reference lib="dom" />
import test from 'ava';
import type { Page } from 'playwright-core';
import { startTestApp } from '../helpers/app.js';
import { launchBrowser, signInWithKeyboard } from '../helpers/browser.js';
import { buildDpo, buildEmployee, type BuiltPerson } from '../helpers/factories.js';

/** Signs in through the pages, keyboard only (see signInWithKeyboard). */
function signInPage(page: Page, url: string, who: BuiltPerson): Promise<void> {
  return signInWithKeyboard(page, url, { username: who.username, password: who.password!, totpSecret: who.totpSecret });
}

test('Chromium, keyboard only: an employee files a restriction request; the privacy officer decides it from the register', async (t) => {
  const a = await startTestApp(t, { auth: { throttle_base_seconds: 30 } });
  const emp = await buildEmployee(a);
  const dpo = await buildDpo(a);
  const browser = await launchBrowser(t);
  const errors: string[] = [];

  const ep = await (await browser.newContext()).newPage();
  ep.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  await signInPage(ep, a.url, emp);
  await ep.goto(`${a.url}/privacy/my-requests?lang=en`);
  await ep.focus('#kind');
  await ep.keyboard.press('ArrowDown'); // erasure → restriction
  await ep.keyboard.press('Tab');
  await ep.keyboard.type('Only keep what the law requires');
  await ep.keyboard.press('Tab');
  await Promise.all([ep.waitForNavigation(), ep.keyboard.press('Enter')]);
  t.regex((await ep.textContent('main [role=status]')) ?? '', /Your request was received/);
  t.regex((await ep.textContent('#my-requests tbody')) ?? '', /Restriction of processing/);

  const dp = await (await browser.newContext()).newPage();
  dp.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  await signInPage(dp, a.url, dpo);
  await dp.goto(`${a.url}/privacy/requests?lang=en`);
  await dp.focus('#requests tbody a');
  await Promise.all([dp.waitForNavigation(), dp.keyboard.press('Enter')]);
  t.regex((await dp.textContent('#request')) ?? '', /Only keep what the law requires/);
  await dp.focus('#decision');
  await dp.keyboard.press('ArrowDown'); // grant → partly
  await dp.keyboard.press('Tab');
  await dp.keyboard.type('fiscal duty for approved days (AWR art. 52)');
  await dp.keyboard.press('Tab');
  await dp.keyboard.type('drafts restricted');
  await dp.keyboard.press('Tab');
  await Promise.all([dp.waitForNavigation(), dp.keyboard.press('Enter')]);
  t.regex((await dp.textContent('#request')) ?? '', /Partly granted/);
  t.regex((await dp.textContent('#request')) ?? '', /fiscal duty/);

  await ep.goto(`${a.url}/privacy/my-requests?lang=nl`);
  t.regex((await ep.textContent('#my-requests tbody')) ?? '', /Deels toegewezen/);
  t.deepEqual(errors, []);
});
