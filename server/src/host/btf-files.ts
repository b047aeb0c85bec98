/**
 * File access for BTF and tracepoint data: the running kernel's BTF
 * (/sys/kernel/btf/vmlinux and module blobs), BTF files given by path, and
 * tracefs `format` files. Returns bytes and text for the core (btf/) to parse;
 * parses nothing itself and never throws on a missing file.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const SYS_BTF_DIR = '/sys/kernel/btf';
export const TRACEFS_EVENT_DIRS = ['/sys/kernel/tracing/events', '/sys/kernel/debug/tracing/events'];

export type ReadResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function readBytes(path: string): ReadResult<Uint8Array> {
  try {
    return { ok: true, value: readFileSync(path) };
  } catch (e) {
    return { ok: false, error: `${path}: ${(e as Error).message}` };
  }
}

/** The running kernel's vmlinux BTF, or the module's split BTF (parse it with the vmlinux blob as base). */
export function readKernelBtf(module = 'vmlinux'): ReadResult<Uint8Array> {
  return readBytes(join(SYS_BTF_DIR, module));
}

export interface TracepointFile {
  system: string;
  event: string;
  path: string;
  text: string;
}

/** The first tracefs events directory that exists and can be read, if any. */
export function findTracefsEvents(candidates: string[] = TRACEFS_EVENT_DIRS): string | undefined {
  for (const d of candidates) {
    try {
      if (existsSync(d) && statSync(d).isDirectory()) {
        readdirSync(d);
        return d;
      }
    } catch {
      // not readable (tracefs is often root-only): try the next
    }
  }
  return undefined;
}

/** Every `<system>/<event>/format` under an events directory; unreadable entries are listed in `errors`. */
export function readTracepointFormats(eventsDir: string): { files: TracepointFile[]; errors: string[] } {
  const files: TracepointFile[] = [];
  const errors: string[] = [];
  let systems: string[];
  try {
    systems = readdirSync(eventsDir).sort();
  } catch (e) {
    return { files, errors: [`${eventsDir}: ${(e as Error).message}`] };
  }
  for (const system of systems) {
    const sdir = join(eventsDir, system);
    let events: string[];
    try {
      if (!statSync(sdir).isDirectory()) continue;
      events = readdirSync(sdir).sort();
    } catch (e) {
      errors.push(`${sdir}: ${(e as Error).message}`);
      continue;
    }
    for (const event of events) {
      const path = join(sdir, event, 'format');
      try {
        if (!existsSync(path)) continue;
        files.push({ system, event, path, text: readFileSync(path, 'utf8') });
      } catch (e) {
        errors.push(`${path}: ${(e as Error).message}`);
      }
    }
  }
  return { files, errors };
}
