/**
 * Tracing helpers: probe_read* (from any mapped region, i.e. recorded trace
 * memory; a miss zeroes the destination and returns -EFAULT, as the kernel),
 * clocks, the seeded random generator, the current task's ids, comm and
 * pointer, get_func_ip, strncmp and find_vma (no address-space model: -ENOENT).
 * Facts come from the VmEnv.
 */
import type { HelperContext, HelperSpec } from './helpers-types';
import { err, u32, writeArg } from './helpers-util';
import { ERRNO } from './maps/types';
import type { VmFault } from './types';

const enc = new TextEncoder();

/** bpf_probe_read*: copy `size` bytes; on a miss zero the destination and return -EFAULT. */
function probeRead(c: HelperContext, dst: bigint, size: number, src: bigint): bigint | VmFault {
  if (size === 0) return 0n;
  const data = c.memory.read(src, size);
  if (!data) return writeArg(c, dst, new Uint8Array(size)) ?? err(ERRNO.EFAULT);
  return writeArg(c, dst, Uint8Array.from(data)) ?? 0n;
}

/** bpf_probe_read*_str: copy up to size-1 bytes and a NUL; the length with the NUL, or -EFAULT (destination zeroed). */
function probeReadStr(c: HelperContext, dst: bigint, size: number, src: bigint): bigint | VmFault {
  if (size === 0) return 0n;
  const s = c.memory.readCString(src, size - 1);
  if (!s) return writeArg(c, dst, new Uint8Array(size)) ?? err(ERRNO.EFAULT);
  const out = new Uint8Array(s.byteLength + 1);
  out.set(s);
  return writeArg(c, dst, out) ?? BigInt(out.byteLength);
}

const reads = (kind: string, str: boolean): Omit<HelperSpec, 'id'> => ({
  name: `probe_read${kind}${str ? '_str' : ''}`,
  signature: `long bpf_probe_read${kind}${str ? '_str' : ''}(void *dst, u32 size, const void *unsafe_ptr)`,
  impl: (c, r1, r2, r3) => (str ? probeReadStr : probeRead)(c, r1, u32(r2), r3),
});

export const TRACE_HELPERS: Omit<HelperSpec, 'id'>[] = [
  reads('', false), reads('_user', false), reads('_kernel', false),
  reads('', true), reads('_user', true), reads('_kernel', true),
  { name: 'ktime_get_ns', signature: 'u64 bpf_ktime_get_ns(void)', impl: (c) => c.clock('mono') },
  { name: 'ktime_get_boot_ns', signature: 'u64 bpf_ktime_get_boot_ns(void)', impl: (c) => c.clock('boot') },
  { name: 'ktime_get_coarse_ns', signature: 'u64 bpf_ktime_get_coarse_ns(void)', impl: (c) => c.clock('coarse') },
  { name: 'get_prandom_u32', signature: 'u32 bpf_get_prandom_u32(void)', impl: (c) => BigInt(c.random()) },
  { name: 'get_smp_processor_id', signature: 'u32 bpf_get_smp_processor_id(void)', impl: (c) => BigInt(c.env.cpu >>> 0) },
  {
    name: 'get_current_pid_tgid', signature: 'u64 bpf_get_current_pid_tgid(void)',
    impl: (c) => (BigInt(c.env.tgid >>> 0) << 32n) | BigInt(c.env.pid >>> 0),
  },
  {
    name: 'get_current_uid_gid', signature: 'u64 bpf_get_current_uid_gid(void)',
    impl: (c) => (BigInt(c.env.gid >>> 0) << 32n) | BigInt(c.env.uid >>> 0),
  },
  {
    name: 'get_current_comm', signature: 'long bpf_get_current_comm(void *buf, u32 size_of_buf)',
    impl: (c, r1, r2) => {
      const size = u32(r2);
      if (size === 0) return err(ERRNO.EINVAL);
      const out = new Uint8Array(size);
      out.set(enc.encode(c.env.comm).subarray(0, Math.min(size - 1, 15)));
      return writeArg(c, r1, out) ?? 0n;
    },
  },
  { name: 'get_current_task', signature: 'u64 bpf_get_current_task(void)', impl: (c) => c.env.task },
  { name: 'get_current_task_btf', signature: 'struct task_struct *bpf_get_current_task_btf(void)', impl: (c) => c.env.task },
  { name: 'get_func_ip', signature: 'u64 bpf_get_func_ip(void *ctx)', impl: (c) => c.env.funcIp },
  { name: 'get_current_cgroup_id', signature: 'u64 bpf_get_current_cgroup_id(void)', impl: (c) => c.env.cgroupId },
  { name: 'get_numa_node_id', signature: 'long bpf_get_numa_node_id(void)', impl: () => 0n },
  // HZ = 250: one jiffy per 4 ms of the event's monotonic time (no clock advance).
  { name: 'jiffies64', signature: 'u64 bpf_jiffies64(void)', impl: (c) => c.env.timeNs / 4_000_000n },
  {
    name: 'get_stack', signature: 'long bpf_get_stack(void *ctx, void *buf, u32 size, u64 flags)',
    impl: (c, _r1, r2, r3, r4) => {
      const size = u32(r3);
      if (size % 8 !== 0 || (r4 & ~0x3ffn) !== 0n) return err(ERRNO.EINVAL);
      const ips = (r4 & (1n << 8n) ? c.env.ustack : c.env.kstack).slice(Number(r4 & 0xffn), Number(r4 & 0xffn) + size / 8);
      const out = new Uint8Array(size);
      const dv = new DataView(out.buffer);
      ips.forEach((ip, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, ip), true));
      return writeArg(c, r2, out) ?? BigInt(ips.length * 8);
    },
  },
  {
    name: 'strncmp', signature: 'long bpf_strncmp(const char *s1, u32 s1_sz, const char *s2)',
    impl: (c, r1, r2, r3) => {
      const n = u32(r2);
      for (let i = 0; i < n; i++) {
        const a = c.memory.read(r1 + BigInt(i), 1);
        if (!a) return c.memFaultHere(r1 + BigInt(i), 1, false);
        const b = c.memory.read(r3 + BigInt(i), 1);
        if (!b) return c.memFaultHere(r3 + BigInt(i), 1, false);
        if (a[0] !== b[0]) return a[0] < b[0] ? err(1) : 1n;
        if (a[0] === 0) return 0n;
      }
      return 0n;
    },
  },
  {
    // The VM has no model of the task's address space: no VMA holds any address, so the
    // callback is never called and the helper returns -ENOENT, as the kernel does for an unmapped address.
    name: 'find_vma', signature: 'long bpf_find_vma(struct task_struct *task, u64 addr, void *callback_fn, void *callback_ctx, u64 flags)',
    impl: (c, _r1, _r2, r3, _r4, r5) => {
      if (r5 !== 0n) return err(ERRNO.EINVAL);
      if (!c.funcAt(r3)) return c.fault('helper', `bpf_find_vma: callback_fn 0x${r3.toString(16)} is not a function address (load it with lddw src=4)`);
      return err(ERRNO.ENOENT);
    },
  },
];
