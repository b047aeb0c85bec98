/**
 * CO-RE relocation resolution against a target BTF with libbpf's rules:
 * candidates by essential name (`___flavor` suffixes dropped) and compatible
 * kind, field matching by member name through anonymous structs and unions,
 * libbpf's field/type compatibility, and the values libbpf patches in (field
 * offset/size/exists/signed/shifts, type id/exists/size/matches, enum values).
 * A failed relocation gets a message in C terms with a suggestion. Module BTF
 * and instruction patching are not done here.
 */
import { KIND } from '../btf/format';
import { byEssentialName, byEssentialNameKeys, essentialName, fieldsCompat, findField, isComposite, kindsCompat, memberNames, suggestName, typesCompat, typesMatch } from './core-match';
import type { Btf } from '../btf/types';
import { imm64 } from '../isa/insn';
import { CORE_KINDS } from './btfext';
import { btfTypeName, coreAccessText } from './describe';
import { type BpfObject, type BpfProgram, type ProgCoreRelo, type ProgLine, insnAt } from './object';

export const CORE = {
  FIELD_BYTE_OFFSET: 0, FIELD_BYTE_SIZE: 1, FIELD_EXISTS: 2, FIELD_SIGNED: 3, FIELD_LSHIFT_U64: 4, FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6, TYPE_ID_TARGET: 7, TYPE_EXISTS: 8, TYPE_SIZE: 9, ENUMVAL_EXISTS: 10, ENUMVAL_VALUE: 11, TYPE_MATCHES: 12,
} as const;

export interface CoreOptions {
  /** How the target is named in messages, e.g. "6.18" (default "target"). */
  targetName?: string;
}

export type CoreStatus =
  /** Resolved to a value. */
  | 'ok'
  /** Nothing matched, and the kind has a defined answer for that (exists -> 0). */
  | 'absent'
  /** Nothing matched (or candidates disagree): libbpf poisons the instruction. */
  | 'failed';

export interface CoreResolution {
  program: string;
  pc: number;
  kind: number;
  kindName: string;
  access: string;
  localTypeId: number;
  /** The local access in C terms: `struct task_struct.pid`. */
  local: string;
  /** The value the instruction holds in the object (what libbpf reads before patching). */
  insnValue?: number;
  /** The value for the target BTF; undefined when status is 'failed'. */
  targetValue?: number;
  targetTypeId?: number;
  /** The matched target access in C terms, with libbpf's raw access string. */
  target?: string;
  targetAccess?: string;
  candidates: number;
  status: CoreStatus;
  message?: string;
  /** The source line (line_info) of the instruction. */
  line?: ProgLine;
}

/** One step of a parsed access: a named member or an array index. */
interface Acc {
  /** Containing struct/union id for members; the element type id for array steps. */
  typeId: number;
  idx: number;
  name?: string;
}

interface Spec {
  rootId: number;
  accs: Acc[];
  raw: number[];
  bitOffset: number;
}

const MAX_DEPTH = 64;

export { essentialName, suggestName };

