/**
 * Map helpers: lookup, update, delete, push, pop, peek, get_stackid,
 * tail_call and for_each_map_elem (a generator like bpf_loop: one callback
 * call per element, run by the engine as a frame of its own). Errors are the kernel's negative errno values; a bad pointer
 * argument stops the run with a memory fault at the call.
 */
import type { CallRequest, HelperContext, HelperSpec } from './helpers-types';
import { err, isBytes, mapArg, readArg, u32, writeArg } from './helpers-util';
import { ArrayMap } from './maps/array';
import { HashMap } from './maps/hash';
import { StackTraceMap, BPF_F_USER_STACK } from './maps/events';
import { ERRNO, isPushPop } from './maps/types';
import type { BpfMap } from './maps/types';
import type { Memory, Region } from './memory';
import { MAX_TAIL_CALLS, type VmFault } from './types';

/** Key regions of finished walks, per memory and key size, reused (memory regions are never reclaimed). */
const KEY_POOLS = new WeakMap<Memory, Map<number, Region[]>>();
function keyPool(mem: Memory, size: number): Region[] {
  let bySize = KEY_POOLS.get(mem);
  if (!bySize) { bySize = new Map(); KEY_POOLS.set(mem, bySize); }
  let pool = bySize.get(size);
  if (!pool) { pool = []; bySize.set(size, pool); }
  return pool;
}

/**
 * bpf_for_each_map_elem's walk: the callback gets (map, &key, &value, ctx) for each element and
 * stops the walk by returning 1; the result is the number of elements visited (the stopping one
 * included). Arrays visit every index below max_entries, hashes their elements present when the
 * walk starts (still present when reached); per-CPU maps give this CPU's value. The key lives in
 * a read-only scratch region of the map's key size, rewritten per element. Hash elements come in
 * insertion order (the kernel's is bucket order).
 */
function forEachElem(c: HelperContext, m: BpfMap, fn: { program: number; pc: number }, mapPtr: bigint, ctx: bigint): Generator<CallRequest, bigint | VmFault, bigint> {
  const keySize = Math.max(1, m.def.keySize);
  const pool = keyPool(c.memory, keySize);
  const keyRegion = pool.pop() ?? c.memory.add('scratch', `for_each_map_elem key (${keySize} bytes)`, new Uint8Array(keySize), { writable: false });
  const keys: Uint8Array[] = m instanceof HashMap ? m.keys()
    : Array.from({ length: Math.max(0, m.def.maxEntries) }, (_, i) => Uint8Array.of(i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, i >>> 24));
  return (function* walk(): Generator<CallRequest, bigint | VmFault, bigint> {
    let n = 0;
    try {
      for (const key of keys) {
        const value = m instanceof HashMap ? m.peek(key) : m.lookup(key);
        if (value === 0n) continue;
        keyRegion.bytes.set(key.subarray(0, keySize));
        n++;
        const ret = yield { program: fn.program, pc: fn.pc, args: [mapPtr, keyRegion.base, value, ctx, 0n] };
        if (ret !== 0n) break;
      }
    } finally {
      pool.push(keyRegion);
    }
    return BigInt(n);
  })();
}

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
    name: 'for_each_map_elem', signature: 'long bpf_for_each_map_elem(struct bpf_map *map, void *callback_fn, void *callback_ctx, u64 flags)',
    impl: (c, r1, r2, r3, r4) => {
      const m = mapArg(c, 'for_each_map_elem', r1);
      if (!('def' in m)) return m;
      if (r4 !== 0n) return err(ERRNO.EINVAL);
      const fn = c.funcAt(r2);
      if (!fn) return c.fault('helper', `bpf_for_each_map_elem: callback_fn 0x${r2.toString(16)} is not a function address (load it with lddw src=4)`);
      const t = m.def.type;
      if (!(m instanceof HashMap || (m instanceof ArrayMap && (t === 'array' || t === 'percpu_array')))) return err(ERRNO.EOPNOTSUPP);
      return forEachElem(c, m, fn, r1, r3);
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
