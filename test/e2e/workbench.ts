/**
 * Test support: runs an extension-tests module inside code-server's real
 * extension host, with headless Chromium as the workbench (see
 * ../shared/vscode-offline/README.md for why and how this works offline).
 * The workbench URL's `payload` names the extension and the tests; the
 * workbench calls window.codeAutomationExit(code) when the tests finish.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';

export interface Workbench { codeServer: string; chromium: string; playwright: string }

interface Page {
  exposeFunction(name: string, fn: (...a: never[]) => unknown): Promise<void>;
  addInitScript(script: string): Promise<void>;
  goto(url: string): Promise<unknown>;
  on(ev: 'pageerror', fn: (e: Error) => void): void;
}
interface Context { pages(): Page[]; newPage(): Promise<Page>; close(): Promise<void> }
interface Chromium { launchPersistentContext(dir: string, o: Record<string, unknown>): Promise<Context> }

/** Browser-side script, run before the workbench loads. */
const ENABLE_TEST_DRIVER = `
  const obs = new MutationObserver(() => {
    const el = document.getElementById('vscode-workbench-web-configuration');
    const raw = el && el.getAttribute('data-settings');
    if (!raw) return;
    obs.disconnect();
    const cfg = JSON.parse(raw);
    cfg.developmentOptions = Object.assign({}, cfg.developmentOptions, { enableSmokeTestDriver: true });
    el.setAttribute('data-settings', JSON.stringify(cfg));
  });
  obs.observe(document, { childList: true, subtree: true });
`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function waitUp(url: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { if ((await fetch(url)).ok) return true; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Runs the tests; resolves with the exit code and the log lines of the extension host. */
export async function runExtensionTests(wb: Workbench, extensionPath: string, testsPath: string, workspace: string, timeoutMs = 120_000): Promise<{ code: number; log: string[] }> {
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-e2e-'));
  const log: string[] = [];
  const port = await freePort();
  const env = { ...process.env, EXTENSIONS_GALLERY: '{}', XDG_CONFIG_HOME: join(tmp, 'xdg-config'), XDG_DATA_HOME: join(tmp, 'xdg-data') };
  mkdirSync(join(tmp, 'exts'));
  const server = spawn(wb.codeServer, ['--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', '--user-data-dir', join(tmp, 'ud'), '--extensions-dir', join(tmp, 'exts')],
  { env, stdio: 'ignore', detached: true });
  let ctx: Context | undefined;
  try {
    const t0 = Date.now();
    if (!(await waitUp(`http://127.0.0.1:${port}/healthz`, 20_000))) return { code: 1, log: ['code-server did not come up'] };
    log.push(`workbench: code-server up after ${Date.now() - t0} ms`);
    const { chromium } = createRequire(wb.playwright)('playwright-core') as { chromium: Chromium };
    ctx = await chromium.launchPersistentContext(join(tmp, 'chromium'), {
      executablePath: wb.chromium, headless: true,
      env: { ...process.env, XDG_CONFIG_HOME: join(tmp, 'xdg-config'), XDG_CACHE_HOME: join(tmp, 'xdg-cache') },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    let exited!: (code: number) => void;
    const done = new Promise<number>((r) => { exited = r; });
    await page.exposeFunction('codeAutomationExit', ((code: number) => exited(code)) as (...a: never[]) => unknown);
    await page.exposeFunction('codeAutomationLog', ((_type: string, args: unknown[]) => { log.push(format(...args)); }) as (...a: never[]) => unknown);
    page.on('pageerror', (e) => log.push(`[page error] ${e.message}`));
    // A built server honours the payload's test paths only with the smoke-test driver enabled; code-server has
    // no flag for it, so turn it on in the workbench configuration the page is served with.
    await page.addInitScript(ENABLE_TEST_DRIVER);
    const remote = (p: string): string => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = JSON.stringify([['extensionDevelopmentPath', remote(extensionPath)], ['extensionTestsPath', remote(testsPath)], ['skipWelcome', 'true']]);
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(remote(workspace))}&payload=${encodeURIComponent(payload)}`);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([done, new Promise<number>((r) => { timer = setTimeout(() => { log.push(`timed out after ${timeoutMs} ms`); r(124); }, timeoutMs); })]);
    clearTimeout(timer);
    log.push(`workbench: tests ended ${Date.now() - t0} ms after start`);
    return { code, log };
  } finally {
    await ctx?.close().catch(() => undefined);
    try { process.kill(-server.pid!, 'SIGTERM'); } catch { /* already gone */ }
    rmSync(tmp, { recursive: true, force: true });
  }
}
