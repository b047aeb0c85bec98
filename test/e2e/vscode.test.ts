// End-to-end: the extension in a real VS Code (code-server + headless Chromium):
// activation, diagnostics, hover, the debugger from a launch config and from F5.
// Skips (with a SKIP: line) when code-server, Chromium or playwright-core is not
// installed; npm test never requires them. Install: see ../shared/vscode-offline/README.md
// (setup-offline-vscode.sh tools/vscode), or set CODE_SERVER / CHROMIUM / PLAYWRIGHT_DIR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { distFile, ROOT } from '../lsp/dist';
import { runExtensionTests, Workbench } from './workbench';

function findWorkbench(): Workbench | string {
  const tools = join(ROOT, 'tools', 'vscode');
  const codeServer = process.env.CODE_SERVER ?? join(tools, 'node_modules', '.bin', 'code-server');
  const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
  const pwDir = process.env.PLAYWRIGHT_DIR ?? tools;
  if (!existsSync(codeServer)) return `code-server not installed (${codeServer})`;
  if (!existsSync(chromium)) return `chromium not installed (${chromium})`;
  if (!existsSync(join(pwDir, 'node_modules', 'playwright-core'))) return `playwright-core not installed under ${pwDir}`;
  return { codeServer, chromium, playwright: join(pwDir, 'package.json') };
}

test('the extension in a real VS Code (code-server)', { timeout: 180_000 }, async (t) => {
  const wb = findWorkbench();
  if (typeof wb === 'string') {
    console.log(`SKIP: ${wb}; see ../shared/vscode-offline/README.md to install it`);
    t.skip(wb);
    return;
  }
  for (const b of ['client.js', 'server.js', 'debug.js']) distFile(b);
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-e2e-suite-'));
  try {
    const suite = join(tmp, 'suite.js');
    await esbuild.build({
      entryPoints: [join(__dirname, 'suite.ts')], outfile: suite, bundle: true, platform: 'node', format: 'cjs',
      target: 'node20', external: ['vscode'], logLevel: 'error',
    });
    const ws = join(tmp, 'ws');
    const fixtures = join(__dirname, 'fixtures');
    mkdirSync(ws);
    for (const f of readdirSync(fixtures)) copyFileSync(join(fixtures, f), join(ws, f));
    // The debugger's fixture (r0 = 19) serves as the runnable file.
    copyFileSync(join(__dirname, '..', 'dap', 'fixtures', 'stack-add.bpf.s'), join(ws, 'sum.bpf.s'));
    const r = await runExtensionTests(wb, ROOT, suite, ws);
    const text = r.log.join('\n');
    console.log(r.log.filter((l) => /✔|✘|e2e:|workbench:|error/i.test(l)).join('\n'));
    assert.equal(r.code, 0, `extension tests failed (exit ${r.code}):\n${text}`);
    assert.match(text, /e2e: \d+ passed, 0 failed/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
