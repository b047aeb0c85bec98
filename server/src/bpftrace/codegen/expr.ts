/**
 * Expressions: scalars evaluated into r7 (integers normalised to their type's
 * width and sign), strings/tuples/records into memory, with bpftrace 0.17's
 * semantics for builtins, comparisons, short-circuit logic and ternaries.
 * Non-goals: function calls and map access (calls.ts, maps.ts), probe
 * arguments (ctxargs.ts).
 */
import type * as A from '../ast';
import { type SType, sizeOf, layoutOf, U64 } from '../types';
import type { JmpOp } from '../../isa/opcodes';
import { compareVersions, parseVersion } from '../versions';
import { identValue } from './consts';
import { Gen, type Loc, R_ACC, R_TMP, at, chunks, isScalar } from './gen';
import { genBuiltin, genField } from './ctxargs';
import { genCallValue, genCallMem } from './calls';
import { genMapRead, genMapReadMem, incDec } from './maps';
import { genIterCtxField } from './iter';
import { genExtraBuiltin } from './calls-extra';

const CMP: Record<string, [JmpOp, JmpOp]> = {
  '==': ['jeq', 'jeq'], '!=': ['jne', 'jne'], '<': ['jlt', 'jslt'], '>': ['jgt', 'jsgt'], '<=': ['jle', 'jsle'], '>=': ['jge', 'jsge'],
};

function signedInt(t: SType): boolean {
  return t.k === 'int' && t.signed;
}

/** Whether evaluating e needs no registers but r7/r8 and no calls (safe to evaluate after r7 holds a live value). */
function simple(e: A.Expr): boolean {
  return e.kind === 'Int' || e.kind === 'Bool';
}

/** Evaluates a scalar expression into r7. */
export function scalar(g: Gen, e: A.Expr): void {
  const f = folded(g, e);
  g.within(f.range, () => scalarInner(g, f));
}

/** `r.name` on a record value: the field's bytes inside the record. */
function recordField(g: Gen, e: A.Field): Loc {
  const rt = g.ty(e.object);
  const i = rt.k === 'record' ? rt.fields.findIndex((f) => f.name === e.field) : -1;
  if (rt.k !== 'record' || i < 0) return g.error(e.range, `no field ${e.field} in this record`);
  return at(mem(g, e.object), layoutOf(rt.fields.map((f) => f.type)).offsets[i]);
}

/** typeinfo()/comptime expressions: the literal the type checker folded them to. */
export function folded(g: Gen, e: A.Expr): A.Expr {
  return g.typer.info.folded?.get(e) ?? e;
}

