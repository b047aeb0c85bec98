// Preprocessor branches around the script's C definitions: bpftrace defines
// BPFTRACE_HAVE_BTF when the kernel has BTF, so upstream tools' fallback
// structs under `#ifndef BPFTRACE_HAVE_BTF` give way to the kernel's types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../../server/src/bpftrace/parser';
import { activeItems } from '../../server/src/bpftrace/typecheck';
import { checkScript } from '../../server/src/bpftrace/check';
import type { CDefinition } from '../../server/src/bpftrace/ast';
import { kernelOrSkip } from '../fixtures/bpftrace/types/kernel';

function activeNames(src: string, defined: string[]): string[] {
  const items = parse(src).program.items;
  return [...activeItems(items, new Set(defined))].filter((i): i is CDefinition => i.kind === 'CDefinition').map((i) => i.name);
}

const BRANCHES = `#ifndef BPFTRACE_HAVE_BTF
struct a { int x; };
#else
struct b { int x; };
#endif
#ifdef OTHER
struct c { int x; };
#endif
#if defined(BPFTRACE_HAVE_BTF)
struct d { int x; };
#endif
#if !defined(BPFTRACE_HAVE_BTF)
struct e { int x; };
#endif
struct f { int x; };
BEGIN { }
`;

test('activeItems: #ifdef/#ifndef/#if defined/#else/#endif', () => {
  assert.deepEqual(activeNames(BRANCHES, ['BPFTRACE_HAVE_BTF']), ['b', 'd', 'f']);
  assert.deepEqual(activeNames(BRANCHES, []), ['a', 'e', 'f']);
  assert.deepEqual(activeNames(BRANCHES, ['OTHER']), ['a', 'c', 'e', 'f']);
});

const DCSNOOP_LIKE = `#ifndef BPFTRACE_HAVE_BTF
#include <linux/fs.h>
struct nameidata {
        struct path     path;
        struct qstr     last;
};
#endif
kprobe:lookup_fast
{
  $nd = (struct nameidata *)arg0;
  printf("%s\\n", str($nd->last.name));
}
`;

test('with kernel BTF, a fallback struct under #ifndef BPFTRACE_HAVE_BTF gives way to the kernel struct', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const withBtf = checkScript(DCSNOOP_LIKE, '0.17', kernel);
  assert.deepEqual(withBtf.diagnostics.map((d) => d.message), []);
  const last = [...(withBtf.types?.exprs ?? [])].find(([e]) => DCSNOOP_LIKE.slice(e.range.start, e.range.end) === '$nd->last');
  assert.ok(last, 'typed $nd->last');
  assert.equal(last[1].k === 'cstruct' ? last[1].name : last[1].k, 'struct qstr');
});
