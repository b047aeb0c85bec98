/**
 * C declaration text for BTF types, spelled the way bpftool spells it: names
 * made unique with a `___N` suffix in the tag and ordinary-identifier
 * namespaces, declarators (pointers, arrays, function pointers, qualifiers),
 * struct/union/enum bodies with explicit padding and packing. It decides
 * nothing about ordering (cprint.ts does).
 */
import { KIND as KINDS } from './format';
import { type Btf, IdCache as IdCacheImp } from './types';

// Local copies: under tsx every use of an imported binding is a getter call.
const KIND = KINDS;
const IdCache = IdCacheImp;

const TABS: string[] = [''];
function tabs(n: number): string {
  while (TABS.length <= n) TABS.push(TABS[TABS.length - 1] + '\t');
  return TABS[n];
}

/** Unnamed bitfield types used to spell padding, widest first. */
const PADS: readonly [string, number][] = [['long', 64], ['int', 32], ['short', 16], ['char', 8]];

/** Largest gap spelled out with unnamed bitfields (64 KiB). */
const MAX_PAD_BITS = 8 * 65536;

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

export class CDecl {
  /** Resolved (deduplicated) names per id; undefined until first printed. */
  private readonly names: IdCacheImp<string> | Map<number, string>;
  private readonly tagCount = new Map<string, number>();
  private readonly identCount = new Map<string, number>();
  private declDepth = 0;
  /** Declarator chains being printed (see declTextAt) and the read position in them. */
  private stack = new Int32Array(1024);
  private sp = 0;
  private pos = 0;

  /**
   * `shortAnon`: print anonymous records as `struct {...}` (for one-line type
   * text). `dense`: keep names in an array sized by the type count (a whole
   * dump); else in a map (a few declarations).
   */
  constructor(private readonly btf: Btf, private readonly exactLayout: boolean, private readonly shortAnon = false, dense = true) {
    this.names = dense ? new IdCache<string>(btf.count) : new Map<number, string>();
  }

  private uniq(id: number, counts: Map<string, number>): string {
    const known = this.names.get(id);
    if (known !== undefined) return known;
    const orig = this.btf.name(id);
    let s = orig;
    if (orig !== '') {
      const n = (counts.get(orig) ?? 0) + 1;
      counts.set(orig, n);
      if (n > 1) s = `${orig}___${n}`;
    }
    this.names.set(id, s);
    return s;
  }

  printedName(id: number): string | undefined {
    return this.names.get(id);
  }

  /** Name of a struct/union/enum/fwd (tag namespace). */
  tagName(id: number): string {
    return this.uniq(id, this.tagCount);
  }

  /** Name of a typedef (ordinary identifiers, shared with enumerators). */
  identName(id: number): string {
    return this.uniq(id, this.identCount);
  }

  /** `__builtin_va_list` is the compiler's own: never redefined. */
  skipTypedef(id: number): boolean {
    return this.btf.name(id) === '__builtin_va_list';
  }

  structRef(id: number): string {
    const kw = this.btf.kind(id) === KIND.UNION ? 'union' : 'struct';
    const n = this.tagName(id);
    return n === '' ? kw : `${kw} ${n}`;
  }

  fwdRef(id: number): string {
    return `${this.btf.kflag(id) ? 'union' : 'struct'} ${this.tagName(id)}`;
  }

  enumRef(id: number): string {
    const n = this.tagName(id);
    return n === '' ? 'enum' : `enum ${n}`;
  }

  typedefDef(id: number, lvl: number): string {
    return 'typedef ' + this.declText(this.btf.sizeOrType(id), this.identName(id), lvl);
  }

  enumDef(id: number, lvl: number): string {
    const b = this.btf;
    const k = b.kind(id);
    let s = this.enumRef(id);
    const n = b.vlen(id);
    if ((k !== KIND.ENUM && k !== KIND.ENUM64) || n === 0) return s;
    s += ' {';
    const pfx = '\n' + tabs(lvl + 1);
    const wide = k === KIND.ENUM64;
    const signed = b.kflag(id);
    const suffix = wide ? (signed ? 'LL' : 'ULL') : '';
    let fits32 = true;
    for (let i = 0; i < n; i++) {
      const vname = b.str(b.item(id, i, 0));
      const dup = (this.identCount.get(vname) ?? 0) + 1;
      this.identCount.set(vname, dup);
      const name = dup > 1 ? `${vname}___${dup}` : vname;
      const lo = b.item(id, i, 1);
      let value: string;
      if (!wide) {
        value = String(signed ? lo | 0 : lo);
      } else {
        const hi = b.item(id, i, 2);
        if (hi === 0 && (!signed || lo < 0x80000000)) value = String(lo);
        else if (signed && hi === 0xffffffff && lo >= 0x80000000) value = String((lo | 0));
        else {
          fits32 = false;
          const v = (BigInt(hi) << 32n) | BigInt(lo);
          value = String(signed ? BigInt.asIntN(64, v) : v);
        }
        if (!signed && hi !== 0) fits32 = false;
      }
      s += `${pfx}${name} = ${value}${suffix},`;
    }
    s += '\n' + tabs(lvl) + '}';
    if (this.exactLayout) {
      // A C enum is int-sized unless its values need more; BTF keeps the real size.
      const size = b.sizeOrType(id);
      if (size === 1) s += ' __attribute__((mode(byte)))';
      else if (size === 2) s += ' __attribute__((mode(HI)))';
      else if (size === 8 && fits32) s += ' __attribute__((mode(word)))';
    }
    return s;
  }