function scalarInner(g: Gen, e: A.Expr): void {
  const t = g.ty(e);
  switch (e.kind) {
    case 'Int':
      if (e.value === undefined) g.error(e.range, 'invalid integer literal');
      g.e.movi(R_ACC, e.value);
      return;
    case 'Bool':
      g.e.movi(R_ACC, e.value ? 1 : 0);
      return;
    case 'Param': {
      const p = g.opts.params?.[e.n - 1];
      const v = p !== undefined && /^-?\d+$/.test(p) ? BigInt(p) : 0n;
      g.e.movi(R_ACC, v);
      return;
    }
    case 'ParamCount':
      g.e.movi(R_ACC, g.opts.params?.length ?? 0);
      return;
    case 'Builtin':
      if (genExtraBuiltin(g, e)) return;
      genBuiltin(g, e, t);
      return;
    case 'Ident': {
      // Newer builtins the parser reads as identifiers.
      if (e.name === 'ppid') { genBuiltin(g, { kind: 'Builtin', range: e.range, name: 'ppid' }, t); return; }
      if (e.name === 'pcomm') { g.load(8, R_ACC, genField(g, { kind: 'Builtin', range: e.range, name: 'pcomm' }, { k: 'string', size: 16 }, true) as Loc); return; }
      const v = identValue(e.name, g.opts.btf);
      if (v === undefined) g.error(e.range, `unknown identifier ${e.name}`);
      g.e.movi(R_ACC, v);
      return;
    }
    case 'Var': {
      const v = g.vars.get(e.name);
      if (!v) g.error(e.range, `unknown variable ${e.name}`);
      if (!isScalar(v.type)) g.error(e.range, `${e.name} is not a scalar`);
      g.load(8, R_ACC, v.loc);
      return;
    }
    case 'Map': case 'MapAccess':
      genMapRead(g, e);
      return;
    case 'Binary':
      genBinary(g, e, t);
      return;
    case 'Unary':
      genUnary(g, e, t);
      return;
    case 'Ternary': {
      const els = g.e.newLabel();
      const end = g.e.newLabel();
      scalar(g, e.cond);
      if (e.then === null) {
        g.e.jmp('jne', R_ACC, { k: 0 }, end);
        scalar(g, e.else);
      } else {
        g.e.jmp('jeq', R_ACC, { k: 0 }, els);
        scalar(g, e.then);
        g.e.ja(end);
        g.e.bind(els);
        scalar(g, e.else);
      }
      g.e.bind(end);
      return;
    }
    case 'Cast': {
      const src = g.ty(e.expr);
      if (!isScalar(src)) {
        // An int read out of an array/struct value: take its first bytes.
        const l = mem(g, e.expr);
        g.loadScalar(R_ACC, l, t);
        return;
      }
      scalar(g, e.expr);
      g.normalize(t);
      return;
    }
    case 'Field':
      if (g.ty(e.object).k === 'record') { g.loadScalar(R_ACC, recordField(g, e), t); return; }
      if (genIterCtxField(g, e)) return;
      genField(g, e, t);
      return;
    case 'TupleIndex': {
      const l = mem(g, e);
      g.loadScalar(R_ACC, l, t);
      return;
    }
    case 'Index': {
      const ot = g.ty(e.object);
      if (ot.k === 'ptr') {
        // p[i]: read sizeof(*p) bytes at p + i * sizeof(*p).
        indexAddr(g, e, ot.to);
        const m = g.mark();
        const l = g.allocStack(8);
        g.storeImm(8, l, 0);
        probeRead(g, l, Math.min(8, Math.max(1, sizeOf(t))), ot.user === true || userProvider(g), false);
        g.loadScalar(R_ACC, l, t);
        g.release(m);
        return;
      }
      g.loadScalar(R_ACC, mem(g, e), t);
      return;
    }
    case 'Call':
      genCallValue(g, e, t);
      return;
    case 'Offsetof': {
      const v = g.typer.info.consts?.get(e);
      if (v === undefined) g.error(e.range, 'offsetof() of an unknown type or field');
      g.e.movi(R_ACC, v);
      return;
    }
    case 'Sizeof': {
      const known = g.typer.info.consts?.get(e);
      if (known !== undefined) { g.e.movi(R_ACC, known); return; }
      const at2 = e.arg.kind === 'TypeRef' ? undefined : g.ty(e.arg);
      const n = at2 ? sizeOf(at2) : sizeofTypeRef(g, e.arg as A.TypeRef);
      g.e.movi(R_ACC, n);
      return;
    }
    case 'Block': {
      for (const s of e.stmts) g.stmt(s);
      if (e.value) scalar(g, e.value);
      return;
    }
    case 'If': {
      // An `if` used as a value (0.25+); `if comptime` keeps one branch.
      const kept = g.typer.info.comptimeBranches?.get(e);
      if (kept !== undefined || e.cond.kind === 'Comptime') {
        if (kept) scalar(g, kept);
        else g.e.movi(R_ACC, 0);
        return;
      }
      const els = g.e.newLabel();
      const end = g.e.newLabel();
      scalar(g, e.cond);
      g.e.jmp('jeq', R_ACC, { k: 0 }, els);
      scalar(g, e.then);
      g.e.ja(end);
      g.e.bind(els);
      if (e.else) scalar(g, e.else);
      else g.e.movi(R_ACC, 0);
      g.e.bind(end);
      return;
    }
    default:
      g.error(e.range, `code generation does not support ${e.kind} expressions here`);
  }
}

function sizeofTypeRef(g: Gen, r: A.TypeRef): number {
  if (r.suffixes.includes('*')) return 8;
  const m = /^u?int(8|16|32|64)$/.exec(r.name);
  if (m) return Number(m[1]) / 8;
  const btf = g.opts.btf;
  const name = r.name.replace(/^(struct|union|enum)\s+/, '');
  const id = btf?.find(name);
  const sz = id !== undefined ? btf?.sizeof(id) : undefined;
  if (sz === undefined) g.error(r.range, `cannot size type ${r.name}`);
  return sz;
}