/** Parses a local access string (libbpf's bpf_core_parse_spec); a string on error. */
function parseSpec(btf: Btf, typeId: number, access: string, kind: number): Spec | string {
  const raw = access.split(':').map((x) => Number(x));
  if (raw.some((x) => !Number.isInteger(x) || x < 0)) return `invalid access string '${access}'`;
  const spec: Spec = { rootId: typeId, accs: [], raw, bitOffset: 0 };
  if (kind >= CORE.TYPE_ID_LOCAL && kind <= CORE.TYPE_SIZE || kind === CORE.TYPE_MATCHES) return spec;
  let id = btf.resolve(typeId);
  if (kind === CORE.ENUMVAL_EXISTS || kind === CORE.ENUMVAL_VALUE) {
    const e = btf.typeAs(id, KIND.ENUM) ?? btf.typeAs(id, KIND.ENUM64);
    if (e === undefined || raw.length !== 1 || raw[0] >= e.values.length) return `enum relocation on [${typeId}] ${btf.kindName(id)} with access '${access}'`;
    spec.accs.push({ typeId: id, idx: raw[0], name: e.values[raw[0]].name });
    return spec;
  }
  const rootSize = btf.sizeof(id);
  if (rootSize === undefined) return `cannot size the root type [${typeId}]`;
  spec.accs.push({ typeId: id, idx: raw[0] });
  spec.bitOffset = raw[0] * rootSize * 8;
  for (let i = 1; i < raw.length; i++) {
    id = btf.resolve(id);
    const k = raw[i];
    if (isComposite(btf, id)) {
      const m = btf.members(id)[k];
      if (m === undefined) return `member index ${k} out of range in ${btfTypeName(btf, id)}`;
      spec.bitOffset += m.bitOffset;
      if (m.name !== '') spec.accs.push({ typeId: id, idx: k, name: m.name });
      id = m.type;
    } else if (btf.kind(id) === KIND.ARRAY) {
      const a = btf.typeAs(id, KIND.ARRAY)!;
      const elem = btf.resolve(a.type);
      const flex = a.nelems === 0;
      if (!flex && k >= a.nelems) return `array index ${k} out of range (${a.nelems} elements)`;
      const sz = btf.sizeof(elem);
      if (sz === undefined) return 'cannot size an array element';
      spec.accs.push({ typeId: elem, idx: k });
      spec.bitOffset += k * sz * 8;
      id = elem;
    } else {
      return `access '${access}' steps into ${btf.kindName(id)} [${id}]`;
    }
  }
  return spec;
}

/** Why a candidate did not match (for the message). */
interface Miss { step: number; what: 'no-field' | 'incompatible' | 'not-array' | 'index' | 'not-composite'; parent?: number; name?: string; targetType?: number }

/** Matches a local field spec against target candidate `cand` (libbpf's bpf_core_spec_match for fields). */
function matchField(lb: Btf, local: Spec, tb: Btf, cand: number): Spec | Miss {
  const out: Spec = { rootId: cand, accs: [], raw: [local.raw[0]], bitOffset: 0 };
  let tid = cand;
  for (let i = 0; i < local.accs.length; i++) {
    const la = local.accs[i];
    tid = tb.resolve(tid);
    if (la.name !== undefined) {
      if (!isComposite(tb, tid)) return { step: i, what: 'not-composite', parent: tid, name: la.name };
      const r = matchMember(lb, la, tb, tid, out, 0, new Set());
      if (r === undefined) return { step: i, what: 'no-field', parent: tid, name: la.name };
      if (r === false) return { step: i, what: 'incompatible', parent: tid, name: la.name };
      tid = r;
    } else {
      if (i > 0) {
        const a = tb.typeAs(tid, KIND.ARRAY);
        if (a === undefined) return { step: i, what: 'not-array', parent: tid };
        if (a.nelems !== 0 && la.idx >= a.nelems) return { step: i, what: 'index', parent: tid };
        tid = tb.resolve(a.type);
        out.raw.push(la.idx);
      }
      const sz = tb.sizeof(tid);
      if (sz === undefined) return { step: i, what: 'incompatible', parent: tid };
      out.accs.push({ typeId: tid, idx: la.idx });
      out.bitOffset += la.idx * sz * 8;
    }
  }
  return out;
}

/** Finds local member `la` in target struct `tid` (through anonymous members); returns the member's type id, false if incompatible, undefined if absent. */
function matchMember(lb: Btf, la: Acc, tb: Btf, tid: number, spec: Spec, depth: number, seen: Set<number>): number | false | undefined {
  // An anonymous struct searched once without success never has the member: skip repeats (cyclic or shared types in broken BTF).
  if (depth > MAX_DEPTH || seen.has(tid)) return undefined;
  seen.add(tid);
  const localMember = lb.members(la.typeId)[la.idx];
  const ms = tb.members(tid);
  for (let i = 0; i < ms.length; i++) {
    const m = ms[i];
    spec.bitOffset += m.bitOffset;
    spec.raw.push(i);
    if (m.name === '') {
      const inner = tb.resolve(m.type);
      if (isComposite(tb, inner)) {
        const r = matchMember(lb, la, tb, inner, spec, depth + 1, seen);
        if (r !== undefined) return r;
      }
    } else if (m.name === la.name) {
      if (!fieldsCompat(lb, localMember.type, tb, m.type)) return false;
      spec.accs.push({ typeId: tid, idx: i, name: m.name });
      return m.type;
    }
    spec.bitOffset -= m.bitOffset;
    spec.raw.pop();
  }
  return undefined;
}

