// The embedded verifier in the language server, over stdio JSON-RPC
// (dist/server.js): a rejected program gets a verifier diagnostic with the
// kernel message, an explanation and the failing path's branch as related
// information; the fix clears it; hovers show the abstract state; a long
// verification (100k instructions) runs off the request path, so a hover is
// answered while it runs, and a newer edit cancels it. Ordering is asserted
// through bpfstudio/verifierStatus notifications, never through timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distFile } from './dist';
import { Diag, LspTestClient, positionOf } from './client';

interface Status { uri: string; version: number; state: string; verdict?: string; processed?: number }
interface Related { location: { uri: string; range: { start: { line: number } } }; message: string }
interface HoverReply { contents: { kind: string; value: string } }

/** A client that records verifier status notifications and lets a test wait for one. */
class VerifierClient extends LspTestClient {
  readonly statuses: Status[] = [];
  private statusWaiters: Array<() => void> = [];
  constructor(settings: (uri: string | undefined) => unknown = () => ({}), args = [distFile('server.js'), '--stdio']) {
    super(process.execPath, args, settings);
    this.conn.onNotification('bpfstudio/verifierStatus', (s: Status) => {
      this.statuses.push(s);
      for (const w of this.statusWaiters) w();
    });
  }
  status(pred: (s: Status) => boolean, timeoutMs = 60_000): Promise<Status> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.statuses.find(pred);
        if (!hit) return false;
        this.statusWaiters = this.statusWaiters.filter((w) => w !== check);
        clearTimeout(timer);
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => reject(new Error(`no matching verifier status within ${timeoutMs} ms; got ${JSON.stringify(this.statuses)}; stderr: ${this.stderr}`)), timeoutMs);
      if (!check()) this.statusWaiters.push(check);
    });
  }
  /** The last diagnostics published for uri at version (after the status said so, this is final). */
  lastDiagnostics(uri: string, version: number): Promise<Diag[]> {
    // diagnostics() resolves with the first match; the verifier's publish is the last one, so collect them all.
    return this.diagnostics(uri, (p) => p.version === version).then(() => {
      const all = (this as unknown as { published: { uri: string; version?: number; diagnostics: Diag[] }[] }).published;
      const mine = all.filter((p) => p.uri === uri && p.version === version);
      return mine[mine.length - 1].diagnostics;
    });
  }
}

// The map value is dereferenced without a NULL check, but only when skb->len > 100.
const REJECTED = [
  '; count packets per length class',
  '.section socket',
  '.map counts, hash, key=4, value=8, max_entries=16',
  '  r6 = *(u32 *)(r1 + 0)',
  '  r1 = 0',
  '  *(u32 *)(r10 - 4) = r1',
  '  r2 = r10',
  '  r2 += -4',
  '  r1 = map[counts]',
  '  call bpf_map_lookup_elem',
  '  if r6 > 100 goto big',
  '  r0 = 0',
  '  exit',
  'big:',
  '  r1 = *(u64 *)(r0 + 0)',
  '  r0 = 0',
  '  exit',
  '',
].join('\n');

const FIXED = REJECTED.replace('big:\n', 'big:\n  if r0 == 0 goto out\n').replace(/ {2}r0 = 0\n {2}exit\n$/, 'out:\n  r0 = 0\n  exit\n');

test('verifier diagnostics appear for a rejected program, carry the path, and clear after the fix; hovers show state', async () => {
  const uri = 'file:///tmp/bpfstudio-test/verifier-nonull.bpf.s';
  const client = new VerifierClient();
  try {
    await client.initialize();
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'bpf-asm', version: 1, text: REJECTED } });
    const st = await client.status((s) => s.uri === uri && s.version === 1 && (s.state === 'done' || s.state === 'skipped' || s.state === 'cancelled'));
    assert.equal(st.state, 'done', JSON.stringify(client.statuses));
    assert.equal(st.verdict, 'reject');
    const diags = (await client.lastDiagnostics(uri, 1)).filter((d) => d.source === 'verifier');
    assert.equal(diags.length, 1, JSON.stringify(diags));
    const d = diags[0] as Diag & { relatedInformation?: Related[] };
    assert.equal(d.severity, 1);
    assert.equal(d.range.start.line, positionOf(REJECTED, 'r1 = *(u64 *)(r0 + 0)').line, 'on the dereference');
    assert.match(d.message, /^R0 invalid mem access 'map_value_or_null'/, 'the kernel message first');
    assert.ok(d.message.split('\n').length >= 2, `a plain explanation follows: ${d.message}`);
    const branch = positionOf(REJECTED, 'if r6 > 100').line;
    const rel = d.relatedInformation ?? [];
    assert.ok(rel.some((r) => r.location.uri === uri && r.location.range.start.line === branch && /taken/.test(r.message)),
      `the branch decision is a related location: ${JSON.stringify(rel)}`);

    // Hover on an instruction: its documentation and the verifier state after it.
    const h = await client.conn.sendRequest<HoverReply | null>('textDocument/hover', { textDocument: { uri }, position: positionOf(REJECTED, 'r2 += -4') });
    assert.ok(h, 'hover');
    assert.match(h.contents.value, /Verifier state\*\* after slot 4 \(socket_filter\)/);
    assert.match(h.contents.value, /^R2 +fp-4$/m, `r2 = r10; r2 += -4 made R2 a stack pointer: ${h.contents.value}`);
    assert.match(h.contents.value, /^fp-8 +0000\?\?\?\?$/m, 'the stack slot with the 4-byte key');
    assert.match(h.contents.value, /^R6 +scalar\(/m, 'skb->len is a scalar');
    assert.match(h.contents.value, /^R10 +fp0$/m);

    // Hover on a declared map's name where it is used.
    const at = positionOf(REJECTED, 'counts]');
    const mh = await client.conn.sendRequest<HoverReply | null>('textDocument/hover', { textDocument: { uri }, position: { line: at.line, character: at.character + 2 } });
    assert.match(mh?.contents.value ?? '', /^map \*\*counts\*\* — hash .*key 4 B · value 8 B · max_entries 16/);
    assert.match(mh?.contents.value ?? '', /declared on line 3/);

    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: FIXED }] });
    const st2 = await client.status((s) => s.uri === uri && s.version === 2 && s.state !== 'running');
    assert.equal(st2.state, 'done');
    assert.equal(st2.verdict, 'accept');
    assert.deepEqual(await client.lastDiagnostics(uri, 2), [], 'the fix clears the verifier diagnostic');
  } finally {
    await client.shutdown();
  }
});