/** Evaluates `left` into r7 and `right` into r8 (spilling left when right needs calls). */
export function twoOperands(g: Gen, left: A.Expr, right: A.Expr): void {
  scalar(g, left);
  if (simple(right)) {
    g.e.mov(R_TMP, R_ACC);
    scalar(g, right);
    g.e.alu('mov', 0, { r: R_ACC });
    g.e.mov(R_ACC, R_TMP);
    g.e.mov(R_TMP, 0);
    return;
  }
  const m = g.mark();
  const s = g.spill();
  scalar(g, right);
  g.e.mov(R_TMP, R_ACC);
  g.load(8, R_ACC, s);
  g.release(m);
}

/**
 * r7 = r7 op r8 for an arithmetic operator. bpftrace (0.17 and still 0.26) divides, takes
 * remainders and shifts right unsigned whatever the operand types.
 */
export function arith(g: Gen, op: string): void {
  const o = { r: R_TMP };
  switch (op) {
    case '+': g.e.alu('add', R_ACC, o); break;
    case '-': g.e.alu('sub', R_ACC, o); break;
    case '*': g.e.alu('mul', R_ACC, o); break;
    case '/': g.e.alu('div', R_ACC, o); break;
    case '%': g.e.alu('mod', R_ACC, o); break;
    case '&': g.e.alu('and', R_ACC, o); break;
    case '|': g.e.alu('or', R_ACC, o); break;
    case '^': g.e.alu('xor', R_ACC, o); break;
    case '<<': g.e.alu('lsh', R_ACC, o); break;
    case '>>': g.e.alu('rsh', R_ACC, o); break;
    default: break;
  }
}

function genBinary(g: Gen, e: A.Binary, t: SType): void {
  if (e.op === '&&' || e.op === '||') {
    const short = g.e.newLabel();
    const end = g.e.newLabel();
    scalar(g, e.left);
    g.e.jmp(e.op === '&&' ? 'jeq' : 'jne', R_ACC, { k: 0 }, short);
    scalar(g, e.right);
    g.e.jmp(e.op === '&&' ? 'jeq' : 'jne', R_ACC, { k: 0 }, short);
    g.e.movi(R_ACC, e.op === '&&' ? 1 : 0);
    g.e.ja(end);
    g.e.bind(short);
    g.e.movi(R_ACC, e.op === '&&' ? 0 : 1);
    g.e.bind(end);
    return;
  }
  const lt = g.ty(e.left);
  const rt = g.ty(e.right);
  const cmp = CMP[e.op];
  if (cmp && (!isScalar(lt) || !isScalar(rt))) {
    if ((e.op === '==' || e.op === '!=') && lt.k === 'string' && rt.k === 'string') {
      stringCompare(g, e.left, e.right, undefined, e.op === '!=' ? 0 : 1);
      return;
    }
    g.error(e.range, `cannot compare ${lt.k} with ${rt.k}`);
  }
  twoOperands(g, e.left, e.right);
  // Signed comparisons: bpftrace 0.17 when both sides are signed, later releases when either is.
  const v = parseVersion(g.opts.target ?? '0.17');
  const signed = v !== undefined && compareVersions(v, [0, 18, 0]) >= 0
    ? signedInt(lt) || signedInt(rt)
    : signedInt(lt) && signedInt(rt);
  if (cmp) {
    const yes = g.e.newLabel();
    const end = g.e.newLabel();
    g.e.jmp(cmp[signed ? 1 : 0], R_ACC, { r: R_TMP }, yes);
    g.e.movi(R_ACC, 0);
    g.e.ja(end);
    g.e.bind(yes);
    g.e.movi(R_ACC, 1);
    g.e.bind(end);
    return;
  }
  arith(g, e.op);
  g.normalize(t);
}

/**
 * Compares two strings byte by byte up to the first NUL (or `limit` bytes, strncmp): r7 =
 * `equal` when they match, 1 - `equal` otherwise.
 */
