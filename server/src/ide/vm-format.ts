/**
 * How VM values read in the editor, the debugger and the CLI: registers as
 * hex and signed decimal, faults with their pc, address, size and region,
 * output records as lines. Pure formatting; nothing here runs the VM.
 */
import type { VmFault, VmOutput } from '../vm';

/** `0x2a (42)`; the decimal is the signed reading of the 64 bits. */
export function formatReg(v: bigint): string {
  const u = BigInt.asUintN(64, v);
  return `0x${u.toString(16)} (${BigInt.asIntN(64, u).toString()})`;
}

/** The fault's message followed by whatever location facts it does not already state. */
export function formatFault(f: VmFault): string {
  const facts: string[] = [`pc ${f.pc}`];
  if (f.addr !== undefined) facts.push(`address 0x${BigInt.asUintN(64, f.addr).toString(16)}`);
  if (f.size !== undefined) facts.push(`size ${f.size}`);
  if (f.region !== undefined) facts.push(`region ${f.region}`);
  return `${f.kind} fault: ${f.message} [${facts.join(', ')}]`;
}

/** Bytes as `00 1f ff`. */
export function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** One VM output record (trace_printk line, perf/ringbuf record) as a line of text. */
export function formatOutput(o: VmOutput): string {
  switch (o.kind) {
    case 'printk': return o.text.replace(/\n$/, '');
    case 'perf': return `[perf ${o.map} cpu ${o.cpu}] ${hexBytes(o.data)}`;
    case 'ringbuf': return `[ringbuf ${o.map}] ${hexBytes(o.data)}`;
  }
}

/** Parses input memory given as hex bytes (`"00 01 ff"`, `"0001ff"`, `"0x00,0x01"`). */
export function parseHexBytes(s: string): { bytes: Uint8Array } | { error: string } {
  const clean = s.replace(/0x/gi, '').replace(/[\s,]+/g, '');
  if (!/^[0-9a-fA-F]*$/.test(clean)) return { error: `mem: not hex bytes: ${JSON.stringify(s)}` };
  if (clean.length % 2 !== 0) return { error: `mem: odd number of hex digits (${clean.length})` };
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return { bytes };
}