test('the same through dist/cli.js lsp --stdio (its worker threads run the server bundle)', async () => {
  const uri = 'file:///tmp/bpfstudio-test/verifier-cli.bpf.s';
  const client = new VerifierClient(() => ({}), [distFile('cli.js'), 'lsp', '--stdio']);
  try {
    await client.initialize();
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'bpf-asm', version: 1, text: REJECTED } });
    const st = await client.status((s) => s.uri === uri && s.version === 1 && s.state !== 'running');
    assert.equal(st.verdict, 'reject', JSON.stringify(client.statuses));
    const diags = await client.lastDiagnostics(uri, 1);
    assert.ok(diags.some((d) => d.source === 'verifier' && /map_value_or_null/.test(d.message)), JSON.stringify(diags));
  } finally {
    await client.shutdown();
  }
});

test('program type from the setting when the file has no .section; bad setting is a warning', async () => {
  const uri = 'file:///tmp/bpfstudio-test/verifier-xdp.bpf.s';
  // Returning 2 (XDP_PASS) is fine for xdp; the read of xdp_md->data_end is xdp-only.
  const text = '  r2 = *(u32 *)(r1 + 4)\n  r0 = 2\n  exit\n';
  let programType = 'xdp';
  let enabled = true;
  const client = new VerifierClient(() => ({ verifier: { programType, enabled } }));
  try {
    await client.initialize();
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'bpf-asm', version: 1, text } });
    await client.status((s) => s.uri === uri && s.version === 1 && s.state === 'done');
    const h = await client.conn.sendRequest<HoverReply | null>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'r2 = *') });
    assert.match(h?.contents.value ?? '', /\(xdp\)/);
    assert.match(h?.contents.value ?? '', /^R2 +pkt_end\(/m);

    enabled = false;
    let seen = client.statuses.length;
    await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await client.status((s) => s.uri === uri && s.state === 'skipped' && client.statuses.indexOf(s) >= seen);
    assert.ok(!client.statuses.slice(seen).some((s) => s.state === 'running'), 'bpfstudio.verifier.enabled=false: nothing runs');

    enabled = true;
    programType = 'frobnicate';
    seen = client.statuses.length;
    await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await client.status((s) => s.uri === uri && s.state === 'done' && client.statuses.indexOf(s) >= seen);
    const diags = await client.lastDiagnostics(uri, 1);
    assert.ok(diags.some((d) => d.severity === 2 && d.source === 'verifier' && /frobnicate/.test(d.message)), JSON.stringify(diags));
  } finally {
    await client.shutdown();
  }
});

test('a long verification runs off the request path: hover answers meanwhile, a newer edit cancels it', async () => {
  const uri = 'file:///tmp/bpfstudio-test/verifier-long.bpf.s';
  // 100k instructions inside a loop the verifier walks 20 times: past the 1M-instruction limit if it ran to the end.
  const body = Array.from({ length: 100_000 }, () => '  r0 += 1');
  const long = ['  r0 = 0', '  r1 = 0', 'loop:', ...body, '  r1 += 1', '  if r1 >= 20 goto done', '  gotol loop', 'done:', '  exit', ''].join('\n');
  const small = '  r0 = 0\n  exit\n';
  const client = new VerifierClient();
  try {
    await client.initialize();
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'bpf-asm', version: 1, text: long } });
    await client.status((s) => s.uri === uri && s.version === 1 && s.state === 'running');
    const h = await client.conn.sendRequest<HoverReply | null>('textDocument/hover', { textDocument: { uri }, position: { line: 5, character: 6 } });
    assert.ok(h && /add/i.test(h.contents.value), `the hover is answered: ${JSON.stringify(h)}`);
    const endedV1 = client.statuses.filter((s) => s.uri === uri && s.version === 1 && s.state !== 'running');
    assert.deepEqual(endedV1, [], 'the hover came back while version 1 was still being verified');

    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: small }] });
    const cancelled = await client.status((s) => s.uri === uri && s.version === 1 && s.state !== 'running');
    assert.equal(cancelled.state, 'cancelled', 'the newer edit cancelled version 1');
    const done = await client.status((s) => s.uri === uri && s.version === 2 && s.state !== 'running');
    assert.equal(done.state, 'done');
    assert.equal(done.verdict, 'accept');
    assert.ok(client.statuses.indexOf(cancelled) < client.statuses.indexOf(done), 'cancelled before the new result');
    assert.ok(!client.statuses.some((s) => s.version === 1 && s.state === 'done'), 'version 1 never completes');
    assert.deepEqual(await client.lastDiagnostics(uri, 2), []);
  } finally {
    await client.shutdown();
  }
});
