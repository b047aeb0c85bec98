/** Creates the runtime object for a map definition. Non-goal: map-in-map, sockmap and other kernel-object maps. */
import { ArrayMap } from './array';
import { MAX_VALUE_SIZE, MapHost } from './base';
import { PerfEventArrayMap, RingBufMap, StackTraceMap } from './events';
import { HashMap } from './hash';
import { QueueMap } from './queue';
import { BpfMap, MapDef } from './types';

export * from './types';
export { ArrayMap } from './array';
export { HashMap } from './hash';
export { QueueMap } from './queue';
export { RingBufMap, PerfEventArrayMap, StackTraceMap } from './events';
export type { MapHost } from './base';

const clampInt = (v: number, max: number) => Math.min(Math.max(0, Math.floor(v) || 0), max);

/** The definition with sizes made sane (non-negative integers, values at most MAX_VALUE_SIZE), problems reported. */
function normalize(def: MapDef, host: MapHost): MapDef {
  const d: MapDef = {
    ...def,
    keySize: clampInt(def.keySize, 512),
    valueSize: clampInt(def.valueSize, MAX_VALUE_SIZE),
    maxEntries: clampInt(def.maxEntries, 0xffffffff),
  };
  if (d.keySize !== def.keySize || d.valueSize !== def.valueSize || d.maxEntries !== def.maxEntries) {
    host.problems?.push(`map ${def.name}: sizes adjusted to key ${d.keySize}, value ${d.valueSize}, max_entries ${d.maxEntries}`);
  }
  return d;
}

export function createMap(rawDef: MapDef, index: number, host: MapHost): BpfMap {
  const def = normalize(rawDef, host);
  let m: BpfMap;
  switch (def.type) {
    case 'hash': case 'percpu_hash': case 'lru_hash': m = new HashMap(def, index, host); break;
    case 'array': case 'percpu_array': case 'prog_array': m = new ArrayMap(def, index, host); break;
    case 'queue': case 'stack': m = new QueueMap(def, index, host); break;
    case 'ringbuf': m = new RingBufMap(def, index, host); break;
    case 'perf_event_array': m = new PerfEventArrayMap(def, index, host); break;
    case 'stack_trace': m = new StackTraceMap(def, index, host); break;
  }
  loadInitial(m);
  return m;
}

/** (Re)loads a map's `initial` entries. */
export function loadInitial(m: BpfMap): void {
  for (const e of m.def.initial ?? []) m.update(e.key, e.value, 0);
}
