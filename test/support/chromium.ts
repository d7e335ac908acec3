/**
 * Headless Chromium for the tests that look at a page the way a person would. CHROMIUM_PATH names
 * the binary, else /usr/bin/chromium (Debian: `apt-get install -y chromium`). When there is none,
 * the tests that need it are skipped with one loud line, unless CHUNKWISE_REQUIRE_CHROMIUM=1 makes
 * the absence a failure. Pages are driven through playwright-core, which downloads no browser.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Where Chromium is looked for when CHROMIUM_PATH is not set. */
export const chromiumDefaultPath = '/usr/bin/chromium';

/** Flags for a quiet, offline, throwaway browser: no sandbox (root in CI), no GPU, no background traffic. */
export const chromiumArgs: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Upper bound on launching the browser. */
export const chromiumLaunchTimeoutMs = 30_000;

/** Where Chromium is, or why it is not there and whether that must fail the run. */
export type ChromiumLookup =
  | { readonly kind: 'found'; readonly path: string }
  | { readonly kind: 'absent'; readonly reason: string; readonly required: boolean };

/** Looks for Chromium: CHROMIUM_PATH when set, else {@link chromiumDefaultPath}. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): ChromiumLookup {
  const required = env.CHUNKWISE_REQUIRE_CHROMIUM === '1';
  const given = env.CHROMIUM_PATH;
  const path = given === undefined || given === '' ? chromiumDefaultPath : given;
  if (existsSync(path)) return { kind: 'found', path };
  const reason =
    given === undefined || given === ''
      ? `no Chromium at ${chromiumDefaultPath} and CHROMIUM_PATH is not set`
      : `CHROMIUM_PATH=${given} does not exist`;
  return { kind: 'absent', reason, required };
}

/** The one line printed when browser tests are skipped. */
export function skippedLine(what: string, lookup: ChromiumLookup & { kind: 'absent' }): string {
  return `SKIPPED: ${what}: ${lookup.reason} (install it with "apt-get install -y chromium" or set CHROMIUM_PATH; CHUNKWISE_REQUIRE_CHROMIUM=1 makes this a failure)`;
}

/**
 * Launches Chromium headless with a fresh temporary profile, hands `use` a page with the given
 * viewport, and always closes the browser and removes the profile afterwards.
 */
export async function withChromiumPage<T>(
  executablePath: string,
  viewport: { readonly width: number; readonly height: number },
  use: (page: Page) => Promise<T>,
): Promise<T> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'chunkwise-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      args: [...chromiumArgs],
      headless: true,
      viewport: { ...viewport },
      timeout: chromiumLaunchTimeoutMs,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return await use(page);
  } finally {
    await context?.close();
    await rm(userDataDir, { recursive: true, force: true });
  }
}
