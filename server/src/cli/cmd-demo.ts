/** `bpfstudio demo` (what `npm start` runs): assemble, disassemble and run the embedded example on both engines. */
import { assemble } from '../asm';
import { runInterp } from '../vm';
import { runJit } from '../vm/jit';
import { EXIT, Io, parse } from './args';
import { listing } from './cmd-asm';
import { DEMO_NAME, DEMO_PACKET, DEMO_SOURCE } from './demo';

export const DEMO_HELP = `usage: bpfstudio demo [--source]

Assembles the bundled example program (${DEMO_NAME}: parses an Ethernet/IPv4/UDP
packet and returns the UDP destination port), prints its listing, runs it on the
interpreter and on the JIT against a bundled DNS packet and prints r0 from each.
--source prints the example's source instead.`;

export function cmdDemo(argv: string[], io: Io): number {
  const { values } = parse(argv, { source: { type: 'boolean' } });
  if (values.help) { io.out(DEMO_HELP); return EXIT.OK; }
  if (values.source) { io.out(DEMO_SOURCE); return EXIT.OK; }
  io.out(`BPF Studio demo: ${DEMO_NAME}`);
  const a = assemble(DEMO_SOURCE, { syntax: 'llvm' });
  if (a.diagnostics.length) {
    for (const d of a.diagnostics) io.err(`${DEMO_NAME}:${d.range.line + 1}:${d.range.col + 1}: ${d.severity}: ${d.message}`);
    return EXIT.FAILED;
  }
  io.out(`assembled ${a.insns.length} instructions:`);
  for (const l of listing(a.insns, 'llvm')) io.out(l);
  io.out(`input: a ${DEMO_PACKET.length}-byte Ethernet/IPv4/UDP packet to port 53`);
  let ok = true;
  for (const [name, run] of [['interpreter', runInterp], ['JIT', runJit]] as const) {
    const t0 = process.hrtime.bigint();
    const r = run(a.insns, { mem: DEMO_PACKET }, {});
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    if (r.fault) { io.err(`${name}: fault at instruction ${r.fault.pc}: ${r.fault.message}`); ok = false; continue; }
    io.out(`${name}: r0 = ${r.r0} (0x${(r.r0 ?? 0n).toString(16)}) after ${r.steps} instructions, ${us.toFixed(0)} µs`);
    if (r.r0 !== 53n) ok = false;
  }
  io.out(ok ? 'UDP destination port 53 found by both engines.' : 'the engines did not agree on port 53');
  return ok ? EXIT.OK : EXIT.FAILED;
}
