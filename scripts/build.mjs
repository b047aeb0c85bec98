// Bundles the four entry points with esbuild: the VS Code client, the language
// server, the debug adapter and the CLI. `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // Example programs embedded as text (the `npm start` demo).
  loader: { '.s': 'text' },
};

const entries = [
  { entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] },
  { entryPoints: ['server/src/lsp/main.ts'], outfile: 'dist/server.js' },
  { entryPoints: ['server/src/debug/main.ts'], outfile: 'dist/debug.js' },
  { entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cli.js' },
];

const watch = process.argv.includes('--watch');
for (const e of entries) {
  const opts = { ...common, ...e };
  if (watch) await (await esbuild.context(opts)).watch();
  else await esbuild.build(opts);
}

// The default kernel's BTF and tracepoint formats, compressed (used where the
// running kernel's cannot be read). Built from ../shared beside the checkout,
// once: it is rebuilt only when missing.
const kernelDir = '../shared/kernel/6.18';
const bundle = 'dist/kernel-6.18.bundle';
if (!watch && !existsSync(bundle) && existsSync(`${kernelDir}/vmlinux.btf`)) {
  const r = spawnSync(process.execPath, ['dist/cli.js', 'btf', 'bundle', `${kernelDir}/vmlinux.btf`, `${kernelDir}/tracefs/events`, '-o', bundle, '--kernel', '6.18'], { stdio: 'inherit' });
  if (r.status !== 0) console.error('build: the default-kernel bundle was not built (see above); the CLI falls back to ../shared');
}
