// The language server over stdio through a real LSP client (vscode-jsonrpc):
// assembler diagnostics on open, cleared after a fix, hovers from the opcode
// table, the custom run request, and the same through `bpfstudio lsp --stdio`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { specFor } from '../../server/src/isa';
import { distFile } from './dist';
import { LspTestClient, positionOf } from './client';

const URI = 'file:///tmp/bpfstudio-test/two-errors.bpf.s';

// Two mistakes: an unknown instruction and a register that does not exist.
const BROKEN = [
  '# test document with two errors',
  '    r0 = 1',
  '    frobnicate r0',
  '    r11 = 2',
  '    exit',
  '',
].join('\n');

const FIXED = [
  '# the same document, fixed',
  '    r0 = 1',
  '    r0 += 2',
  '    r1 = 2',
  '    exit',
  '',
].join('\n');

function covers(d: { range: { start: { line: number; character: number }; end: { line: number; character: number } } }, at: { line: number; character: number }): boolean {
  const s = d.range.start;
  const e = d.range.end;
  const afterStart = s.line < at.line || (s.line === at.line && s.character <= at.character);
  const beforeEnd = e.line > at.line || (e.line === at.line && e.character > at.character);
  return afterStart && beforeEnd;
}

async function exercise(client: LspTestClient): Promise<void> {
  const init = await client.initialize();
  assert.ok(init.capabilities.hoverProvider, 'server announces hovers');

  await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'bpf-asm', version: 1, text: BROKEN } });
  const first = await client.diagnostics(URI, (p) => p.version === 1);
  const errors = first.diagnostics.filter((d) => d.severity === 1);
  assert.equal(errors.length, 2, `two errors expected, got ${JSON.stringify(first.diagnostics)}`);
  const frob = positionOf(BROKEN, 'frobnicate');
  const r11 = positionOf(BROKEN, 'r11');
  const onFrob = errors.find((d) => covers(d, frob));
  const onR11 = errors.find((d) => covers(d, r11));
  assert.ok(onFrob, `an error covers "frobnicate" at ${JSON.stringify(frob)}: ${JSON.stringify(errors)}`);
  assert.ok(onR11, `an error covers "r11" at ${JSON.stringify(r11)}: ${JSON.stringify(errors)}`);
  assert.notEqual(onFrob, onR11);
  assert.match(onFrob.message, /frobnicate/);
  assert.match(onR11.message, /r11/);
  for (const d of errors) assert.equal(d.source, 'bpf-asm');

  await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri: URI, version: 2 }, contentChanges: [{ text: FIXED }] });
  const second = await client.diagnostics(URI, (p) => p.version === 2);
  assert.deepEqual(second.diagnostics, [], 'diagnostics cleared after the fix');

  const hover = await client.conn.sendRequest<{ contents: { kind: string; value: string } } | null>('textDocument/hover', {
    textDocument: { uri: URI }, position: positionOf(FIXED, 'exit'),
  });
  assert.ok(hover, 'hover on exit');
  assert.equal(hover.contents.kind, 'markdown');
  assert.ok(hover.contents.value.includes(specFor('exit')!.doc), `hover shows the opcode table's doc: ${hover.contents.value}`);
  assert.ok(hover.contents.value.includes('95 00 00 00 00 00 00 00'), `hover shows the encoding: ${hover.contents.value}`);

  const addPos = positionOf(FIXED, '+=');
  const addHover = await client.conn.sendRequest<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri: URI }, position: addPos });
  assert.ok(addHover?.contents.value.includes(specFor('add', false)!.doc), `hover on += shows add: ${addHover?.contents.value}`);

  const run = await client.conn.sendRequest<{ errors: string[]; r0?: string; steps: number }>('bpfstudio/run', { uri: URI });
  assert.deepEqual(run.errors, []);
  assert.equal(run.r0, '0x3 (3)');
  assert.equal(run.steps, 4);

  const bt = 'file:///tmp/bpfstudio-test/x.bt';
  await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: bt, languageId: 'bpftrace', version: 1, text: 'BEGIN { printf("hi\\n"); exit(); }\n' } });
  const btDiags = await client.diagnostics(bt, (p) => p.version === 1);
  assert.deepEqual(btDiags.diagnostics, [], 'bpftrace files get no diagnostics yet');

  await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri: URI } });
  await client.diagnostics(URI, (p) => p.version === undefined && p.diagnostics.length === 0);
}

const SETTINGS = (): unknown => ({ asm: { syntax: 'auto' }, vm: { budget: 1000 } });

test('language server (dist/server.js --stdio): diagnostics, fix, hover, run', async () => {
  const client = new LspTestClient(process.execPath, [distFile('server.js'), '--stdio'], SETTINGS);
  try {
    await exercise(client);
  } finally {
    await client.shutdown();
  }
});

test('language server through the CLI (dist/cli.js lsp --stdio)', async (t) => {
  const cli = distFile('cli.js');
  const help = spawnSync(process.execPath, [cli, 'lsp', '--help'], { encoding: 'utf8', timeout: 10_000 });
  if (help.status !== 0 || !/language server/i.test(help.stdout)) {
    const why = 'dist/cli.js has no `lsp` command yet';
    console.log(`SKIP: ${why}`);
    t.skip(why);
    return;
  }
  const client = new LspTestClient(process.execPath, [cli, 'lsp', '--stdio'], SETTINGS);
  try {
    await exercise(client);
  } finally {
    await client.shutdown();
  }
});

test('language server: per-document settings (bpfstudio.asm.syntax) and configuration changes', async () => {
  const conf = 'file:///tmp/bpfstudio-test/conformance.bpf.s';
  const llvm = 'file:///tmp/bpfstudio-test/llvm.bpf.s';
  // The conformance document is forced to the LLVM syntax, where `mov %r0, 1` is an error.
  let forced = 'llvm';
  const client = new LspTestClient(process.execPath, [distFile('server.js'), '--stdio'],
    (uri) => ({ asm: { syntax: uri === conf ? forced : 'auto' } }));
  try {
    await client.initialize();
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: conf, languageId: 'bpf-asm', version: 1, text: '    mov %r0, 1\n    exit\n' } });
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: llvm, languageId: 'bpf-asm', version: 1, text: '    r0 = 1\n    exit\n' } });
    const forcedDiags = await client.diagnostics(conf, (p) => p.version === 1);
    assert.ok(forcedDiags.diagnostics.some((d) => d.severity === 1 && d.range.start.line === 0), JSON.stringify(forcedDiags));
    assert.deepEqual((await client.diagnostics(llvm, (p) => p.version === 1)).diagnostics, []);

    // The setting changes: cached settings are dropped and open documents re-validated.
    forced = 'auto';
    await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await client.diagnostics(conf, (p) => p.version === 1 && p.diagnostics.length === 0);
  } finally {
    await client.shutdown();
  }
});
