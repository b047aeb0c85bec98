/**
 * USDT probe arguments: the SystemTap SDT notes of a binary (`.note.stapsdt`,
 * parsed from its bytes here; the host reads the file) give each probe's
 * argument specs (`-4@%edi 8@-8(%rbp) 4@$5`, x86-64 AT&T operands), which
 * arg0..argN compile to: a pt_regs register, a user memory read at a register
 * plus offset, or a constant, narrowed to the spec's size and sign.
 * Non-goals: semaphores (set when attaching), indexed/RIP-relative operands, other architectures.
 */
import { R_ACC, R_CTX, type Gen } from './gen';
import { probeRead } from './expr';

export interface UsdtNote { provider: string; name: string; args: string; pc: bigint; semaphore: bigint }

/** One argument: register, memory at register + offset, or constant; size in bytes, signedness. */
export type UsdtArg =
  | { size: number; signed: boolean; k: 'reg'; reg: string }
  | { size: number; signed: boolean; k: 'mem'; reg: string; off: number }
  | { size: number; signed: boolean; k: 'imm'; v: bigint };

/** SDT notes of an ELF64 little-endian file; [] when the bytes are not one or have no notes. */
export function parseStapsdtNotes(b: Uint8Array): UsdtNote[] {
  if (b.length < 64 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46 || b[4] !== 2 || b[5] !== 1) return [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  const shstrndx = dv.getUint16(0x3e, true);
  const sec = (i: number): { name: number; type: number; off: number; size: number } | undefined => {
    const o = shoff + i * shentsize;
    if (o + 64 > b.length) return undefined;
    return { name: dv.getUint32(o, true), type: dv.getUint32(o + 4, true), off: Number(dv.getBigUint64(o + 24, true)), size: Number(dv.getBigUint64(o + 32, true)) };
  };
  const strs = sec(shstrndx);
  const cstr = (o: number): string => {
    let e = o;
    while (e < b.length && b[e] !== 0) e++;
    return new TextDecoder().decode(b.subarray(o, e));
  };
  const out: UsdtNote[] = [];
  for (let i = 0; i < shnum; i++) {
    const s = sec(i);
    if (!s || !strs || s.type !== 7 || cstr(strs.off + s.name) !== '.note.stapsdt') continue;
    let o = s.off;
    const end = Math.min(b.length, s.off + s.size);
    while (o + 12 <= end) {
      const namesz = dv.getUint32(o, true);
      const descsz = dv.getUint32(o + 4, true);
      const type = dv.getUint32(o + 8, true);
      const nameOff = o + 12;
      const descOff = nameOff + Math.ceil(namesz / 4) * 4;
      if (descOff + descsz > end) break;
      if (type === 3 && cstr(nameOff) === 'stapsdt' && descsz >= 24) {
        const pc = dv.getBigUint64(descOff, true);
        const semaphore = dv.getBigUint64(descOff + 16, true);
        const provider = cstr(descOff + 24);
        const name = cstr(descOff + 24 + new TextEncoder().encode(provider).length + 1);
        const args = cstr(descOff + 24 + new TextEncoder().encode(provider).length + 1 + new TextEncoder().encode(name).length + 1);
        out.push({ provider, name, args, pc, semaphore });
      }
      o = descOff + Math.ceil(descsz / 4) * 4;
    }
  }
  return out;
}

/** x86-64 register names (any width) -> struct pt_regs field. */
function ptRegName(r: string): string | undefined {
  const m = /^r(\d+)[dwb]?$/.exec(r);
  if (m && Number(m[1]) >= 8 && Number(m[1]) <= 15) return `r${m[1]}`;
  const base: Record<string, string> = {
    rax: 'ax', eax: 'ax', ax: 'ax', al: 'ax', rbx: 'bx', ebx: 'bx', bx: 'bx', bl: 'bx', rcx: 'cx', ecx: 'cx', cx: 'cx', cl: 'cx',
    rdx: 'dx', edx: 'dx', dx: 'dx', dl: 'dx', rsi: 'si', esi: 'si', si: 'si', sil: 'si', rdi: 'di', edi: 'di', di: 'di', dil: 'di',
    rbp: 'bp', ebp: 'bp', bp: 'bp', bpl: 'bp', rsp: 'sp', esp: 'sp', sp: 'sp', spl: 'sp', rip: 'ip',
  };
  return base[r];
}

/** Parses an argument spec string; a string is an error message. */
export function parseUsdtArgs(spec: string): UsdtArg[] | string {
  const out: UsdtArg[] = [];
  for (const w of spec.trim().split(/\s+/).filter((x) => x)) {
    const m = /^(-?)(1|2|4|8)@(.+)$/.exec(w);
    if (!m) return `unsupported USDT argument spec '${w}'`;
    const size = Number(m[2]);
    const signed = m[1] === '-';
    const op = m[3];
    let r: RegExpExecArray | null;
    if ((r = /^%(\w+)$/.exec(op))) {
      const reg = ptRegName(r[1]);
      if (!reg) return `unsupported register in USDT argument '${w}'`;
      out.push({ size, signed, k: 'reg', reg });
    } else if ((r = /^(-?\d+)?\(%(\w+)\)$/.exec(op))) {
      const reg = ptRegName(r[2]);
      if (!reg || reg === 'ip') return `unsupported register in USDT argument '${w}'`;
      out.push({ size, signed, k: 'mem', reg, off: Number(r[1] ?? 0) });
    } else if ((r = /^\$(-?\d+)$/.exec(op))) out.push({ size, signed, k: 'imm', v: BigInt(r[1]) });
    else return `unsupported USDT argument operand '${w}' (indexed or symbol-relative)`;
  }
  return out;
}

/** r7 = USDT argument `a` of the probe (ctx = pt_regs at the probe site). */
export function genUsdtArg(g: Gen, a: UsdtArg, ptRegs: Record<string, number>): void {
  if (a.k === 'imm') { g.e.movi(R_ACC, a.v); return; }
  g.e.ldx(8, R_ACC, R_CTX, ptRegs[a.reg]);
  if (a.k === 'mem') {
    if (a.off) g.e.alu('add', R_ACC, { k: a.off });
    const m = g.mark();
    const l = g.allocStack(8);
    g.storeImm(8, l, 0);
    probeRead(g, l, a.size, true, false);
    g.load(8, R_ACC, l);
    g.release(m);
  }
  g.e.extend(R_ACC, a.size * 8, a.signed);
}
