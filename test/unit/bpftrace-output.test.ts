// Unit tests of the bpftrace output formatter for what the BEGIN-only goldens cannot pin down:
// stacks (their first frame differs per run), inet6/MAC/strftime details, join and lost events,
// records and arrays, the 0.26 differences, and that no input makes the formatter throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BtValue, MapSnapshot, OutputOptions, attachedLine, formatEvent, formatMap, formatMapsAtExit, formatPrintf,
  histIndex, inet6, lhistIndex, strftime, valueText, formatHist,
} from '../../server/src/bpftrace/output';

const T: OutputOptions = { format: 'text' };
const J: OutputOptions = { format: 'json' };
const N: OutputOptions = { format: 'text', version: '0.26' };
const u = (v: number | bigint): BtValue => ({ t: 'int', v: BigInt(v), signed: false });
const s = (x: string): BtValue => ({ t: 'str', v: new TextEncoder().encode(x) });
const ctx = { json: false, old: true, indent: 8, tzOffsetMinutes: 0, bootNs: 0n };

test('kstack: frames indented by 8 as values, by 4 in map keys (as bpftrace 0.17 printed them)', () => {
  const st: BtValue = { t: 'special', kind: 'kstack', v: [], frames: ['bpf_dispatcher_xdp+4263', '__bpf_prog_test_run_raw_tp+106'] };
  const keyed: MapSnapshot = { name: '@k', keyed: true, entries: [{ key: [st], value: { fn: 'count', v: 1n, signed: false } }] };
  assert.equal(formatMap(keyed, T), '@k[\n    bpf_dispatcher_xdp+4263\n    __bpf_prog_test_run_raw_tp+106\n]: 1\n');
  assert.equal(formatMap(keyed, J), '{"type": "map", "data": {"@k": {"\\n    bpf_dispatcher_xdp+4263\\n    __bpf_prog_test_run_raw_tp+106\\n": 1}}}\n');
  const val: MapSnapshot = { name: '@v', keyed: false, entries: [{ key: [], value: st }] };
  assert.equal(formatMap(val, T), '@v: \n        bpf_dispatcher_xdp+4263\n        __bpf_prog_test_run_raw_tp+106\n\n');
  assert.equal(formatPrintf('%s|\n', [st]), '\n        bpf_dispatcher_xdp+4263\n        __bpf_prog_test_run_raw_tp+106\n|\n');
  const us: BtValue = { t: 'special', kind: 'ustack', v: [0x7ffc9a7c9fd8n, 0n] };
  assert.equal(valueText(us, ctx), '\n        0x7ffc9a7c9fd8\n');
});

test('kstack(perf)/ustack(perf): tab, hex address, frame (as bpftrace 0.17 printed them)', () => {
  const k: BtValue = { t: 'special', kind: 'kstack', stackMode: 'perf', v: [0xffffffffc0026cc7n, 0xffffffff81f081aan], frames: ['bpf_dispatcher_xdp+4231', '__bpf_prog_test_run_raw_tp+106'] };
  const keyed: MapSnapshot = { name: '@k', keyed: true, entries: [{ key: [k], value: { fn: 'count', v: 1n, signed: false } }] };
  assert.equal(formatMap(keyed, T), '@k[\n\tffffffffc0026cc7 bpf_dispatcher_xdp+4231\n\tffffffff81f081aa __bpf_prog_test_run_raw_tp+106\n]: 1\n');
  const u: BtValue = { t: 'special', kind: 'ustack', stackMode: 'perf', v: [0x7fbeb3b1f829n, 0x7ffd438b6518n], frames: ['syscall+25 (/usr/lib/x86_64-linux-gnu/libc.so.6)'] };
  const val: MapSnapshot = { name: '@u', keyed: false, entries: [{ key: [], value: u }] };
  assert.equal(formatMap(val, T), '@u: \n\t7fbeb3b1f829 syscall+25 (/usr/lib/x86_64-linux-gnu/libc.so.6)\n\t7ffd438b6518 0x7ffd438b6518 ([unknown])\n\n');
});

