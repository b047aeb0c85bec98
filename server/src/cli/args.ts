/**
 * Command-line argument handling shared by every `bpfstudio` command: a thin
 * layer over node:util's parseArgs that turns bad usage into a `UsageError`
 * (exit code 2) instead of a stack trace.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

/** Exit codes: 0 success, 1 the program or check failed, 2 bad usage or unreadable input. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

export const stdio: Io = {
  out: (s) => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); },
  err: (s) => { process.stderr.write(s.endsWith('\n') ? s : s + '\n'); },
};

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse(argv: string[], options: Options): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function int(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  const n = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : /^\d+$/.test(s) ? parseInt(s, 10) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} expects a non-negative integer, got '${s}'`);
  return n;
}

/** A text input named on the command line (`-` is standard input); unreadable is a usage error naming the file. */
export function readTextFile(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