  /**
   * Packed when the natural layout cannot reproduce BTF's: a non-bitfield
   * member off its type's alignment, or a size that is not a multiple of the
   * struct's alignment.
   */
  isPacked(id: number): boolean {
    const b = this.btf;
    let max = 1;
    for (let i = 0, n = b.vlen(id); i < n; i++) {
      const a = b.alignof(b.memberType(id, i)) ?? 1;
      if (a > max) max = a;
      if (b.memberBitSize(id, i) === 0 && b.memberBitOffset(id, i) % (8 * a) !== 0) return true;
    }
    return b.sizeOrType(id) % max !== 0;
  }

  structDef(id: number, lvl: number): string {
    const b = this.btf;
    const k = b.kind(id);
    // lvl > 64: only crafted BTF nests anonymous records this deep (or in a loop).
    if ((k !== KIND.STRUCT && k !== KIND.UNION) || lvl > 64) return this.structRef(id);
    const isStruct = k === KIND.STRUCT;
    const packed = this.isPacked(id);
    const size = b.sizeOrType(id);
    const n = b.vlen(id);
    let s = this.structRef(id) + ' {';
    let off = 0;
    let prevBitfield = false;
    const ind = '\n' + tabs(lvl + 1);
    let maxMember = 0;
    for (let i = 0; i < n; i++) {
      const bits = b.memberBitSize(id, i);
      const mtype = b.memberType(id, i);
      const moff = b.memberBitOffset(id, i);
      const align = packed ? 1 : b.alignof(mtype) ?? 1;
      s += this.padding(off, moff, align, prevBitfield && bits !== 0, lvl + 1);
      s += ind + this.declText(mtype, b.memberName(id, i), lvl + 1);
      if (bits !== 0) {
        s += ': ' + bits;
        off = moff + bits;
        prevBitfield = true;
      } else {
        off = moff + Math.max(0, b.sizeof(mtype) ?? 0) * 8;
        prevBitfield = false;
      }
      if (off > maxMember) maxMember = off;
      s += ';';
    }
    if (isStruct) s += this.padding(off, size * 8, packed ? 1 : b.alignof(id) ?? 1, false, lvl + 1);
    // A union larger than its members (declared __aligned(N), or members BTF lost).
    let unionAlign = 0;
    if (this.exactLayout && !isStruct && size * 8 > roundUp(maxMember, 8 * (b.alignof(id) ?? 1))) {
      if (size <= 8) {
        // An unnamed bitfield as wide as the union sets its size without a name.
        const pad = PADS[PADS.length - 1 - Math.ceil(Math.log2(size))];
        s += `\n${tabs(lvl + 1)}${pad[0]}: ${size * 8};`;
      } else {
        unionAlign = size & -size;
      }
    }
    s += n > 0 || size > 0 ? '\n' + tabs(lvl) + '}' : '}';
    if (packed) s += ' __attribute__((packed))';
    else if (unionAlign > 0) s += ` __attribute__((aligned(${unionAlign})))`;
    return s;
  }