export function stringCompare(g: Gen, a: A.Expr, b: A.Expr, limit: number | undefined, equal: 0 | 1): void {
  const m = g.mark();
  const la = mem(g, a);
  const lb = mem(g, b);
  const sa = sizeOf(g.ty(a));
  const sb = sizeOf(g.ty(b));
  const n = Math.min(limit ?? Infinity, sa, sb);
  const ne = g.e.newLabel();
  const eq = g.e.newLabel();
  const end = g.e.newLabel();
  for (let i = 0; i < n; i++) {
    g.load(1, 1, at(la, i));
    g.load(1, 2, at(lb, i));
    g.e.jmp('jne', 1, { r: 2 }, ne);
    g.e.jmp('jeq', 1, { k: 0 }, eq);
  }
  // All n bytes equal: without a limit, equal only if both strings end here (n = the shorter size).
  if (limit === undefined && sa !== sb) {
    g.load(1, 1, at(sa > n ? la : lb, n));
    g.e.jmp('jne', 1, { k: 0 }, ne);
  }
  g.e.bind(eq);
  g.e.movi(R_ACC, equal);
  g.e.ja(end);
  g.e.bind(ne);
  g.e.movi(R_ACC, 1 - equal);
  g.e.bind(end);
  g.release(m);
}

function genUnary(g: Gen, e: A.Unary, t: SType): void {
  switch (e.op) {
    case '-':
      scalar(g, e.operand);
      g.e.neg(R_ACC);
      g.normalize(t);
      return;
    case '~':
      scalar(g, e.operand);
      g.e.alu('xor', R_ACC, { k: -1 });
      g.normalize(t);
      return;
    case '!': {
      scalar(g, e.operand);
      const z = g.e.newLabel();
      const end = g.e.newLabel();
      g.e.jmp('jeq', R_ACC, { k: 0 }, z);
      g.e.movi(R_ACC, 0);
      g.e.ja(end);
      g.e.bind(z);
      g.e.movi(R_ACC, 1);
      g.e.bind(end);
      return;
    }
    case '++': case '--':
      incDec(g, e);
      return;
    case '*': {
      // Dereference: read sizeof(pointee) bytes through the pointer.
      scalar(g, e.operand);
      const pt = g.ty(e.operand);
      const user = pt.k === 'ptr' && pt.user === true;
      const size = Math.min(8, Math.max(1, sizeOf(t)));
      const m = g.mark();
      const l = g.allocStack(8);
      g.storeImm(8, l, 0);
      probeRead(g, l, size, user, false);
      g.loadScalar(R_ACC, l, t);
      g.release(m);
      return;
    }
  }
}

function userProvider(g: Gen): boolean {
  return g.provider === 'uprobe' || g.provider === 'uretprobe' || g.provider === 'usdt';
}

/** r7 = address of p[i] (p a pointer to `elem`). */
function indexAddr(g: Gen, e: A.Index, elem: SType): void {
  twoOperands(g, e.object, e.index);
  g.e.alu('mul', R_TMP, { k: Math.max(1, sizeOf(elem)) });
  g.e.alu('add', R_ACC, { r: R_TMP });
}

/**
 * arr[i] with a run-time index: the element is copied to a temporary from the array's
 * memory (stack or scratch, where the verifier tracks variable offsets) after bounds checks
 * on i (unsigned, so negative indexes fail too); out of bounds reads as zero.
 */
function dynamicIndex(g: Gen, e: A.Index, elem: SType, len: number): Loc {
  const size = Math.max(1, sizeOf(elem));
  const base = mem(g, e.object);
  const out = g.alloc(size);
  g.zero(out, size);
  scalar(g, e.index);
  const skip = g.e.newLabel();
  g.e.jmp('jge', R_ACC, { k: len }, skip);
  g.e.alu('mul', R_ACC, { k: size });
  g.addr(base, R_TMP);
  g.e.alu('add', R_TMP, { r: R_ACC });
  const od = g.baseReg(out);
  for (const { o, s } of chunks(size, [out.off, base.off, size])) {
    g.e.ldx(s, 0, R_TMP, o);
    g.e.stx(s, od, out.off + o, 0);
  }
  g.e.bind(skip);
  return out;
}

