/**
 * Runs the bpf_conformance suite (../shared/conformance/tests, 313 files) on the
 * interpreter and checks the parser on hand-written cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConformance, runConformance } from '../../server/src/vm/conformance';
import { runInterp } from '../../server/src/vm';

const DIR = join(__dirname, '../../../shared/conformance/tests');

test('conformance suite on the interpreter: at least 312 of 313 pass', (t) => {
  if (!existsSync(DIR)) {
    console.log(`SKIP: conformance tests not found at ${DIR}`);
    t.skip(`conformance tests not found at ${DIR}`);
    return;
  }
  const files = readdirSync(DIR).filter((n) => n.endsWith('.data')).sort();
  let passed = 0, failed = 0, skipped = 0;
  const failures: string[] = [];
  for (const n of files) {
    const c = parseConformance(n, readFileSync(join(DIR, n), 'utf8'));
    const o = runConformance(c, runInterp);
    if (o.status === 'pass') passed++;
    else if (o.status === 'skip') { skipped++; console.log(`SKIP: ${n}: ${o.message}`); }
    else { failed++; failures.push(`${n}: ${o.message}`); }
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  for (const f of failures) console.log(`FAIL ${f}`);
  assert.equal(files.length, 313);
  assert.ok(passed >= 312, `only ${passed} passed:\n${failures.join('\n')}`);
});

test('parser: sections, comments, raw priority, mem, negative result', () => {
  const c = parseConformance('x.data', [
    '# header comment', '-- asm', 'mov %r0, 1 # one', 'exit', '-- raw', '0x00000007000000b7', '0x0000000000000095',
    '-- mem', '01 02 ff', '-- result', '0x7', '-- no register offset', 'whatever',
  ].join('\n'));
  assert.deepEqual(c.sections, ['asm', 'raw', 'mem', 'result', 'no register offset']);
  assert.deepEqual(c.raw, [0x00000007000000b7n, 0x95n]);
  assert.deepEqual([...c.mem], [1, 2, 255]);
  assert.equal(c.expected, 7n);
  assert.equal(runConformance(c, runInterp).status, 'pass', 'raw words (r0 = 7) win over asm (r0 = 1)');
  const neg = parseConformance('n.data', '-- asm\nmov %r0, -1\nexit\n-- result\n-1\n');
  assert.equal(neg.expected, 0xffffffffffffffffn);
  assert.equal(runConformance(neg, runInterp).status, 'pass');
});

test('runner: wrong result fails, missing result skips, -- error expects failure', () => {
  const wrong = runConformance(parseConformance('w', '-- asm\nmov %r0, 2\nexit\n-- result\n0x3\n'), runInterp);
  assert.equal(wrong.status, 'fail');
  assert.match(wrong.message ?? '', /r0 = 0x2, expected 0x3/);
  assert.equal(runConformance(parseConformance('s', '-- asm\nexit\n'), runInterp).status, 'skip');
  const err = runConformance(parseConformance('e', '-- asm\nldxdw %r0, [%r1+0]\nexit\n-- error\nout of bounds\n'), runInterp);
  assert.equal(err.status, 'pass', err.message);
  const noErr = runConformance(parseConformance('e2', '-- asm\nmov %r0, 0\nexit\n-- error\nsomething\n'), runInterp);
  assert.equal(noErr.status, 'fail');
  const badMem = runConformance(parseConformance('b', '-- asm\nexit\n-- mem\nzz\n-- result\n0\n'), runInterp);
  assert.equal(badMem.status, 'fail');
});