test('inet_ntop for IPv6 compresses the longest zero run and embeds IPv4', () => {
  const b = (...w: number[]): Uint8Array => Uint8Array.from(w.flatMap((x) => [x >> 8, x & 0xff]));
  assert.equal(inet6(b(0, 0, 0, 0, 0, 0, 0, 1)), '::1');
  assert.equal(inet6(b(0, 0, 0, 0, 0, 0, 0, 0)), '::');
  assert.equal(inet6(b(0xfe80, 0, 0, 0, 0, 0, 0, 1)), 'fe80::1');
  assert.equal(inet6(b(1, 0, 0, 2, 0, 0, 0, 3)), '1:0:0:2::3');
  assert.equal(inet6(b(0x2001, 0xdb8, 0, 1, 0, 0, 0, 0)), '2001:db8:0:1::');
  assert.equal(inet6(b(1, 0, 2, 3, 4, 5, 6, 7)), '1:0:2:3:4:5:6:7');
  assert.equal(inet6(b(0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304)), '::ffff:1.2.3.4');
  const mac: BtValue = { t: 'special', kind: 'mac', v: Uint8Array.from([0xaa, 0xbb, 0x0c, 1, 2, 0xff]) };
  assert.equal(valueText(mac, ctx), 'AA:BB:0C:01:02:FF');
});

test('strftime: C-locale conversions, %f microseconds, offsets', () => {
  const ns = 1_700_000_000_123_456_789n; // 2023-11-14 22:13:20.123456789 UTC, a Tuesday
  assert.equal(strftime('%Y-%m-%d %H:%M:%S.%f %a %A %b %B %j %e %I %p %y %%', ns), '2023-11-14 22:13:20.123456 Tue Tuesday Nov November 318 14 10 PM 23 %');
  assert.equal(strftime('%H:%M %z', ns, 120), '00:13 +0200');
  assert.equal(strftime('%T %D %F %R %s', ns), '22:13:20 11/14/23 2023-11-14 22:13 1700000000');
  assert.equal(formatEvent({ kind: 'time', fmt: '%H:%M:%S\n', ns }, T), '22:13:20\n');
  assert.equal(formatEvent({ kind: 'time', fmt: '%H', ns }, J), '{"type": "time", "data": "22"}\n');
});

test('join, lost events, the attach banner', () => {
  const parts = ['a', 'b', 'c'].map((x) => new TextEncoder().encode(x));
  assert.equal(formatEvent({ kind: 'join', parts, sep: ' ' }, T), 'a b c\n');
  assert.equal(formatEvent({ kind: 'join', parts, sep: ',' }, J), '{"type": "join", "data": "a,b,c"}\n');
  assert.equal(formatEvent({ kind: 'lost', count: 3 }, T), 'Lost 3 events\n');
  assert.equal(formatEvent({ kind: 'lost', count: 3 }, J), '{"type": "lost_events", "data": {"events": 3}}\n');
  assert.equal(formatEvent({ kind: 'attached', probes: 2 }, T), 'Attaching 2 probes...\n');
  assert.equal(formatEvent({ kind: 'attached', probes: 1 }, { format: 'text', quiet: true }), '');
  assert.deepEqual(attachedLine(1, N), { stdout: '', stderr: 'Attached 1 probe\n' });
  assert.equal(formatEvent({ kind: 'clear', map: '@x' }, T), '');
});

test('records, arrays, bools and JSON control characters', () => {
  const rec: BtValue = { t: 'record', fields: [{ name: 'a', v: u(1) }, { name: 'b', v: s('x') }] };
  assert.equal(valueText(rec, ctx), '{ .a = 1, .b = x }');
  assert.equal(valueText(rec, { ...ctx, json: true }), '{ "a": 1, "b": "x" }');
  assert.equal(valueText({ t: 'array', elems: [u(1), u(2), u(3)] }, ctx), '[1,2,3]');
  assert.equal(formatEvent({ kind: 'printValue', value: s('a\x01b') }, J), '{"type": "value", "data": "a\\u0001b"}\n');
  assert.equal(formatEvent({ kind: 'printValue', value: { t: 'bool', v: true } }, T), 'true\n');
});

test('bucket numbering of hist() and lhist()', () => {
  assert.deepEqual([-1n, 0n, 1n, 2n, 3n, 4n, 1023n, 1024n].map((v) => histIndex(v)), [0, 1, 2, 3, 3, 4, 11, 12]);
  assert.equal(histIndex(1n << 40n), 33);
  assert.equal(histIndex(1n << 40n, true), 42);
  assert.deepEqual([-1n, 0n, 9n, 10n, 99n, 100n, 1000n].map((v) => lhistIndex(v, 0n, 100n, 10n)), [0, 1, 1, 2, 10, 11, 11]);
  assert.equal(formatHist(new Map()), '');
});

