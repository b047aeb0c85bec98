// The bpftrace editor features through the language server over stdio
// JSON-RPC (dist/server.js), with whatever kernel data the server finds
// (running kernel's tracefs + BTF, else the bundled 6.18 data): struct member
// completion after `curtask->` while the text does not parse yet, with its
// latency (first request including the kernel data load, then the median of 20
// edits); the embedded verifier on bpftrace scripts: a loop the kernel rejects
// ("The sequence of 8193 jumps is too complex", as bpftrace 0.17 on Linux 6.18
// reports for this script) gets a verifier diagnostic on the `if` line, a
// construct code generation does not support gets a codegen diagnostic, a valid
// script gets none and its hovers show the verifier's states, an edit cancels a running verification, and
// bpfstudio.verifier.enabled=false turns it off.
// Ordering is asserted through bpfstudio/verifierStatus, never through timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distFile } from './dist';
import { Diag, LspTestClient } from './client';

interface Status { uri: string; version: number; state: string; verdict?: string }
interface Item { label: string; detail?: string }

const DIR = 'file:///tmp/bpfstudio-test/';

/** Records verifier status notifications; the returned function waits for one of uri/version in one of `states`. */
function statusWaiter(client: LspTestClient): (uri: string, version: number, states?: string[]) => Promise<Status> {
  const seen: Status[] = [];
  const waiters: Array<() => void> = [];
  client.conn.onNotification('bpfstudio/verifierStatus', (s: Status) => {
    seen.push(s);
    for (const w of [...waiters]) w();
  });
  return (uri, version, states = ['done', 'skipped']) => new Promise((resolve, reject) => {
    const wanted = (s: Status): boolean => s.uri === uri && s.version === version && states.includes(s.state);
    const timer = setTimeout(() => reject(new Error(`no verifier status ${states.join('/')} for ${uri} v${version}; got ${JSON.stringify(seen)}; stderr: ${client.stderr}`)), 90_000);
    const check = (): void => {
      const hit = seen.find(wanted);
      if (!hit) return;
      clearTimeout(timer);
      waiters.splice(waiters.indexOf(check), 1);
      resolve(hit);
    };
    waiters.push(check);
    check();
  });
}

