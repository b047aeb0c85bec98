/**
 * Mutation fuzzing of the ELF reader and BPF object model: real objects are
 * bit-flipped, truncated and have header, section-table, symbol, relocation,
 * BTF and BTF.ext fields smashed, then parsed, described and CO-RE-resolved. Every case must
 * return (a result or diagnostics) without throwing, within a time bound. The
 * seeds are passed in (no I/O here); `scripts/fuzz-elf.ts` and the tests run it.
 */
import { readElf } from './elf64';
import { parseObject } from './object';
import { describeObject, disasmObject } from './describe';
import { resolveCore, describeCore } from './core';
import { SHT, type Elf } from './types';

export interface FuzzOptions {
  count: number;
  seed?: number;
  /** A case slower than this is reported as a failure (default 1000 ms). */
  maxMsPerCase?: number;
  /** Also render describeObject/disasmObject (default true). */
  render?: boolean;
}

export interface FuzzFailure {
  caseIndex: number;
  mutation: string;
  error: string;
}

export interface FuzzReport {
  cases: number;
  /** Cases that produced an object. */
  objects: number;
  /** Cases with at least one diagnostic. */
  withDiagnostics: number;
  /** Cases where the ELF could not be read at all (diagnostics only). */
  rejected: number;
  totalMs: number;
  maxMs: number;
  slowest: string;
  failures: FuzzFailure[];
  byMutation: Record<string, number>;
}

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Target { at: number; width: 1 | 2 | 4 | 8 }

/** Interesting field locations of a seed: header, section headers, symbols, relocations, BTF/BTF.ext headers. */
function fieldsOf(elf: Elf): Record<string, Target[]> {
  const hdr: Target[] = [
    { at: 4, width: 1 }, { at: 5, width: 1 }, { at: 16, width: 2 }, { at: 18, width: 2 }, { at: 40, width: 8 },
    { at: 52, width: 2 }, { at: 58, width: 2 }, { at: 60, width: 2 }, { at: 62, width: 2 },
  ];
  const shdr: Target[] = [];
  for (const s of elf.sections) {
    for (const [o, w] of [[0, 4], [4, 4], [8, 8], [24, 8], [32, 8], [40, 4], [44, 4], [48, 8], [56, 8]] as const) {
      shdr.push({ at: s.headerOffset + o, width: w });
    }
  }
  const sym: Target[] = [];
  for (const y of elf.symbols) {
    for (const [o, w] of [[0, 4], [4, 1], [5, 1], [6, 2], [8, 8], [16, 8]] as const) sym.push({ at: y.fileOffset + o, width: w });
  }
  const rel: Target[] = [];
  for (const rs of elf.relocSections) {
    for (const r of rs.relocs) {
      rel.push({ at: r.fileOffset, width: 8 }, { at: r.fileOffset + 8, width: 4 }, { at: r.fileOffset + 12, width: 4 });
    }
  }
  const btf: Target[] = [];
  for (const s of elf.sections) {
    if ((s.name === '.BTF' || s.name === '.BTF.ext') && s.type === SHT.PROGBITS && s.data.length >= 32) {
      for (let o = 0; o < 32; o += 4) btf.push({ at: s.offset + o, width: 4 });
      // and a few words inside the records
      for (let k = 0; k < 24; k++) btf.push({ at: s.offset + 32 + 4 * Math.floor((k * 7919) % Math.max(1, (s.data.length - 36) / 4)), width: 4 });
    }
  }
  return { header: hdr, sections: shdr, symbols: sym, relocs: rel, btf };
}

function smashValue(r: () => number, width: number, fileLen: number): bigint {
  const choices = [0n, 1n, 2n, 0xffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0xffffffffffffffffn,
    BigInt(fileLen), BigInt(fileLen + 1), BigInt(fileLen - 1 < 0 ? 0 : fileLen - 1), BigInt(Math.floor(r() * 4096)),
    BigInt(Math.floor(r() * 0x100000000))];
  const v = choices[Math.floor(r() * choices.length)];
  return BigInt.asUintN(width * 8, v);
}

