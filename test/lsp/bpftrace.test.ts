// bpftrace through the language server over stdio (dist/server.js): diagnostics
// with a "did you mean" hint on a typo'd tracepoint field, completion of
// tracepoint events and args fields, hovers on builtins and tracepoints, and the
// bpfstudio.bpftrace.targetVersion setting. The kernel data is whatever the
// server finds (running kernel's tracefs, else the bundled 6.18 data);
// sys_enter_openat and its `filename` exist in both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DOCS } from '../../server/src/ide/bpftrace-docs';
import { distFile } from './dist';
import { LspTestClient, positionOf } from './client';

const URI = 'file:///tmp/bpfstudio-test/opens.bt';

const SCRIPT = [
  '#!/usr/bin/env bpftrace',
  'tracepoint:syscalls:sys_enter_openat',
  '{',
  '  @opens[comm] = count();',
  '  printf("%d %s\\n", pid, str(args.filenme));',
  '}',
  '',
].join('\n');

interface Item { label: string; kind?: number; textEdit?: { range: { start: { character: number }; end: { character: number } } } }
interface HoverResult { contents: { kind: string; value: string } }

test('language server: bpftrace diagnostics, completion, hover and the target version setting', async () => {
  let target = '0.26';
  const client = new LspTestClient(process.execPath, [distFile('server.js'), '--stdio'], () => ({ bpftrace: { targetVersion: target } }));
  try {
    const init = await client.initialize();
    assert.ok(init.capabilities.completionProvider, 'server announces completion');

    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'bpftrace', version: 1, text: SCRIPT } });
    const pub = await client.diagnostics(URI, (p) => p.version === 1);
    assert.equal(pub.diagnostics.length, 1, JSON.stringify(pub.diagnostics));
    const d = pub.diagnostics[0];
    assert.equal(d.severity, 1);
    assert.equal(d.source, 'bpftrace');
    assert.match(d.message, /does not contain a field named 'filenme'/);
    assert.match(d.message, /did you mean 'filename'\?/);
    const start = positionOf(SCRIPT, 'args.filenme');
    assert.deepEqual(d.range, { start, end: { line: start.line, character: start.character + 'args.filenme'.length } });

    // Completion of events after `tracepoint:syscalls:`, replacing the partial word.
    const edited = SCRIPT.replace('tracepoint:syscalls:sys_enter_openat', 'tracepoint:syscalls:sys_enter_op');
    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri: URI, version: 2 }, contentChanges: [{ text: edited }] });
    const after = positionOf(edited, 'sys_enter_op');
    const cursor = { line: after.line, character: after.character + 'sys_enter_op'.length };
    const events = await client.conn.sendRequest<Item[]>('textDocument/completion', { textDocument: { uri: URI }, position: cursor });
    const openat = events.find((i) => i.label === 'sys_enter_openat');
    assert.ok(openat, `sys_enter_openat offered: ${events.slice(0, 10).map((i) => i.label).join(', ')}...`);
    assert.ok(events.every((i) => i.label.startsWith('sys_')), 'only syscalls events');
    assert.deepEqual([openat.textEdit?.range.start.character, openat.textEdit?.range.end.character], [after.character, cursor.character]);

    // Back to the script; args fields after `args.`.
    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri: URI, version: 3 }, contentChanges: [{ text: SCRIPT }] });
    const dot = positionOf(SCRIPT, 'filenme');
    const fields = await client.conn.sendRequest<Item[]>('textDocument/completion', { textDocument: { uri: URI }, position: dot });
    assert.ok(fields.some((i) => i.label === 'filename'), JSON.stringify(fields.map((i) => i.label)));
    assert.ok(!fields.some((i) => i.label.startsWith('common_')));

    const hover = await client.conn.sendRequest<HoverResult | null>('textDocument/hover', { textDocument: { uri: URI }, position: positionOf(SCRIPT, 'pid') });
    assert.ok(hover, 'hover on pid');
    assert.equal(hover.contents.kind, 'markdown');
    assert.ok(hover.contents.value.includes(BUILTIN_DOCS.pid), hover.contents.value);
    const tp = await client.conn.sendRequest<HoverResult | null>('textDocument/hover', { textDocument: { uri: URI }, position: positionOf(SCRIPT, 'sys_enter_openat') });
    assert.match(tp?.contents.value ?? '', /\| filename \| `const char \*` \| 24 \| 8 \|/);

    // The setting changes to 0.17: a `let` declaration becomes an error.
    const withLet = 'BEGIN { let $x = 1; printf("%d\\n", $x); }\n';
    const LET = 'file:///tmp/bpfstudio-test/let.bt';
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: LET, languageId: 'bpftrace', version: 1, text: withLet } });
    await client.diagnostics(LET, (p) => p.version === 1 && p.diagnostics.length === 0);
    target = '0.17';
    await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    const old = await client.diagnostics(LET, (p) => p.version === 1 && p.diagnostics.length > 0);
    assert.match(old.diagnostics[0].message, /0\.22 or newer; the target is 0\.17/);
  } finally {
    await client.shutdown();
  }
});
