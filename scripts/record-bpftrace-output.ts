// Re-records the bpftrace output goldens in test/fixtures/bpftrace/output/: every case below is a
// list of BEGIN-probe steps over literal values (aggregations, assignments, printf, print, clear,
// zero, time, exit). For each case this writes NAME.case.json (the steps: the values bpftrace was
// given), NAME.bt (the script generated from them), and the stdout of the real bpftrace as
// NAME.txt (text output) and NAME.json.txt (`-f json`). The unit test rebuilds the formatter's
// input from NAME.case.json alone and compares with the goldens byte for byte.
// Needs root and bpftrace (the goldens are from 0.17).
//
//   node --import tsx scripts/record-bpftrace-output.ts [--out DIR] [CASE...]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A literal value: a number or {int} (int64), a string, or a builtin over literals. */
export type V =
  | number
  | string
  | { int: string }
  /** `(type)int`: a C cast of an integer literal. */
  | { cast: 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'; int: string }
  | { tuple: V[] }
  | { buf: string; len: number }
  | { ksym: number }
  | { ntop: number }
  | { strerror: number }
  | { probe: true }
  /** strftime(fmt, nsecs since boot): printing needs the host's boot time and UTC offset (case env). */
  | { strftime: [string, string] };

export type Step =
  | { op: 'agg'; map: string; key?: V[]; fn: 'count' | 'sum' | 'min' | 'max' | 'avg' | 'stats' | 'hist' | 'lhist'; arg?: V; lh?: [number, number, number]; times?: number }
  | { op: 'set'; map: string; key?: V[]; value: V }
  | { op: 'delete'; map: string; key: V[] }
  | { op: 'printf'; fmt: string; args?: V[] }
  | { op: 'print'; map: string; top?: number; div?: number }
  | { op: 'printValue'; value: V }
  | { op: 'clear' | 'zero'; map: string }
  | { op: 'time'; fmt: string }
  /** cat(path); `text` is the file's content, read by the recorder. */
  | { op: 'cat'; path: string; text?: string }
  /** system(cmd) (needs --unsafe); `text` is the command's stdout, run by the recorder. */
  | { op: 'system'; cmd: string; text?: string }
  | { op: 'exit' };

export interface Case {
  name: string;
  note?: string;
  steps: Step[];
  /** Steps of an END probe (runs after BEGIN's exit(); its output comes before the map dump). */
  end?: Step[];
  /** Host facts some values print with: boot time (ns since the epoch, from /proc/stat) and UTC offset. */
  env?: { bootNs: string; tzOffsetMinutes: number };
}

const n = (map: string, fn: Extract<Step, { op: 'agg' }>['fn'], arg?: V, key?: V[], times?: number): Step => ({ op: 'agg', map, fn, arg, key, times });
const lh = (map: string, arg: number, min: number, max: number, step: number, key?: V[], times?: number): Step => ({ op: 'agg', map, fn: 'lhist', arg, lh: [min, max, step], key, times });
const set = (map: string, value: V, key?: V[]): Step => ({ op: 'set', map, key, value });
const pf = (fmt: string, ...args: V[]): Step => ({ op: 'printf', fmt, args });
const hists = (map: string, vals: number[], key?: V[]): Step[] => vals.map((v) => n(map, 'hist', v, key));

export const CASES: Case[] = [
  { name: 'printf-ints', steps: [pf('%d %u %x %X %o|%5d|%-5d|%05d|%.3d|%8.3d|%-8.3d|\n', -42, 42, 255, 255, 8, 7, 7, -42, 5, -5, 5)] },
  { name: 'printf-lengths', steps: [pf('%ld %lld %lu %llu %hd %hhd %hu %hhu %lx %llX %jd %zu %td\n', -1, { int: '-9000000000' }, -1, { int: '9000000000' }, 70000, 300, -1, -1, -1, { int: '0x123456789ab' }, -7, 7, -7)] },
  { name: 'printf-low32', note: 'a 64-bit argument to %d/%u/%x shows its low 32 bits', steps: [pf('%d %u %x %X %o\n', { int: '5000000000' }, -1, -1, { int: '0x1234567890' }, -1)] },
  { name: 'printf-char-ptr', steps: [pf('[%c][%3c][%-3c][%p][%p][%p][%20p]\n', 65, 0x4142, 97, 0, 4096, -1, 255)] },
  { name: 'printf-strings', steps: [pf('[%s][%10s][%-10s][%.2s][%8.3s]\n', 'abc', 'right', 'left', 'xyz', 'truncate'), pf('tab\there "quoted" back\\slash\n'), pf('%s|%s\n', 'a\tb', 'q"\\')] },
  { name: 'printf-percent', note: '0.17 hands %% to snprintf only before the last specifier', steps: [pf('100%% %d%%\n', 5), pf('no args 50%%\n'), pf('%s 100%%\n', 'x')] },
  { name: 'printf-buf', steps: [pf('%r|%rx|%rh|\n', { buf: 'ab\x01\xff', len: 4 }, { buf: 'ab\n', len: 3 }, { buf: 'AB', len: 2 })] },
  { name: 'printf-edge', note: '%c of 0 ends the C string of its fragment; glibc reads %5% as a literal %', steps: [pf('a%cb|%c|%5c|\n', 0, 0, 0), pf('[%5.1s][%-6.3d][%x][%5%d]\n', 'hello', 7, 0, 3), pf('[%3d][%-3d][%03u][%.0d][%.0x]\n', 12345, -12345, 7, 0, 0)] },
  { name: 'printf-pieces', note: 'several printf calls without newlines run together', steps: [pf('a'), pf('b%d', 1), pf('c\n'), pf('%d-%d-%d\n', 1, 2, 3)] },
  { name: 'printf-special', steps: [pf('%s %s [%s] %s %s\n', { ksym: 0 }, { ksym: 1 }, { ntop: 0x0100007f }, { strerror: 2 }, { probe: true }), pf('[%-12s][%12s]\n', { ntop: 0x0a0a000a }, { ksym: 255 })] },
  { name: 'printf-utf8', steps: [pf('%s|héllo\n', 'wörld ü')] },
  { name: 'printf-many-args', steps: [pf('%d %d %d %d %d %d %d %d %s %s\n', 1, 2, 3, 4, 5, 6, 7, 8, 'nine', 'ten')] },
  { name: 'scalar-ints', steps: [set('@x', 5), set('@neg', -3), set('@big', { int: '5000000000' }), set('@zero', 0), set('@min', { int: '-9223372036854775807' })] },
  { name: 'scalar-strings', steps: [set('@s', 'hello'), set('@empty', ''), set('@spaces', ' a b '), set('@esc', 'tab\tquote"back\\')] },
  { name: 'scalar-tuples', steps: [set('@t', { tuple: [1, 'abc'] }), set('@nested', { tuple: [1, { tuple: [2, 'x'] }, -3] }), set('@strs', { tuple: ['a', 'b'] })] },
  { name: 'map-int-values', note: 'int-valued maps sort by value (signed)', steps: [set('@m', 30, [3]), set('@m', -10, [1]), set('@m', 20, [2]), set('@m', 0, [4])] },
  { name: 'map-str-values', note: 'other values sort by key', steps: [set('@m', 'x', ['b']), set('@m', 'y', ['a']), set('@m', 'z', ['c']), set('@m', 'w', ['ab'])] },
  { name: 'map-multikey', steps: [set('@m', 'v1', [2, 'b']), set('@m', 'v2', [1, 'z']), set('@m', 'v3', [2, 'a']), set('@m', 'v4', [1, 'a'])] },
  { name: 'map-negative-keys', note: 'int keys sort as unsigned, print as signed', steps: [set('@m', 'neg', [-1]), set('@m', 'pos', [1]), set('@m', 'zero', [0]), set('@m', 'big', [{ int: '5000000000' }])] },
  { name: 'map-tuple-values', steps: [set('@t', { tuple: [2, 'b'] }, [2]), set('@t', { tuple: [1, 'a'] }, [1])] },
  { name: 'count-int-keys', steps: [n('@c', 'count', undefined, [1], 3), n('@c', 'count', undefined, [2], 1), n('@c', 'count', undefined, [3], 2)] },
  { name: 'count-str-keys', steps: [n('@c', 'count', undefined, ['read'], 2), n('@c', 'count', undefined, ['write'], 5), n('@c', 'count', undefined, ['open'], 1), n('@', 'count', undefined, undefined, 4)] },
  { name: 'sum-signed', steps: [n('@s', 'sum', -5, [1]), n('@s', 'sum', 10, [2]), n('@s', 'sum', -20, [3]), n('@t', 'sum', 7), n('@t', 'sum', -10)] },
  { name: 'sum-huge', steps: [n('@s', 'sum', { int: '5000000000' }, undefined, 2), n('@h', 'sum', { int: '4611686018427387904' }, ['x']), n('@h', 'sum', { int: '1000000000000' }, ['y'])] },
  { name: 'min-max', steps: [n('@mn', 'min', 5, [1]), n('@mn', 'min', 3, [1]), n('@mn', 'min', 9, [2]), n('@mx', 'max', 5, [1]), n('@mx', 'max', 3, [2]), n('@mx', 'max', 8, [2]), n('@smin', 'min', -4), n('@smax', 'max', 12)] },
  { name: 'avg', note: 'integer division truncating toward zero', steps: [n('@a', 'avg', 5), n('@a', 'avg', 2), n('@n', 'avg', -7), n('@n', 'avg', 2), n('@k', 'avg', 10, [1]), n('@k', 'avg', 1, [2]), n('@k', 'avg', 3, [2]), n('@k', 'avg', 100, [3])] },
  { name: 'stats', steps: [n('@st', 'stats', 3), n('@st', 'stats', 4), n('@k', 'stats', 10, ['a']), n('@k', 'stats', -2, ['b']), n('@k', 'stats', 6, ['b']), n('@k', 'stats', 1, ['c'])] },
  { name: 'hist-basic', steps: hists('@h', [0, 1, 2, 3, 4, 5, 1000, 7, 7, 7]) },
  { name: 'hist-negative', steps: hists('@h', [-5, -1, -1000, 0, 2]) },
  { name: 'hist-only-negative', steps: hists('@h', [-1, -2]) },
  { name: 'hist-large', note: 'K/M/G/T labels; JSON bounds past 2^31 wrap like bpftrace 0.17', steps: hists('@h', [1024, 1048576, 1073741824, 5000000000, 1099511627776]) },
  { name: 'hist-huge', note: '0.17 puts every value >= 2^31 in the [2G, 4G) bucket', steps: hists('@h', [2147483648, 4294967296, 4611686018427387904]) },
  { name: 'hist-single', steps: hists('@h', [100]) },
  { name: 'hist-bars', note: 'bar widths scale to the largest bucket', steps: [...hists('@h', [1, 2, 2, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8]), n('@h', 'hist', 64, undefined, 5)] },
  { name: 'hist-keyed', steps: [...hists('@h', [1, 2, 3], ['b']), ...hists('@h', [100], ['a']), ...hists('@g', [5, 6], [2]), ...hists('@i', [1], [3]), ...hists('@i', [1], [1]), ...hists('@i', [8], [2])] },
  { name: 'lhist-basic', steps: [lh('@l', 5, 0, 100, 10), lh('@l', 150, 0, 100, 10), lh('@l', -1, 0, 100, 10), lh('@l', 55, 0, 100, 10), lh('@l', 55, 0, 100, 10), lh('@l', 100, 0, 100, 10)] },
  { name: 'lhist-inner', steps: [lh('@l', 25, 0, 100, 10), lh('@l', 31, 0, 100, 10), lh('@l', 49, 0, 100, 10)] },
  { name: 'lhist-labels', steps: [lh('@k', 1000, 0, 4096, 1024), lh('@k', 3000, 0, 4096, 1024), lh('@k', 5000, 0, 4096, 1024), lh('@m', 1, 0, 3145728, 1048576), lh('@m', 3000000, 0, 3145728, 1048576)] },
  { name: 'lhist-offset-min', steps: [lh('@l', 5, 10, 110, 25), lh('@l', 40, 10, 110, 25), lh('@l', 40, 10, 110, 25), lh('@l', 109, 10, 110, 25)] },
  { name: 'lhist-out-of-range', steps: [lh('@low', -5, 10, 20, 5), lh('@low', 0, 10, 20, 5), lh('@high', 25, 10, 20, 5), lh('@high', 1000, 10, 20, 5, undefined, 3)] },
  { name: 'lhist-keyed', steps: [lh('@l', 1, 0, 10, 2, ['x'], 2), lh('@l', 9, 0, 10, 2, ['y']), lh('@n', 5, 0, 10, 2, [7], 3)] },
  { name: 'print-map', note: 'print() reads the map when the event is handled: after BEGIN returned', steps: [n('@c', 'count', undefined, ['a'], 2), { op: 'print', map: '@c' }, pf('between\n'), n('@c', 'count', undefined, ['b'], 3), { op: 'print', map: '@c' }] },
  { name: 'print-top-div', steps: [n('@c', 'count', undefined, [1], 10), n('@c', 'count', undefined, [2], 30), n('@c', 'count', undefined, [3], 20), { op: 'print', map: '@c', top: 2, div: 10 }, { op: 'print', map: '@c', top: 5 }, { op: 'print', map: '@c', top: 0, div: 3 }] },
  { name: 'print-top-hist', steps: [...hists('@h', [1, 1, 1], [1]), ...hists('@h', [64], [2]), ...hists('@h', [4, 4], [3]), { op: 'print', map: '@h', top: 2, div: 2 }, lh('@l', 5, 0, 10, 5, [1], 4), { op: 'print', map: '@l', top: 1, div: 2 }] },
  { name: 'print-top-stats', note: 'top applies to avg maps, not to stats maps', steps: [n('@a', 'avg', 1, [1]), n('@a', 'avg', 5, [2]), n('@a', 'avg', 3, [3]), n('@s', 'stats', 1, [1]), n('@s', 'stats', 5, [2]), { op: 'print', map: '@a', top: 1, div: 2 }, { op: 'print', map: '@s', top: 1 }] },
  { name: 'print-values', steps: [{ op: 'printValue', value: 5 }, { op: 'printValue', value: -3 }, { op: 'printValue', value: 'str' }, { op: 'printValue', value: { tuple: [1, 'a', { tuple: [2, 'b'] }] } }, { op: 'printValue', value: { ksym: 1 } }] },
  { name: 'print-scalar', steps: [set('@x', 7), { op: 'print', map: '@x' }, n('@st', 'stats', 4), { op: 'print', map: '@st' }, n('@h', 'hist', 3), { op: 'print', map: '@h' }] },
  { name: 'clear', steps: [set('@x', 1, [1]), set('@x', 2, [2]), { op: 'clear', map: '@x' }, n('@s', 'stats', 3, [1]), { op: 'clear', map: '@s' }, n('@h', 'hist', 3, [1]), { op: 'clear', map: '@h' }] },
  { name: 'zero', steps: [n('@c', 'count', undefined, [1], 2), { op: 'zero', map: '@c' }, n('@h', 'hist', 3), { op: 'zero', map: '@h' }, n('@a', 'avg', 6, ['k']), { op: 'zero', map: '@a' }, lh('@l', 3, 0, 10, 1), { op: 'zero', map: '@l' }] },
  { name: 'clear-then-print', steps: [n('@c', 'count', undefined, [1]), { op: 'clear', map: '@c' }, { op: 'print', map: '@c' }, pf('after\n')] },
  { name: 'delete-empty', note: 'an empty map still prints its (empty) block at exit in text mode, nothing in JSON', steps: [set('@e', 1, [1]), { op: 'delete', map: '@e', key: [1] }, set('@f', 2, [1]), set('@f', 3, [2]), { op: 'delete', map: '@f', key: [1] }] },
  { name: 'maps-order', note: 'maps print in name order (bytewise)', steps: [set('@z', 1), set('@aa', 2), set('@B', 3), set('@_a', 4), set('@a', 5), set('@A1', 6), n('@', 'count'), set('@a1', 7)] },
  { name: 'maps-mixed', steps: [n('@h', 'hist', 5), n('@c', 'count'), n('@s', 'stats', 2), set('@v', 'str'), n('@a', 'avg', 4), lh('@l', 2, 0, 4, 1), set('@t', { tuple: [1, 2] })] },
  { name: 'time-static', note: 'time() with a format that has no conversions', steps: [{ op: 'time', fmt: 'tick\n' }, { op: 'time', fmt: 'no newline' }, pf('|\n')] },
  { name: 'exit-early', note: 'events after exit() are dropped; maps still print', steps: [pf('before\n'), set('@x', 1), { op: 'exit' }, pf('after\n'), set('@y', 2)] },
  { name: 'string-keys-escapes', steps: [set('@m', 1, ['a b']), set('@m', 2, ['q"uote']), set('@m', 3, ['back\\slash']), set('@m', 4, ['tab\there']), set('@m', 5, ['new\nline'])] },
  { name: 'utf8-values', note: '0.17 JSON-escapes bytes >= 0x80 as sign-extended \\uffffffXX', steps: [set('@s', 'héllo'), set('@k', 1, ['ключ'])] },
  { name: 'buf-values', steps: [set('@b', { buf: 'ab\x00c\x7f', len: 5 }), set('@q', { buf: 'a"b\\', len: 4 })] },
  { name: 'special-values', note: 'strerror values print unquoted in 0.17 JSON', steps: [set('@e', { strerror: 2 }), set('@n', { ntop: 0x0100007f }), set('@p', { probe: true }), n('@c', 'count', undefined, [{ probe: true }], 2)] },
  { name: 'ksym-values', note: 'ksym-valued maps join entries without newlines', steps: [set('@k', { ksym: 1 }, [1]), set('@k', { ksym: 2 }, [2]), set('@s', { ksym: 16 })] },
  { name: 'strftime', note: 'date formats only: bpftrace adds the boot time, known here to the second', steps: [pf('%s|%s|%s\n', { strftime: ['%Y-%m-%d %H:%M', '0'] }, { strftime: ['%%|%Y %j %a %b', '86400000000000'] }, { strftime: ['%y%m%d', '31536000000000000'] }), set('@t', { strftime: ['%Y', '0'] }), set('@k', 1, [{ strftime: ['%d', '0'] }])] },
  { name: 'cat-system', note: 'cat() and system() print what the file or command gave, no newline added', steps: [{ op: 'cat', path: '/proc/sys/kernel/ostype' }, { op: 'system', cmd: 'echo hi' }, pf('|\n'), { op: 'system', cmd: 'printf x' }, pf('|\n')] },
  { name: 'begin-end', note: 'two probes; END output follows the events handled before exit()', steps: [pf('b\n'), set('@x', 1), { op: 'exit' }, pf('never\n')], end: [pf('end %d\n', 5), set('@y', 2), { op: 'print', map: '@x' }, { op: 'clear', map: '@x' }] },
  { name: 'end-aggregates', steps: [n('@c', 'count', undefined, ['a'], 2)], end: [n('@c', 'count', undefined, ['b'], 3), n('@h', 'hist', 10), { op: 'print', map: '@c', top: 1 }, pf('done\n')] },
  { name: 'casts', note: 'narrow integers: printf narrows again per conversion; keys and values are stored widened', steps: [pf('%d %u %x %d\n', { cast: 'uint8', int: '300' }, { cast: 'int8', int: '-1' }, { cast: 'int16', int: '-1' }, { cast: 'uint32', int: '4294967295' }), set('@k', 1, [{ cast: 'uint32', int: '4294967295' }]), set('@k', 2, [{ cast: 'uint32', int: '5' }]), set('@v', { cast: 'int8', int: '-1' }), set('@w', { cast: 'uint8', int: '255' }), set('@x', { cast: 'int16', int: '40000' }), set('@y', { cast: 'uint32', int: '4294967295' }, [{ cast: 'int8', int: '-2' }])] },
  { name: 'control-chars', note: 'control characters print raw in text, as \\u00XX in JSON', steps: [set('@c', 'a\x01b\x1fc\rd'), set('@k', 1, ['x\x02y']), pf('%s|\n', 'p\x03q')] },
  { name: 'many-entries', note: 'more than 16 entries (std::sort is no longer an insertion sort): distinct values only', steps: [
    ...Array.from({ length: 24 }, (_, i) => n('@s', 'sum', ((i * 7) % 24) * 3 - 20, [i])),
    ...Array.from({ length: 20 }, (_, i) => set('@v', `v${i}`, [`k${(i * 13) % 20}`])),
    ...Array.from({ length: 18 }, (_, i) => n('@h', 'hist', 1 << i, [(i * 5) % 18], i + 1)),
  ] },
  { name: 'empty-run', note: 'no maps at all: just the two newlines', steps: [] },
];

function escapeStr(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0xff && !/\p{L}/u.test(ch))) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return '"' + out + '"';
}

