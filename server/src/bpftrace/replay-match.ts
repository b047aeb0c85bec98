/**
 * Which probes of a script a recorded event runs: attach points are compared
 * with the event's probe name (bpftrace's `probe` builtin text) part by part,
 * providers through their aliases, `*` as a wildcard, and uprobe/usdt binaries
 * by path or base name. Also the period of interval/profile probes. Pure.
 * Non-goal: expanding wildcards against the kernel (the trace says what fired).
 */
import { parseProbeName } from './ctx';

/** A glob with `*` (any run of characters) as bpftrace uses in attach points. */
export function globMatch(pattern: string, text: string): boolean {
  if (!pattern.includes('*')) return pattern === text;
  const parts = pattern.split('*');
  if (!text.startsWith(parts[0])) return false;
  let pos = parts[0].length;
  for (let i = 1; i < parts.length - 1; i++) {
    const k = text.indexOf(parts[i], pos);
    if (k < 0) return false;
    pos = k + parts[i].length;
  }
  const last = parts[parts.length - 1];
  return text.length - pos >= last.length && text.endsWith(last);
}

const BINARY_PROVIDERS = new Set(['uprobe', 'uretprobe', 'usdt']);

function basename(p: string): string {
  const k = p.lastIndexOf('/');
  return k >= 0 ? p.slice(k + 1) : p;
}

/** A parsed attach point, ready to be matched against many events. */
export interface AttachMatcher {
  text: string;
  provider: string;
  parts: string[];
}

export function attachMatcher(text: string): AttachMatcher {
  const { provider, parts } = parseProbeName(text);
  return { text, provider, parts };
}

/** True when the event probe name `probe` is one the attach point fires for. */
export function matchesAttach(a: AttachMatcher, probe: string): boolean {
  const e = parseProbeName(probe);
  if (e.provider !== a.provider) return false;
  const ap = a.parts;
  let ep = e.parts;
  // usdt:path:name written without the provider part; uprobe:func with the binary given by -p.
  if (ap.length < ep.length && BINARY_PROVIDERS.has(a.provider)) ep = ep.slice(ep.length - ap.length);
  if (ap.length !== ep.length) {
    // kprobe:f+0x10 style offsets and interval:1s style unit-less forms compare as text.
    return globMatch(ap.join(':'), ep.join(':'));
  }
  for (let i = 0; i < ap.length; i++) {
    if (globMatch(ap[i], ep[i])) continue;
    const isPath = BINARY_PROVIDERS.has(a.provider) && i === 0 && ep.length > 1;
    if (isPath && !ap[i].includes('/') && globMatch(ap[i], basename(ep[i]))) continue;
    if (isPath && globMatch(basename(ap[i]), basename(ep[i]))) continue;
    return false;
  }
  return true;
}

const UNIT_NS: Record<string, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };

/**
 * Period in ns of interval:UNIT:N / profile:UNIT:N (hz:N gives 1e9/N), also the
 * 0.2x forms interval:1s / interval:100ms; undefined when not a timed probe.
 */
export function timerPeriodNs(text: string): bigint | undefined {
  const { provider, parts } = parseProbeName(text);
  if (provider !== 'interval' && provider !== 'profile') return undefined;
  let unit: string | undefined;
  let n: string | undefined;
  if (parts.length === 2) [unit, n] = parts;
  else if (parts.length === 1) {
    const m = /^(\d+)(s|ms|us|ns|hz)$/.exec(parts[0]);
    if (m) [, n, unit] = m;
  }
  if (unit === undefined || n === undefined || !/^\d+$/.test(n) || BigInt(n) === 0n) return undefined;
  if (unit === 'hz') return 1_000_000_000n / BigInt(n) || 1n;
  const u = UNIT_NS[unit];
  return u === undefined ? undefined : u * BigInt(n);
}
