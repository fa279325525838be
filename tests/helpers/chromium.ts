/**
 * Headless Chromium for browser tests and benchmarks: Debian's `chromium` package driven by
 * playwright-core (no browser download); playwright gives each launch a fresh, temporary profile.
 * Set WRT_CHROMIUM to use another binary.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.WRT_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Launches headless Chromium; `webgpu` adds --enable-unsafe-webgpu (SwiftShader on CPU-only
 * machines); `args` are further command-line flags.
 */
export async function launchChromium(
  options: { webgpu?: boolean; args?: string[] } = {},
): Promise<{ browser: Browser; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set WRT_CHROMIUM)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...(options.webgpu ? ['--enable-unsafe-webgpu'] : []),
      ...(options.args ?? []),
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
    },
  };
}
