import { existsSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { chromium, type Browser } from 'playwright-core';

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