/** libbpf's field value computation; undefined for "cannot be computed" (poison). */
function fieldValue(btf: Btf, spec: Spec, kind: number): number | string {
  const acc = spec.accs[spec.accs.length - 1];
  if (acc.name === undefined) {
    const sz = btf.sizeof(acc.typeId);
    if (kind === CORE.FIELD_BYTE_OFFSET) return spec.bitOffset / 8;
    if (kind === CORE.FIELD_BYTE_SIZE) return sz ?? 'cannot size the element';
    return `${CORE_KINDS[kind]} cannot be applied to an array element`;
  }
  const m = btf.members(acc.typeId)[acc.idx];
  const mt = btf.resolve(m.type);
  const bitOff = spec.bitOffset;
  let bitSz = m.bitSize;
  const bitfield = bitSz > 0;
  let byteSz: number;
  let byteOff: number;
  if (bitfield) {
    byteSz = btf.sizeOrType(mt);
    if (byteSz <= 0) return 'bitfield of unsized type';
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) return 'bitfield cannot be read with a 64-bit load';
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    const sz = btf.sizeof(m.type);
    if (sz === undefined) return 'cannot size the field';
    byteSz = sz;
    byteOff = bitOff / 8;
    bitSz = byteSz * 8;
  }
  switch (kind) {
    case CORE.FIELD_BYTE_OFFSET: return byteOff;
    case CORE.FIELD_BYTE_SIZE: return byteSz;
    case CORE.FIELD_SIGNED: {
      const e = btf.typeAs(mt, KIND.ENUM) ?? btf.typeAs(mt, KIND.ENUM64);
      if (e !== undefined) return e.signed ? 1 : 0;
      const i = btf.typeAs(mt, KIND.INT);
      return i?.signed ? 1 : 0;
    }
    case CORE.FIELD_LSHIFT_U64: return 64 - (bitOff + bitSz - byteOff * 8);
    case CORE.FIELD_RSHIFT_U64: return 64 - bitSz;
    default: return `unexpected kind ${kind}`;
  }
}

/** The value an instruction holds (libbpf reads and patches these fields). */
function insnValue(prog: BpfProgram, pc: number): number | undefined {
  const insn = insnAt(prog, pc);
  if (insn === undefined) return undefined;
  switch (insn.spec.kind) {
    case 'alu': return insn.imm;
    case 'ldx': case 'st': case 'stx': return insn.off;
    case 'lddw': return Number(imm64(insn));
    default: return undefined;
  }
}

function lineAt(prog: BpfProgram, pc: number): ProgLine | undefined {
  let best: ProgLine | undefined;
  for (const l of prog.lines) if (l.pc <= pc && l.lineNum > 0 && (best === undefined || l.pc >= best.pc)) best = l;
  return best;
}

/**
 * `t->state` when a source line near the instruction reads the field through a
 * pointer (directly or as a CORE_READ-style macro argument), else `fallback`.
 */
function cExpr(lines: readonly ProgLine[], pc: number, field: string | undefined, fallback: string): string {
  if (field === undefined) return fallback;
  const arrow = new RegExp(`(\\w+)\\s*->\\s*${field}\\b`);
  const macro = new RegExp(`\\(\\s*[^,()]*,\\s*(\\w+)\\s*,\\s*${field}\\s*\\)`);
  const near = lines.filter((l) => l.lineNum > 0).sort((a, b) => Math.abs(a.pc - pc) - Math.abs(b.pc - pc));
  for (const l of near) {
    const m = arrow.exec(l.line) ?? macro.exec(l.line);
    if (m) return `${m[1]}->${field}`;
  }
  return fallback;
}

/** Resolves every CO-RE relocation of the object against `target`. */
export function resolveCore(obj: BpfObject, target: Btf, opts: CoreOptions = {}): CoreResolution[] {
  const out: CoreResolution[] = [];
  for (const p of obj.programs) for (const r of p.coreRelos) out.push(resolveOne(obj, p, r, target, opts));
  return out;
}

