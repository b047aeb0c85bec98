import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parseBtf, Btf } from '../../server/src/btf';
import { parseTracepointFormat, TracepointIndex } from '../../server/src/btf/tracepoint';
import { readTracepointFormats } from '../../server/src/host/btf-files';

const VMLINUX = '../shared/kernel/6.18/vmlinux.btf';
const EVENTS = '../shared/kernel/6.18/tracefs/events';

const SAMPLE = `name: demo
ID: 42
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;
\tfield:__data_loc char[] path;\toffset:24;\tsize:4;\tsigned:0;
\tfield:const char * name;\toffset:32;\tsize:8;\tsigned:0;

print fmt: "comm=%s
second line", REC->comm
`;

test('format file: fields, arrays, __data_loc, multi-line print fmt', () => {
  const r = parseTracepointFormat(SAMPLE);
  assert.deepEqual(r.diagnostics, []);
  const f = r.format!;
  assert.equal(f.name, 'demo');
  assert.equal(f.id, 42);
  assert.deepEqual(f.fields.map((x) => [x.name, x.type, x.offset, x.size, x.signed, x.common]), [
    ['common_type', 'unsigned short', 0, 2, false, true],
    ['common_pid', 'int', 4, 4, true, true],
    ['comm', 'char[16]', 8, 16, false, false],
    ['path', 'char[]', 24, 4, false, false],
    ['name', 'const char *', 32, 8, false, false],
  ]);
  assert.equal(f.fields[2].arrayLen, 16);
  assert.equal(f.fields[3].dynamic, 'data_loc');
  assert.equal(f.size, 40);
  assert.match(f.printFmt, /second line/);
});

test('malformed format files give diagnostics with line numbers', () => {
  const bad = SAMPLE
    .replace('offset:8;', 'offset:x;')
    .replace('field:const char * name;', 'field:*;')
    .replace('ID: 42', 'ID: forty-two')
    .replace('\tfield:int common_pid;\toffset:4;', '\tfield:int common_pid;\toffset:1;');
  const r = parseTracepointFormat(bad);
  const msgs = r.diagnostics.map((d) => `${d.line}: ${d.message}`);
  assert.ok(msgs.some((m) => /^1: bad ID/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^6: malformed field line/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^8: cannot find the field name/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^4: field common_pid .* overlaps common_type/.test(m)), msgs.join('\n'));
  assert.ok(parseTracepointFormat('').diagnostics.some((d) => /no 'name:'/.test(d.message)));
  assert.ok(parseTracepointFormat('junk\n').diagnostics.some((d) => d.line === 0 && /unexpected line/.test(d.message)));
});

test('all tracefs format files parse, and the related BTF structs agree field by field', (t) => {
  if (!existsSync(VMLINUX) || !existsSync(EVENTS)) { console.log('SKIP: kernel data missing'); t.skip('kernel data missing'); return; }
  const { files, errors } = readTracepointFormats(EVENTS);
  assert.deepEqual(errors, []);
  const b = new Btf(parseBtf(readFileSync(VMLINUX)).btf!);
  const idx = new TracepointIndex(b);
  let related = 0;
  let byEvent = 0;
  let ambiguous = 0;
  const disagree: string[] = [];
  const unrelated = new Map<string, number>();
  for (const f of files) {
    const r = parseTracepointFormat(f.text);
    assert.deepEqual(r.diagnostics, [], f.path);
    assert.equal(r.format!.name, f.event);
    const rel = idx.relate(r.format!);
    if (rel.structId === undefined) {
      unrelated.set(f.system, (unrelated.get(f.system) ?? 0) + 1);
      continue;
    }
    related++;
    if (rel.rule === 'event') {
      byEvent++;
      assert.equal(rel.structName, `trace_event_raw_${f.event}`);
    } else if (rel.candidates > 1) {
      ambiguous++;
    }
    if (!rel.agrees) disagree.push(`${f.system}/${f.event} vs ${rel.structName}: ${JSON.stringify(rel.fields.filter((x) => !x.agrees))}`);
  }
  console.log(`tracepoints: ${files.length} format files parsed; ${related} related to a trace_event_raw_* struct (${byEvent} by event name, ${related - byEvent} by template, ${ambiguous} of those chosen among several); ${related - disagree.length} agree on every field's offset and size; unrelated by system: ${JSON.stringify(Object.fromEntries(unrelated))}`);
  assert.ok(files.length > 2000);
  assert.deepEqual(disagree.slice(0, 5), []);
});