function mutate(seedBytes: Uint8Array, fields: Record<string, Target[]>, r: () => number): { bytes: Uint8Array; kind: string } {
  const pick = r();
  const len = seedBytes.length;
  if (pick < 0.2) {
    const out = seedBytes.slice();
    const flips = 1 + Math.floor(r() * 8);
    for (let i = 0; i < flips; i++) out[Math.floor(r() * len)] ^= 1 << Math.floor(r() * 8);
    return { bytes: out, kind: 'bitflip' };
  }
  if (pick < 0.3) {
    return { bytes: seedBytes.slice(0, Math.floor(r() * len)), kind: 'truncate' };
  }
  if (pick < 0.35) {
    const out = seedBytes.slice();
    const at = Math.floor(r() * len);
    const n = Math.min(len - at, 1 + Math.floor(r() * 64));
    for (let i = 0; i < n; i++) out[at + i] = Math.floor(r() * 256);
    return { bytes: out, kind: 'random-bytes' };
  }
  const groups = Object.keys(fields).filter((k) => fields[k].length > 0);
  const g = groups[Math.floor(r() * groups.length)];
  const out = seedBytes.slice();
  const dv = new DataView(out.buffer);
  const le = out[5] !== 2;
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const f = fields[g][Math.floor(r() * fields[g].length)];
    if (f.at + f.width > len) continue;
    const v = smashValue(r, f.width, len);
    if (f.width === 1) dv.setUint8(f.at, Number(v));
    else if (f.width === 2) dv.setUint16(f.at, Number(v), le);
    else if (f.width === 4) dv.setUint32(f.at, Number(v), le);
    else dv.setBigUint64(f.at, v, le);
  }
  return { bytes: out, kind: `smash-${g}` };
}

/** Runs `count` mutated cases over the seeds (round-robin). */
export function fuzzElf(seeds: readonly Uint8Array[], opts: FuzzOptions): FuzzReport {
  const r = rng(opts.seed ?? 1);
  const limit = opts.maxMsPerCase ?? 1000;
  const render = opts.render ?? true;
  const fields = seeds.map((s) => {
    const e = readElf(s).elf;
    return e ? fieldsOf(e) : { header: [], sections: [], symbols: [], relocs: [], btf: [] };
  });
  const rep: FuzzReport = { cases: 0, objects: 0, withDiagnostics: 0, rejected: 0, totalMs: 0, maxMs: 0, slowest: '', failures: [], byMutation: {} };
  if (seeds.length === 0) return rep;
  for (let i = 0; i < opts.count; i++) {
    const k = i % seeds.length;
    const { bytes, kind } = mutate(seeds[k], fields[k], r);
    rep.byMutation[kind] = (rep.byMutation[kind] ?? 0) + 1;
    const t0 = performance.now();
    try {
      const res = parseObject(bytes);
      if (res.object) {
        rep.objects++;
        if (render) {
          describeObject(res.object);
          disasmObject(res.object);
          // CO-RE against the object's own BTF: exercises access-string parsing and matching on broken records
          if (res.object.btf) describeCore(resolveCore(res.object, res.object.btf));
        }
      } else {
        rep.rejected++;
        if (res.diagnostics.length === 0) rep.failures.push({ caseIndex: i, mutation: kind, error: 'no object and no diagnostic' });
      }
      if (res.diagnostics.length > 0) rep.withDiagnostics++;
      for (const d of res.diagnostics) {
        if (!Number.isFinite(d.offset) || typeof d.message !== 'string' || d.message === '') {
          rep.failures.push({ caseIndex: i, mutation: kind, error: `malformed diagnostic ${JSON.stringify(d)}` });
          break;
        }
      }
    } catch (e) {
      rep.failures.push({ caseIndex: i, mutation: kind, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
    }
    const ms = performance.now() - t0;
    rep.totalMs += ms;
    if (ms > rep.maxMs) {
      rep.maxMs = ms;
      rep.slowest = `case ${i} (${kind})`;
    }
    if (ms > limit) rep.failures.push({ caseIndex: i, mutation: kind, error: `took ${ms.toFixed(1)} ms (limit ${limit} ms)` });
    rep.cases++;
  }
  return rep;
}