function resolveOne(obj: BpfObject, prog: BpfProgram, r: ProgCoreRelo, tb: Btf, opts: CoreOptions): CoreResolution {
  const tname = opts.targetName ?? 'target';
  const where = `in the target kernel's BTF (${tname})`;
  const res: CoreResolution = {
    program: prog.name, pc: r.pc, kind: r.kind, kindName: r.kindName, access: r.access, localTypeId: r.typeId,
    local: coreAccessText(obj.btf, r), insnValue: insnValue(prog, r.pc), candidates: 0, status: 'failed', line: lineAt(prog, r.pc),
  };
  const lb = obj.btf;
  if (lb === undefined) {
    res.message = 'the object has no BTF to describe its CO-RE relocations';
    return res;
  }
  if (r.kind > CORE.TYPE_MATCHES) {
    res.message = `unknown CO-RE relocation kind ${r.kind}`;
    return res;
  }
  if (r.kind === CORE.TYPE_ID_LOCAL) {
    res.status = 'ok';
    res.targetValue = r.typeId;
    return res;
  }
  const spec = parseSpec(lb, r.typeId, r.access, r.kind);
  if (typeof spec === 'string') {
    res.message = `${res.local}: ${spec}`;
    return res;
  }
  const localName = lb.name(r.typeId);
  if (localName === '') {
    res.message = `${res.local}: an anonymous type cannot be relocated (CO-RE matches types by name)`;
    return res;
  }
  const ess = essentialName(localName);
  const cands = byEssentialName(tb, ess).filter((id) => kindsCompat(lb, r.typeId, tb, id));
  res.candidates = cands.length;
  const fieldBased = r.kind <= CORE.FIELD_RSHIFT_U64;
  const enumBased = r.kind === CORE.ENUMVAL_EXISTS || r.kind === CORE.ENUMVAL_VALUE;
  let value: number | undefined;
  let firstMiss: { cand: number; miss: Miss } | undefined;
  for (const cand of cands) {
    let v: number | string;
    let tspec: Spec | undefined;
    if (fieldBased) {
      const m = matchField(lb, spec, tb, cand);
      if (!('accs' in m)) {
        firstMiss ??= { cand, miss: m };
        continue;
      }
      tspec = m;
      v = r.kind === CORE.FIELD_EXISTS ? 1 : fieldValue(tb, m, r.kind);
    } else if (enumBased) {
      const te = tb.typeAs(tb.resolve(cand), KIND.ENUM) ?? tb.typeAs(tb.resolve(cand), KIND.ENUM64);
      const want = essentialName(spec.accs[0].name ?? '');
      const ev = te?.values.find((x) => essentialName(x.name) === want);
      if (ev === undefined) continue;
      v = r.kind === CORE.ENUMVAL_EXISTS ? 1 : Number(ev.value);
      res.target = `${btfTypeName(tb, cand)}::${ev.name}`;
    } else {
      const ok = r.kind === CORE.TYPE_MATCHES ? typesMatch(lb, r.typeId, tb, cand) : typesCompat(lb, r.typeId, tb, cand);
      if (!ok) continue;
      if (r.kind === CORE.TYPE_ID_TARGET) v = cand;
      else if (r.kind === CORE.TYPE_SIZE) v = tb.sizeof(cand) ?? 'cannot size the target type';
      else v = 1;
      res.target = btfTypeName(tb, cand);
    }
    if (typeof v === 'string') {
      res.message = `${res.local}: ${v}`;
      return res;
    }
    if (value !== undefined && v !== value) {
      res.message = `${res.local}: ambiguous: candidates [${res.targetTypeId}] and [${cand}] ${where} give different values (${value} and ${v})`;
      res.targetValue = undefined;
      res.status = 'failed';
      return res;
    }
    if (value === undefined) {
      value = v;
      res.targetTypeId = cand;
      if (tspec !== undefined) {
        res.targetAccess = tspec.raw.join(':');
        res.target = coreAccessText(tb, { typeId: cand, access: res.targetAccess, kind: r.kind });
      }
    }
  }
  if (value !== undefined) {
    res.status = 'ok';
    res.targetValue = value;
    return res;
  }
  // Nothing matched.
  if (r.kind === CORE.FIELD_EXISTS || r.kind === CORE.ENUMVAL_EXISTS || (!fieldBased && !enumBased)) {
    res.status = 'absent';
    res.targetValue = 0;
    return res;
  }
  res.status = 'failed';
  res.message = missMessage(lb, tb, spec, r, res, ess, firstMiss, where, prog.lines);
  return res;
}