test('0.26: printf grammar (%% anywhere, no precision for integers, fill before the sign)', () => {
  assert.equal(formatPrintf('100%% %d%%\n', [u(5)], { version: '0.26' }), '100% 5%\n');
  assert.equal(formatPrintf('100%% %d%%\n', [u(5)]), '100% 5%%\n');
  assert.equal(formatPrintf('[%08d][%.3d][%p][%5s]', [{ t: 'int', v: -42n, signed: true }, u(5), u(0), s('ab')], { version: '0.26' }), '[00000-42][5][0][   ab]');
  assert.equal(formatPrintf('[%08d][%.3d][%p][%5s]', [{ t: 'int', v: -42n, signed: true }, u(5), u(0), s('ab')]), '[-0000042][005][(nil)][   ab]');
});

test('0.26: map text layout', () => {
  const h: MapSnapshot = { name: '@h', keyed: false, entries: [{ key: [], value: { fn: 'hist', buckets: new Map([[3, 2n]]) } }] };
  assert.equal(formatMap(h, N), '@h:\n[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n');
  const st: MapSnapshot = { name: '@a', keyed: false, entries: [{ key: [], value: { fn: 'avg', count: 2n, total: 7n, signed: true } }] };
  assert.equal(formatMap(st, N), '@a: 3\n');
  assert.equal(formatMap(st, T), '@a: 3\n\n');
});

test('nothing throws on odd input', () => {
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const kinds = ['ksym', 'usym', 'username', 'probe', 'cgroup_path', 'strerror', 'timestamp', 'mac', 'inet', 'kstack', 'ustack'] as const;
  const val = (d: number): BtValue => {
    switch (rnd(d > 2 ? 6 : 8)) {
      case 0: return { t: 'int', v: BigInt(rnd(1 << 30)) * (rnd(2) ? -1n : 1n) << BigInt(rnd(40)), signed: !!rnd(2), bits: [8, 16, 32, 64][rnd(4)] };
      case 1: return { t: 'str', v: Uint8Array.from({ length: rnd(8) }, () => rnd(256)) };
      case 2: return { t: 'buf', v: Uint8Array.from({ length: rnd(8) }, () => rnd(256)) };
      case 3: return { t: 'special', kind: kinds[rnd(kinds.length)], v: rnd(2) ? BigInt(rnd(1000)) : Uint8Array.from({ length: rnd(20) }, () => rnd(256)) };
      case 4: return { t: 'none' };
      case 5: return { t: 'bool', v: !!rnd(2) };
      case 6: return { t: 'tuple', elems: [val(d + 1), val(d + 1)] };
      default: return { t: 'record', fields: [{ name: 'f', v: val(d + 1) }] };
    }
  };
  const fmts = ['%d', '%s', '%-5.2x', '%r', '%rx%c', '%%%p', '%', '%5', '%hhu %lld', '%s %s %s'];
  for (let i = 0; i < 3000; i++) {
    const o: OutputOptions = { format: rnd(2) ? 'json' : 'text', version: rnd(2) ? '0.17' : '0.26' };
    const args = Array.from({ length: rnd(4) }, () => val(0));
    formatEvent({ kind: 'printf', fmt: fmts[rnd(fmts.length)] + fmts[rnd(fmts.length)], args }, o);
    formatEvent({ kind: 'printValue', value: val(0) }, o);
    const min = BigInt(rnd(100) - 50), step = BigInt(rnd(5)), max = min + BigInt(rnd(50));
    const entries = Array.from({ length: rnd(4) }, () => ({
      key: [val(2)],
      value: rnd(2) ? val(2) : { fn: 'lhist' as const, min, max, step, buckets: new Map([[rnd(1100) - 50, BigInt(rnd(1 << 30)) << 20n]]) },
    }));
    const m: MapSnapshot = { name: '@m', keyed: true, entries };
    formatMapsAtExit([m], o);
    formatEvent({ kind: 'print', map: m, top: rnd(3), div: rnd(3) }, o);
    formatMap({ name: '@h', keyed: false, entries: [{ key: [], value: { fn: 'hist', buckets: new Map([[rnd(70) - 2, BigInt(rnd(100))]]) } }] }, o);
  }
});

