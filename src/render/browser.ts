/**
 * Finding and launching headless Chromium. The system browser wins (an env override, then
 * Debian's /usr/bin/chromium); puppeteer's own download is only a last resort, because the
 * machines we run on usually cannot download one.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer';

export const CHROMIUM_ENV = 'ROBOSYNTH_CHROMIUM';
const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export type GlBackend = 'gl-egl' | 'swiftshader';

const COMMON_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--ignore-gpu-blocklist',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-default-apps',
  '--disable-extensions',
  '--mute-audio',
  '--disable-dev-shm-usage',
  // Frames are rendered on demand, never throttled as a hidden tab would be.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  // The page talks to our loopback server only; no name resolves to anything else.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

const BACKEND_FLAGS: Record<GlBackend, string[]> = {
  'gl-egl': ['--use-angle=gl-egl'],
  swiftshader: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
};

export function findChromium(): string | undefined {
  const override = process.env[CHROMIUM_ENV];
  if (override) {
    if (!existsSync(override)) throw new Error(`${CHROMIUM_ENV}=${override}: no such file`);
    return override;
  }
  return SYSTEM_CHROMIUM.find((path) => existsSync(path));
}

export interface LaunchedBrowser {
  browser: Browser;
  backend: GlBackend;
  close(): Promise<void>;
}

export async function launchBrowser(backend: GlBackend): Promise<LaunchedBrowser> {
  const executablePath = findChromium();
  const userDataDir = mkdtempSync(join(tmpdir(), 'robosynth-chromium-'));
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath, // undefined falls back to puppeteer's own browser, if one was downloaded
      headless: true,
      pipe: true,
      userDataDir,
      args: [...COMMON_FLAGS, ...BACKEND_FLAGS[backend], ...(process.env.ROBOSYNTH_CHROMIUM_FLAGS?.split(' ').filter(Boolean) ?? [])],
      protocolTimeout: 600_000,
      // Ctrl-C is ours: the pipeline finishes the frames in flight, then closes the browser.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    const hint = executablePath
      ? `could not start ${executablePath}`
      : `no Chromium found (set ${CHROMIUM_ENV}, or install Debian's chromium: apt-get install chromium libegl-mesa0 libgl1-mesa-dri)`;
    throw new Error(`${hint}: ${(error as Error).message.split('\n')[0]}`);
  }
  return {
    browser,
    backend,
    async close() {
      await browser.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
