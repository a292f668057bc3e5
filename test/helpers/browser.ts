/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { chromium, type Browser, type Page } from 'playwright-core';
import { currentTotp } from '../../src/identity/totp.js';

const CHROMIUM = '/usr/bin/chromium';

/**
 * Launches Debian's headless Chromium (installed by .ci/run) with every background
 * network feature off. A missing browser fails the test with the reason; it is
 * never skipped silently.
 */
export async function launchBrowser(t: ExecutionContext): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install the Debian package "chromium" (.ci/run does)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  t.teardown(() => browser.close());
  return browser;
}

/** Where a page is and what it shows (address and visible text, shortened): for failure messages. */
async function describePage(page: Page): Promise<string> {
  const text = await page.locator('body').innerText({ timeout: 5_000 }).catch((err: Error) => `(no text: ${err.message.split('\n')[0]})`);
  return `${page.url()} showing "${text.replace(/\s+/g, ' ').trim().slice(0, 500)}"`;
}

/** Runs a browser step; when it fails, the error says which page the browser was on. */
async function onPage<T>(page: Page, what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message.split('\n')[0]}; the browser was at ${await describePage(page)}`, { cause: err });
  }
}

/** Fails, naming the page, unless the browser is at `path` (or, with `not`, anywhere but those). */
async function expectPath(page: Page, what: string, want: { is?: string; not?: readonly string[] }): Promise<void> {
  const path = new URL(page.url()).pathname;
  if ((want.is !== undefined && path !== want.is) || want.not?.includes(path)) {
    throw new Error(`${what} should have led ${want.is ? `to ${want.is}` : `away from ${want.not!.join(', ')}`}; the browser was at ${await describePage(page)}`);
  }
}

/**
 * Waits until the keyboard focus is in the element `selector` names. An `autofocus`
 * is applied in a rendering update, which Chromium may run after `page.goto` has seen
 * the load event: keys typed before then go nowhere.
 */
export async function waitForFocus(page: Page, selector: string): Promise<void> {
  await onPage(page, `waiting for the focus in ${selector}`, () => page.waitForFunction((s) => document.activeElement?.matches(s) ?? false, selector));
}

const SIGN_IN_PAGES = ['/sign-in', '/second-factor', '/account/totp'] as const;

/**
 * Signs in through the pages, keyboard only: the username field has the focus
 * (autofocus), Tab to the password, Enter; then, with a TOTP secret, the code on the
 * second-factor page. The person enrolled through the API a moment ago, which spent
 * that step's code, so the next step's code is used (the server accepts one step of
 * clock drift).
 *
 * Typing waits for the autofocus (see waitForFocus): on a loaded machine the first
 * letter of the username was lost, the sign-in failed, and the wait for the code
 * field ran out after 30 s without saying why. Each step checks where it landed and
 * fails with the page's address and text when that is the wrong place.
 */
export async function signInWithKeyboard(page: Page, url: string, who: { username: string; password: string; totpSecret?: string }): Promise<void> {
  await page.goto(`${url}/sign-in?lang=en`);
  await waitForFocus(page, 'input[name=username]');
  await page.keyboard.type(who.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(who.password);
  await onPage(page, `signing in as ${who.username}`, () => Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]));
  if (!who.totpSecret) return expectPath(page, `signing in as ${who.username}`, { not: SIGN_IN_PAGES });
  await expectPath(page, `signing in as ${who.username} (who has TOTP)`, { is: '/second-factor' });
  await page.fill('input[name=code]', await currentTotp(who.totpSecret, Date.now() + 30_000));
  await onPage(page, `the second factor of ${who.username}`, () => Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]));
  await expectPath(page, `the second factor of ${who.username}`, { not: SIGN_IN_PAGES });
}
