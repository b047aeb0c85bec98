// What the front end's speed-ups must keep: the AST walkers' per-kind field lists agree with the
// generic field scan (every object-valued field but the range) on every node of every fixture
// script, and behaviour fixed along the way (compound assignments typing a new map) stays fixed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, checkScript, Checker, checkVersion, childKeys, forEachChildWith, isNode, parse, tokenize, walk, type Diagnostic, type Node } from '../../server/src/bpftrace';
import { mapWrites } from '../../server/src/bpftrace/semantic';
import { benchScript } from '../../bench/bpftrace';
import { btFiles } from './bpftrace-tools-dir';

/** Children by scanning the object-valued fields, in field order (what the walkers did before). */
function scanned(n: Node): Node[] {
  const rec = n as unknown as Record<string, unknown>;
  const out: Node[] = [];
  for (const k of Object.keys(n)) {
    if (k === 'kind' || k === 'range') continue;
    const v = rec[k];
    if (Array.isArray(v)) for (const x of v) { if (isNode(x)) out.push(x); }
    else if (isNode(v)) out.push(v);
  }
  return out;
}

test('bpftrace AST: forEachChildWith lists the same children as the field scan, in order, for every node kind', () => {
  const texts = btFiles(join(__dirname, '..', 'fixtures')).map((f) => readFileSync(f, 'utf8'));
  texts.push(benchScript(200));
  const kinds = new Set<string>();
  let nodes = 0;
  for (const text of texts) {
    walk(parse(text).program, (n) => {
      const got: Node[] = [];
      forEachChildWith(n, (c, acc: Node[]) => acc.push(c), got);
      assert.deepEqual(got, scanned(n), `children of a ${n.kind} at ${n.range.start}`);
      assert.ok(childKeys(n).every((k) => k !== 'range' && k !== 'kind'));
      kinds.add(n.kind);
      nodes++;
    });
  }
  // The fixtures exercise (nearly) the whole grammar: a walk that skipped a kind would show up above.
  assert.ok(kinds.size >= 50, `only ${kinds.size} node kinds seen in ${nodes} nodes`);
});

test('bpftrace types: a compound assignment types a map nothing else wrote (bpftrace rewrites `@m op= v` to `@m = @m op v`)', () => {
  const value = (text: string, target: string, map = '@m'): unknown => checkScript(text, target).types?.maps.get(map)?.value;
  const S64 = { k: 'int', bits: 64, signed: true };
  assert.deepEqual(value('BEGIN { @m += 5; }', '0.26'), S64);
  assert.deepEqual(value('BEGIN { @m[1] -= 2; } END { @x = @m[1]; }', '0.26'), S64);
  assert.deepEqual(value('BEGIN { @m[1] -= 2; } END { @x = @m[1]; }', '0.26', '@x'), S64);
  assert.deepEqual(value('BEGIN { @m++; }', '0.26'), S64);
  // 0.17: ints are stored as 64-bit with the value's sign.
  assert.deepEqual(value('BEGIN { @m += 5; }', '0.17'), S64);
  // The map is typed where it is first written, so nothing is read before its type is known: one pass.
  const r = parse('BEGIN { @m[1] += 5ms; printf("%d", @m[1]); }');
  const c = new Checker({}, { target: '0.26' });
  c.run(r.program);
  assert.equal(c.pass, 1);
  assert.deepEqual(c.info.diagnostics, []);
  assert.deepEqual(c.info.maps.get('@m')?.value, S64);
});

test('bpftrace lexer: integer values and bounds are exact on both sides of the double fast path', () => {
  const lit = (text: string): { value?: bigint; errors: string[] } => {
    const r = tokenize(text);
    return { value: r.tokens[0].value, errors: r.diagnostics.map((d) => d.message) };
  };
  const cases: [string, bigint | undefined][] = [
    ['0', 0n], ['7', 7n], ['010', 8n], ['08', 8n], ['1_000', 1000n], ['999999999999999', 999999999999999n],
    ['9007199254740993', 9007199254740993n], ['18446744073709551615', 18446744073709551615n], ['18446744073709551616', undefined],
    ['4294967295u', 4294967295n], ['4294967296u', undefined], ['9223372036854775807l', 9223372036854775807n],
    ['5ms', 5_000_000n], ['104249d', 104249n * 86_400_000_000_000n], ['213503d', 213503n * 86_400_000_000_000n], ['213504d', undefined],
    ['1e6', 1_000_000n], ['0x10u', 16n], ['1constructor', undefined], ['1toString', undefined],
  ];
  for (const [text, want] of cases) assert.equal(lit(text).value, want, text);
  assert.deepEqual(lit('4294967296u').errors, ['overflow error, maximum value is 4294967295: 4294967296u']);
  assert.deepEqual(lit('1constructor').errors, ["invalid integer suffix 'constructor'"]);
});

test('checkScript: the version check run item by item while parsing, and the map writes collected on the way, equal the whole-tree passes', () => {
  const texts = btFiles(join(__dirname, '..', 'fixtures')).map((f) => readFileSync(f, 'utf8'));
  texts.push(benchScript(100), 'BEGIN { @a = @b; } END { @b = 1; print(@c); }');
  let compared = 0;
  for (const text of texts) {
    for (const target of ['0.17', '0.24', '0.26']) {
      const byRange = (a: Diagnostic, b: Diagnostic): number => a.range.start - b.range.start || a.range.end - b.range.end;
      const version = checkScript(text, target).diagnostics.filter((d) => d.source === 'version');
      assert.deepEqual(version, checkVersion(parse(text).program, target).sort(byRange), `${target}: ${text.slice(0, 60)}`);
      // The first pass with the writes collected during parsing reports what its own walk finds.
      const whole = parse(text);
      if (whole.diagnostics.some((d) => d.severity === 'error') || whole.program.items.some((i) => i.kind === 'Macro')) continue;
      const w = mapWrites();
      const early = parse(text, (item) => walk(item, w.visit));
      assert.deepEqual(
        analyze(early.program, target, undefined, { types: true, written: w.written(early.program) }).diagnostics,
        analyze(whole.program, target, undefined, { types: true }).diagnostics,
      );
      compared++;
    }
  }
  assert.ok(compared > 100, `${compared} scripts compared`);
  assert.deepEqual(checkScript('BEGIN { @a = @b; } END { @b = 1; print(@c); }').diagnostics.map((d) => d.message), ['Undefined map: @c']);
});
