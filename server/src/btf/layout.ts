/**
 * Struct/union layout in the style of pahole: one row per member with its
 * offset and size (bitfields with their bit position), byte and bit holes,
 * trailing padding, cacheline boundaries and a summary; as data for hovers and
 * as pahole-like text. Holes are found between consecutive members of the
 * outer struct only; anonymous members are expanded as nested rows.
 */
import { KIND as KINDS } from './format';
import type { Btf } from './types';
import { CDecl } from './cdecl';

// Local copy: under tsx every use of an imported binding is a getter call.
const KIND = KINDS;

export type LayoutRow =
  | {
      kind: 'member';
      depth: number;
      name: string;
      type: number;
      /** The member's C type as text (anonymous records shortened to `struct {...}`). */
      typeText: string;
      /** The whole declaration (`void (*free_inode)(struct inode *)`, `char comm[16]`). */
      declText: string;
      /** Byte offset from the start of the outer struct (the storage unit's, for a bitfield). */
      offset: number;
      /** Size in bytes of the member's type. */
      size: number;
      /** Bitfields: position within the storage unit and width in bits. */
      bitPos?: number;
      bitSize?: number;
    }
  | { kind: 'open'; depth: number; name: string; union: boolean; offset: number; size: number }
  | { kind: 'close'; depth: number; name: string }
  | { kind: 'hole'; depth: number; bytes: number; offset: number }
  | { kind: 'bithole'; depth: number; bits: number }
  | { kind: 'cacheline'; depth: number; index: number; bytesAgo: number };

export interface StructLayout {
  id: number;
  name: string;
  union: boolean;
  size: number;
  members: number;
  cachelines: number;
  rows: LayoutRow[];
  holes: number;
  sumHoles: number;
  bitHoles: number;
  sumBitHoles: number;
  /** Bytes after the last member up to the size. */
  padding: number;
  /** Bytes (or bits, for bitfields) covered by members, as pahole's "sum members". */
  sumMemberBits: number;
  /** Bytes used in the last cacheline (0 if the size is a multiple of it). */
  lastCacheline: number;
  /** Cacheline size used, in bytes. */
  cacheline: number;
}

export interface LayoutOptions {
  cacheline?: number;
}

/** The layout of struct/union `id` (typedefs resolved), or undefined for other kinds. */
export function structLayout(btf: Btf, id: number, opts: LayoutOptions = {}): StructLayout | undefined {
  const cl = opts.cacheline ?? 64;
  const sid = btf.resolve(id);
  const k = btf.kind(sid);
  if (k !== KIND.STRUCT && k !== KIND.UNION) return undefined;
  const union = k === KIND.UNION;
  const size = btf.sizeOrType(sid);
  const decl = new CDecl(btf, true, true, false);
  const rows: LayoutRow[] = [];
  const res: StructLayout = {
    id: sid, name: btf.name(sid), union, size, members: btf.vlen(sid), cachelines: Math.ceil(size / cl), rows,
    holes: 0, sumHoles: 0, bitHoles: 0, sumBitHoles: 0, padding: 0, sumMemberBits: 0, lastCacheline: size % cl, cacheline: cl,
  };
  let nextBoundary = cl;
  const boundary = (at: number, depth: number): void => {
    // Like pahole, only the last boundary crossed before this member is shown.
    if (at < nextBoundary) return;
    const index = Math.floor(at / cl);
    rows.push({ kind: 'cacheline', depth, index, bytesAgo: at - index * cl });
    nextBoundary = (index + 1) * cl;
  };
  let end = 0; // first bit after the previous member
  let unitEnd = 0; // first bit after the previous member's storage unit (bitfields)
  const n = btf.vlen(sid);
  for (let i = 0; i < n; i++) {
    const type = btf.memberType(sid, i);
    const bitOff = btf.memberBitOffset(sid, i);
    const bitSize = btf.memberBitSize(sid, i);
    const tsize = btf.sizeof(type) ?? 0;
    if (!union && bitOff > end) {
      // The gap: bits left in the previous bitfield's unit, a partial byte,
      // whole bytes (a hole), then bits before a member starting mid-byte.
      let from = end;
      const bitHole = (bits: number): void => {
        if (bits <= 0) return;
        rows.push({ kind: 'bithole', depth: 1, bits });
        res.bitHoles++;
        res.sumBitHoles += bits;
        from += bits;
      };
      bitHole(Math.min(bitOff, unitEnd) - from);
      if (from % 8 !== 0) bitHole(Math.min(Math.ceil(from / 8) * 8, bitOff) - from);
      const bytes = Math.floor((bitOff - from) / 8);
      if (bytes > 0) {
        rows.push({ kind: 'hole', depth: 1, bytes, offset: from / 8 });
        res.holes++;
        res.sumHoles += bytes;
        from += bytes * 8;
      }
      bitHole(bitOff - from);
    }
    const unitOff = unitOffset(bitOff, bitSize, tsize);
    if (!union) boundary(unitOff, 1);
    memberRows(btf, decl, sid, i, 0, 1, rows);
    const mEnd = bitSize !== 0 ? bitOff + bitSize : bitOff + tsize * 8;
    res.sumMemberBits += bitSize !== 0 ? bitSize : tsize * 8;
    if (union) {
      end = Math.max(end, mEnd);
      unitEnd = end;
    } else {
      end = mEnd;
      unitEnd = bitSize !== 0 ? unitOff * 8 + tsize * 8 : mEnd;
    }
  }
  if (size * 8 > end) {
    const bits = Math.min(unitEnd, size * 8) - end;
    if (bits > 0 && !union) {
      rows.push({ kind: 'bithole', depth: 1, bits });
      res.bitHoles++;
      res.sumBitHoles += bits;
      end += bits;
    }
    res.padding = Math.floor((size * 8 - end) / 8);
  }
  return res;
}

