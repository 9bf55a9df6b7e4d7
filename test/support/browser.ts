import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { REPO_ROOT } from '../../core/config.js';
import { lateBound } from './late-bound.js';

/**
 * Debian's chromium, headless, driven by puppeteer-core (no browser download): the browser
 * tests (test/browser/) use the system package that .ci/run installs.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/** `describe`'s skip: only outside CI, where the package may be missing; under CI=true it fails. */
export const chromiumSkip =
  !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} is not installed (apt-get install chromium)` : false;

/** Where screenshots go; docs/ keeps copies for the README. */
export const OUTPUT_DIR = path.join(REPO_ROOT, 'dist', 'test-output', 'browser');

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** A headless chromium for the tests of this file or `describe` block, one page at 1280×800. */
export function useBrowser(): { browser: Browser; page: Page } {
  let browser: Browser | undefined;
  let page: Page | undefined;
  before(async () => {
    assert.ok(hasChromium, `CI=true: the browser tests need ${CHROMIUM} (.ci/run installs chromium)`);
    mkdirSync(OUTPUT_DIR, { recursive: true });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // As root in a container chromium's sandbox cannot start; /dev/shm may be small there.
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--font-render-hinting=none'],
      defaultViewport: DESKTOP,
    });
    page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    // Delete asks for confirmation: the test says yes.
    page.on('dialog', (dialog) => void dialog.accept());
  });
  after(async () => {
    await browser?.close();
  });
  return {
    browser: lateBound('the browser', () => browser),
    page: lateBound('the browser page', () => page),
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(OUTPUT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The text of every element matching `selector`. */
export function texts(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? '').trim()));
}

/** A RAM/vCPU/disk bar's value (aria-valuenow), e.g. meter(page, 'node-1 RAM'). */
export async function meter(page: Page, label: string): Promise<number> {
  const value = await page.$eval(`[role="meter"][aria-label="${label}"]`, (el) => el.getAttribute('aria-valuenow'));
  return Number(value);
}
