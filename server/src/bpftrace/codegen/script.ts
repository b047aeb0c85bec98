/**
 * Script-wide resources of a compilation, laid out as bpftrace 0.17 does: one
 * BPF map per script map (percpu hash for aggregations, percpu array for a
 * keyless count, hash or the declared kind otherwise), the output channel,
 * the per-CPU scratch array, stack-trace maps and the output format table.
 * Non-goal: instructions (gen.ts and friends use these definitions).
 */
import type * as A from '../ast';
import { type SType, U64, sizeOf, layoutOf, intType } from '../types';
import type { BtMapDef, OutputAction, OutputFormat } from './model';
import type { Typer } from './tyof';

/** bpftrace's ranges of output ids (AsyncAction). */
export const ASYNC = { printf: 0, system: 10000, cat: 20000, exit: 30000, print: 30001, clear: 30002, zero: 30003, time: 30004, join: 30005, helper_error: 30006, printValue: 30007, strftime: 30008 } as const;

/** How a key or value is stored: ints widened to 64 bits (bpftrace promotes map ints). */
export function storedType(t: SType): SType {
  if (t.k === 'int') return intType(64, t.signed);
  if (t.k === 'bool') return U64;
  if (t.k === 'tuple') return { k: 'tuple', elems: t.elems.map(storedType) };
  return t;
}

/** How a value is stored in an output record: as in maps, but bools stay bools (print(true) shows `true`). */
function recordType(t: SType): SType {
  if (t.k === 'bool') return t;
  if (t.k === 'tuple') return { k: 'tuple', elems: t.elems.map(recordType) };
  return storedType(t);
}

function hasBool(t: SType): boolean {
  return t.k === 'bool' || (t.k === 'tuple' && t.elems.some(hasBool));
}

export interface ScriptMap {
  index: number;
  def: BtMapDef;
  /** Key types as stored (without the trailing bucket/slot u64). */
  keyTypes: SType[];
  /** Offsets of the key parts. */
  keyOffsets: number[];
  /** Aggregation with a trailing u64 in the key (avg/stats slots, hist/lhist buckets). */
  extraKey: boolean;
  /** Keyless percpu_array (keyless count): key is a u32 0. */
  arrayKey: boolean;
}

const MAP_KIND: Record<string, BtMapDef['mapType']> = {
  hash: 'hash', lruhash: 'lru_hash', percpuhash: 'percpu_hash', percpulruhash: 'lru_hash', percpuarray: 'percpu_array',
};

export class ScriptLayout {
  readonly maps: BtMapDef[] = [];
  readonly formats: OutputFormat[] = [];
  private byName = new Map<string, ScriptMap>();
  private ids = { printf: 0, system: 0, cat: 0 };
  readonly outIndex: number;
  private scratchIdx: number | undefined;
  private internal = new Map<string, number>();

  constructor(readonly typer: Typer, readonly decls: Map<string, A.MapDecl>, readonly output: 'perf' | 'ringbuf', readonly keysMax: number) {
    this.outIndex = this.add(output === 'ringbuf'
      ? { name: '__ringbuf', mapType: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 1 << 20, key: [], value: { k: 'none' } }
      : { name: '__perf_out', mapType: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 128, key: [], value: { k: 'none' } });
  }

  private add(d: BtMapDef): number {
    this.maps.push(d);
    return this.maps.length - 1;
  }

  /** The script map `name` (created on first use from its types), or undefined when its type is unknown. */
  scriptMap(name: string): ScriptMap | undefined {
    const have = this.byName.get(name);
    if (have) return have;
    const mt = this.typer.mapType(name);
    if (!mt) return undefined;
    const value = mt.value;
    const keyTypes = mt.key.map(storedType);
    const keyed = keyTypes.length > 0;
    const offsets: number[] = [];
    let ks = 0;
    for (const k of keyTypes) { offsets.push(ks); ks += sizeOf(k); }
    let mapType: BtMapDef['mapType'] = 'hash';
    let extraKey = false;
    let arrayKey = false;
    let valueSize: number;
    if (value.k === 'agg') {
      mapType = 'percpu_hash';
      extraKey = ['avg', 'stats', 'hist', 'lhist'].includes(value.fn);
      if (value.fn === 'count' && !keyed) { mapType = 'percpu_array'; arrayKey = true; }
      valueSize = 8;
    } else {
      valueSize = Math.max(1, sizeOf(storedType(value)));
      const decl = this.decls.get(name);
      if (decl) mapType = MAP_KIND[decl.mapKind] ?? 'hash';
    }
    let keySize = keyed ? ks : 8;
    if (arrayKey) keySize = 4;
    const key = [...keyTypes];
    if (extraKey) { key.push(U64); keySize = (keyed ? ks : 8) + 8; }
    const decl = this.decls.get(name);
    const maxEntries = arrayKey ? 1 : decl?.maxEntries !== undefined ? Number(decl.maxEntries) : this.keysMax;
    const def: BtMapDef = { name, mapType, keySize, valueSize, maxEntries, key, value: value.k === 'agg' ? value : storedType(value), keyed };
    if ([...mt.key, value].some(hasBool)) def.shown = { key: [...mt.key, ...(extraKey ? [U64] : [])], value };
    const sm: ScriptMap = { index: this.add(def), def, keyTypes, keyOffsets: offsets, extraKey, arrayKey };
    this.byName.set(name, sm);
    return sm;
  }

