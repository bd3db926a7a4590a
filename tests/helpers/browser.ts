import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

// Every browser test runs Debian's chromium (never a downloaded browser) through playwright-core,
// headless, with the flags a container without a user namespace sandbox needs.

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

/** logs why `what` is skipped when chromium is missing; returns whether it can run */
export function chromiumOr(what: string): boolean {
  if (!haveChromium) console.warn(`${what} skipped: ${CHROMIUM} not found (apt-get install chromium; .ci/run installs it)`);
  return haveChromium;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