function missMessage(lb: Btf, tb: Btf, spec: Spec, r: ProgCoreRelo, res: CoreResolution, ess: string,
  miss: { cand: number; miss: Miss } | undefined, where: string, lines: readonly ProgLine[]): string {
  const kw = btfTypeName(lb, r.typeId).split(' ')[0];
  const prefix = kw === 'struct' || kw === 'union' || kw === 'enum' ? `${kw} ` : '';
  if (res.candidates === 0) {
    const similar = suggestName(ess, [...new Set(byEssentialNameKeys(tb, prefix))]);
    return `${res.local}: ${prefix}${ess} does not exist ${where}${similar ? `; did you mean '${prefix}${similar}'?` : ''}`;
  }
  if (r.kind === CORE.ENUMVAL_VALUE) {
    const want = spec.accs[0].name ?? '';
    const te = tb.typeAs(tb.resolve(byEssentialName(tb, ess)[0]), KIND.ENUM) ?? tb.typeAs(tb.resolve(byEssentialName(tb, ess)[0]), KIND.ENUM64);
    const s = suggestName(want, te?.values.map((v) => v.name) ?? []);
    return `${res.local}: ${prefix}${ess} has no enumerator '${want}' ${where}${s ? `; did you mean '${s}'?` : ''}`;
  }
  if (miss === undefined) return `${res.local}: no match ${where}`;
  const m = miss.miss;
  const parentText = m.parent !== undefined ? btfTypeName(tb, m.parent) : `${prefix}${ess}`;
  const expr = cExpr(lines, r.pc, m.name, res.local);
  switch (m.what) {
    case 'no-field': {
      const s = suggestName(m.name ?? '', memberNames(tb, m.parent ?? miss.cand));
      return `${expr}: ${parentText} has no field '${m.name}' ${where}${s ? `; did you mean '${s}'?` : ''}`;
    }
    case 'incompatible': {
      const f = m.parent !== undefined && m.name !== undefined ? findField(tb, m.parent, m.name) : undefined;
      const lt = lb.members(spec.accs[m.step].typeId)[spec.accs[m.step].idx];
      return `${expr}: field '${m.name}' of ${parentText} has type ${f ? btfTypeName(tb, f.type) : '?'} ${where}, incompatible with the local ${lt ? btfTypeName(lb, lt.type) : '?'}`;
    }
    case 'not-composite': return `${expr}: ${parentText} is not a struct or union ${where}, so it has no field '${m.name}'`;
    case 'not-array': return `${res.local}: ${parentText} is not an array ${where}`;
    case 'index': return `${res.local}: index out of range: the array ${where} has ${tb.typeAs(m.parent!, KIND.ARRAY)?.nelems} elements`;
  }
}

/** Text for `bpfstudio core`: every relocation, its local access, and the value for the target (or why it fails). */
export function describeCore(results: readonly CoreResolution[]): string {
  const out: string[] = [];
  for (const r of results) {
    const at = `${r.program}+${r.pc}`.padEnd(22);
    const kind = r.kindName.padEnd(18);
    const src = r.line ? `  [${r.line.fileName.slice(r.line.fileName.lastIndexOf('/') + 1)}:${r.line.lineNum}]` : '';
    const from = r.insnValue === undefined ? '' : `${r.insnValue} -> `;
    if (r.status === 'failed') out.push(`${at} ${kind} ${r.local}  FAILED: ${r.message}${src}`);
    else out.push(`${at} ${kind} ${r.local}  ${from}${r.targetValue}${r.status === 'absent' ? ' (absent in target)' : ''}${r.target ? `  = ${r.target}` : ''}${r.targetAccess ? ` (${r.targetAccess})` : ''}${src}`);
  }
  return out.join('\n') + (out.length ? '\n' : '');
}
