// The pure half of the editor's verifier (ide/asm-verify.ts), without a
// server: input from directives and settings, diagnostic ranges and related
// locations, state splitting and hover text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../server/src/asm';
import { asmVerifierInput, insnRange, stateEntries, stateHover, verifyAsm } from '../../server/src/ide/asm-verify';

test('program type: .section wins over the setting; a bad setting falls back with a warning', () => {
  const withSec = assemble('.section xdp\n.map m, array, key=4, value=4\n  r0 = 2\n  exit\n');
  const a = asmVerifierInput(withSec, { programType: 'kprobe' });
  assert.equal(a.input?.progType, 'xdp');
  assert.deepEqual(a.input?.maps?.map((m) => [m.name, m.keySize, m.valueSize]), [['m', 4, 4]]);
  const noSec = assemble('  r0 = 0\n  exit\n');
  assert.equal(asmVerifierInput(noSec, { programType: 'cgroup/sendmsg6' }).input?.expectedAttachType, 'cgroup_udp6_sendmsg');
  const bad = asmVerifierInput(noSec, { programType: 'nonsense' });
  assert.equal(bad.input?.progType, 'socket_filter');
  assert.match(bad.problems[0]?.message ?? '', /'nonsense' is not a program type/);
  assert.equal(asmVerifierInput(assemble('  frob\n'), { programType: 'xdp' }).input, undefined, 'no input when the assembler has errors');
});

test('the diagnostic sits on the failing instruction without its comment; branches are related', () => {
  const text = [
    '  r2 = *(u32 *)(r1 + 0)',
    '  if r2 > 7 goto bad   ; the taken side reads r3',
    '  r0 = 0',
    '  exit',
    'bad:',
    '  r0 = r3   ; never written',
    '  exit',
  ].join('\n');
  const v = verifyAsm(text, { programType: 'socket_filter' });
  assert.equal(v.verdict, 'reject');
  const [d] = v.diagnostics;
  assert.equal(text.slice(d.range.start, d.range.end), 'r0 = r3');
  assert.match(d.message, /^R3 !read_ok\n/);
  assert.equal(d.related.length, 1);
  assert.equal(text.slice(d.related[0].range.start, d.related[0].range.end), 'if r2 > 7 goto bad');
  assert.match(d.related[0].message, /taken/);
  assert.match(stateHover(v, 0) ?? '', /^R2 +scalar\(/m);
  assert.match(stateHover(v, 6) ?? '', /not reached before the verifier stopped/);
  const asm = assemble(text);
  assert.equal(text.slice(insnRange(asm, text, 0).start, insnRange(asm, text, 0).end), 'r2 = *(u32 *)(r1 + 0)');
});

test('state strings split at top-level spaces only', () => {
  assert.deepEqual(stateEntries('R1=ctx() R2=scalar(umax=7,var_off=(0x0; 0x7)) R10=fp0 fp-8=mmmmmmmm'), [
    ['R1', 'ctx()'], ['R2', 'scalar(umax=7,var_off=(0x0; 0x7))'], ['R10', 'fp0'], ['fp-8', 'mmmmmmmm'],
  ]);
});
