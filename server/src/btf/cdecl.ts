/**
 * C declaration text for BTF types, spelled the way bpftool spells it: names
 * made unique with a `___N` suffix in the tag and ordinary-identifier
 * namespaces, declarators (pointers, arrays, function pointers, qualifiers),
 * struct/union/enum bodies with explicit padding and packing. It decides
 * nothing about ordering (cprint.ts does).
 */
import { KIND as KINDS } from './format';
import type { Btf } from './types';
import { COut } from './cout';
import { NameCounter, strSpan as strSpanImp, type StrSpan } from './cnames';

// Local copies: under tsx every use of an imported binding is a getter call.
const KIND = KINDS;
const strSpan = strSpanImp;

/** Unnamed bitfield types used to spell padding, widest first. */
const PADS: readonly [string, number][] = [['long', 64], ['int', 32], ['short', 16], ['char', 8]];

/** Largest gap spelled out with unnamed bitfields (64 KiB). */
const MAX_PAD_BITS = 8 * 65536;

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/**
 * Declarations are written into a `COut` (the dump's buffer, or a private
 * one when the text is wanted as a string: the string-returning methods are
 * thin wrappers over the `write*` ones).
 */
/**
 * A declarator's name, as a number so no string is made for it: 0 none, > 0
 * a BTF string offset (member and parameter names), < 0 the deduplicated
 * identifier of typedef `-fname`, EXT_NAME the caller's string.
 */
type FName = number;
const EXT_NAME = -0x80000000;

const VA_LIST = new TextEncoder().encode('__builtin_va_list');

export class CDecl {
  /** Per id: 0 until its name is first printed, then its number among equal names (1: printed as is, N: `name___N`). */
  private readonly dups: Int32Array | Map<number, number>;
  private readonly tagCount: NameCounter;
  private readonly identCount: NameCounter;
  private declDepth = 0;
  /** Declarator chains being printed (see writeDeclAt) and the read position in them. */
  private stack = new Int32Array(1024);
  private sp = 0;
  private pos = 0;
  private readonly o: COut;
  /** Scratch span for names written from the string section. */
  private readonly span: StrSpan = { bytes: new Uint8Array(0), start: 0, end: 0 };
  private extName = '';

  /**
   * `shortAnon`: print anonymous records as `struct {...}` (for one-line type
   * text). `dense`: keep name numbers in an array sized by the type count (a
   * whole dump); else in a map (a few declarations). `out`: where `write*`
   * methods append (default: a private buffer).
   */
  constructor(private readonly btf: Btf, private readonly exactLayout: boolean, private readonly shortAnon = false, dense = true, out?: COut) {
    this.dups = dense ? new Int32Array(Math.max(0, btf.count)) : new Map<number, number>();
    this.o = out ?? new COut();
    this.tagCount = new NameCounter(btf.raw);
    this.identCount = new NameCounter(btf.raw);
  }

  private dupOf(id: number): number {
    const d = this.dups;
    if (d instanceof Int32Array) return id >= 0 && id < d.length ? d[id] : 0;
    return d.get(id) ?? 0;
  }

  /** The number of `id`'s name among equal names in its namespace, counted on first use. */
  private uniq(id: number, counts: NameCounter): number {
    let n = this.dupOf(id);
    if (n !== 0) return n;
    const off = this.btf.nameOff(id);
    n = off === 0 || !this.nonEmpty(off) ? 1 : counts.next(off);
    const d = this.dups;
    if (d instanceof Int32Array) {
      if (id >= 0 && id < d.length) d[id] = n;
    } else d.set(id, n);
    return n;
  }

  private nonEmpty(off: number): boolean {
    const sp = this.span;
    return strSpan(this.btf.raw, off, sp) && sp.start < sp.end && sp.bytes[sp.start] !== 0;
  }

  /** Write the name of `id` deduplicated in `counts`' namespace (nothing for an empty name). */
  private writeUniq(id: number, counts: NameCounter): void {
    const n = this.uniq(id, counts);
    if (strSpan(this.btf.raw, this.btf.nameOff(id), this.span)) this.o.raw(this.span);
    if (n > 1) {
      this.o.s('___');
      this.o.num(n);
    }
  }

  /** The name a type was printed under (`foo___2` for the second `foo`), if printed. */
  printedName(id: number): string | undefined {
    const n = this.dupOf(id);
    if (n === 0) return undefined;
    const name = this.btf.name(id);
    return n > 1 ? `${name}___${n}` : name;
  }

