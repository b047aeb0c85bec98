/**
 * Helpers that emit data or call back into the program: perf_event_output,
 * the ring buffer family, and bpf_loop (a generator: each iteration yields a
 * call of the callback, which the engine runs as a frame of its own).
 */
import type { CallRequest, HelperSpec } from './helpers-types';
import { err, isBytes, mapArg, readArg, u32 } from './helpers-util';
import { PerfEventArrayMap, RingBufMap } from './maps/events';
import { ERRNO } from './maps/types';
import type { VmFault } from './types';

/** bpf_loop's limit on iterations (the kernel's BPF_MAX_LOOPS). */
export const BPF_MAX_LOOPS = 1 << 23;

export const EVENT_HELPERS: Omit<HelperSpec, 'id'>[] = [
  {
    name: 'perf_event_output', signature: 'long bpf_perf_event_output(void *ctx, struct bpf_map *map, u64 flags, void *data, u64 size)',
    impl: (c, _r1, r2, r3, r4, r5) => {
      const m = mapArg(c, 'perf_event_output', r2);
      if (!('def' in m)) return m;
      if (!(m instanceof PerfEventArrayMap)) return err(ERRNO.EINVAL);
      const data = readArg(c, r4, Number(r5 & 0xffffffffn));
      return isBytes(data) ? err(-m.emit(r3, data, c.pc)) : data;
    },
  },
  {
    name: 'ringbuf_output', signature: 'long bpf_ringbuf_output(void *ringbuf, void *data, u64 size, u64 flags)',
    impl: (c, r1, r2, r3) => {
      const m = mapArg(c, 'ringbuf_output', r1);
      if (!('def' in m)) return m;
      if (!(m instanceof RingBufMap)) return err(ERRNO.EINVAL);
      const data = readArg(c, r2, Number(r3 & 0xffffffffn));
      return isBytes(data) ? err(-m.emit(data, c.pc)) : data;
    },
  },
  {
    name: 'ringbuf_reserve', signature: 'void *bpf_ringbuf_reserve(void *ringbuf, u64 size, u64 flags)',
    impl: (c, r1, r2, r3) => {
      const m = mapArg(c, 'ringbuf_reserve', r1);
      if (!('def' in m)) return m;
      if (!(m instanceof RingBufMap) || r3 !== 0n || r2 > 0xffffffffn) return 0n;
      return m.reserve(Number(r2));
    },
  },
  ...(['submit', 'discard'] as const).map((op) => ({
    name: `ringbuf_${op}`, signature: `void bpf_ringbuf_${op}(void *data, u64 flags)`,
    impl: (c, r1) => {
      for (const m of c.maps) {
        if (m instanceof RingBufMap && m.finish(r1, op === 'submit', c.pc)) return 0n;
      }
      return c.fault('helper', `bpf_ringbuf_${op}: 0x${r1.toString(16)} is not a record reserved by bpf_ringbuf_reserve (or it was already submitted or discarded)`);
    },
  }) as Omit<HelperSpec, 'id'>),
  {
    name: 'ringbuf_query', signature: 'u64 bpf_ringbuf_query(void *ringbuf, u64 flags)',
    impl: (c, r1, r2) => {
      const m = mapArg(c, 'ringbuf_query', r1);
      if (!('def' in m)) return m;
      return m instanceof RingBufMap ? m.query(Number(r2 & 0xffn)) : 0n;
    },
  },
  {
    name: 'loop', signature: 'long bpf_loop(u32 nr_loops, void *callback_fn, void *callback_ctx, u64 flags)',
    impl: (c, r1, r2, r3, r4) => {
      if (r4 !== 0n) return err(ERRNO.EINVAL);
      const n = u32(r1);
      if (n > BPF_MAX_LOOPS) return err(ERRNO.E2BIG);
      const fn = c.funcAt(r2);
      if (!fn) return c.fault('helper', `bpf_loop: callback_fn 0x${r2.toString(16)} is not a function address (load it with lddw src=4)`);
      return (function* loop(): Generator<CallRequest, bigint | VmFault, bigint> {
        for (let i = 0; i < n; i++) {
          const ret = yield { program: fn.program, pc: fn.pc, args: [BigInt(i), r3, 0n, 0n, 0n] };
          if (ret !== 0n) return BigInt(i + 1);
        }
        return BigInt(n);
      })();
    },
  },
];
