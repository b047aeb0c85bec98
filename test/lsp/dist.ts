/**
 * Test support: makes sure dist/ holds bundles at least as new as the sources
 * before a test spawns dist/server.js, dist/debug.js or dist/cli.js (npm test
 * builds first; running one test file directly may not). A lock directory keeps
 * test processes running in parallel from building at the same time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

function stale(bundle: string): boolean {
  const p = join(ROOT, 'dist', bundle);
  if (!existsSync(p)) return true;
  return statSync(p).mtimeMs < Math.max(newest(join(ROOT, 'server', 'src')), newest(join(ROOT, 'client', 'src')));
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Returns the absolute path of dist/<bundle>, building all bundles first when it is missing or stale. */
export function distFile(bundle: string): string {
  const lock = join(ROOT, 'dist', '.test-build-lock');
  if (stale(bundle)) {
    mkdirSync(join(ROOT, 'dist'), { recursive: true });
    for (let i = 0; ; i++) {
      try { mkdirSync(lock); break; } catch {
        // A lock older than two minutes was left by a killed test run.
        if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock);
        if (i > 1200) throw new Error(`lock ${lock} held for 2 minutes; remove it if no build is running`);
        sleep(100);
      }
    }
    try {
      if (stale(bundle)) {
        const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
        // The build stops at the first failing entry; ours may still have been rebuilt.
        if (r.status !== 0 && stale(bundle)) throw new Error(`build of dist/${bundle} failed:\n${r.stderr}${r.stdout}`);
      }
    } finally {
      rmdirSync(lock);
    }
  }
  return join(ROOT, 'dist', bundle);
}
