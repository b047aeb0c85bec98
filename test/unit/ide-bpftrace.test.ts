// The bpftrace editor features as plain data (server/src/ide/bpftrace-*.ts):
// diagnostics with hints and target versions, hovers and completion, against a
// small kernel catalog built from inline tracefs format texts. Positions are
// found by searching the text; `|` marks the cursor in completion cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTINS, FUNCTIONS, PROVIDERS } from '../../server/src/bpftrace';
import { parseTracepointFormat } from '../../server/src/btf/tracepoint';
import { analyzeBpftrace, bpftraceDiagnostics } from '../../server/src/ide/bpftrace-check';
import { bpftraceCompletion } from '../../server/src/ide/bpftrace-complete';
import { BUILTIN_DOCS, FUNCTION_DOCS, PROVIDER_DOCS } from '../../server/src/ide/bpftrace-docs';
import { bpftraceHover } from '../../server/src/ide/bpftrace-hover';
import { tracepointCatalog } from '../../server/src/ide/bpftrace-kernel';
import { DEFAULT_SETTINGS, ModeSettings } from '../../server/src/ide/types';

const COMMON = [
  '\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;',
  '\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;',
  '\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;',
  '\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;',
  '',
];

function format(name: string, id: number, fields: string[]): string {
  return [`name: ${name}`, `ID: ${id}`, 'format:', ...COMMON, ...fields.map((f) => `\t${f}`), '', 'print fmt: "x"', ''].join('\n');
}

const FORMATS: [string, string][] = [
  ['syscalls', format('sys_enter_openat', 782, [
    'field:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;',
    'field:int dfd;\toffset:16;\tsize:8;\tsigned:0;',
    'field:const char * filename;\toffset:24;\tsize:8;\tsigned:0;',
    'field:int flags;\toffset:32;\tsize:8;\tsigned:0;',
    'field:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;',
  ])],
  ['syscalls', format('sys_exit_openat', 781, [
    'field:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;',
    'field:long ret;\toffset:16;\tsize:8;\tsigned:1;',
  ])],
  ['sched', format('sched_process_exec', 300, [
    'field:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;',
    'field:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;',
  ])],
];

const kernel = tracepointCatalog('test formats', FORMATS.map(([system, text]) => {
  const r = parseTracepointFormat(text);
  assert.deepEqual(r.diagnostics, [], `${system}: the inline format parses`);
  return { system, format: r.format! };
}));

function settings(target = '0.26', withKernel = true): ModeSettings {
  return { ...DEFAULT_SETTINGS, bpftraceTarget: target, ...(withKernel ? { kernel } : {}) };
}

function at(text: string, needle: string, delta = 0): number {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `"${needle}" in the test text`);
  return i + delta;
}

test('the catalog lists systems, events and fields', () => {
  assert.deepEqual(kernel.systems(), ['sched', 'syscalls']);
  assert.deepEqual(kernel.events('syscalls'), ['sys_enter_openat', 'sys_exit_openat']);
  assert.deepEqual(kernel.events('nope'), []);
  assert.equal(kernel.format('sched', 'sched_process_exec')?.id, 300);
  assert.deepEqual(kernel.tracepointFields('syscalls', 'sys_exit_openat'), ['common_type', 'common_flags', 'common_preempt_count', 'common_pid', '__syscall_nr', 'ret']);
  assert.equal(kernel.tracepointFields('syscalls', 'sys_enter_nope'), undefined);
});

test('diagnostics: a typo in an args field, with the hint and the range of the field access', () => {
  const text = 'tracepoint:syscalls:sys_enter_openat\n{\n  printf("%s\\n", str(args->filenme));\n}\n';
  const diags = bpftraceDiagnostics(analyzeBpftrace(text, settings()));
  assert.equal(diags.length, 1, JSON.stringify(diags));
  const d = diags[0];
  assert.equal(d.severity, 'error');
  assert.equal(d.source, 'bpftrace');
  assert.match(d.message, /does not contain a field named 'filenme'/);
  assert.match(d.message, /did you mean 'filename'\?/);
  assert.equal(text.slice(d.range.start, d.range.end), 'args->filenme');
  assert.deepEqual([d.range.line, d.range.col], [2, 21]);
  // Without kernel data nothing is known about the record.
  assert.deepEqual(bpftraceDiagnostics(analyzeBpftrace(text, settings('0.26', false))), []);
});

