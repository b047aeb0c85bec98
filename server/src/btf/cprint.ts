/**
 * C printer: turns a BTF type graph into a header like bpftool's
 * `btf dump file X format c` (vmlinux.h): the same dependency ordering, forward
 * declarations and spelling, so a diff against bpftool stays readable, but with
 * layouts that compile to BTF's sizes and offsets (sized enums, aligned unions).
 * Declarator text lives in cdecl.ts; functions, variables and DATASECs are not
 * printed (bpftool does not print them either).
 */
import { KIND as KINDS } from './format';
import type { Btf } from './types';
import { CDecl } from './cdecl';
import { COut } from './cout';

// Local copy: under tsx every use of an imported binding is a getter call.
const KIND = KINDS;

export interface DumpCOptions {
  /** Include guard macro (default __VMLINUX_H__). */
  guard?: string;
  /** Wrap in the preserve_access_index pragma, as bpftool does (default true). */
  preserveAccessIndex?: boolean;
  /** Print only these types and what they need (default: every type, in id order). */
  roots?: number[];
  /**
   * Keep layouts exact where plain C would not reproduce BTF (default true):
   * enums of 1, 2 or 8 bytes get a `mode` attribute, unions larger than their
   * members get an unnamed bitfield or `aligned(N)`, and the kernel's
   * `__builtin_va_list` (24 bytes on x86-64, 8 on BPF) is spelled out as its
   * BTF type. With false the text matches bpftool 7.1's.
   */
  exactLayout?: boolean;
}

// Ordering states (first pass) and emission states (second pass) per type id.
const ORDERING = 1;
const ORDERED = 2;
const NOT_EMITTED = 0;
const EMITTING = 1;
const EMITTED = 2;
/** Recursion limit for ordering and emission (kernel BTF needs well under 100). */
const MAX_DEPTH = 2000;

/**
 * Dependency ordering, in words: a type is queued for a top-level definition
 * after everything it embeds by value. Named structs/unions reached through a
 * pointer need only a forward declaration and are not followed; typedefs are
 * followed through pointers but stay "weak" (not queued) when what they name is
 * only reachable through a pointer and not yet defined; named enums and
 * forward declarations are always top-level; anonymous enums are top-level only
 * when nothing refers to them; anonymous structs are printed inline where used.
 */
class Dumper {
  private readonly order: Uint8Array;
  private readonly emit: Uint8Array;
  private readonly fwdDone: Uint8Array;
  private readonly referenced: Uint8Array;
  private queue = new Int32Array(64);
  private qn = 0;
  private depth = 0;
  private readonly out: COut;
  private readonly decl: CDecl;

  constructor(private readonly btf: Btf, exactLayout: boolean, sink?: (chunk: string) => void) {
    this.out = new COut(sink);
    const n = btf.count;
    this.order = new Uint8Array(n);
    this.emit = new Uint8Array(n);
    this.fwdDone = new Uint8Array(n);
    this.referenced = new Uint8Array(n);
    this.decl = new CDecl(btf, exactLayout, false, true, this.out);
    this.markReferenced();
  }

  private markReferenced(): void {
    const b = this.btf;
    const ref = this.referenced;
    const n = ref.length;
    for (let id = 1; id < b.count; id++) {
      switch (b.kind(id)) {
        case KIND.PTR: case KIND.TYPEDEF: case KIND.VOLATILE: case KIND.CONST: case KIND.RESTRICT:
        case KIND.TYPE_TAG: case KIND.FUNC: case KIND.VAR: case KIND.DECL_TAG: case KIND.FUNC_PROTO: {
          const t = b.sizeOrType(id);
          if (t < n) ref[t] = 1;
          if (b.kind(id) === KIND.FUNC_PROTO) {
            for (let i = 0, v = b.vlen(id); i < v; i++) {
              const p = b.item(id, i, 1);
              if (p < n) ref[p] = 1;
            }
          }
          break;
        }
        case KIND.ARRAY: {
          const t = b.arrayType(id);
          if (t < n) ref[t] = 1;
          break;
        }
        case KIND.STRUCT: case KIND.UNION:
          for (let i = 0, v = b.vlen(id); i < v; i++) {
            const t = b.memberType(id, i);
            if (t < n) ref[t] = 1;
          }
          break;
        case KIND.DATASEC:
          for (let i = 0, v = b.vlen(id); i < v; i++) {
            const t = b.item(id, i, 0);
            if (t < n) ref[t] = 1;
          }
          break;
        default:
          break;
      }
    }
    ref[0] = 0;
  }

