/**
 * Loads a core module as it ships: the extension, language server and CLI run
 * esbuild bundles, while `npm run bench` loads each source file through tsx,
 * whose per-module export getters cost a call on every cross-file use (up to
 * half the time of hot code). So benches bundle the module under test in
 * memory with esbuild, unless asked for the source modules (`--tsx`), esbuild
 * is missing, or this already runs inside a bundle.
 */
import { createRequire } from 'node:module';

/**
 * The module at `src` (a .ts path) bundled, or `fallback` (the tsx-loaded
 * module) with the reason; `how` says which was measured.
 */
export function bundledModule<T extends object>(src: string, fallback: T, useTsx: boolean, ok: (m: Partial<T>) => boolean): { mod: T; how: string } {
  if (useTsx || !__filename.endsWith('.ts')) return { mod: fallback, how: useTsx ? 'source modules through tsx' : 'this bundle' };
  try {
    const req = createRequire(__filename);
    const esbuild = req('esbuild') as typeof import('esbuild');
    const out = esbuild.buildSync({ entryPoints: [src], bundle: true, platform: 'node', target: 'node20', format: 'cjs', write: false, logLevel: 'silent' });
    const m = { exports: {} as Partial<T> };
    new Function('module', 'exports', 'require', out.outputFiles[0].text)(m, m.exports, req);
    if (ok(m.exports)) return { mod: m.exports as T, how: 'esbuild bundle (as shipped)' };
  } catch { /* fall back below */ }
  return { mod: fallback, how: 'source modules through tsx (esbuild unavailable)' };
}
