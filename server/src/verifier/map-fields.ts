/**
 * Rules for the kernel objects behind map pointers and inside map values:
 * check_ptr_to_map_access (loads through a map pointer read the map's kernel
 * struct, read-only, CAP_PERFMON only) and check_map_access's btf_record test
 * for bpf_timer fields. Non-goal: the struct fields' types (a load gives a
 * scalar), kptrs, spin locks and other BTF record fields.
 */
import type { Env } from './env';
import type { Reg } from './reg';
import { MAP_TYPE_NAMES, mapTypeName } from './prepass';

/** The kernel struct behind each map type's struct bpf_map (map_ops->map_btf_id). */
const MAP_STRUCT: Record<string, string> = {
  array: 'bpf_array', percpu_array: 'bpf_array', prog_array: 'bpf_array', perf_event_array: 'bpf_array', cgroup_array: 'bpf_array',
  array_of_maps: 'bpf_array', hash: 'bpf_htab', percpu_hash: 'bpf_htab', lru_hash: 'bpf_htab', lru_percpu_hash: 'bpf_htab',
  hash_of_maps: 'bpf_htab', ringbuf: 'bpf_ringbuf_map', user_ringbuf: 'bpf_ringbuf_map', stack_trace: 'bpf_stack_map',
  lpm_trie: 'lpm_trie', queue: 'bpf_queue_stack', stack: 'bpf_queue_stack', sockmap: 'bpf_stab', sockhash: 'bpf_shtab',
  devmap: 'bpf_dtab', devmap_hash: 'bpf_dtab', cpumap: 'bpf_cpu_map', xskmap: 'xsk_map', bloom_filter: 'bpf_bloom_filter',
  reuseport_sockarray: 'reuseport_array', sk_storage: 'bpf_local_storage_map', inode_storage: 'bpf_local_storage_map',
  task_storage: 'bpf_local_storage_map', cgrp_storage: 'bpf_local_storage_map', cgroup_storage: 'bpf_cgroup_storage_map',
  percpu_cgroup_storage: 'bpf_cgroup_storage_map', struct_ops: 'bpf_struct_ops_map', arena: 'bpf_arena',
};

/** check_ptr_to_map_access: loads through a map pointer read the map's kernel struct (fields not modelled: a scalar). */
export function mapPtrAccess(env: Env, regno: number, r: Reg, off: number, write: boolean): void {
  const m = env.maps[r.map];
  const t = m ? mapTypeName(m) : '';
  const tname = MAP_STRUCT[t];
  if (!tname) env.fail(`map_ptr access not supported for map type ${m ? MAP_TYPE_NAMES.indexOf(t) : 0}`);
  if (!env.allowPtrLeaks) env.fail(`'struct ${tname}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN`);
  if (off < 0) env.fail(`R${regno} is ${tname} invalid negative access: off=${off}`);
  if (write) env.fail(`only read from ${tname} is supported`);
}

/** check_map_access's btf_record test for bpf_timer: no load or store may touch any byte of the value's timer. */
export function timerField(env: Env, r: Reg, off: number, size: number): void {
  const p = env.maps[r.map]?.timerOff;
  if (p !== undefined && r.smin + BigInt(off) < BigInt(p + 16) && BigInt(p) < r.umax + BigInt(off + size)) {
    env.fail('bpf_timer cannot be accessed directly by load/store');
  }
}