  private enqueue(id: number): void {
    if (this.qn === this.queue.length) {
      const grown = new Int32Array(this.queue.length * 2);
      grown.set(this.queue);
      this.queue = grown;
    }
    this.queue[this.qn++] = id;
  }

  /**
   * Order `id` and its dependencies. Returns 1 when `id` is now fully defined
   * ("strong": usable by value), 0 when only a weak reference was needed, -1 on
   * a cycle that no forward declaration can break.
   */
  private orderType(id: number, throughPtr: boolean): number {
    // Crafted BTF can chain types deeper than the JS stack: give up well before.
    if (++this.depth > MAX_DEPTH) {
      this.depth--;
      return -1;
    }
    const r = this.orderTypeAt(id, throughPtr);
    this.depth--;
    return r;
  }

  private orderTypeAt(id: number, throughPtr: boolean): number {
    if (id <= 0 || id >= this.order.length) return id === 0 ? 0 : -1;
    const st = this.order[id];
    if (st === ORDERED) return 1;
    const b = this.btf;
    const k = b.kind(id);
    const named = b.named(id);
    if (st === ORDERING) {
      return (k === KIND.STRUCT || k === KIND.UNION) && throughPtr && named ? 0 : -1;
    }
    switch (k) {
      case KIND.INT: case KIND.FLOAT:
        this.order[id] = ORDERED;
        return 0;
      case KIND.PTR: {
        const r = this.orderType(b.sizeOrType(id), true);
        this.order[id] = ORDERED;
        return r;
      }
      case KIND.ARRAY:
        return this.orderType(b.arrayType(id), false);
      case KIND.STRUCT: case KIND.UNION: {
        if (throughPtr && named) return 0;
        this.order[id] = ORDERING;
        for (let i = 0, v = b.vlen(id); i < v; i++) {
          if (this.orderType(b.memberType(id, i), false) < 0) return -1;
        }
        if (named) this.enqueue(id);
        this.order[id] = ORDERED;
        return 1;
      }
      case KIND.ENUM: case KIND.ENUM64: case KIND.FWD:
        if (named || this.referenced[id] === 0) this.enqueue(id);
        this.order[id] = ORDERED;
        return 1;
      case KIND.TYPEDEF: {
        const strong = this.orderType(b.sizeOrType(id), throughPtr);
        if (strong < 0) return strong;
        if (throughPtr && strong === 0) return 0;
        this.enqueue(id);
        this.order[id] = ORDERED;
        return 1;
      }
      case KIND.VOLATILE: case KIND.CONST: case KIND.RESTRICT: case KIND.TYPE_TAG:
        return this.orderType(b.sizeOrType(id), throughPtr);
      case KIND.FUNC_PROTO: {
        let r = this.orderType(b.sizeOrType(id), throughPtr);
        if (r < 0) return r;
        let strong = r > 0;
        for (let i = 0, v = b.vlen(id); i < v; i++) {
          r = this.orderType(b.item(id, i, 1), throughPtr);
          if (r < 0) return r;
          if (r > 0) strong = true;
        }
        return strong ? 1 : 0;
      }
      case KIND.FUNC: case KIND.VAR: case KIND.DATASEC: case KIND.DECL_TAG:
        this.order[id] = ORDERED;
        return 0;
      default:
        return -1;
    }
  }

  /**
   * Emit `id` (a top-level definition when `cont` is 0) after whatever forward
   * declarations it needs. `cont` is the named type whose definition is being
   * printed, so a struct referring to itself needs no forward declaration.
   */
  private emitType(id: number, cont: number): void {
    if (++this.depth > MAX_DEPTH) {
      this.depth--;
      return;
    }
    this.emitTypeAt(id, cont);
    this.depth--;
  }