/** Raw byte strings (buf) are written as \xNN escapes for every non-printable byte. */
function escapeBytes(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c < 0x20 || c >= 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return '"' + out + '"';
}

export function expr(v: V): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return escapeStr(v);
  if ('cast' in v) return `(${v.cast})${v.int}`;
  if ('int' in v) return v.int;
  if ('tuple' in v) return '(' + v.tuple.map(expr).join(', ') + ')';
  if ('buf' in v) return `buf(${escapeBytes(v.buf)}, ${v.len})`;
  if ('ksym' in v) return `ksym(${v.ksym})`;
  if ('ntop' in v) return `ntop(2, ${v.ntop})`;
  if ('strerror' in v) return `strerror(${v.strerror})`;
  if ('strftime' in v) return `strftime(${escapeStr(v.strftime[0])}, ${v.strftime[1]})`;
  return 'probe';
}

function target(map: string, key?: V[]): string {
  return key && key.length ? `${map}[${key.map(expr).join(', ')}]` : map;
}

function stmt(s: Step): string[] {
  switch (s.op) {
    case 'agg': {
      const args = s.fn === 'count' ? '' : s.fn === 'lhist' ? [expr(s.arg ?? 0), ...(s.lh ?? [])].join(', ') : expr(s.arg ?? 0);
      return Array.from({ length: s.times ?? 1 }, () => `${target(s.map, s.key)} = ${s.fn}(${args});`);
    }
    case 'set':
      return [`${target(s.map, s.key)} = ${expr(s.value)};`];
    case 'delete':
      return [`delete(${target(s.map, s.key)});`];
    case 'printf':
      return [`printf(${[escapeStr(s.fmt), ...(s.args ?? []).map(expr)].join(', ')});`];
    case 'print':
      return [`print(${[s.map, ...(s.top !== undefined ? [String(s.top)] : []), ...(s.div !== undefined ? [String(s.div)] : [])].join(', ')});`];
    case 'printValue':
      return [`print(${expr(s.value)});`];
    case 'clear':
    case 'zero':
      return [`${s.op}(${s.map});`];
    case 'time':
      return [`time(${escapeStr(s.fmt)});`];
    case 'cat':
      return [`cat(${escapeStr(s.path)});`];
    case 'system':
      return [`system(${escapeStr(s.cmd)});`];
    case 'exit':
      return ['exit();'];
  }
}

