/**
 * The checks the kernel makes before walking paths, in its order:
 * add_subprog_and_kfunc (call targets), check_subprogs (jump ranges, last
 * instruction), resolve_pseudo_ldimm64 (LDX reserved fields, LD_IMM64 halves,
 * map references, unknown opcodes) and check_cfg (unreachable code, jumps into
 * LD_IMM64). Works on raw slots so malformed encodings are seen as the kernel
 * sees them. Non-goal: BTF func_info/line_info validation.
 */
import { CLASS, Insn, OPCODES, OpSpec, lookupSpec } from '../isa';
import { KIND, type Btf } from '../btf';
import type { VerifierMap } from './types';
import { KF, kfuncInfo } from './kfunc-table';
import { ScratchBuffer } from './scratch-buffer';
import { arenaU8 } from './arena';

export interface Slot { code: number; dst: number; src: number; off: number; imm: number }

export interface PrepassError { message: string; pc: number | null }

export interface Prepass {
  slots: Slot[];
  specs: (OpSpec | undefined)[];
  /** Sorted start pcs of subprograms (0 first). */
  subprogs: number[];
  /** Prune points: 1 jump/call targets, 2 callback-calling helper calls, 3 iterator next() kfunc calls (forced checkpoints). */
  prune: Uint8Array;
  error?: PrepassError;
}

/** Helpers that call a BPF callback (bpf_loop, for_each_map_elem, timer_set_callback, find_vma, user_ringbuf_drain): forced checkpoints. */
export const CALLBACK_HELPERS: ReadonlySet<number> = new Set([181, 164, 170, 180, 209]);

/** Class numbers read once (hot loops below). */
const C_JMP = CLASS.JMP;
const C_JMP32 = CLASS.JMP32;
const C_LDX = CLASS.LDX;

const INSN_TABLE = new Set<number>(OPCODES.filter((s) => s.kind !== 'callx').map((s) => s.code));

export function slotsFromBytes(bytes: Uint8Array): Slot[] {
  const n = bytes.byteLength >> 3;
  const out: Slot[] = [];
  for (let i = 0, at = 0; i < n; i++, at += 8) {
    const regs = bytes[at + 1];
    const off = bytes[at + 2] | (bytes[at + 3] << 8);
    out.push({
      code: bytes[at], dst: regs & 0xf, src: regs >> 4, off: (off << 16) >> 16,
      imm: bytes[at + 4] | (bytes[at + 5] << 8) | (bytes[at + 6] << 16) | (bytes[at + 7] << 24),
    });
  }
  return out;
}

/**
 * The slots `encode(insns)` would give, read straight from the instructions (no byte buffer): fields
 * are cut to their encoded widths, and an ld_imm64's second slot holds only imm2.
 */
export function slotsFromInsns(insns: readonly Insn[]): Slot[] {
  const out: Slot[] = [];
  for (let i = 0; i < insns.length; i++) {
    const x = insns[i];
    out.push({ code: x.spec.code, dst: x.dst & 0xf, src: x.src & 0xf, off: (x.off << 16) >> 16, imm: x.imm | 0 });
    if (x.spec.kind === 'lddw') out.push({ code: 0, dst: 0, src: 0, off: 0, imm: (x.imm2 ?? 0) | 0 });
  }
  return out;
}

const isPseudoCall = (s: Slot): boolean => s.code === 0x85 && s.src === 1;
const isPseudoFunc = (s: Slot): boolean => s.code === 0x18 && s.src === 4;
const isKfuncCall = (s: Slot): boolean => s.code === 0x85 && s.src === 2;
const isLdImm64 = (s: Slot): boolean => s.code === 0x18;

function failed(res: Prepass, message: string, pc: number | null): Prepass {
  res.error = { message, pc };
  return res;
}

/** Scratch words per instruction of check_cfg's walk: state, stack, edge index, successor count, two successors. */
const CFG_WORDS = 6;
const CFG_SCRATCH = new ScratchBuffer();

