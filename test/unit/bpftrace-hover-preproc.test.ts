// Hover on `struct NAME` when the script defines NAME under `#ifndef
// BPFTRACE_HAVE_BTF` (upstream tools do, e.g. dcsnoop.bt): bpftrace defines
// that macro when the kernel has BTF, so the kernel's type is used and the
// hover says so and shows the kernel's layout; without kernel BTF the
// script's definition is the one in force.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeBpftrace } from '../../server/src/ide/bpftrace-check';
import { bpftraceHover } from '../../server/src/ide/bpftrace-hover';
import { kernel618 } from './bpftrace-codegen-support';

const TEXT = `#ifndef BPFTRACE_HAVE_BTF
struct qstr { unsigned int hash; unsigned int len; const unsigned char *name; };
#endif
struct mine { int a; };
kprobe:d_lookup { $q = (struct qstr *)arg1; $m = (struct mine *)arg0; printf("%s\\n", str($q->name)); }
`;

test('struct under an inactive #ifndef BPFTRACE_HAVE_BTF: hover names the kernel BTF type and shows its layout', (t) => {
  const kernel = kernel618();
  if (!kernel) {
    console.log('SKIP: ../shared/kernel/6.18 data not present');
    t.skip('kernel data not present');
    return;
  }
  const doc = analyzeBpftrace(TEXT, { asmSyntax: 'auto', bpftraceTarget: '0.17', kernel });
  const at = TEXT.indexOf('struct qstr *') + 8;
  const h = bpftraceHover(doc, TEXT, at)?.markdown ?? '';
  assert.match(h, /^\*\*struct qstr\*\* \(kernel BTF; the script's definition is in an inactive preprocessor branch\)/);
  assert.doesNotMatch(h, /unsigned int hash; unsigned int len;/, 'not the script text');
  assert.match(h, /hash_len|union/, 'the kernel layout (6.18 qstr has a hash/len union)');
  // A definition outside any #if branch is still the script's own.
  const m = bpftraceHover(doc, TEXT, TEXT.indexOf('struct mine *') + 8)?.markdown ?? '';
  assert.match(m, /^\*\*struct mine\*\* \(defined in the script\)/);
});

test('without kernel BTF the #ifndef BPFTRACE_HAVE_BTF definition is the one in force', () => {
  const doc = analyzeBpftrace(TEXT, { asmSyntax: 'auto', bpftraceTarget: '0.17' });
  const h = bpftraceHover(doc, TEXT, TEXT.indexOf('struct qstr *') + 8)?.markdown ?? '';
  assert.match(h, /^\*\*struct qstr\*\* \(defined in the script\)/);
  assert.match(h, /unsigned int hash; unsigned int len;/);
});
