/**
 * Turns one program of a parsed BPF object (server/src/elf) into verifier
 * input, the way libbpf prepares a load: the program's raw bytes, the .text
 * subprograms it calls appended after it, map and global-data references
 * rewritten to map indexes, kfunc/ksym references resolved in the kernel BTF,
 * CO-RE relocations applied against the kernel BTF when one is given (failed
 * ones poisoned as libbpf does, with libbpf's message), line info, license.
 * Pure. Non-goal: module BTF, CO-RE relocations in ld_imm64 of subprograms'
 * poisoned second halves.
 */
import { resolveCore, type BpfObject, type BpfProgram, type CoreResolution } from '../elf';
import { isProgType, type ProgType } from './progtypes';
import type { GlobalArg, GlobalFunc, VerifierLine, VerifierMap, VerifyInput } from './types';
import { KIND, KIND_NAMES, type Btf } from '../btf';
import { ctxLayout } from './ctx-access';

export interface ObjectProgramInput extends VerifyInput { bytes: Uint8Array; name: string; section: string; problems: string[] }

/** libbpf's poison: a call to helper 0xbad2310 ("bad relo") in place of an instruction whose relocation failed. */
export const CORE_POISON = 0xbad2310;

/** libbpf's core_relo_kind_str. */
const LIBBPF_KIND = ['byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64', 'local_type_id',
  'target_type_id', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches'];

/** libbpf's bpf_core_format_spec for the local side: `<byte_off> [27] struct s.f (0:1 @ offset 4)`. */
function coreSpecText(r: CoreResolution): string {
  const base = `<${LIBBPF_KIND[r.kind] ?? r.kind}> [${r.localTypeId}] ${r.local}`;
  if (r.kind >= 6) return base;
  return `${base} (${r.access} @ offset ${r.kind === 0 ? r.insnValue ?? 0 : 0})`;
}

/** bpf_core_patch_insn: writes the target value into the instruction (imm, off or imm64), or poisons it. */
function applyCore(dv: DataView, r: CoreResolution, poisoned: { pc: number; message: string }[], at: number): void {
  const o = r.pc * 8;
  if (o + 8 > dv.byteLength) return;
  const code = dv.getUint8(o);
  const cls = code & 7;
  if (r.status === 'failed' || r.targetValue === undefined) {
    dv.setUint8(o, 0x85); dv.setUint8(o + 1, 0); dv.setInt16(o + 2, 0, true); dv.setInt32(o + 4, CORE_POISON, true);
    poisoned.push({ pc: at + r.pc, message: `failed to resolve CO-RE relocation ${coreSpecText(r)}` });
    return;
  }
  const v = r.targetValue;
  if (code === 0x18) {
    if (o + 16 > dv.byteLength) return;
    dv.setInt32(o + 4, v | 0, true);
    dv.setInt32(o + 12, Math.floor(v / 0x100000000) | 0, true);
  } else if (cls === 4 || cls === 7) {
    dv.setInt32(o + 4, v | 0, true);
  } else if (cls === 1 || cls === 2 || cls === 3) {
    dv.setInt16(o + 2, v, true);
  }
}

function progBytes(obj: BpfObject, p: BpfProgram): Uint8Array {
  const sec = obj.elf.sections[p.sectionIndex];
  return sec.data.slice(p.offset, p.offset + p.size);
}

export function fromObject(obj: BpfObject, prog: BpfProgram, opts: Partial<VerifyInput> = {}): ObjectProgramInput {
  const problems: string[] = [];
  const maps: VerifierMap[] = obj.maps.map((m) => ({
    type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: mapName(m.name),
    ...(m.initial ? { initial: m.initial } : {}), readonly: m.name.startsWith('.rodata') || m.name.endsWith('.rodata') || m.name.includes('.rodata'),
    ...mapBtfFields(obj.btf, m.valueType),
  }));
  const mapIdx = new Map(obj.maps.map((m, i) => [m.name, i]));
  // Layout as libbpf's bpf_object__reloc_code: the program, then each subprogram appended when first
  // referenced (a call or a function pointer), its own references followed at once (depth first).
  const target = (name: string | undefined, off: number | undefined, sectionIndex: number): BpfProgram | undefined => {
    if (name !== undefined) {
      const byName = obj.programs.filter((q) => q.name === name);
      const q = byName.find((x) => x.subprog) ?? byName[0];
      if (q) return q;
    }
    return obj.programs.find((q) => off !== undefined && q.sectionIndex === sectionIndex && off >= q.offset && off < q.offset + q.size);
  };
  const parts: BpfProgram[] = [];
  const base = new Map<BpfProgram, number>();
  let total = 0;
  const funcStarts: number[] = [];
  const append = (p: BpfProgram, depth: number): void => {
    base.set(p, total);
    if (parts.length) funcStarts.push(total);
    parts.push(p);
    total += p.size / 8;
    if (depth > 64) return;
    const bytes = progBytes(obj, p);
    const relocAt = new Map<number, (typeof p.relocations)[number]>();
    for (const r of p.relocations) if (r.pc !== undefined) relocAt.set(r.pc, r);
    for (let pc = 0; pc < bytes.byteLength / 8; pc++) {
      const r = relocAt.get(pc);
      let q: BpfProgram | undefined;
      if (bytes[pc * 8] === 0x85 && bytes[pc * 8 + 1] >> 4 === 1) {
        const imm = new DataView(bytes.buffer, bytes.byteOffset + pc * 8 + 4, 4).getInt32(0, true);
        q = r && r.kind === 'subprog_call' ? target(r.target, r.targetOffset, p.sectionIndex) : target(undefined, p.offset + (pc + imm + 1) * 8, p.sectionIndex);
      } else if (bytes[pc * 8] === 0x18 && r && r.kind === 'func_ptr') {
        q = target(r.target, r.targetOffset, p.sectionIndex);
      }
      if (q && !base.has(q)) append(q, depth + 1);
    }
  };
  append(prog, 0);
  const lines: VerifierLine[] = [];
  const chunks: Uint8Array[] = [];
  const core = opts.btf && obj.btf && obj.programs.some((q) => q.coreRelos.length) ? resolveCore(obj, opts.btf) : [];
  const poisoned: { pc: number; message: string }[] = [];
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k];
    const at = base.get(p) ?? 0;
    const bytes = progBytes(obj, p);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const r of core) if (r.program === p.name && r.kind !== 6) applyCore(dv, r, poisoned, at);
    for (const l of p.lines) lines.push({ pc: at + l.pc, text: l.line, file: l.fileName, line: l.lineNum, col: l.col });
    const relocAt = new Map<number, (typeof p.relocations)[number]>();
    for (const r of p.relocations) if (r.pc !== undefined) relocAt.set(r.pc, r);
    const place = (q: BpfProgram): number => {
      let b = base.get(q);
      if (b === undefined) { b = total; base.set(q, b); parts.push(q); total += q.size / 8; funcStarts.push(b); }
      return b;
    };
    for (let pc = 0; pc < bytes.byteLength / 8; pc++) {
      const code = dv.getUint8(pc * 8);
      const src = dv.getUint8(pc * 8 + 1) >> 4;
      const imm = dv.getInt32(pc * 8 + 4, true);
      const r = relocAt.get(pc);
      const setSrc = (s: number): void => { dv.setUint8(pc * 8 + 1, (dv.getUint8(pc * 8 + 1) & 0x0f) | (s << 4)); };
      if (r && (r.kind === 'map' || r.kind === 'data' || r.kind === 'kconfig')) {
        const mi = r.map !== undefined ? mapIdx.get(r.map) : undefined;
        if (mi === undefined) { problems.push(`pc ${pc}: map ${r.map ?? '?'} not found`); continue; }
        setSrc(r.kind === 'map' ? 1 : 2);
        dv.setInt32(pc * 8 + 4, mi, true);
        if (r.kind !== 'map') dv.setInt32(pc * 8 + 12, (r.dataOffset ?? 0) + (r.kind === 'data' ? imm : 0), true);
        continue;
      }
      if (r && r.kind === 'kfunc') {
        const id = opts.btf?.find(r.symbol, 12);
        setSrc(2);
        dv.setInt32(pc * 8 + 4, id ?? -1, true);
        continue;
      }
      if (r && r.kind === 'ksym') {
        const id = opts.btf?.find(r.symbol);
        setSrc(3);
        dv.setInt32(pc * 8 + 4, id ?? 0, true);
        continue;
      }
      if (code === 0x85 && src === 1) {
        const q = r && r.kind === 'subprog_call' ? target(r.target, r.targetOffset, p.sectionIndex)
          : target(undefined, p.offset + (pc + imm + 1) * 8, p.sectionIndex);
        if (!q) { problems.push(`pc ${pc}: call target not found`); continue; }
        const tOff = r && r.kind === 'subprog_call' ? (r.targetOffset ?? q.offset) : p.offset + (pc + imm + 1) * 8;
        const tpc = (q === p ? at : place(q)) + (tOff - q.offset) / 8;
        dv.setInt32(pc * 8 + 4, tpc - (at + pc) - 1, true);
        continue;
      }
      if (code === 0x18 && r && r.kind === 'func_ptr') {
        const q = target(r.target, r.targetOffset, p.sectionIndex);
        if (!q) { problems.push(`pc ${pc}: function pointer target not found`); continue; }
        const tpc = (q === p ? at : place(q)) + ((r.targetOffset ?? q.offset) - q.offset) / 8;
        setSrc(4);
        dv.setInt32(pc * 8 + 4, tpc - (at + pc) - 1, true);
      }
    }
    if (opts.privileged === 'cap_bpf') {
      // libbpf's feature probe for bpf_probe_read_{kernel,user}[_str] fails without CAP_PERFMON, so it falls back to the old helpers.
      const FALLBACK: Record<number, number> = { 112: 4, 113: 4, 114: 45, 115: 45 };
      for (let pc = 0; pc < bytes.byteLength / 8; pc++) {
        if (dv.getUint8(pc * 8) === 0x85 && dv.getUint8(pc * 8 + 1) >> 4 === 0) {
          const f = FALLBACK[dv.getInt32(pc * 8 + 4, true)];
          if (f !== undefined) dv.setInt32(pc * 8 + 4, f, true);
        }
      }
    }
    chunks[k] = bytes;
  }
  const tn0 = (prog.progTypeName ?? '').toLowerCase();
  const ctxStruct = ctxLayout(isProgType(tn0) ? tn0 : 'socket_filter', prog.attachTypeName?.toLowerCase())?.struct ?? '';
  const globalFuncs: GlobalFunc[] = [];
  // Without func_info for the main program (or when the kernel refuses the object's BTF and libbpf
  // loads without it) every subprogram is static.
  const funcInfo = btfAccepted(obj.btf) && (obj.btfExt?.funcInfo ?? []).some((f) => f.section === prog.section && f.records.some((r) => r.insnOff >= prog.offset && r.insnOff < prog.offset + prog.size));
  const logNotes: string[] = [];
  const staticFuncs: GlobalFunc[] = [];
  if (obj.btf && funcInfo) {
    for (const p of parts.slice(1)) {
      const g = globalFunc(obj.btf, p, ctxStruct);
      if (g) globalFuncs.push({ ...g, pc: base.get(p) ?? 0 });
      else {
        const args = protoArgs(obj.btf, p, ctxStruct);
        if (args?.length) staticFuncs.push({ pc: base.get(p) ?? 0, name: p.name, args });
      }
    }
    // btf_prepare_func_args on the main program logs its first argument it cannot type (and goes on).
    const bad = protoArgs(obj.btf, prog, ctxStruct)?.find((a) => a.kind === 'unsupported');
    if (bad?.kind === 'unsupported') logNotes.push(bad.message);
  }
  // bpf_object__resolve_externs: a kfunc/ksym extern needs a BTF declaration in the object (clang
  // leaves it out when the function is only named in a cleanup attribute, for example).
  const noBtf = obj.btf ? obj.externs.find((e) => e.kind !== 'kconfig' && !e.weak && obj.btf?.find(e.name, e.kind === 'kfunc' ? KIND.FUNC : undefined) === undefined) : undefined;
  const out = new Uint8Array(total * 8);
  parts.forEach((p, k) => out.set(chunks[k], (base.get(p) ?? 0) * 8));
  const tn = (prog.progTypeName ?? '').toLowerCase();
  const progType: ProgType = isProgType(tn) ? tn : 'socket_filter';
  const at = prog.attachTypeName?.toLowerCase();
  const lic = obj.license ?? '';
  const gpl = /^(GPL|GPL v2|GPL and additional rights|Dual BSD\/GPL|Dual MIT\/GPL|Dual MPL\/GPL)$/.test(lic);
  return {
    insns: [], bytes: out, name: prog.name, section: prog.section, problems, progType,
    ...(at ? { expectedAttachType: at } : {}),
    ...(prog.attachTarget ? { attachTo: prog.attachTarget } : {}),
    maps, lineInfo: lines, funcStarts, gpl, ...(prog.sleepable ? { sleepable: true } : {}),
    ...(noBtf ? { libbpfError: `failed to find BTF for extern '${noBtf.name}': -2` } : {}), ...(poisoned.length ? { poisoned } : {}), ...(globalFuncs.length ? { globalFuncs } : {}),
    funcInfo, ...(logNotes.length ? { logNotes } : {}), ...(staticFuncs.length ? { staticFuncs } : {}),
    ...opts,
  };
}

