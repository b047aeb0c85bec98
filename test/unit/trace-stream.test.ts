/**
 * Streaming: a generated 200,000-event trace is read through
 * host/trace-file.ts with bounded heap growth, and line splitting across
 * chunk boundaries (including a multi-byte character split between chunks)
 * matches a whole-file split.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, writeSync, closeSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTraceFile, streamLines } from '../../server/src/host/trace-file';

test('200,000 events stream with heap growth < 100 MB', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trace-big-'));
  const f = join(dir, 'big.jsonl');
  const fd = openSync(f, 'w');
  writeSync(fd, '{"format":"bpfstudio-trace","version":1,"kernel":"6.18.44","arch":"x86_64"}\n');
  const N = 200_000;
  let buf: string[] = [];
  for (let i = 0; i < N; i++) {
    const a = (0x7f0000000000 + i * 32).toString(16);
    buf.push(`{"probe":"tracepoint:syscalls:sys_enter_openat","ts":${795314017456 + i * 1000},"cpu":${i % 2},"pid":${1000 + (i % 50)},"tid":${1000 + (i % 50)},"uid":0,"gid":0,"comm":"bash","args":{"__syscall_nr":257,"dfd":-100,"filename":"0x${a}","flags":524288,"mode":0},"mem":{"0x${a}":"2f6574632f6c642e736f2e636163686500"}}`);
    if (buf.length === 5000) { writeSync(fd, buf.join('\n') + '\n'); buf = []; }
  }
  if (buf.length) writeSync(fd, buf.join('\n') + '\n');
  closeSync(fd);
  buf = [];
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  let n = 0;
  let lastTs = 0n;
  const t0 = performance.now();
  const { reader, diagnostics, error } = await readTraceFile(f, (r) => {
    if (r.kind !== 'event') return;
    const ts = BigInt(r.event.ts);
    assert.ok(ts > lastTs);
    lastTs = ts;
    if (++n % 20000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  });
  const ms = performance.now() - t0;
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  rmSync(dir, { recursive: true });
  assert.equal(error, undefined);
  assert.deepEqual(diagnostics, []);
  assert.equal(reader.events, N);
  assert.equal(n, N);
  const growth = (peak - before) / 2 ** 20;
  console.log(`trace stream: ${N} events in ${ms.toFixed(0)} ms, peak heap growth ${growth.toFixed(1)} MB`);
  assert.ok(growth < 100, `heap grew ${growth.toFixed(1)} MB`);
});

test('lines split across chunk boundaries match a whole-text split; missing final newline is flagged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trace-chunks-'));
  const f = join(dir, 'x.txt');
  const text = 'héllo\n\nwörld ✓ ' + 'x'.repeat(50) + '\r\nlast';
  writeFileSync(f, text);
  for (const chunk of [1, 2, 3, 7, 64, 1 << 16]) {
    const got: [string, number, boolean][] = [];
    const r = await streamLines(f, (t, n, eof) => got.push([t, n, eof]), chunk);
    assert.equal(r.lines, 4);
    assert.deepEqual(got.map((g) => g[0]), text.split('\n'), `chunk ${chunk}`);
    assert.deepEqual(got.map((g) => g[1]), [1, 2, 3, 4]);
    assert.deepEqual(got.map((g) => g[2]), [false, false, false, true]);
  }
  const r = await streamLines(join(dir, 'missing'), () => {});
  assert.match(r.error ?? '', /ENOENT/);
  rmSync(dir, { recursive: true });
});
