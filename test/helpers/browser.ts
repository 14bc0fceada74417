/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import puppeteer, { type Page } from 'puppeteer-core';

/** CHROMIUM_PATH, else Debian's headless Chromium (deploy/setup.sh --test installs it), else a full one. */
const CHROMIUM = [process.env.CHROMIUM_PATH ?? '', '/usr/bin/chromium-headless-shell', '/usr/bin/chromium'].find((path) => path !== '' && existsSync(path));

export interface OpenPage {
  readonly page: Page;
  /** Errors the page threw or logged. */
  readonly pageErrors: string[];
  /** Waits until `test` holds in the page; a timeout says what was awaited and the page's errors. */
  shown(what: string, test: () => boolean, timeoutMs?: number): Promise<void>;
}

/** A page in headless Chromium at a phone's width, closed by `onCleanup`. */
export async function openPage(url: string, onCleanup: (cleanup: () => Promise<unknown>) => void): Promise<OpenPage> {
  if (CHROMIUM === undefined) throw new Error('no Chromium here: deploy/setup.sh --test installs Debian\'s chromium-headless-shell; elsewhere set CHROMIUM_PATH to a Chromium or Chrome');
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  onCleanup(() => browser.close());
  const page = await browser.newPage();
  await page.setViewport({ width: 412, height: 1400 });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push((error as Error).message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.goto(url);
  return {
    page,
    pageErrors,
    shown: async (what, test, timeoutMs = 15_000) => {
      await page.waitForFunction(test, { timeout: timeoutMs }).catch((error: Error) => {
        throw new Error(`the page did not show ${what} within ${timeoutMs} ms (${error.message}); page errors: ${pageErrors.join(' | ') || 'none'}`);
      });
    },
  };
}