/** The diagnostics last published for uri at version (final once its verifier status arrived). */
function lastPublished(client: LspTestClient, uri: string, version: number): Diag[] {
  const all = (client as unknown as { published: { uri: string; version?: number; diagnostics: Diag[] }[] }).published;
  const mine = all.filter((p) => p.uri === uri && p.version === version);
  return mine.length ? mine[mine.length - 1].diagnostics : [];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

test('language server: bpftrace member completion (with latency) and verifier diagnostics', async () => {
  const server = distFile('server.js');
  const t0 = performance.now();
  let enabled = true;
  const client = new LspTestClient(process.execPath, [server, '--stdio'], () => ({ bpftrace: { targetVersion: '0.17' }, verifier: { enabled } }));
  const finalStatus = statusWaiter(client);
  try {
    await client.initialize();
    const uri = `${DIR}members.bt`;
    const head = 'kprobe:vfs_read\n{\n  printf("%d\\n", curtask->';
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'bpftrace', version: 1, text: head } });
    const at = { line: 2, character: '  printf("%d\\n", curtask->'.length };
    const tFirst = performance.now();
    const first = await client.conn.sendRequest<Item[]>('textDocument/completion', { textDocument: { uri }, position: at });
    const firstMs = performance.now() - tFirst;
    const startMs = performance.now() - t0;
    const labels = new Set(first.map((i) => i.label));
    for (const f of ['pid', 'tgid', 'comm', 'mm', 'real_parent']) assert.ok(labels.has(f), `${f} offered: ${first.slice(0, 10).map((i) => i.label).join(', ')}`);
    assert.match(first.find((i) => i.label === 'pid')?.detail ?? '', /^pid_t \(\+\d+\)$/);

    const times: number[] = [];
    for (let v = 2; v < 22; v++) {
      const text = `${head}${' '.repeat(v)}`.slice(0, head.length) + `\n${'\n'.repeat(v % 3)}`;
      await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ text }] });
      const t = performance.now();
      const items = await client.conn.sendRequest<Item[]>('textDocument/completion', { textDocument: { uri }, position: at });
      times.push(performance.now() - t);
      assert.ok(items.some((i) => i.label === 'pid'));
    }
    console.log(`curtask-> completion: first request ${firstMs.toFixed(0)} ms (${startMs.toFixed(0)} ms from spawning the server), median of 20 after edits ${median(times).toFixed(1)} ms`);

    // A valid script: accepted, nothing from the verifier (the first bpftrace verification: the thread loads the kernel data).
    const good = `${DIR}good.bt`;
    const tVerify = performance.now();
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: good, languageId: 'bpftrace', version: 1, text: 'kprobe:vfs_read\n{\n  @bytes[comm] = sum(arg2);\n  @start[tid] = nsecs;\n}\nkretprobe:vfs_read /@start[tid]/\n{\n  @lat = hist(nsecs - @start[tid]);\n  delete(@start[tid]);\n}\n' } });
    const ok = await finalStatus(good, 1);
    console.log(`first bpftrace verification (2 probes, kernel data loaded by the thread): ${(performance.now() - tVerify).toFixed(0)} ms from didOpen to the verifier's status`);
    assert.equal(ok.verdict, 'accept', JSON.stringify(ok));
    assert.deepEqual(lastPublished(client, good, 1), []);
    // Once verified, a hover inside a statement adds the verifier's states after its code.
    const hover = await client.conn.sendRequest<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri: good }, position: { line: 3, character: 4 } });
    assert.match(hover?.contents.value ?? '', /\*\*Verifier state\*\* after slot \d+ \(kprobe:vfs_read\b[\s\S]*R10\s+fp0/);

    // A loop whose unknown branch the kernel's verifier gives up on.
    const jumps = 'kprobe:vfs_read {\n  $i = 0; $n = 0;\n  while ($i < 20000) {\n    if (arg2 > $i) { $n++; }\n    $i++;\n  }\n  @n = $n;\n}\n';
    const bad = `${DIR}jumps.bt`;
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: bad, languageId: 'bpftrace', version: 1, text: jumps.replace('20000', '30000') } });
    // An edit while it runs cancels it (the thread is ended); the new version is verified.
    await finalStatus(bad, 1, ['running']);
    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri: bad, version: 2 }, contentChanges: [{ text: jumps }] });
    await finalStatus(bad, 1, ['cancelled']);
    const st = await finalStatus(bad, 2);
    assert.equal(st.verdict, 'reject', JSON.stringify(st));
    const vd = lastPublished(client, bad, 2).filter((d) => d.source === 'verifier');
    assert.equal(vd.length, 1, JSON.stringify(lastPublished(client, bad, 2)));
    assert.match(vd[0].message, /^The sequence of 8193 jumps is too complex\./);
    assert.equal(vd[0].range.start.line, 3, `on the if line: ${JSON.stringify(vd[0].range)}`);
    assert.equal(vd[0].severity, 1);
    // The failing path's branches (the loop condition, the if), each script range once.
    const rel = (vd[0] as Diag & { relatedInformation?: { location: { uri: string; range: { start: { line: number } } } }[] }).relatedInformation ?? [];
    assert.ok(rel.length >= 1 && rel.length <= 4, JSON.stringify(rel));
    assert.ok(rel.every((r) => r.location.uri === bad && [2, 3].includes(r.location.range.start.line)), JSON.stringify(rel));

    // Code generation does not support path(): a codegen diagnostic, verification of the rest goes on.
    const unsupported = `${DIR}path.bt`;
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: unsupported, languageId: 'bpftrace', version: 1, text: 'BEGIN { @start = nsecs; }\nkprobe:vfs_open\n{\n  printf("%s\\n", path(arg0));\n}\n' } });
    await finalStatus(unsupported, 1);
    const cd = lastPublished(client, unsupported, 1).filter((d) => d.source === 'bpftrace-codegen');
    assert.equal(cd.length, 1, JSON.stringify(lastPublished(client, unsupported, 1)));
    assert.match(cd[0].message, /does not support path\(\)/);
    assert.deepEqual(cd[0].range.start, { line: 3, character: 17 }, 'on the path( call');
    assert.equal(cd[0].range.end.line, 3);

    // The fix of the loop clears its diagnostic.
    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri: bad, version: 3 }, contentChanges: [{ text: jumps.replace('20000', '8') }] });
    assert.equal((await finalStatus(bad, 3)).verdict, 'accept');
    assert.deepEqual(lastPublished(client, bad, 3).filter((d) => d.source === 'verifier'), []);

    // bpfstudio.verifier.enabled = false: skipped, no verifier diagnostics.
    enabled = false;
    await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri: bad, version: 4 }, contentChanges: [{ text: jumps }] });
    assert.equal((await finalStatus(bad, 4)).state, 'skipped');
    assert.deepEqual(lastPublished(client, bad, 4).filter((d) => d.source === 'verifier'), []);
  } finally {
    await client.shutdown();
  }
});