  private emitTypeAt(id: number, cont: number): void {
    if (id <= 0 || id >= this.emit.length) return;
    const b = this.btf;
    const st = this.emit[id];
    if (st === EMITTED) return;
    const k = b.kind(id);
    const out = this.out;
    if (st === EMITTING) {
      if (this.fwdDone[id]) return;
      if (k === KIND.STRUCT || k === KIND.UNION) {
        if (id === cont || !b.named(id)) return;
        this.decl.writeStructRef(id);
        out.s(';\n\n');
        this.fwdDone[id] = 1;
      } else if (k === KIND.TYPEDEF) {
        if (!this.decl.skipTypedef(id)) {
          this.decl.writeTypedefDef(id, 0);
          out.s(';\n\n');
        }
        this.fwdDone[id] = 1;
      }
      return;
    }
    switch (k) {
      case KIND.INT: case KIND.FLOAT:
        this.emit[id] = EMITTED;
        break;
      case KIND.ENUM: case KIND.ENUM64:
        if (cont === 0) {
          this.decl.writeEnumDef(id, 0);
          out.s(';\n\n');
        }
        this.emit[id] = EMITTED;
        break;
      case KIND.PTR: case KIND.VOLATILE: case KIND.CONST: case KIND.RESTRICT: case KIND.TYPE_TAG:
        this.emitType(b.sizeOrType(id), cont);
        break;
      case KIND.ARRAY:
        this.emitType(b.arrayType(id), cont);
        break;
      case KIND.FWD:
        this.decl.writeFwdRef(id);
        out.s(';\n\n');
        this.emit[id] = EMITTED;
        break;
      case KIND.TYPEDEF:
        this.emit[id] = EMITTING;
        this.emitType(b.sizeOrType(id), id);
        if (!this.fwdDone[id] && !this.decl.skipTypedef(id)) {
          this.decl.writeTypedefDef(id, 0);
          out.s(';\n\n');
        }
        this.emit[id] = EMITTED;
        break;
      case KIND.STRUCT: case KIND.UNION: {
        this.emit[id] = EMITTING;
        const anon = !b.named(id);
        if (cont === 0 || anon) {
          const inner = anon ? cont : id;
          for (let i = 0, v = b.vlen(id); i < v; i++) this.emitType(b.memberType(id, i), inner);
        } else if (!this.fwdDone[id] && id !== cont) {
          this.decl.writeStructRef(id);
          out.s(';\n\n');
          this.fwdDone[id] = 1;
        }
        if (cont === 0) {
          this.decl.writeStructDef(id, 0);
          out.s(';\n\n');
          this.emit[id] = EMITTED;
        } else {
          this.emit[id] = NOT_EMITTED;
        }
        break;
      }
      case KIND.FUNC_PROTO:
        this.emitType(b.sizeOrType(id), cont);
        for (let i = 0, v = b.vlen(id); i < v; i++) this.emitType(b.item(id, i, 1), cont);
        break;
      default:
        break;
    }
  }

  dumpType(id: number): void {
    this.qn = 0;
    if (this.orderType(id, false) < 0) {
      this.out.s(`/* type [${id}]: unsatisfiable type cycle, not printed */\n\n`);
      return;
    }
    for (let i = 0; i < this.qn; i++) this.emitType(this.queue[i], 0);
    this.out.flushIfFull();
  }

  text(): string {
    return this.out.text();
  }

  flush(): void {
    this.out.flush();
  }

  /** The name a type was printed under (after `___N` deduplication), if printed. */
  printedName(id: number): string | undefined {
    return this.decl.printedName(id);
  }

  push(s: string): void {
    this.out.s(s);
  }
}

/** The whole header as one string (see DumpCOptions). */
export function dumpC(btf: Btf, opts: DumpCOptions = {}): string {
  return dumpCNamed(btf, opts).text;
}

/** The header and the names types were printed under (`foo___2` for the second `foo`). */
export function dumpCNamed(btf: Btf, opts: DumpCOptions = {}): { text: string; printedName: (id: number) => string | undefined } {
  const d = runDump(btf, opts, undefined);
  return { text: d.text(), printedName: (id) => d.printedName(id) };
}

/** The header in chunks of about 64 KB handed to `sink` as they are ready (for writing to a stream). */
export function dumpCStream(btf: Btf, sink: (chunk: string) => void, opts: DumpCOptions = {}): void {
  runDump(btf, opts, sink).flush();
}

function runDump(btf: Btf, opts: DumpCOptions, sink: ((chunk: string) => void) | undefined): Dumper {
  const guard = opts.guard ?? '__VMLINUX_H__';
  const pai = opts.preserveAccessIndex ?? true;
  const d = new Dumper(btf, opts.exactLayout ?? true, sink);
  d.push(`#ifndef ${guard}\n#define ${guard}\n\n`);
  if (pai) d.push('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n');
  if (opts.roots !== undefined) for (const id of opts.roots) d.dumpType(id);
  else for (let id = 1; id < btf.count; id++) d.dumpType(id);
  if (pai) d.push('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n');
  d.push(`#endif /* ${guard} */\n`);
  return d;
}
