// bpftrace lexer: every operator, sigils, literals with values, strings with
// escapes, comments and preprocessor lines, and ranges that tile the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize } from '../../server/src/bpftrace/lexer';
import { LineIndex } from '../../server/src/bpftrace/source';

const kinds = (src: string): string[] => tokenize(src).tokens.filter((t) => t.kind !== 'eof').map((t) => `${t.kind}:${t.text}`);

test('operators: longest match for every bpftrace operator', () => {
  const ops = [
    '<<=', '>>=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '==', '!=', '<=', '>=', '<<', '>>', '&&', '||',
    '++', '--', '->', '..', '::', '?:', '+', '-', '*', '/', '%', '&', '|', '^', '!', '~', '<', '>', '=', '?', ':',
    '.', ',', ';', '(', ')', '{', '}', '[', ']',
  ];
  const r = tokenize(ops.join(' '));
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.tokens.slice(0, -1).map((t) => t.text), ops);
  assert.ok(r.tokens.slice(0, -1).every((t) => t.kind === 'punct'));
});

test('sigils, parameters, words', () => {
  assert.deepEqual(kinds('$x @m @ $1 $# $12 if foo pid arg3 __builtin_comm'), [
    'var:$x', 'map:@m', 'map:@', 'param:$1', 'paramcount:$#', 'param:$12', 'keyword:if', 'ident:foo', 'builtin:pid',
    'builtin:arg3', 'builtin:__builtin_comm',
  ]);
});

test('integer literals keep text, suffix and value', () => {
  const r = tokenize('1_000 0x1F 0755 1e6 5ms 10ull 3d 0b11');
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.tokens.slice(0, -1).map((t) => [t.text, t.suffix ?? '', t.value]), [
    ['1_000', '', 1000n], ['0x1F', '', 31n], ['0755', '', 493n], ['1e6', '', 1000000n], ['5ms', 'ms', 5000000n],
    ['10ull', 'ull', 10n], ['3d', 'd', 259200000000000n], ['0b11', '', 3n],
  ]);
  // A range is integers, `..`, integers.
  assert.deepEqual(kinds('0..10'), ['int:0', 'punct:..', 'int:10']);
  assert.equal(tokenize('4294967296u').diagnostics[0].message, 'overflow error, maximum value is 4294967295: 4294967296u');
});

test('strings decode escapes', () => {
  const r = tokenize(String.raw`"a\tb\n\\ \" \x41\x4a \101\7"`);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.tokens[0].str, 'a\tb\n\\ " AJ A\x07');
});

test('comments, shebang and preprocessor lines', () => {
  const src = '#!/usr/bin/env bpftrace\n#include <a.h>\n#define X \\\n  1\n// c1\n/* c2\n */ begin';
  const r = tokenize(src);
  assert.deepEqual(r.tokens.map((t) => t.kind), ['preproc', 'preproc', 'ident', 'eof']);
  assert.equal(r.tokens[1].text, '#define X \\\n  1');
  assert.deepEqual(r.comments.map((c) => src.slice(c.start, c.end)), ['#!/usr/bin/env bpftrace', '// c1', '/* c2\n */']);
  assert.equal(tokenize('a /* open').diagnostics[0].message, 'end of file during comment');
});

test('ranges are exact and increasing; never throws on any byte', () => {
  let text = '';
  for (let i = 0; i < 2000; i++) text += String.fromCharCode((i * 7919) % 128);
  const r = tokenize(text);
  let last = 0;
  for (const t of r.tokens) {
    assert.ok(t.start >= last && t.end >= t.start);
    if (t.kind !== 'eof' && t.kind !== 'string' && t.kind !== 'preproc') assert.equal(text.slice(t.start, t.end), t.text);
    last = t.end;
  }
  const li = new LineIndex('ab\ncd\n');
  assert.deepEqual(li.position(4), { line: 1, col: 1 });
  assert.equal(li.offset(1, 1), 4);
  assert.equal(li.format({ start: 3, end: 5 }), '2:1-3');
});