/** bpf_probe_read_{kernel,user}[_str](dst, size, r7). Leaves the result in r0. */
export function probeRead(g: Gen, dst: Loc, size: number, user: boolean, str: boolean): void {
  g.e.mov(3, R_ACC);
  g.addr(dst, 1);
  g.e.movi(2, size);
  g.e.call(`probe_read_${user ? 'user' : 'kernel'}${str ? '_str' : ''}`);
}

/** Evaluates a non-scalar expression into memory (a temporary, or where it already lives). */
export function mem(g: Gen, e: A.Expr): Loc {
  const f = folded(g, e);
  return g.within(f.range, () => memInner(g, f));
}

function memInner(g: Gen, e: A.Expr): Loc {
  const t = g.ty(e);
  switch (e.kind) {
    case 'Str': {
      const size = t.k === 'string' ? t.size : e.value.length + 1;
      const l = g.alloc(size);
      const bytes = new Uint8Array(size);
      bytes.set(literalBytes(e.value, g.opts.source?.slice(e.range.start, e.range.end)).subarray(0, size - 1));
      writeBytes(g, l, bytes);
      return l;
    }
    case 'Var': {
      const v = g.vars.get(e.name);
      if (!v) g.error(e.range, `unknown variable ${e.name}`);
      return v.loc;
    }
    case 'Param': {
      // A positional parameter used as a string: its text.
      const size = t.k === 'string' ? t.size : 64;
      const l = g.alloc(size);
      const bytes = new Uint8Array(size);
      bytes.set(new TextEncoder().encode(g.opts.params?.[e.n - 1] ?? '').subarray(0, size - 1));
      writeBytes(g, l, bytes);
      return l;
    }
    case 'Tuple': {
      const tt = t.k === 'tuple' ? t : { k: 'tuple' as const, elems: e.elems.map((x) => g.ty(x)) };
      const lay = layoutOf(tt.elems);
      const l = g.alloc(lay.size);
      g.zero(l, lay.size);
      e.elems.forEach((x, i) => storeExpr(g, x, tt.elems[i], at(l, lay.offsets[i])));
      return l;
    }
    case 'TupleIndex': {
      const ot = g.ty(e.object);
      const base = mem(g, e.object);
      if (ot.k !== 'tuple') g.error(e.range, 'not a tuple');
      return at(base, layoutOf(ot.elems).offsets[e.index]);
    }
    case 'Record': {
      const rt = t.k === 'record' ? t : g.error(e.range, 'not a record');
      const lay = layoutOf(rt.fields.map((f) => f.type));
      const l = g.alloc(lay.size);
      g.zero(l, lay.size);
      e.fields.forEach((f, i) => storeExpr(g, f.value, rt.fields[i]?.type ?? U64, at(l, lay.offsets[i])));
      return l;
    }
    case 'Index': {
      const ot = g.ty(e.object);
      if (ot.k === 'ptr') {
        const size = sizeOf(ot.to);
        indexAddr(g, e, ot.to);
        const l = g.alloc(size);
        g.zero(l, size);
        probeRead(g, l, size, ot.user === true || userProvider(g), false);
        return l;
      }
      if (ot.k === 'string') {
        if (e.index.kind !== 'Int') return dynamicIndex(g, e, t, ot.size);
        return at(mem(g, e.object), Math.min(Number(e.index.value ?? 0n), ot.size - 1));
      }
      if (ot.k !== 'array') g.error(e.range, `cannot index a ${ot.k}`);
      const i = e.index.kind === 'Int' ? e.index.value : undefined;
      if (i !== undefined) {
        if (i < 0n || i >= BigInt(ot.len)) g.error(e.index.range, `array index ${i} out of bounds [0, ${ot.len - 1}]`);
        return at(mem(g, e.object), Number(i) * sizeOf(ot.elem));
      }
      return dynamicIndex(g, e, ot.elem, ot.len);
    }
    case 'Map': case 'MapAccess':
      return genMapReadMem(g, e, t);
    case 'Call':
      return genCallMem(g, e, t);
    case 'Field':
      if (g.ty(e.object).k === 'record') return recordField(g, e);
      return genField(g, e, t, true) as Loc;
    case 'Builtin':
      return genField(g, e, t, true) as Loc;
    case 'Ident':
      if (e.name === 'pcomm') return genField(g, { kind: 'Builtin', range: e.range, name: 'pcomm' }, { k: 'string', size: 16 }, true) as Loc;
      return g.error(e.range, `unknown identifier ${e.name}`);
    case 'Ternary': {
      const size = sizeOf(t);
      const l = g.alloc(size);
      const els = g.e.newLabel();
      const end = g.e.newLabel();
      scalar(g, e.cond);
      g.e.jmp('jeq', R_ACC, { k: 0 }, els);
      if (e.then) storeExpr(g, e.then, t, l);
      g.e.ja(end);
      g.e.bind(els);
      storeExpr(g, e.else, t, l);
      g.e.bind(end);
      return l;
    }
    default: {
      if (isScalar(t)) {
        scalar(g, e);
        const l = g.allocStack(8);
        g.store(8, l, R_ACC);
        return l;
      }
      g.error(e.range, `code generation does not support ${e.kind} values here`);
    }
  }
}

