/**
 * Map helpers: lookup, update, delete, push, pop, peek, get_stackid and
 * tail_call. Errors are the kernel's negative errno values; a bad pointer
 * argument stops the run with a memory fault at the call.
 */
import type { HelperSpec } from './helpers-types';
import { err, isBytes, mapArg, readArg, u32, writeArg } from './helpers-util';
import { ArrayMap } from './maps/array';
import { HashMap } from './maps/hash';
import { StackTraceMap, BPF_F_USER_STACK } from './maps/events';
import { ERRNO, isPushPop } from './maps/types';
import { MAX_TAIL_CALLS } from './types';

export const MAP_HELPERS: Omit<HelperSpec, 'id'>[] = [
  {
    name: 'map_lookup_elem', signature: 'void *bpf_map_lookup_elem(struct bpf_map *map, const void *key)',
    impl: (c, r1, r2) => {
      const m = mapArg(c, 'map_lookup_elem', r1);
      if (!('def' in m)) return m;
      const key = readArg(c, r2, m.def.keySize);
      return isBytes(key) ? m.lookup(key) : key;
    },
  },
  {
    name: 'map_update_elem', signature: 'long bpf_map_update_elem(struct bpf_map *map, const void *key, const void *value, u64 flags)',
    impl: (c, r1, r2, r3, r4) => {
      const m = mapArg(c, 'map_update_elem', r1);
      if (!('def' in m)) return m;
      const key = readArg(c, r2, m.def.keySize);
      if (!isBytes(key)) return key;
      const value = readArg(c, r3, m.def.valueSize);
      if (!isBytes(value)) return value;
      return err(-m.update(Uint8Array.from(key), Uint8Array.from(value), Number(r4 & 0xffffffffn)));
    },
  },
  {
    name: 'map_delete_elem', signature: 'long bpf_map_delete_elem(struct bpf_map *map, const void *key)',
    impl: (c, r1, r2) => {
      const m = mapArg(c, 'map_delete_elem', r1);
      if (!('def' in m)) return m;
      const key = readArg(c, r2, m.def.keySize);
      return isBytes(key) ? err(-m.delete(key)) : key;
    },
  },
  {
    name: 'map_push_elem', signature: 'long bpf_map_push_elem(struct bpf_map *map, const void *value, u64 flags)',
    impl: (c, r1, r2, r3) => {
      const m = mapArg(c, 'map_push_elem', r1);
      if (!('def' in m)) return m;
      if (!isPushPop(m)) return err(ERRNO.EINVAL);
      const value = readArg(c, r2, m.def.valueSize);
      return isBytes(value) ? err(-m.push(value, Number(r3 & 0xffffffffn))) : value;
    },
  },
  ...(['pop', 'peek'] as const).map((op) => ({
    name: `map_${op}_elem`, signature: `long bpf_map_${op}_elem(struct bpf_map *map, void *value)`,
    impl: (c, r1, r2) => {
      const m = mapArg(c, `map_${op}_elem`, r1);
      if (!('def' in m)) return m;
      if (!isPushPop(m)) return err(ERRNO.EINVAL);
      const v = m.pop(op === 'pop');
      if (typeof v === 'number') return err(-v);
      return writeArg(c, r2, v) ?? 0n;
    },
  }) as Omit<HelperSpec, 'id'>),
  {
    name: 'map_lookup_percpu_elem', signature: 'void *bpf_map_lookup_percpu_elem(struct bpf_map *map, const void *key, u32 cpu)',
    impl: (c, r1, r2, r3) => {
      const m = mapArg(c, 'map_lookup_percpu_elem', r1);
      if (!('def' in m)) return m;
      const key = readArg(c, r2, m.def.keySize);
      if (!isBytes(key)) return key;
      return m instanceof HashMap || m instanceof ArrayMap ? m.lookupCpu(key, u32(r3)) : 0n;
    },
  },
  {
    name: 'get_stackid', signature: 'long bpf_get_stackid(void *ctx, struct bpf_map *map, u64 flags)',
    impl: (c, _r1, r2, r3) => {
      const m = mapArg(c, 'get_stackid', r2);
      if (!('def' in m)) return m;
      if (!(m instanceof StackTraceMap)) return err(ERRNO.EINVAL);
      return BigInt.asUintN(64, BigInt(m.stackId((r3 & BPF_F_USER_STACK) ? c.env.ustack : c.env.kstack, r3)));
    },
  },
  {
    // On success the engine continues in the target program and never returns here; a failure returns -ENOENT (documented choice).
    name: 'tail_call', signature: 'long bpf_tail_call(void *ctx, struct bpf_map *prog_array_map, u32 index)',
    impl: (c, _r1, r2, r3) => {
      const m = mapArg(c, 'tail_call', r2);
      if (!('def' in m)) return m;
      if (!(m instanceof ArrayMap) || m.def.type !== 'prog_array') return c.fault('helper', `bpf_tail_call: map ${m.def.name} is a ${m.def.type}, not a prog_array`);
      const k = m.program(u32(r3));
      if (k === undefined || k + 1 >= c.programCount || c.tailCalls >= MAX_TAIL_CALLS) return err(ERRNO.ENOENT);
      c.tailCalls++;
      c.pendingTailCall = k + 1;
      return 0n;
    },
  },
];
