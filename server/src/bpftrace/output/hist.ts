/**
 * hist() and lhist() buckets: bpftrace's bucket numbering for a value, and
 * the bucket lines of the text output (`[4, 8)   3 |@@@@   |`, K/M/G/T
 * labels, trimming of empty buckets at both ends) and of the JSON output.
 * Quirks of 0.17 are kept: counts pass through a C `int`, bar widths are
 * computed in `float`, JSON bucket bounds use 32-bit shifts. Non-goal: maps.
 */
import { cdiv } from './text';

/**
 * hist() bucket of a value: 0 for negatives, 1 for 0, k+2 for [2^k, 2^(k+1)).
 * bpftrace 0.17's log2 only shifts by 16+8+4+2+1, so every value >= 2^31
 * lands in bucket 33 ([2G, 4G)); `full64` gives the unsaturated index.
 */
export function histIndex(v: bigint, full64 = false): number {
  const s = BigInt.asIntN(64, v);
  if (s < 0n) return 0;
  if (s === 0n) return 1;
  const k = s.toString(2).length - 1;
  return 2 + (full64 ? k : Math.min(k, 31));
}

/** lhist() bucket: 0 below min, n+1 at or above max (n = (max-min)/step), else 1 + (v-min)/step. */
export function lhistIndex(v: bigint, min: bigint, max: bigint, step: bigint): number {
  if (v < min || step <= 0n) return 0;
  if (v >= max) return Number((max - min) / step) + 1;
  return Number((v - min) / step) + 1;
}

const HIST_BUCKETS = 65;
const LHIST_BUCKETS = 1002;
const BAR = 52;

function dense(buckets: Map<number, bigint>, n: number): bigint[] {
  const a = new Array<bigint>(n).fill(0n);
  for (const [i, c] of buckets) if (i >= 0 && i < n) a[i] = c;
  return a;
}

const asInt = (v: bigint): number => Number(BigInt.asIntN(32, v));

/** Output::hist_prepare: first and last non-zero bucket (as C ints), the largest count. */
function prepare(values: bigint[]): { first: number; last: number; max: number } {
  let first = -1, last = -1, max = 0;
  values.forEach((c, i) => {
    const v = asInt(c);
    if (v > 0) {
      if (first < 0) first = i;
      last = i;
    }
    if (v > max) max = v;
  });
  return { first, last, max };
}

function barWidth(count: bigint, max: number): number {
  const f = Math.fround(Math.fround(Math.fround(Number(BigInt.asUintN(64, count))) / Math.fround(max)) * BAR);
  const w = Math.trunc(f);
  return Number.isFinite(w) && w > 0 ? Math.min(w, 10_000) : 0;
}

function line(label: string, count: bigint, bar: number): string {
  return label.padEnd(16) + count.toString().padStart(8) + ' |' + '@'.repeat(bar).padEnd(BAR) + '|\n';
}

export function histLabel(power: number): string {
  let suffix = '';
  for (const [p, s] of [[40, 'T'], [30, 'G'], [20, 'M'], [10, 'K']] as const) {
    if (power >= p) {
      suffix = s;
      power -= p;
      break;
    }
  }
  return String(1 << power) + suffix;
}

export function lhistLabel(n: number): string {
  if (n === 0) return '0';
  if (n % 1048576 === 0) return `${n / 1048576}M`;
  if (n % 1024 === 0) return `${n / 1024}K`;
  return String(n);
}

/** Text lines of a hist (empty when every bucket is zero); counts divided by `div`, bars from raw counts. */
export function formatHist(buckets: Map<number, bigint>, div = 1n): string {
  const values = dense(buckets, HIST_BUCKETS);
  const { first, last, max } = prepare(values);
  if (last < 0) return '';
  let out = '';
  for (let i = first; i <= last; i++) {
    const label = i === 0 ? '(..., 0)' : i === 1 ? '[0]' : i === 2 ? '[1]' : `[${histLabel(i - 2)}, ${histLabel(i - 1)})`;
    out += line(label, cdiv(values[i], div), barWidth(values[i], max));
  }
  return out;
}

interface LhistRange {
  min: number;
  max: number;
  step: number;
}

function lhistPrepare(values: bigint[], r: LhistRange): { start: number; end: number; max: number; buckets: number } | undefined {
  let maxIndex = -1, max = 0;
  values.forEach((c, i) => {
    const v = asInt(c);
    if (v !== 0) maxIndex = i;
    if (v > max) max = v;
  });
  const buckets = Math.trunc((r.max - r.min) / r.step);
  if (maxIndex === -1) return undefined;
  let start = -1, end = 0;
  for (let i = 0; i <= buckets + 1 && i < values.length; i++) {
    if (values[i] > 0n) {
      if (start === -1) start = i;
      end = i;
    }
  }
  if (start === -1) start = 0;
  return { start, end, max, buckets };
}

function range(min: bigint, max: bigint, step: bigint): LhistRange {
  return { min: asInt(min), max: asInt(max), step: asInt(step) || 1 };
}

/** Text lines of an lhist (bpftrace ignores print()'s divisor here). */
export function formatLhist(buckets: Map<number, bigint>, min: bigint, max: bigint, step: bigint): string {
  const values = dense(buckets, LHIST_BUCKETS);
  const r = range(min, max, step);
  const p = lhistPrepare(values, r);
  if (!p) return '';
  let out = '';
  for (let i = p.start; i <= p.end; i++) {
    const label =
      i === 0
        ? `(..., ${lhistLabel(r.min)})`
        : i === p.buckets + 1
          ? `[${lhistLabel(r.max)}, ...)`
          : `[${lhistLabel((i - 1) * r.step + r.min)}, ${lhistLabel(i * r.step + r.min)})`;
    out += line(label, values[i], barWidth(values[i], p.max));
  }
  return out;
}

/** `1 << n` computed on a 32-bit int as x86 does (shift count mod 32), widened to long. */
const shl32 = (n: number): number => (1 << (n & 31)) | 0;

/** JSON array of a hist's buckets. */
export function histJson(buckets: Map<number, bigint>, div = 1n): string {
  const values = dense(buckets, HIST_BUCKETS);
  const { first, last } = prepare(values);
  if (last < 0) return '[]';
  const els: string[] = [];
  for (let i = first; i <= last; i++) {
    let b: string;
    if (i === 0) b = '"max": -1, ';
    else if (i === 1) b = '"min": 0, "max": 0, ';
    else if (i === 2) b = '"min": 1, "max": 1, ';
    else b = `"min": ${shl32(i - 2)}, "max": ${(shl32(i - 1) - 1) | 0}, `;
    els.push(`{${b}"count": ${cdiv(values[i], div)}}`);
  }
  return '[' + els.join(', ') + ']';
}

/** JSON array of an lhist's buckets. */
export function lhistJson(buckets: Map<number, bigint>, min: bigint, max: bigint, step: bigint): string {
  const values = dense(buckets, LHIST_BUCKETS);
  const r = range(min, max, step);
  const p = lhistPrepare(values, r);
  if (!p) return '[]';
  const els: string[] = [];
  for (let i = p.start; i <= p.end; i++) {
    let b: string;
    if (i === 0) b = `"max": ${r.min - 1}, `;
    else if (i === p.buckets + 1) b = `"min": ${r.max}, `;
    else b = `"min": ${(i - 1) * r.step + r.min}, "max": ${i * r.step + r.min - 1}, `;
    els.push(`{${b}"count": ${values[i]}}`);
  }
  return '[' + els.join(', ') + ']';
}
