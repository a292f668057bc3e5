/// <reference lib="dom" />
import test from 'ava';
import { currentTotp } from '../../src/identity/totp.js';
import { startTestApp } from '../helpers/app.js';
import { launchBrowser, waitForFocus } from '../helpers/browser.js';
import { buildLocalAccount, GOOD_PASSWORD } from '../helpers/factories.js';

test('Chromium: an operator signs in, enrols TOTP with the server-rendered QR code, sees recovery codes, signs out', async (t) => {
  const a = await startTestApp(t);
  const op = await buildLocalAccount(a.db.knex, a.app.services.audit, { roles: ['operator'] });
  const browser = await launchBrowser(t);
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });

  await page.goto(`${a.url}/sign-in?lang=en`);
  // Keyboard only: the username field has focus, Tab to the password, Enter submits.
  await waitForFocus(page, 'input[name=username]');
  await page.keyboard.type(op.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(GOOD_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  t.regex(page.url(), /\/account\/totp$/, 'an operator without a factor is sent to enrolment: ' + (await page.textContent('main')));

  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === '__Host-uurwerk_session');
  t.truthy(session, 'the browser kept the __Host- cookie');
  t.true(session!.httpOnly);
  t.is(session!.sameSite, 'Strict');

  await page.fill('input[name=password]', GOOD_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  t.true(await page.locator('.qr svg').isVisible(), 'the QR code is rendered inline by the server');
  const secret = (await page.textContent('#totp-secret'))!.trim();
  await page.fill('input[name=code]', await currentTotp(secret));
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  t.is(await page.locator('#recovery-codes li').count(), 10);
  t.not(session!.value, (await context.cookies()).find((c) => c.name === '__Host-uurwerk_session')!.value, 'new session id after the second factor');

  await Promise.all([page.waitForNavigation(), page.click('a.button')]);
  t.regex(await page.textContent('h1') ?? '', /My account/);
  t.regex(await page.textContent('main') ?? '', /Operator/);

  await Promise.all([page.waitForNavigation(), page.click('button.link')]);
  t.regex(page.url(), /\/sign-in\?signed_out=1$/);
  t.is((await context.cookies()).find((c) => c.name === '__Host-uurwerk_session'), undefined, 'cookie cleared');
  const gone = await page.goto(`${a.url}/account`);
  t.regex(gone!.url(), /\/sign-in\?next=%2Faccount$/, 'sign-in, then back to the page asked for');
  t.deepEqual(consoleErrors, []);
});