  /** State of the format table (a dry run of a probe is undone with restore). */
  checkpoint(): { formats: number; ids: { printf: number; system: number; cat: number } } {
    return { formats: this.formats.length, ids: { ...this.ids } };
  }

  restore(c: { formats: number; ids: { printf: number; system: number; cat: number } }): void {
    this.formats.length = c.formats;
    this.ids = { ...c.ids };
  }

  /** All script maps created so far. */
  scriptMaps(): ScriptMap[] {
    return [...this.byName.values()];
  }

  /** Index of the per-CPU scratch array; its value grows to the largest need. */
  scratch(size: number): number {
    if (this.scratchIdx === undefined) {
      this.scratchIdx = this.add({ name: 'scratch', mapType: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 1, key: [], value: { k: 'none' } });
    }
    const d = this.maps[this.scratchIdx];
    d.valueSize = Math.max(d.valueSize, Math.ceil(size / 8) * 8);
    return this.scratchIdx;
  }

  /**
   * Offset of a NUL-terminated constant string in the '.rodata' global data map (created on first use; the
   * same string is stored once), and that map's index.
   */
  rodataString(text: string): { index: number; offset: number; size: number } {
    const bytes = new TextEncoder().encode(text + '\0');
    let index = this.maps.findIndex((m) => m.name === '.rodata');
    if (index < 0) index = this.add({ name: '.rodata', mapType: 'array', keySize: 4, valueSize: 0, maxEntries: 1, key: [], value: { k: 'none' }, initial: new Uint8Array(0) });
    const d = this.maps[index];
    const old = d.initial ?? new Uint8Array(0);
    for (let at = 0; at + bytes.length <= old.length; at++) {
      if (bytes.every((b, i) => old[at + i] === b) && (at === 0 || old[at - 1] === 0)) return { index, offset: at, size: bytes.length };
    }
    const grown = new Uint8Array(old.length + bytes.length);
    grown.set(old);
    grown.set(bytes, old.length);
    d.initial = grown;
    d.valueSize = grown.length;
    return { index, offset: old.length, size: bytes.length };
  }

  /** Index of the `elapsed` array: userspace stores the start time (boot ns) at key 0 when tracing starts. */
  elapsedMap(): number {
    let i = this.internal.get('elapsed');
    if (i === undefined) {
      i = this.add({ name: 'elapsed', mapType: 'array', keySize: 4, valueSize: 8, maxEntries: 1, key: [], value: U64 });
      this.internal.set('elapsed', i);
    }
    return i;
  }

  /** Index of the stack-trace map for kernel ('k') or user ('u') stacks. */
  stackMap(which: 'k' | 'u', frames = 127): number {
    const name = `stack_${which}`;
    let i = this.internal.get(name);
    if (i === undefined) {
      i = this.add({ name, mapType: 'stack_trace', keySize: 4, valueSize: 8 * frames, maxEntries: 4096, key: [], value: { k: 'none' } });
      this.internal.set(name, i);
    }
    return i;
  }

  /**
   * Registers an output record format; ints in records are stored as 64 bits (bools as bools). Records are
   * [u64 id][args...]; for ids 30000+ (exit, print, ...) args[0] is the format's index.
   */
  format(action: OutputAction, args: SType[], extra: Partial<OutputFormat> = {}): OutputFormat {
    let id: number;
    if (action === 'printf') id = ASYNC.printf + this.ids.printf++;
    else if (action === 'system') id = ASYNC.system + this.ids.system++;
    else if (action === 'cat') id = ASYNC.cat + this.ids.cat++;
    else id = ASYNC[action];
    // Actions numbered 30000+ share one id: their first argument is the format's index in the table.
    const shared = id >= ASYNC.exit;
    const stored = [...(shared ? [U64] : []), ...args.map(recordType)];
    const l = layoutOf([U64, ...stored]);
    const f: OutputFormat = { id, action, args: stored, layout: { offsets: l.offsets.slice(1), size: l.size }, ...extra };
    this.formats.push(f);
    return f;
  }
}