export function script(c: Case): string {
  const body = c.steps.flatMap(stmt);
  if (!c.steps.some((s) => s.op === 'exit')) body.push('exit();');
  const block = (lines: string[]): string => lines.map((l) => '  ' + l).join('\n');
  const end = c.end ? `END {\n${block(c.end.flatMap(stmt))}\n}\n` : '';
  return `// ${c.name}${c.note ? ': ' + c.note : ''}\nBEGIN {\n${block(body)}\n}\n${end}`;
}

function run(file: string, json: boolean, unsafe: boolean): string {
  const args = [...(json ? ['-f', 'json'] : []), ...(unsafe ? ['--unsafe'] : []), file];
  return execFileSync('bpftrace', args, { encoding: 'latin1', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Boot time from /proc/stat's btime and the local UTC offset from date(1). */
function hostEnv(): { bootNs: string; tzOffsetMinutes: number } {
  const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? '0';
  const z = execFileSync('date', ['+%z'], { encoding: 'utf8' }).trim();
  const m = /^([+-])(\d\d)(\d\d)$/.exec(z);
  const off = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  return { bootNs: (BigInt(btime) * 1_000_000_000n).toString(), tzOffsetMinutes: off };
}

function main(): void {
  const argv = process.argv.slice(2);
  let out = 'test/fixtures/bpftrace/output';
  const oi = argv.indexOf('--out');
  if (oi >= 0) {
    out = argv[oi + 1];
    argv.splice(oi, 2);
  }
  let version: string;
  try {
    version = execFileSync('bpftrace', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    console.error('bpftrace is not installed (apt-get install -y bpftrace); nothing recorded');
    process.exit(2);
  }
  mkdirSync(out, { recursive: true });
  const cases = argv.length ? CASES.filter((c) => argv.includes(c.name)) : CASES;
  for (const c of cases) {
    const bt = join(out, `${c.name}.bt`);
    writeFileSync(bt, script(c));
    const steps = c.steps.map((s) =>
      s.op === 'cat' ? { ...s, text: readFileSync(s.path, 'latin1') } : s.op === 'system' ? { ...s, text: execFileSync('sh', ['-c', s.cmd], { encoding: 'latin1' }) } : s,
    );
    const unsafe = steps.some((s) => s.op === 'system');
    writeFileSync(join(out, `${c.name}.case.json`), JSON.stringify({ name: c.name, note: c.note, bpftrace: version, env: hostEnv(), steps, end: c.end }, null, 1) + '\n');
    for (const json of [false, true]) {
      try {
        writeFileSync(join(out, `${c.name}${json ? '.json' : ''}.txt`), Buffer.from(run(bt, json, unsafe), 'latin1'));
      } catch (e) {
        console.error(`${c.name}${json ? ' (json)' : ''}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    console.log(`recorded ${c.name}`);
  }
}

if (process.argv[1]?.endsWith('record-bpftrace-output.ts')) main();