export function prepass(slots: Slot[], maps: readonly VerifierMap[], btf: Btf | undefined, extraStarts: readonly number[] = []): Prepass {
  const n = slots.length;
  const specs: (OpSpec | undefined)[] = new Array(n);
  let calls = extraStarts.length > 0;
  for (let i = 0; i < n; i++) {
    const s = slots[i];
    specs[i] = lookupSpec(s.code, s.src, s.off, s.imm);
    if ((s.code === 0x85 && s.src !== 0) || (s.code === 0x18 && s.src === 4)) calls = true;
  }
  const prune = arenaU8(n + 1);
  const res: Prepass = { slots, specs, subprogs: [0], prune };
  if (n === 0) return failed(res, 'last insn is not an exit or jmp', null);

  // add_subprog_and_kfunc
  if (calls) {
    const starts = new Set<number>([0, ...extraStarts.filter((x) => x > 0 && x < n)]);
    for (let i = 0; i < n; i++) {
      const s = slots[i];
      if (isPseudoCall(s) || isPseudoFunc(s)) {
        const t = i + s.imm + 1;
        if (t < 0 || t >= n) return failed(res, 'call to invalid destination', null);
        starts.add(t);
      } else if (isKfuncCall(s)) {
        // add_kfunc_call: imm 0 (offset 0) waits for dead-code elimination; the fixup pass rejects it if still there.
        if (s.imm === 0 && s.off === 0) continue;
        if (!btf || s.imm <= 0 || s.imm >= btf.count || btf.kind(s.imm) !== KIND.FUNC) return failed(res, `kernel btf_id ${s.imm >>> 0} is not a function`, null);
      }
      if (isLdImm64(s)) i++;
    }
    res.subprogs = [...starts].sort((a, b) => a - b);
  }

  // check_subprogs
  let cur = 0;
  let subStart = 0;
  let subEnd = res.subprogs.length > 1 ? res.subprogs[1] : n;
  for (let i = 0; i < n; i++) {
    const code = slots[i].code;
    const cls = code & 7;
    const op = code & 0xf0;
    if ((cls === C_JMP || cls === C_JMP32) && op !== 0x90 && op !== 0x80) {
      const off = code === 0x06 ? i + slots[i].imm + 1 : i + slots[i].off + 1;
      if (off < subStart || off >= subEnd) return failed(res, `jump out of range from insn ${i} to ${off}`, i);
    }
    if (i === subEnd - 1) {
      if (code !== 0x95 && code !== 0x06 && code !== 0x05) return failed(res, 'last insn is not an exit or jmp', null);
      subStart = subEnd;
      cur++;
      subEnd = cur + 1 < res.subprogs.length ? res.subprogs[cur + 1] : n;
    }
  }

  // resolve_pseudo_ldimm64
  for (let i = 0; i < n; i++) {
    const s = slots[i];
    const cls = s.code & 7;
    if (cls === C_LDX && (((s.code & 0xe0) !== 0x60 && (s.code & 0xe0) !== 0x80) || s.imm !== 0)) {
      return failed(res, 'BPF_LDX uses reserved fields', null);
    }
    if (s.code === 0x18) {
      const h = slots[i + 1];
      if (i === n - 1 || h.code !== 0 || h.dst !== 0 || h.src !== 0 || h.off !== 0) return failed(res, 'invalid bpf_ld_imm64 insn', null);
      if (s.src === 0 || s.src === 4) { i++; continue; }
      if (s.src === 3) {
        const k = btf && s.imm > 0 && s.imm < btf.count ? btf.kind(s.imm) : -1;
        if (k !== KIND.VAR && k !== KIND.FUNC) return failed(res, `pseudo btf_id ${s.imm} in ldimm64 isn't KIND_VAR or KIND_FUNC`, null);
        i++;
        continue;
      }
      const ok = s.src === 2 || s.src === 6 || ((s.src === 1 || s.src === 5) && h.imm === 0);
      if (!ok) return failed(res, 'unrecognized bpf_ld_imm64 insn', null);
      const m = maps[s.imm];
      if (s.imm < 0 || !m) {
        if (s.src === 5 || s.src === 6) return failed(res, 'fd_idx without fd_array is invalid', null);
        return failed(res, `fd ${s.imm} is not pointing to valid bpf_map`, null);
      }
      if (s.src === 2 || s.src === 6) {
        const off = h.imm >>> 0;
        if (off >= 1 << 29) return failed(res, `direct value offset of ${off} is not allowed`, null);
        if (!isArrayLike(m)) return failed(res, 'no direct value access support for this map type', null);
        if (off >= m.valueSize) return failed(res, `invalid access to map value pointer, value_size=${m.valueSize} off=${off}`, null);
      }
      i++;
      continue;
    }
    if (!INSN_TABLE.has(s.code)) return failed(res, `unknown opcode ${s.code.toString(16).padStart(2, '0')}`, null);
  }
  return checkCfg(res, btf);
}

/**
 * check_cfg: an iterative depth-first walk from insn 0 marking prune points, then unreachable
 * instructions and jumps into the middle of an ld_imm64. Working arrays in the scratch buffer:
 * ST state (0 unseen, 1 discovered, 2 explored), STK the walk's stack (every insn is pushed at most
 * once, when discovered), EI the next edge to follow, NS the successor count (-1 until the insn first
 * reaches the top of the stack, which also marks its prune points), S0/S1 the successors.
 */