/** Byte offset of a member's storage unit (its own offset unless it is a bitfield). */
function unitOffset(bitOff: number, bitSize: number, tsize: number): number {
  return bitSize !== 0 && tsize > 0 ? Math.floor(bitOff / (tsize * 8)) * tsize : Math.floor(bitOff / 8);
}

/** Rows for member `i` of `sid` at `base` bits: one row, or an anonymous record opened and expanded. */
function memberRows(btf: Btf, decl: CDecl, sid: number, i: number, base: number, depth: number, rows: LayoutRow[]): void {
  const name = btf.memberName(sid, i);
  const type = btf.memberType(sid, i);
  const bitOff = base + btf.memberBitOffset(sid, i);
  const bitSize = btf.memberBitSize(sid, i);
  const tsize = btf.sizeof(type) ?? 0;
  const rid = btf.resolve(type);
  const rk = btf.kind(rid);
  if (name === '' && bitSize === 0 && (rk === KIND.STRUCT || rk === KIND.UNION) && depth < 16) {
    rows.push({ kind: 'open', depth, name: '', union: rk === KIND.UNION, offset: bitOff / 8, size: tsize });
    for (let j = 0, n = btf.vlen(rid); j < n; j++) memberRows(btf, decl, rid, j, bitOff, depth + 1, rows);
    rows.push({ kind: 'close', depth, name: '' });
    return;
  }
  const unitOff = unitOffset(bitOff, bitSize, tsize);
  const row: LayoutRow = {
    kind: 'member', depth, name, type, typeText: decl.declText(type, '', depth), declText: decl.declText(type, name, depth),
    offset: unitOff, size: tsize,
  };
  if (bitSize !== 0) {
    row.bitPos = bitOff - unitOff * 8;
    row.bitSize = bitSize;
  }
  rows.push(row);
}

/** pahole-like text of a layout. */
export function formatLayout(l: StructLayout): string {
  const out: string[] = [`${l.union ? 'union' : 'struct'}${l.name ? ' ' + l.name : ''} {`];
  for (const r of l.rows) {
    const ind = '\t'.repeat(r.depth);
    switch (r.kind) {
      case 'member': {
        const bits = r.bitSize !== undefined ? ':' + r.bitSize : '';
        const pos = r.bitSize !== undefined ? `${String(r.offset).padStart(5)}:${String(r.bitPos).padStart(2)}` : String(r.offset).padStart(5);
        // Type and name in two columns ("char  comm[16];") unless the declarator wraps the name.
        const cols = columns(r.declText, r.name);
        const text = cols !== undefined ? `${cols[0].padEnd(26)} ${(cols[1] + bits + ';').padEnd(21)}` : `${r.declText}${bits};`.padEnd(48);
        out.push(`${ind}${text} /* ${pos} ${String(r.size).padStart(5)} */`);
        break;
      }
      case 'open':
        out.push(`${ind}${r.union ? 'union' : 'struct'} {${' '.repeat(40)}/* ${String(r.offset).padStart(5)} ${String(r.size).padStart(5)} */`);
        break;
      case 'close':
        out.push(`${ind}};`);
        break;
      case 'hole':
        out.push('', `${ind}/* XXX ${r.bytes} byte${r.bytes === 1 ? '' : 's'} hole, try to pack */`, '');
        break;
      case 'bithole':
        out.push(`${ind}/* XXX ${r.bits} bit${r.bits === 1 ? '' : 's'} hole, try to pack */`);
        break;
      case 'cacheline':
        out.push(`${ind}/* --- cacheline ${r.index} boundary (${r.index * l.cacheline} bytes)${r.bytesAgo > 0 ? ` was ${r.bytesAgo} bytes ago` : ''} --- */`);
        break;
    }
  }
  out.push('');
  out.push(`\t/* size: ${l.size}, cachelines: ${l.cachelines}, members: ${l.members} */`);
  if (l.holes > 0) out.push(`\t/* sum members: ${Math.floor(l.sumMemberBits / 8)}, holes: ${l.holes}, sum holes: ${l.sumHoles} */`);
  if (l.bitHoles > 0) out.push(`\t/* bit holes: ${l.bitHoles}, sum bit holes: ${l.sumBitHoles} bits */`);
  if (l.padding > 0) out.push(`\t/* padding: ${l.padding} */`);
  if (l.lastCacheline > 0) out.push(`\t/* last cacheline: ${l.lastCacheline} bytes */`);
  out.push('};');
  return out.join('\n');
}

/** Split `char *names[4]` into `char *` and `names[4]`; undefined when the name sits inside parentheses. */
function columns(decl: string, name: string): [string, string] | undefined {
  if (name === '') return [decl, ''];
  // Names come from the BTF blob: escape them (a crafted name may hold regex syntax).
  const quoted = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^([^()]*?) ?${quoted}((?:\\[\\d*\\])*)$`).exec(decl);
  return m === null ? undefined : [m[1], name + m[2]];
}