/**
 * btf_func_check: the kernel refuses BTF in which a function prototype has an unnamed, non-void
 * parameter (clang emits those for naked functions); libbpf then loads the program without BTF.
 */
/** Whether a map gets BTF types from the object (libbpf passes them when the kernel accepts the BTF) and where its value's bpf_timer is. */
function mapBtfFields(btf: Btf | undefined, valueType: number | undefined): { btf: boolean; timerOff?: number } {
  if (!btf || valueType === undefined || !btfAccepted(btf)) return { btf: false };
  const off = timerOffset(btf, valueType, 0);
  return off === undefined ? { btf: true } : { btf: true, timerOff: off };
}

/** btf_parse_fields for bpf_timer: the byte offset of a `struct bpf_timer` member, nested structs included. */
function timerOffset(btf: Btf, id: number, depth: number): number | undefined {
  const sid = btf.resolve(id);
  if (depth > 8 || btf.kind(sid) !== KIND.STRUCT) return undefined;
  if (btf.name(sid) === 'bpf_timer') return 0;
  for (const m of btf.members(sid)) {
    if (m.bitSize || m.bitOffset % 8) continue;
    const inner = timerOffset(btf, m.type, depth + 1);
    if (inner !== undefined) return m.bitOffset / 8 + inner;
  }
  return undefined;
}