function checkCfg(res: Prepass, btf: Btf | undefined): Prepass {
  const { slots, prune } = res;
  const n = slots.length;
  const t = CFG_SCRATCH.get(CFG_WORDS * n);
  const ST = 0; const STK = n; const EI = 2 * n; const NS = 3 * n; const S0 = 4 * n; const S1 = 5 * n;
  t.fill(0, 0, n); t.fill(0, EI, EI + n); t.fill(-1, NS, NS + n);
  let sp = 1;
  t[STK] = 0;
  t[ST] = 1;
  while (sp > 0) {
    const v = t[STK + sp - 1];
    if (t[NS + v] < 0) {
      // The successors of v.
      const s = slots[v];
      const cls = s.code & 7;
      const op = s.code & 0xf0;
      let k = 1;
      if (cls === C_JMP || cls === C_JMP32) {
        if (op === 0x90) k = 0;
        else if (op === 0x80) {
          // A static call: push_insn marks its target (a BRANCH edge) as a prune point too.
          if (isPseudoCall(s)) { prune[v] = 1; prune[v + 1] = 1; prune[v + s.imm + 1] ||= 1; t[S0 + v] = v + 1; t[S1 + v] = v + s.imm + 1; k = 2; }
          else {
            if (s.src === 0 && CALLBACK_HELPERS.has(s.imm)) prune[v] = 2;
            // Open-coded iterator next() calls: forced checkpoints where iterator loops converge.
            if (s.src === 2 && btf && btf.kind(s.imm) === KIND.FUNC && (kfuncInfo(btf.name(s.imm)).flags & KF.ITER_NEXT)) prune[v] = 3;
            prune[v + 1] = 1;
            t[S0 + v] = v + 1;
          }
        } else if (op === 0x00) {
          const tgt = s.code === 0x06 ? v + s.imm + 1 : v + s.off + 1;
          prune[tgt] = 1;
          t[S0 + v] = tgt;
        } else {
          prune[v] = 1;
          prune[v + s.off + 1] = 1;
          t[S0 + v] = v + 1; t[S1 + v] = v + s.off + 1; k = 2;
        }
      } else if (isPseudoFunc(s)) { prune[v] = 1; prune[v + s.imm + 1] ||= 1; t[S0 + v] = v + 2; t[S1 + v] = v + s.imm + 1; k = 2; }
      else t[S0 + v] = v + (isLdImm64(s) ? 2 : 1);
      t[NS + v] = k;
    }
    if (t[EI + v] < t[NS + v]) {
      const w = t[EI + v]++ === 0 ? t[S0 + v] : t[S1 + v];
      if (w < 0 || w >= n) return failed(res, `jump out of range from insn ${v} to ${w}`, v);
      if (t[ST + w] === 0) { t[ST + w] = 1; t[STK + sp++] = w; }
      continue;
    }
    t[ST + v] = 2;
    sp--;
  }
  for (let i = 0; i < n; i++) {
    if (t[ST + i] !== 2) return failed(res, `unreachable insn ${i}`, i);
    if (isLdImm64(slots[i])) {
      if (t[ST + i + 1] !== 0) return failed(res, `jump into the middle of ldimm64 insn ${i}`, i);
      i++;
    }
  }
  return res;
}

export const MAP_TYPE_NAMES = [
  'unspec', 'hash', 'array', 'prog_array', 'perf_event_array', 'percpu_hash', 'percpu_array', 'stack_trace', 'cgroup_array',
  'lru_hash', 'lru_percpu_hash', 'lpm_trie', 'array_of_maps', 'hash_of_maps', 'devmap', 'sockmap', 'cpumap', 'xskmap', 'sockhash',
  'cgroup_storage', 'reuseport_sockarray', 'percpu_cgroup_storage', 'queue', 'stack', 'sk_storage', 'devmap_hash', 'struct_ops',
  'ringbuf', 'inode_storage', 'task_storage', 'bloom_filter', 'user_ringbuf', 'cgrp_storage', 'arena', 'insn_array',
];

export function mapTypeName(m: VerifierMap): string {
  return typeof m.type === 'number' ? MAP_TYPE_NAMES[m.type] ?? `type${m.type}` : m.type;
}

function isArrayLike(m: VerifierMap): boolean {
  const t = mapTypeName(m);
  return t === 'array' || t === 'insn_array';
}
