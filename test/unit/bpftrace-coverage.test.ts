// The committed bpftrace fixtures must together contain every construct of the
// language list (issue 5): each entry below is a predicate over the parsed
// fixtures' nodes, and the test names the constructs no fixture exercises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '../../server/src/bpftrace/parser';
import { tokenize } from '../../server/src/bpftrace/lexer';
import { PROVIDERS } from '../../server/src/bpftrace/attach';
import * as A from '../../server/src/bpftrace/ast';

const DIR = 'test/fixtures/bpftrace';

test('fixtures cover every construct of the language list', () => {
  const texts = readdirSync(DIR).filter((f) => f.endsWith('.bt') && f !== 'errors.bt').map((f) => readFileSync(join(DIR, f), 'utf8'));
  const nodes: A.Node[] = [];
  for (const t of texts) A.walk(parse(t).program, (n) => nodes.push(n));
  const tokens = texts.flatMap((t) => tokenize(t).tokens);
  const comments = texts.flatMap((t) => tokenize(t).comments.map((r) => t.slice(r.start, r.end)));
  const some = <K extends A.Node['kind']>(kind: K, f: (n: Extract<A.Node, { kind: K }>) => boolean = () => true): boolean =>
    nodes.some((n) => n.kind === kind && f(n as Extract<A.Node, { kind: K }>));
  const ap = (f: (a: A.AttachPoint) => boolean): boolean => some('AttachPoint', f);
  const call = (name: string, f: (c: A.Call) => boolean = () => true): boolean => some('Call', (c) => c.name === name && f(c));
  const int = (f: (i: A.Int) => boolean): boolean => some('Int', f);

  const constructs: [string, boolean][] = [];
  for (const p of PROVIDERS) {
    constructs.push([`provider ${p.name}`, ap((a) => a.provider === p.name)]);
    for (const alias of p.aliases) constructs.push([`alias ${alias} of ${p.name}`, ap((a) => a.provider === alias)]);
  }
  constructs.push(
    ['BEGIN (upper case)', ap((a) => a.provider === 'BEGIN')],
    ['END (upper case)', ap((a) => a.provider === 'END')],
    ['wildcard attach point', ap((a) => a.parts.some((x) => x.includes('*')))],
    ['several attach points in a probe', some('Probe', (p) => p.attachPoints.length > 1)],
    ['quoted attach-point part', ap((a) => a.raw.includes('"'))],
    ['uprobe:/bin/bash:readline', ap((a) => a.canonical === 'uprobe' && a.parts[0] === '/bin/bash' && a.parts[1] === 'readline')],
    ['uprobe bin@file:line', ap((a) => a.canonical === 'uprobe' && a.parts.length === 2 && a.parts[0].includes('@') && /^\d+$/.test(a.parts[1]))],
    ['usdt with namespace', ap((a) => a.canonical === 'usdt' && a.parts.length === 3)],
    ['profile:hz:99', ap((a) => a.canonical === 'profile' && a.parts.join(':') === 'hz:99')],
    ['interval:s:1', ap((a) => a.canonical === 'interval' && a.parts.join(':') === 's:1')],
    ['positional parameter in attach point', ap((a) => a.raw.includes('$1'))],
    ['named probe', some('Probe', (p) => p.name !== null)],
    ['predicate', some('Probe', (p) => p.predicate !== null)],
    ['config block', some('Config', (c) => c.entries.length > 0)],
    ['root import', some('Program', (p) => p.items.some((i) => i.kind === 'Import'))],
    ['statement import', some('Block', (b) => b.stmts.some((s) => s.kind === 'Import'))],
    ['macro', some('Macro', (m) => m.params.length > 0)],
    ['macro with $var and @map parameters', some('Macro', (m) => m.params.some((p) => p.kind === 'Var') && m.params.some((p) => p.kind === 'Map'))],
    ['fn with typed parameters and return type', some('Fn', (f) => f.params.length > 0)],
    ['let $x', some('VarDecl', (d) => d.type === null && d.init === null)],
    ['let $x = e', some('VarDecl', (d) => d.type === null && d.init !== null)],
    ['let $x: type = e', some('VarDecl', (d) => d.type !== null && d.init !== null)],
    ['let with typeof', some('VarDecl', (d) => d.type?.kind === 'Typeof')],
  );
  for (const k of ['hash', 'lruhash', 'percpuhash', 'percpulruhash', 'percpuarray']) {
    constructs.push([`map declaration ${k}`, some('MapDecl', (d) => d.mapKind === k)]);
  }
  constructs.push(
    ['if with parentheses', some('If', (i) => i.parens)],
    ['if without parentheses', some('If', (i) => !i.parens)],
    ['else if', some('If', (i) => i.else?.kind === 'If')],
    ['else', some('If', (i) => i.else?.kind === 'Block')],
    ['while', some('While')],
    ['unroll', some('Unroll')],
    ['for over a map', some('For', (f) => f.iterable.kind === 'Map')],
    ['for over a range', some('For', (f) => f.iterable.kind === 'Range')],
    ['break', some('Jump', (j) => j.op === 'break')],
    ['continue', some('Jump', (j) => j.op === 'continue')],
    ['return', some('Jump', (j) => j.op === 'return' && j.value === null)],
    ['return value', some('Jump', (j) => j.op === 'return' && j.value !== null)],
  );
  for (const op of ['=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>=']) {
    constructs.push([`assignment ${op}`, some('Assign', (a) => a.op === op)]);
  }
  constructs.push(
    ['pre ++', some('Unary', (u) => u.op === '++' && !u.postfix)],
    ['pre --', some('Unary', (u) => u.op === '--' && !u.postfix)],
    ['post ++', some('Unary', (u) => u.op === '++' && u.postfix)],
    ['post --', some('Unary', (u) => u.op === '--' && u.postfix)],
    ['_ = e', some('Discard')],
    ['block that yields a value', some('Block', (b) => b.value !== null && b.stmts.length > 0)],
    ['delete(@m[k])', call('delete', (c) => c.args.length === 1 && c.args[0].kind === 'MapAccess')],
    ['delete(@m, k)', call('delete', (c) => c.args.length === 2 && c.args[0].kind === 'Map')],
    ['print', call('print')],
    ['clear', call('clear')],
    ['zero', call('zero')],
    ['ternary', some('Ternary', (t) => t.then !== null)],
    ['a ?: b', some('Ternary', (t) => t.then === null)],
    ['cast to struct pointer', some('Cast', (c) => c.type.kind === 'TypeRef' && c.type.name.startsWith('struct ') && c.type.suffixes[0] === '*')],
    ['cast to integer', some('Cast', (c) => c.type.kind === 'TypeRef' && c.type.name === 'int8' && c.type.suffixes.length === 0)],
    ['array cast', some('Cast', (c) => c.type.kind === 'TypeRef' && typeof c.type.suffixes[0] === 'number')],
    ['tuple', some('Tuple', (t) => t.elems.length > 1)],
    ['tuple .0 access', some('TupleIndex', (t) => t.index === 0)],
    ['record', some('Record')],
    ['field .', some('Field', (f) => !f.arrow)],
    ['field ->', some('Field', (f) => f.arrow)],
    ['indexing', some('Index')],
    ['sizeof(type)', some('Sizeof', (s) => s.arg.kind === 'TypeRef')],
    ['sizeof(expr)', some('Sizeof', (s) => s.arg.kind !== 'TypeRef')],
    ['offsetof(struct x, f.g)', some('Offsetof', (o) => o.arg.kind === 'TypeRef' && o.fields.length > 1)],
    ['typeof', some('Typeof')],
    ['typeinfo', some('Typeinfo')],
    ['comptime', some('Comptime')],
    ['&$x', some('AddrOf', (a) => a.operand.kind === 'Var')],
    ['@m[k1, k2]', some('MapAccess', (m) => m.keys.length > 1)],
    ['call', some('Call')],
    ['$1', some('Param')],
    ['$#', some('ParamCount')],
    ['bool literal', some('Bool')],
  );
  for (const op of ['||', '&&', '|', '^', '&', '==', '!=', '<', '>', '<=', '>=', '<<', '>>', '+', '-', '*', '/', '%']) {
    constructs.push([`binary ${op}`, some('Binary', (b) => b.op === op)]);
  }
  for (const op of ['-', '!', '~', '*']) constructs.push([`unary ${op}`, some('Unary', (u) => u.op === op && !u.postfix)]);
  constructs.push(
    ['integer with _', int((i) => i.text.includes('_'))],
    ['hex integer', int((i) => /^0x/i.test(i.text))],
    ['octal integer', int((i) => /^0[0-7]+$/.test(i.text))],
    ['1e6', int((i) => /e/i.test(i.text))],
  );
  for (const s of ['ns', 'us', 'ms', 's', 'm', 'h', 'd', 'u', 'ul', 'ull', 'l', 'll']) {
    constructs.push([`integer suffix ${s}`, int((i) => i.suffix === s)]);
  }
  for (const esc of ['\\n', '\\t', '\\\\', '\\"', '\\x', '\\1']) {
    constructs.push([`string escape ${esc}`, tokens.some((t) => t.kind === 'string' && t.text.includes(esc))]);
  }
  constructs.push(
    ['// comment', comments.some((c) => c.startsWith('//'))],
    ['/* */ comment', comments.some((c) => c.startsWith('/*'))],
    ['struct definition', some('CDefinition', (c) => c.keyword === 'struct')],
    ['union definition', some('CDefinition', (c) => c.keyword === 'union')],
    ['enum definition', some('CDefinition', (c) => c.keyword === 'enum')],
    ['#include', some('Preproc', (p) => p.text.startsWith('#include'))],
    ['#define', some('Preproc', (p) => p.text.startsWith('#define'))],
  );
  const missing = constructs.filter(([, ok]) => !ok).map(([name]) => name);
  assert.deepEqual(missing, [], `constructs no fixture covers: ${missing.join(', ')}`);
  assert.ok(constructs.length > 150);
});