  /** `__builtin_va_list` is the compiler's own: never redefined. */
  skipTypedef(id: number): boolean {
    const sp = this.span;
    if (!strSpan(this.btf.raw, this.btf.nameOff(id), sp) || sp.start + VA_LIST.length >= sp.end) return false;
    for (let i = 0; i < VA_LIST.length; i++) if (sp.bytes[sp.start + i] !== VA_LIST[i]) return false;
    return sp.bytes[sp.start + VA_LIST.length] === 0;
  }

  /** Write the plain (not deduplicated) name of `id`. */
  private writeTypeName(id: number): void {
    if (strSpan(this.btf.raw, this.btf.nameOff(id), this.span)) this.o.raw(this.span);
  }

  writeStructRef(id: number): void {
    const o = this.o;
    o.s(this.btf.kind(id) === KIND.UNION ? 'union' : 'struct');
    if (this.btf.named(id) && this.nonEmpty(this.btf.nameOff(id))) {
      o.c(32);
      this.writeUniq(id, this.tagCount);
    } else this.uniq(id, this.tagCount);
  }

  writeFwdRef(id: number): void {
    this.o.s(this.btf.kflag(id) ? 'union ' : 'struct ');
    this.writeUniq(id, this.tagCount);
  }

  private writeEnumRef(id: number): void {
    if (this.btf.named(id) && this.nonEmpty(this.btf.nameOff(id))) {
      this.o.s('enum ');
      this.writeUniq(id, this.tagCount);
    } else {
      this.uniq(id, this.tagCount);
      this.o.s('enum');
    }
  }

  writeTypedefDef(id: number, lvl: number): void {
    this.o.s('typedef ');
    // Counted before the declarator, whose inline enums may use the same namespace.
    this.uniq(id, this.identCount);
    this.writeDecl(this.btf.sizeOrType(id), -id, lvl);
  }

  writeEnumDef(id: number, lvl: number): void {
    const b = this.btf;
    const o = this.o;
    const k = b.kind(id);
    this.writeEnumRef(id);
    const n = b.vlen(id);
    if ((k !== KIND.ENUM && k !== KIND.ENUM64) || n === 0) return;
    o.s(' {');
    const wide = k === KIND.ENUM64;
    const signed = b.kflag(id);
    const suffix = wide ? (signed ? 'LL' : 'ULL') : '';
    let fits32 = true;
    for (let i = 0; i < n; i++) {
      const voff = b.item(id, i, 0);
      // Empty enumerator names are counted too (only crafted BTF has them).
      const dup = this.identCount.next(voff);
      o.nl(lvl + 1);
      if (strSpan(b.raw, voff, this.span)) o.raw(this.span);
      if (dup > 1) {
        o.s('___');
        o.num(dup);
      }
      o.s(' = ');
      const lo = b.item(id, i, 1);
      if (!wide) {
        o.num(signed ? lo | 0 : lo);
      } else {
        const hi = b.item(id, i, 2);
        if (hi === 0 && (!signed || lo < 0x80000000)) o.num(lo);
        else if (signed && hi === 0xffffffff && lo >= 0x80000000) o.num(lo | 0);
        else {
          fits32 = false;
          const v = (BigInt(hi) << 32n) | BigInt(lo);
          o.s(String(signed ? BigInt.asIntN(64, v) : v));
        }
        if (!signed && hi !== 0) fits32 = false;
      }
      o.s(suffix);
      o.c(44);
    }
    o.nl(lvl);
    o.c(125);
    if (this.exactLayout) {
      // A C enum is int-sized unless its values need more; BTF keeps the real size.
      const size = b.sizeOrType(id);
      if (size === 1) o.s(' __attribute__((mode(byte)))');
      else if (size === 2) o.s(' __attribute__((mode(HI)))');
      else if (size === 8 && fits32) o.s(' __attribute__((mode(word)))');
    }
  }

  /**
   * Packed when the natural layout cannot reproduce BTF's: a non-bitfield
   * member off its type's alignment, or a size that is not a multiple of the
   * struct's alignment.
   */
  isPacked(id: number): boolean {
    const b = this.btf;
    let max = 1;
    const kflag = b.kflag(id);
    for (let i = 0, n = b.vlen(id); i < n; i++) {
      const a = b.alignof(b.item(id, i, 1)) ?? 1;
      if (a > max) max = a;
      // Word 2 of a member: with kind_flag, bitfield size << 24 | bit offset, else the bit offset.
      const w2 = b.item(id, i, 2);
      if ((!kflag || w2 >>> 24 === 0) && (kflag ? w2 & 0xffffff : w2) % (8 * a) !== 0) return true;
    }
    return b.sizeOrType(id) % max !== 0;
  }