/**
 * Bytes of a string literal: UTF-8, except that a literal written with escapes (\xNN, octal:
 * chars below 256) takes those chars as single bytes. `raw` is the literal's source text.
 */
export function literalBytes(s: string, raw?: string): Uint8Array {
  if (raw === undefined || !raw.includes('\\')) return new TextEncoder().encode(s);
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 256) out.push(c);
    else out.push(...new TextEncoder().encode(ch));
  }
  return Uint8Array.from(out);
}

export function writeBytes(g: Gen, l: Loc, bytes: Uint8Array): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const c of chunks(bytes.length, [l.off])) {
    // `st` takes a 32-bit immediate: 8-byte chunks are written as two words.
    const parts = c.s === 8 ? [{ o: c.o, s: 4 as const }, { o: c.o + 4, s: 4 as const }] : [c];
    for (const { o, s } of parts) {
      const v = s === 4 ? dv.getInt32(o, true) : s === 2 ? dv.getInt16(o, true) : dv.getInt8(o);
      g.storeImm(s, at(l, o), v);
    }
  }
}

/**
 * Copies a value of type st at src to dst as type t: tuples element by element (an (int8, int8)
 * variable printed or stored as (int64, int64)), ints re-sized, other values cut or zero-padded.
 */
export function convertMem(g: Gen, src: Loc, st: SType, dst: Loc, t: SType): void {
  if (isScalar(st) && isScalar(t)) {
    g.loadScalar(R_ACC, src, st);
    g.storeScalar(dst, t, R_ACC);
    return;
  }
  if (st.k === 'tuple' && t.k === 'tuple' && st.elems.length === t.elems.length) {
    const sl = layoutOf(st.elems);
    const tl = layoutOf(t.elems);
    g.zero(dst, tl.size);
    st.elems.forEach((x, i) => convertMem(g, at(src, sl.offsets[i]), x, at(dst, tl.offsets[i]), t.elems[i]));
    return;
  }
  const n = Math.min(sizeOf(t), sizeOf(st));
  g.copy(dst, src, n);
  if (sizeOf(t) > n) g.zero(at(dst, n), sizeOf(t) - n);
}

/** Evaluates e and stores it at l as type `t` (the storage type: ints at t's width, strings zero-padded to t's size). */
export function storeExpr(g: Gen, e: A.Expr, t: SType, l: Loc): void {
  const et = g.ty(e);
  if (isScalar(t) || isScalar(et)) {
    scalar(g, e);
    g.storeScalar(l, t.k === 'none' ? U64 : t, R_ACC);
    return;
  }
  if (e.kind === 'Tuple' && t.k === 'tuple') {
    const lay = layoutOf(t.elems);
    g.zero(l, lay.size);
    e.elems.forEach((x, i) => storeExpr(g, x, t.elems[i] ?? U64, at(l, lay.offsets[i])));
    return;
  }
  const m = g.mark();
  const src = mem(g, e);
  if (t.k === 'tuple' && et.k === 'tuple' && (src.base !== l.base || src.off !== l.off)) {
    convertMem(g, src, et, l, t);
    g.release(m);
    return;
  }
  const n = Math.min(sizeOf(t), sizeOf(et));
  if (src.base !== l.base || src.off !== l.off) g.copy(l, src, n);
  if (sizeOf(t) > n) g.zero(at(l, n), sizeOf(t) - n);
  g.release(m);
}
