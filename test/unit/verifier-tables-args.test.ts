/**
 * Helper argument types against the kernel: test/fixtures/verifier-tables/helper-args.json
 * (scripts/record-helper-args.ts) holds, per helper and argument register, the verifier's answer
 * when the register is left uninitialised, holds a stack pointer, holds the scalar 1, or (memory
 * arguments) points into the read-only .rodata map. From
 * those we read whether the kernel uses the argument and which register types it accepts, and
 * compare with each prototype in protos/table.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELPER_PROTOS, MIGHT_SLEEP } from '../../server/src/verifier/protos/table';
import { parseArg, type ArgBase } from '../../server/src/verifier/protos/types';

type Mode = 'uninit' | 'stack' | 'scalar' | 'rodata' | 'ret' | 'leak';
interface ArgsFixture {
  _recorded: { how: string; kernel: string; loads: number };
  helpers: Record<string, { section: string; args: Record<string, Partial<Record<Mode, string | null>>> }>;
}

const fx = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'verifier-tables', 'helper-args.json'), 'utf8')) as ArgsFixture;

/** The kernel's list of register types each pointer argument base accepts (compatible_reg_types, as printed in `expected=`). */
const MEM = 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_';
const ACCEPTS: Partial<Record<ArgBase, string>> = {
  ARG_CONST_MAP_PTR: 'map_ptr',
  ARG_PTR_TO_MAP_KEY: MEM,
  ARG_PTR_TO_MAP_VALUE: MEM,
  ARG_PTR_TO_MEM: MEM,
  ARG_PTR_TO_FIXED_SIZE_MEM: MEM,
  ARG_PTR_TO_CTX: 'ctx',
  ARG_PTR_TO_FUNC: 'func',
  ARG_PTR_TO_SOCK_COMMON: 'sock_common, sock, tcp_sock, xdp_sock',
  ARG_PTR_TO_BTF_ID_SOCK_COMMON: 'sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_',
  ARG_PTR_TO_BTF_ID: 'ptr_, trusted_ptr_, rcu_ptr_',
  ARG_PTR_TO_PERCPU_BTF_ID: 'percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_',
  ARG_PTR_TO_KPTR: 'map_value, ptr_',
  ARG_PTR_TO_SPIN_LOCK: 'map_value, ptr_',
  ARG_PTR_TO_TIMER: 'map_value',
  ARG_PTR_TO_CONST_STR: 'map_value',
  ARG_PTR_TO_RINGBUF_MEM: 'ringbuf_mem',
  ARG_PTR_TO_DYNPTR: 'fp, dynptr_ptr',
};
const SCALARS = new Set<ArgBase>(['ARG_CONST_SIZE', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_CONST_ALLOC_SIZE_OR_ZERO']);

/** The part of `msg` about register R`i` (`type=scalar expected=...`, `!read_ok`), or undefined when it is about something else. */
function about(msg: string | null | undefined, i: number): string | undefined {
  if (msg === null || msg === undefined) return undefined;
  const m = new RegExp(`^R${i} (.*)$`).exec(msg);
  return m ? m[1] : undefined;
}

test('the argument recording is well formed and covers most helpers', () => {
  assert.match(fx._recorded.how, /bpftool prog load/);
  const recorded = HELPER_PROTOS.filter((p) => fx.helpers[p.name]).length;
  console.log(`helper args: ${recorded} of ${HELPER_PROTOS.length} helpers probed, ${fx._recorded.loads} loads`);
  assert.ok(recorded >= 150, `only ${recorded} helpers probed`);
});

test('argument counts and accepted register types agree with the kernel', () => {
  const wrong: string[] = [];
  let checked = 0;
  for (const p of HELPER_PROTOS) {
    const h = fx.helpers[p.name];
    if (!h) continue;
    if (MIGHT_SLEEP.has(p.name)) {
      assert.match(h.args[1]?.stack ?? '', /might sleep in a non-sleepable prog/, `${p.name}: recorded without might-sleep refusal`);
      continue;
    }
    for (const [k, r] of Object.entries(h.args)) {
      const i = Number(k);
      if (i === 0) continue; // the full-call record, checked below
      const text = p.args[i - 1];
      const base: ArgBase = text ? parseArg(text).base : 'ARG_DONTCARE';
      const u = about(r.uninit, i);
      const st = about(r.stack, i);
      const sc = about(r.scalar, i);
      const tag = `${p.name} arg${i} (${text ?? 'unused'})`;
      checked++;
      if (i > 1 && (u === '!read_ok') !== (base !== 'ARG_DONTCARE')) wrong.push(`${tag}: kernel ${u === '!read_ok' ? 'reads' : 'ignores'} R${i}`);
      if (base === 'ARG_DONTCARE' || base === 'ARG_ANYTHING') {
        if (st !== undefined || sc !== undefined) wrong.push(`${tag}: kernel refuses a value: ${st ?? sc}`);
      } else if (SCALARS.has(base)) {
        if (st !== 'type=fp expected=scalar') wrong.push(`${tag}: stack pointer gave ${st ?? 'acceptance'}`);
        if (sc !== undefined) wrong.push(`${tag}: scalar 1 gave ${sc}`);
      } else {
        const want = ACCEPTS[base];
        if (want === undefined) { wrong.push(`${tag}: no accepted-types entry for ${base}`); continue; }
        if (sc !== `type=scalar expected=${want}`) wrong.push(`${tag}: scalar 1 gave ${sc ?? 'acceptance'}, want expected=${want}`);
      }
    }
  }
  console.log(`helper args: ${checked} argument registers compared`);
  assert.deepEqual(wrong, []);
});

test('memory arguments the helper writes (MEM_WRITE) are the ones the kernel refuses to point into .rodata', () => {
  const wrong: string[] = [];
  let checked = 0;
  for (const p of HELPER_PROTOS) {
    const h = fx.helpers[p.name];
    if (!h || MIGHT_SLEEP.has(p.name)) continue;
    for (const [k, r] of Object.entries(h.args)) {
      if (!('rodata' in r)) continue;
      const text = p.args[Number(k) - 1];
      const kernelWrites = /^write into map forbidden/.test(r.rodata ?? '');
      const tableWrites = text !== undefined && parseArg(text).flags.has('MEM_WRITE');
      checked++;
      if (kernelWrites !== tableWrites) wrong.push(`${p.name} arg${k} (${text}): kernel ${kernelWrites ? 'writes' : 'only reads'} (${r.rodata})`);
    }
  }
  console.log(`helper args: ${checked} memory arguments checked for writes`);
  assert.ok(checked >= 50, `only ${checked} memory arguments probed`);
  assert.deepEqual(wrong, []);
});

/** What reading through r0 after the call says for each return type (null: the read is allowed). */
const RET_READ: Readonly<Record<string, string | null>> = {
  RET_INTEGER: "R0 invalid mem access 'scalar'",
  RET_VOID: 'R0 !read_ok',
  RET_PTR_TO_MAP_VALUE_OR_NULL: "R0 invalid mem access 'map_value_or_null'",
  RET_PTR_TO_MEM_OR_NULL: "R0 invalid mem access 'ringbuf_mem_or_null'",
  RET_PTR_TO_SOCKET_OR_NULL: "R0 invalid mem access 'sock_or_null'",
  RET_PTR_TO_SOCK_COMMON_OR_NULL: "R0 invalid mem access 'sock_common_or_null'",
  RET_PTR_TO_TCP_SOCK_OR_NULL: "R0 invalid mem access 'tcp_sock_or_null'",
  RET_PTR_TO_MAP_VALUE: null,
  RET_PTR_TO_BTF_ID: null,
  RET_PTR_TO_BTF_ID_TRUSTED: null,
};

test('return types and acquired references agree with a real call', () => {
  const wrong: string[] = [];
  let checked = 0;
  for (const p of HELPER_PROTOS) {
    const r = fx.helpers[p.name]?.args[0];
    if (!r || /cannot pass map_type|might sleep/.test(r.ret ?? '')) continue;
    checked++;
    if (p.ret in RET_READ) {
      if ((r.ret ?? null) !== RET_READ[p.ret]) wrong.push(`${p.name} (${p.ret}): reading r0 gave ${r.ret ?? 'acceptance'}`);
    } else wrong.push(`${p.name}: no expectation for ${p.ret}`);
    const leaks = /reference leak|Unreleased reference/.test(r.leak ?? '');
    if (leaks !== Boolean(p.acquire)) wrong.push(`${p.name}: kernel ${leaks ? 'tracks' : 'does not track'} a reference (${r.leak ?? 'accepted'})`);
  }
  console.log(`helper args: ${checked} helpers called with valid arguments (return type, reference)`);
  assert.ok(checked >= 100, `only ${checked} full calls`);
  assert.deepEqual(wrong, []);
});
