/** Creates the runtime object for a map definition. Non-goal: map-in-map, sockmap and other kernel-object maps. */
import { ArrayMap } from './array';
import { MapHost } from './base';
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

export function createMap(def: MapDef, index: number, host: MapHost): BpfMap {
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