test('diagnostics: unknown tracepoints warn; the target version changes the verdict', () => {
  const unknown = 't:syscalls:sys_enter_frob { exit(); }\n';
  const w = bpftraceDiagnostics(analyzeBpftrace(unknown, settings()));
  assert.equal(w.length, 1);
  assert.equal(w[0].severity, 'warning');
  assert.match(w[0].message, /not found: syscalls:sys_enter_frob/);

  const letDecl = 'BEGIN { let $x = 1; print($x); }\n';
  assert.deepEqual(bpftraceDiagnostics(analyzeBpftrace(letDecl, settings('0.26'))), []);
  const old = bpftraceDiagnostics(analyzeBpftrace(letDecl, settings('0.17')));
  assert.equal(old.length, 1);
  assert.match(old[0].message, /0\.22/);
  assert.equal(letDecl.slice(old[0].range.start, old[0].range.end).startsWith('let'), true);

  const syntax = bpftraceDiagnostics(analyzeBpftrace('BEGIN { printf("x" }\n', settings()));
  assert.ok(syntax.some((d) => d.severity === 'error'), 'syntax errors are reported');
});

test('hover: builtins, functions, providers, tracepoint records and args fields', () => {
  const text = 'tracepoint:syscalls:sys_enter_openat /pid != 0/ {\n  @[comm] = count();\n  printf("%d\\n", args.dfd);\n}\n';
  const doc = analyzeBpftrace(text, settings());
  const h = (needle: string, delta = 0): string | undefined => bpftraceHover(doc, text, at(text, needle, delta))?.markdown;

  const pid = bpftraceHover(doc, text, at(text, 'pid'));
  assert.ok(pid);
  assert.equal(text.slice(pid.range.start, pid.range.end), 'pid');
  assert.ok(pid.markdown.includes(BUILTIN_DOCS.pid), pid.markdown);
  assert.ok(pid.markdown.includes(BUILTINS.pid.type));
  assert.ok(h('comm')?.includes(BUILTIN_DOCS.comm));
  assert.ok(h('count')?.includes(FUNCTION_DOCS.count));
  assert.match(h('printf') ?? '', /printf\(\)\*\* — 1\+ arguments/);

  const tp = h('sys_enter_openat');
  assert.ok(tp);
  assert.match(tp, /tracepoint:syscalls:sys_enter_openat\*\* \(ID 782, record 48 bytes\)/);
  assert.match(tp, /\| filename \| `const char \*` \| 24 \| 8 \|/);
  assert.match(tp, /\| mode \| `umode_t` \| 40 \| 8 \|/);
  assert.ok(!tp.includes('common_pid'), 'common fields are left out');
  assert.ok(h('tracepoint', 2)?.includes(PROVIDER_DOCS.tracepoint), 'the provider part shows the provider');
  assert.match(h('dfd') ?? '', /args\.dfd\*\* `int` — offset 16, size 8/);
  const args = h('args');
  assert.ok(args?.includes(BUILTIN_DOCS.args) && args.includes('| dfd | `int` | 16 | 8 |'), `args shows the record: ${args}`);
  assert.equal(bpftraceHover(doc, text, at(text, '"%d')), undefined, 'nothing on a string');
});

test('hover: a data_loc field and an unknown tracepoint', () => {
  const text = 'tracepoint:sched:sched_process_exec { print(args.pid); }\nt:sched:nope { exit(); }\n';
  const doc = analyzeBpftrace(text, settings());
  const rec = bpftraceHover(doc, text, at(text, 'sched_process_exec'))?.markdown ?? '';
  assert.match(rec, /\| filename \| `__data_loc char\[\]` \| 8 \| 4 \|/);
  assert.match(bpftraceHover(doc, text, at(text, 'nope'))?.markdown ?? '', /not found in test formats/);
});