function btfAccepted(btf: Btf | undefined): boolean {
  if (!btf) return false;
  for (let id = 1; id < btf.count; id++) {
    if (btf.kind(id) !== KIND.FUNC) continue;
    // Extern functions (kfunc declarations) are rewritten by libbpf before the kernel sees the BTF.
    const fn = btf.type(id);
    if (fn.kind === KIND.FUNC && fn.linkage === 2) continue;
    const proto = btf.type(btf.sizeOrType(id));
    if (proto.kind === KIND.FUNC_PROTO && proto.params.some((x) => x.name === '' && x.type !== 0)) return false;
  }
  return true;
}

/** A subprogram with global linkage in its func_info FUNC, its arguments typed like btf_prepare_func_args. */
function globalFunc(btf: Btf, p: BpfProgram, ctxStruct: string): Omit<GlobalFunc, 'pc'> | undefined {
  const id = p.funcTypeId;
  const fn = id === undefined ? undefined : btf.type(id);
  if (fn?.kind !== KIND.FUNC || fn.linkage !== 1) return undefined;
  const args = protoArgs(btf, p, ctxStruct);
  return args && { name: p.name, args };
}

/** btf_prepare_func_args: a function's arguments typed from its func_info prototype (undefined without one). */
function protoArgs(btf: Btf, p: BpfProgram, ctxStruct: string): GlobalArg[] | undefined {
  const id = p.funcTypeId;
  if (id === undefined || btf.kind(id) !== KIND.FUNC) return undefined;
  const fn = btf.type(id);
  if (fn.kind !== KIND.FUNC) return undefined;
  const proto = btf.type(fn.type);
  if (proto.kind !== KIND.FUNC_PROTO) return undefined;
  return proto.params.map((prm, i): GlobalArg => {
    const t = btf.resolve(prm.type);
    const k = btf.kind(t);
    if (k === KIND.INT || k === KIND.ENUM || k === KIND.ENUM64) return { kind: 'scalar' };
    if (k !== KIND.PTR) return { kind: 'unsupported', message: `Arg#${i} type ${KIND_NAMES[k]} in ${p.name}() is not supported yet.` };
    const target = btf.resolve(btf.sizeOrType(t));
    if (ctxStruct && btf.kind(target) === KIND.STRUCT && btf.name(target) === ctxStruct) return { kind: 'ctx' };
    const size = btf.sizeof(target);
    if (!size) return { kind: 'unsupported', message: `arg#${i} reference type('${KIND_NAMES[btf.kind(target)]} ${btf.name(target)}') size cannot be determined: -22` };
    return { kind: 'mem', size };
  });
}

/** libbpf names global-data maps `<obj>.rodata`; the kernel keeps the first 15 characters. */
function mapName(n: string): string {
  return n.slice(0, 15);
}