test('0.26: stats as a record, single-value buckets, JSON shapes (from the 0.26 sources)', () => {
  const NJ: OutputOptions = { format: 'json', version: '0.26' };
  const st: MapSnapshot = { name: '@s', keyed: true, entries: [{ key: [u(1), s('a b')], value: { fn: 'stats', count: 2n, total: 7n, signed: true } }] };
  assert.equal(formatMap(st, N), '@s[1, a b]: { .count = 2, .average = 3, .total = 7 }\n');
  assert.equal(formatMap(st, NJ), '{"type": "stats", "data": {"@s": {"1,ab": {"count": 2, "average": 3, "total": 7}}}}\n');
  const h: MapSnapshot = { name: '@h', keyed: false, entries: [{ key: [], value: { fn: 'hist', buckets: new Map([[0, 1n], [1, 1n], [2, 2n], [3, 4n]]) } }] };
  assert.equal(
    formatMap(h, N),
    '@h:\n(..., 0)               1 |@@@@@@@@@@@@@                                       |\n' +
      '[0]                    1 |@@@@@@@@@@@@@                                       |\n' +
      '[1]                    2 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n' +
      '[2, 4)                 4 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n',
  );
  assert.equal(formatMap(h, NJ), '{"type": "hist", "data": {"@h": [{"max": -1, "count": 1},{"min": 0, "max": 0, "count": 1},{"min": 1, "max": 1, "count": 2},{"min": 2, "max": 3, "count": 4}]}}\n');
  const big: MapSnapshot = { name: '@b', keyed: false, entries: [{ key: [], value: u((1n << 60n) + 1n) }] };
  assert.equal(formatMap(big, NJ), '{"type": "map", "data": {"@b": "1152921504606846977"}}\n');
  const keys: MapSnapshot = { name: '@k', keyed: true, entries: [{ key: [{ t: 'int', v: -1n, signed: true }], value: s('neg') }, { key: [u(1)], value: s('pos') }] };
  assert.equal(formatMap(keys, N), '@k[-1]: neg\n@k[1]: pos\n');
  assert.equal(formatMap(keys, T), '@k[1]: pos\n@k[-1]: neg\n');
  assert.equal(formatMapsAtExit([], NJ), '');
  assert.equal(formatMapsAtExit([], J), '\n\n');
  assert.equal(formatEvent({ kind: 'attached', probes: 2 }, NJ), '{"type": "attached_probes", "count": 2, "data": {"probes": 2}}\n');
});

test('0.17 hist quirks: counts pass through a C int, JSON bounds past 2^31 wrap', () => {
  // A bucket count >= 2^31 is negative as an int: bpftrace 0.17 skips it when trimming (and prints nothing if it is alone).
  assert.equal(formatHist(new Map([[5, 3_000_000_000n]])), '');
  assert.equal(
    formatHist(new Map([[5, 3_000_000_000n], [6, 1n]])),
    '[16, 32)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n',
  );
  const h: MapSnapshot = { name: '@h', keyed: false, entries: [{ key: [], value: { fn: 'hist', buckets: new Map([[33, 1n], [34, 1n]]) } }] };
  assert.equal(formatMap(h, J), '{"type": "hist", "data": {"@h": [{"min": -2147483648, "max": 0, "count": 1}, {"min": 1, "max": 1, "count": 1}]}}\n');
  assert.match(formatMap(h, T), /^\[2G, 4G\) {2}.*\n\[4G, 8G\) {2}/m);
});

test('out-of-range buckets, fractional top/div and a zero step do not throw or run away', () => {
  for (const o of [T, J, N, { format: 'json', version: '0.26' } as OutputOptions]) {
    const m: MapSnapshot = {
      name: '@h', keyed: true, entries: [
        { key: [u(1)], value: { fn: 'hist', buckets: new Map([[1e9, 1n], [-5, 2n], [1.5, 1n], [3, 1n]]) } },
        { key: [u(2)], value: { fn: 'lhist', min: 0n, max: 10n, step: 0n, buckets: new Map([[1e9, 1n], [1, 1n]]) } },
      ],
    };
    assert.equal(typeof formatEvent({ kind: 'print', map: m, top: 1.5, div: 0.5 }, o), 'string');
  }
  assert.equal(lhistIndex(5n, 0n, 10n, 0n), 0);
});

test('0.18+: a string that filled its storage gets the ".." trailer; 0.17 prints it as is', () => {
  const full: BtValue = { t: 'str', v: new TextEncoder().encode('abcdefgh'), truncated: true };
  assert.equal(formatPrintf('%s|', [full], { version: '0.26' }), 'abcdefgh..|');
  assert.equal(formatPrintf('%s|', [full]), 'abcdefgh|');
  assert.equal(formatEvent({ kind: 'printValue', value: full }, N), 'abcdefgh..\n');
  assert.equal(formatEvent({ kind: 'printValue', value: full }, T), 'abcdefgh\n');
});