  writeStructDef(id: number, lvl: number): void {
    const b = this.btf;
    const o = this.o;
    const k = b.kind(id);
    // lvl > 64: only crafted BTF nests anonymous records this deep (or in a loop).
    if ((k !== KIND.STRUCT && k !== KIND.UNION) || lvl > 64) {
      this.writeStructRef(id);
      return;
    }
    const isStruct = k === KIND.STRUCT;
    const kflag = b.kflag(id);
    const packed = this.isPacked(id);
    const size = b.sizeOrType(id);
    const n = b.vlen(id);
    this.writeStructRef(id);
    o.s(' {');
    let off = 0;
    let prevBitfield = false;
    let maxMember = 0;
    for (let i = 0; i < n; i++) {
      const w2 = b.item(id, i, 2);
      const bits = kflag ? w2 >>> 24 : 0;
      const moff = kflag ? w2 & 0xffffff : w2;
      const mtype = b.item(id, i, 1);
      if (off < moff) this.writePadding(off, moff, packed ? 1 : b.alignof(mtype) ?? 1, prevBitfield && bits !== 0, lvl + 1);
      o.nl(lvl + 1);
      this.writeDecl(mtype, b.item(id, i, 0), lvl + 1);
      if (bits !== 0) {
        o.s(': ');
        o.num(bits);
        off = moff + bits;
        prevBitfield = true;
      } else {
        off = moff + Math.max(0, b.sizeof(mtype) ?? 0) * 8;
        prevBitfield = false;
      }
      if (off > maxMember) maxMember = off;
      o.c(59);
    }
    if (isStruct) this.writePadding(off, size * 8, packed ? 1 : b.alignof(id) ?? 1, false, lvl + 1);
    // A union larger than its members (declared __aligned(N), or members BTF lost).
    let unionAlign = 0;
    if (this.exactLayout && !isStruct && size * 8 > roundUp(maxMember, 8 * (b.alignof(id) ?? 1))) {
      if (size <= 8) {
        // An unnamed bitfield as wide as the union sets its size without a name.
        const pad = PADS[PADS.length - 1 - Math.ceil(Math.log2(size))];
        o.nl(lvl + 1);
        o.s(pad[0]);
        o.s(': ');
        o.num(size * 8);
        o.c(59);
      } else {
        unionAlign = size & -size;
      }
    }
    if (n > 0 || size > 0) o.nl(lvl);
    o.c(125);
    if (packed) o.s(' __attribute__((packed))');
    else if (unionAlign > 0) {
      o.s(' __attribute__((aligned(');
      o.num(unionAlign);
      o.s(')))');
    }
  }

  private padLine(lvl: number, type: string, bits: number): void {
    const o = this.o;
    o.nl(lvl);
    o.s(type);
    o.s(': ');
    o.num(bits);
    o.c(59);
  }

  /**
   * Unnamed bitfields that move from bit `cur` to bit `next`. The widest type
   * whose natural boundary does not pass `next` is chosen; the compiler's own
   * alignment covers a hole when the next member would land there anyway,
   * else a `type: 0` marker (or, between bitfields, `type: bits`) forces it.
   */
  private writePadding(cur: number, next: number, nextAlign: number, inBitfield: boolean, lvl: number): void {
    if (cur >= next) return;
    // Only crafted BTF has gaps this large; thousands of `long: 64;` lines would help no one.
    if (next - cur > MAX_PAD_BITS) {
      this.o.nl(lvl);
      this.o.s(`/* ${next - cur} bits of padding not printed */`);
      return;
    }
    let i = 0;
    let aligned = 0;
    for (; i < PADS.length; i++) {
      aligned = roundUp(cur, PADS[i][1]);
      if (aligned <= next) break;
    }
    if (i === PADS.length) i = PADS.length - 1;
    let [type, width] = PADS[i];
    if (aligned > cur && aligned <= next) {
      if (inBitfield || (aligned === next && roundUp(cur, nextAlign * 8) !== aligned) || (aligned !== next && next - aligned <= aligned - cur)) {
        this.padLine(lvl, type, inBitfield ? aligned - cur : 0);
      }
      cur = aligned;
    }
    while (cur < next) {
      const bits = Math.min(next - cur, width);
      if (bits === width) {
        this.padLine(lvl, type, width);
        cur += bits;
        continue;
      }
      for (let j = PADS.length - 1; j >= 0; j--) {
        if (PADS[j][1] < bits) continue;
        [type, width] = PADS[j];
        this.padLine(lvl, type, bits);
        break;
      }
      cur += bits;
    }
  }