  /**
   * Unnamed bitfields that move from bit `cur` to bit `next`. The widest type
   * whose natural boundary does not pass `next` is chosen; the compiler's own
   * alignment covers a hole when the next member would land there anyway,
   * else a `type: 0` marker (or, between bitfields, `type: bits`) forces it.
   */
  padding(cur: number, next: number, nextAlign: number, inBitfield: boolean, lvl: number): string {
    if (cur >= next) return '';
    // Only crafted BTF has gaps this large; thousands of `long: 64;` lines would help no one.
    if (next - cur > MAX_PAD_BITS) return `\n${tabs(lvl)}/* ${next - cur} bits of padding not printed */`;
    let s = '';
    const ind = '\n' + tabs(lvl);
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
        s += `${ind}${type}: ${inBitfield ? aligned - cur : 0};`;
      }
      cur = aligned;
    }
    while (cur < next) {
      const bits = Math.min(next - cur, width);
      if (bits === width) {
        s += `${ind}${type}: ${width};`;
        cur += bits;
        continue;
      }
      for (let j = PADS.length - 1; j >= 0; j--) {
        if (PADS[j][1] < bits) continue;
        [type, width] = PADS[j];
        s += `${ind}${type}: ${bits};`;
        break;
      }
      cur += bits;
    }
    return s;
  }

  /**
   * The declaration of `fname` with type `id`: the chain of pointers, arrays,
   * function prototypes and qualifiers from `id` down to a named base type,
   * written inside-out as C requires.
   */
  declText(id: number, fname: string, lvl: number): string {
    // Function prototypes recurse through their parameters; crafted BTF can loop there.
    if (this.declDepth > 64) return `/* too deeply nested */ void${nameText(fname, false)}`;
    this.declDepth++;
    const s = this.declTextAt(id, fname, lvl);
    this.declDepth--;
    return s;
  }

  /**
   * The chain from `id` down to its base type is pushed on a shared stack
   * (outermost first) and consumed from the top, innermost first; nested
   * declarations (parameters, inline records) use the stack above it.
   */
  private declTextAt(id: number, fname: string, lvl: number): string {
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
    const s = this.chainText(lo, fname, lvl);
    this.pos = savedPos;
    this.sp = lo;
    return s;
  }

  private isMod(id: number): boolean {
    const k = this.btf.kind(id);
    return id !== 0 && (k === KIND.CONST || k === KIND.VOLATILE || k === KIND.RESTRICT);
  }

  /** Qualifiers just outside the base type, printed before it ("const int"). */
  private leadingMods(lo: number): string {
    let s = '';
    while (this.pos > lo && this.isMod(this.stack[this.pos - 1])) {
      const k = this.btf.kind(this.stack[--this.pos]);
      s += k === KIND.CONST ? 'const ' : k === KIND.VOLATILE ? 'volatile ' : 'restrict ';
    }
    return s;
  }

  /** Qualifiers on an array or function type mean nothing in C: dropped. */
  private dropMods(lo: number): void {
    while (this.pos > lo && this.isMod(this.stack[this.pos - 1])) this.pos--;
  }

  private chainText(lo: number, fname: string, lvl: number): string {
    const b = this.btf;
    let s = '';
    let afterPtr = true;
    while (this.pos > lo) {
      const id = this.stack[--this.pos];
      if (id === 0) {
        s += this.leadingMods(lo) + 'void';
        afterPtr = false;
        continue;
      }
      const k = b.kind(id);
      switch (k) {
        case KIND.INT: case KIND.FLOAT:
          s += this.leadingMods(lo) + b.name(id);
          break;
        case KIND.STRUCT: case KIND.UNION:
          s += this.leadingMods(lo) + (b.named(id) ? this.structRef(id) : this.shortAnon ? this.structRef(id) + ' {...}' : this.structDef(id, lvl));
          break;
        case KIND.ENUM: case KIND.ENUM64:
          s += this.leadingMods(lo) + (b.named(id) ? this.enumRef(id) : this.shortAnon ? 'enum {...}' : this.enumDef(id, lvl));
          break;
        case KIND.FWD:
          s += this.leadingMods(lo) + this.fwdRef(id);
          break;
        case KIND.TYPEDEF:
          s += this.leadingMods(lo) + this.identName(id);
          break;
        case KIND.PTR:
          s += afterPtr ? '*' : ' *';
          break;
        case KIND.VOLATILE:
          s += ' volatile';
          break;
        case KIND.CONST:
          s += ' const';
          break;
        case KIND.RESTRICT:
          s += ' restrict';
          break;
        case KIND.TYPE_TAG:
          s += this.leadingMods(lo) + ` __attribute__((btf_type_tag("${b.name(id)}")))`;
          break;
        case KIND.ARRAY: {
          const n = b.arrayLen(id);
          this.dropMods(lo);
          if (this.pos === lo) return s + nameText(fname, afterPtr) + `[${n}]`;
          const multidim = b.kind(this.stack[this.pos - 1]) === KIND.ARRAY;
          if (fname !== '' && !afterPtr) s += ' ';
          if (!multidim) s += '(';
          s += this.chainText(lo, fname, lvl);
          if (!multidim) s += ')';
          return s + `[${n}]`;
        }
        case KIND.FUNC_PROTO: {
          this.dropMods(lo);
          if (this.pos > lo) s += ' (' + this.chainText(lo, fname, lvl) + ')';
          else s += nameText(fname, afterPtr);
          const np = b.vlen(id);
          if (np === 0 || (np === 1 && b.item(id, 0, 1) === 0)) return s + '(void)';
          s += '(';
          for (let i = 0; i < np; i++) {
            if (i > 0) s += ', ';
            const pt = b.item(id, i, 1);
            if (i === np - 1 && pt === 0) {
              s += '...';
              break;
            }
            s += this.declText(pt, b.str(b.item(id, i, 0)), lvl);
          }
          return s + ')';
        }
        default:
          s += `/* unexpected ${b.kindName(id)} [${id}] */ void`;
          break;
      }
      afterPtr = k === KIND.PTR;
    }
    return s + nameText(fname, afterPtr);
  }
}

function nameText(fname: string, afterPtr: boolean): string {
  if (fname === '') return '';
  return afterPtr ? fname : ' ' + fname;
}

/**
 * C text of type `id` (declaring `name` when given), for hovers and messages:
 * `struct task_struct *`, `void (*free_inode)(struct inode *)`, `char comm[16]`.
 * Anonymous records are shortened to `struct {...}`.
 */
export function cTypeText(btf: Btf, id: number, name = ''): string {
  return new CDecl(btf, true, true, false).declText(id, name, 0);
}