function complete(marked: string, target = '0.26'): { labels: string[]; replaced: string[] } {
  const offset = marked.indexOf('|');
  const text = marked.slice(0, offset) + marked.slice(offset + 1);
  const items = bpftraceCompletion(analyzeBpftrace(text, settings(target)), text, offset);
  return { labels: items.map((i) => i.label), replaced: [...new Set(items.map((i) => text.slice(i.replace.start, i.replace.end)))] };
}

test('completion: tracepoint subsystems and events after tracepoint: and t:', () => {
  assert.deepEqual(complete('tracepoint:|').labels, ['sched', 'syscalls']);
  assert.deepEqual(complete('t:sys|').replaced, ['sys']);
  const ev = complete('tracepoint:syscalls:sys_en|');
  assert.deepEqual(ev.labels, ['sys_enter_openat', 'sys_exit_openat']);
  assert.deepEqual(ev.replaced, ['sys_en']);
  assert.deepEqual(complete('BEGIN { exit(); }\nt:sched:|').labels, ['sched_process_exec']);
  assert.deepEqual(complete('kprobe:syscalls:|').labels, [], 'not after other providers');
  assert.ok(!complete('BEGIN { $v = $c ? t:|').labels.includes('syscalls'), 'not inside a probe body');
});

test('completion: args fields in a tracepoint probe (. and ->), common fields left out', () => {
  assert.deepEqual(complete('tracepoint:syscalls:sys_enter_openat { printf("%s", str(args->|)); }').labels, ['__syscall_nr', 'dfd', 'filename', 'flags', 'mode']);
  assert.deepEqual(complete('tracepoint:syscalls:sys_exit_openat { @ = hist(args.r|').labels, ['__syscall_nr', 'ret']);
  // Two tracepoints on one probe: the union of their fields.
  assert.deepEqual(complete('t:syscalls:sys_exit_openat, t:sched:sched_process_exec { args.| }').labels, ['__syscall_nr', 'ret', 'filename', 'pid']);
  assert.deepEqual(complete('kprobe:do_sys_open { args.| }').labels, []);
});

test('completion: providers at the top level, builtins and functions inside a probe', () => {
  const top = complete('kp|');
  assert.deepEqual(top.labels, PROVIDERS.map((p) => p.name));
  assert.deepEqual(top.replaced, ['kp']);
  const inside = complete('BEGIN { printf("{"); pr| }');
  for (const name of ['pid', 'comm', 'nsecs']) assert.ok(inside.labels.includes(name), name);
  for (const name of ['printf', 'count', 'hist', 'str']) assert.ok(inside.labels.includes(name), name);
  assert.deepEqual(inside.replaced, ['pr']);
  assert.equal(inside.labels.length, Object.keys(BUILTINS).length + Object.keys(FUNCTIONS).length);
  assert.deepEqual(complete('BEGIN { $x| }').labels, [], 'not for variables');
  assert.deepEqual(complete('BEGIN { @m| }').labels, [], 'not for maps');
  assert.deepEqual(complete('BEGIN { if (pid >|').labels, [], 'not after a comparison');
  assert.deepEqual(complete('BEGIN { exit(); }\n// a { comment\nin|').labels.includes('interval'), true, 'braces in comments do not count');
});

test('docs: every builtin and provider has one; documented functions exist', () => {
  for (const name of Object.keys(BUILTINS)) assert.ok(BUILTIN_DOCS[name], `builtin ${name} has a doc`);
  for (const p of PROVIDERS) assert.ok(PROVIDER_DOCS[p.name], `provider ${p.name} has a doc`);
  for (const name of Object.keys(FUNCTION_DOCS)) assert.ok(name in FUNCTIONS, `documented function ${name} is in FUNCTIONS`);
  for (const name of Object.keys(BUILTIN_DOCS)) assert.ok(name in BUILTINS, `documented builtin ${name} is in BUILTINS`);
});