  /**
   * The declaration of `fname` with type `id`: the chain of pointers, arrays,
   * function prototypes and qualifiers from `id` down to a named base type,
   * written inside-out as C requires.
   */
  declText(id: number, fname: string, lvl: number): string {
    const m = this.o.mark();
    this.extName = fname;
    this.writeDecl(id, fname === '' ? 0 : EXT_NAME, lvl);
    return this.o.take(m);
  }

  writeDecl(id: number, fname: FName, lvl: number): void {
    // Function prototypes recurse through their parameters; crafted BTF can loop there.
    if (this.declDepth > 64) {
      this.o.s('/* too deeply nested */ void');
      this.writeName(fname, false);
      return;
    }
    this.declDepth++;
    this.writeDeclAt(id, fname, lvl);
    this.declDepth--;
  }

  /**
   * The chain from `id` down to its base type is pushed on a shared stack
   * (outermost first) and consumed from the top, innermost first; nested
   * declarations (parameters, inline records) use the stack above it.
   */
  private writeDeclAt(id: number, fname: FName, lvl: number): void {
    const b = this.btf;
    const lo = this.sp;
    if (lo + 260 > this.stack.length) {
      const grown = new Int32Array(this.stack.length * 2 + 260);
      grown.set(this.stack);
      this.stack = grown;
    }
    const st = this.stack;
    let sp = lo;
    for (let guard = 0; ; guard++) {
      if (guard > 256) {
        st[sp++] = 0;
        break;
      }
      st[sp++] = id;
      if (id === 0) break;
      const k = b.kind(id);
      if (k === KIND.PTR || k === KIND.CONST || k === KIND.VOLATILE || k === KIND.RESTRICT || k === KIND.TYPE_TAG || k === KIND.FUNC_PROTO) {
        id = b.sizeOrType(id);
      } else if (k === KIND.TYPEDEF && this.exactLayout && this.skipTypedef(id)) {
        // The kernel's __builtin_va_list (24 bytes on x86-64) is not BPF's (8 bytes): spell it out.
        sp--;
        id = b.sizeOrType(id);
      } else if (k === KIND.ARRAY) {
        id = b.arrayType(id);
      } else {
        break;
      }
    }
    const savedPos = this.pos;
    this.sp = sp;
    this.pos = sp;
    this.writeChain(lo, fname, lvl);
    this.pos = savedPos;
    this.sp = lo;
  }

  private isMod(id: number): boolean {
    const k = this.btf.kind(id);
    return id !== 0 && (k === KIND.CONST || k === KIND.VOLATILE || k === KIND.RESTRICT);
  }

  /** Qualifiers just outside the base type, printed before it ("const int"). */
  private writeLeadingMods(lo: number): void {
    while (this.pos > lo && this.isMod(this.stack[this.pos - 1])) {
      const k = this.btf.kind(this.stack[--this.pos]);
      this.o.s(k === KIND.CONST ? 'const ' : k === KIND.VOLATILE ? 'volatile ' : 'restrict ');
    }
  }

  /** Qualifiers on an array or function type mean nothing in C: dropped. */
  private dropMods(lo: number): void {
    while (this.pos > lo && this.isMod(this.stack[this.pos - 1])) this.pos--;
  }

  private writeArrayLen(id: number): void {
    this.o.c(91);
    this.o.num(this.btf.arrayLen(id));
    this.o.c(93);
  }

