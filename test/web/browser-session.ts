/// <reference lib="dom" />
import type { Browser, Page } from 'playwright-core';
import type { BuiltPerson } from '../helpers/factories.js';

/**
 * A Chromium page signed in as a person the factories built: their session cookie
 * is handed to a fresh browser context (the sign-in pages have their own tests).
 * Console errors are collected in `errors`.
 */
export async function pageAs(browser: Browser, url: string, p: BuiltPerson, viewport?: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext(viewport ? { viewport } : {});
  const host = new URL(url).hostname;
  // The session cookie as the server set it: `__Host-` ones are Secure, Path=/ (allowed on http://127.0.0.1).
  await context.addCookies([...p.client.cookies].map(([name, value]) => ({ name, value, domain: host, path: '/', secure: name.startsWith('__Host-'), httpOnly: true, sameSite: 'Strict' as const })));
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return { page, errors };
}