  private writeChain(lo: number, fname: FName, lvl: number): void {
    const b = this.btf;
    const o = this.o;
    let afterPtr = true;
    while (this.pos > lo) {
      const id = this.stack[--this.pos];
      if (id === 0) {
        this.writeLeadingMods(lo);
        o.s('void');
        afterPtr = false;
        continue;
      }
      const k = b.kind(id);
      switch (k) {
        case KIND.INT: case KIND.FLOAT:
          this.writeLeadingMods(lo);
          this.writeTypeName(id);
          break;
        case KIND.STRUCT: case KIND.UNION:
          this.writeLeadingMods(lo);
          if (b.named(id)) this.writeStructRef(id);
          else if (this.shortAnon) {
            this.writeStructRef(id);
            o.s(' {...}');
          } else this.writeStructDef(id, lvl);
          break;
        case KIND.ENUM: case KIND.ENUM64:
          this.writeLeadingMods(lo);
          if (b.named(id)) this.writeEnumRef(id);
          else if (this.shortAnon) o.s('enum {...}');
          else this.writeEnumDef(id, lvl);
          break;
        case KIND.FWD:
          this.writeLeadingMods(lo);
          this.writeFwdRef(id);
          break;
        case KIND.TYPEDEF:
          this.writeLeadingMods(lo);
          this.writeUniq(id, this.identCount);
          break;
        case KIND.PTR:
          o.s(afterPtr ? '*' : ' *');
          break;
        case KIND.VOLATILE:
          o.s(' volatile');
          break;
        case KIND.CONST:
          o.s(' const');
          break;
        case KIND.RESTRICT:
          o.s(' restrict');
          break;
        case KIND.TYPE_TAG:
          this.writeLeadingMods(lo);
          o.s(' __attribute__((btf_type_tag("');
          this.writeTypeName(id);
          o.s('")))');
          break;
        case KIND.ARRAY: {
          this.dropMods(lo);
          if (this.pos === lo) {
            this.writeName(fname, afterPtr);
            this.writeArrayLen(id);
            return;
          }
          const multidim = b.kind(this.stack[this.pos - 1]) === KIND.ARRAY;
          if (!this.emptyName(fname) && !afterPtr) o.c(32);
          if (!multidim) o.c(40);
          this.writeChain(lo, fname, lvl);
          if (!multidim) o.c(41);
          this.writeArrayLen(id);
          return;
        }
        case KIND.FUNC_PROTO: {
          this.dropMods(lo);
          if (this.pos > lo) {
            o.s(' (');
            this.writeChain(lo, fname, lvl);
            o.c(41);
          } else this.writeName(fname, afterPtr);
          const np = b.vlen(id);
          if (np === 0 || (np === 1 && b.item(id, 0, 1) === 0)) {
            o.s('(void)');
            return;
          }
          o.c(40);
          for (let i = 0; i < np; i++) {
            if (i > 0) o.s(', ');
            const pt = b.item(id, i, 1);
            if (i === np - 1 && pt === 0) {
              o.s('...');
              break;
            }
            this.writeDecl(pt, b.item(id, i, 0), lvl);
          }
          o.c(41);
          return;
        }
        default:
          o.s(`/* unexpected ${b.kindName(id)} [${id}] */ void`);
          break;
      }
      afterPtr = k === KIND.PTR;
    }
    this.writeName(fname, afterPtr);
  }

  private emptyName(fname: FName): boolean {
    if (fname === 0) return true;
    if (fname === EXT_NAME) return this.extName === '';
    if (fname < 0) return !this.nonEmpty(this.btf.nameOff(-fname));
    return !this.nonEmpty(fname);
  }

  private writeName(fname: FName, afterPtr: boolean): void {
    if (fname === 0) return;
    const o = this.o;
    if (fname === EXT_NAME) {
      if (this.extName === '') return;
      if (!afterPtr) o.c(32);
      o.s(this.extName);
    } else if (fname < 0) {
      // A typedef's name is counted even when empty, as it always was.
      if (this.nonEmpty(this.btf.nameOff(-fname))) {
        if (!afterPtr) o.c(32);
        this.writeUniq(-fname, this.identCount);
      } else this.uniq(-fname, this.identCount);
    } else {
      const sp = this.span;
      if (!strSpan(this.btf.raw, fname, sp) || sp.start >= sp.end || sp.bytes[sp.start] === 0) return;
      if (!afterPtr) o.c(32);
      o.raw(sp);
    }
  }

}

/**
 * C text of type `id` (declaring `name` when given), for hovers and messages:
 * `struct task_struct *`, `void (*free_inode)(struct inode *)`, `char comm[16]`.
 * Anonymous records are shortened to `struct {...}`.
 */
export function cTypeText(btf: Btf, id: number, name = ''): string {
  return new CDecl(btf, true, true, false).declText(id, name, 0);
}
