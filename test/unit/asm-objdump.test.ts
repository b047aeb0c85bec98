// Differential test of the LLVM-syntax disassembler and assembler against llvm-objdump 14.
// The C fixtures in test/fixtures/asm/ are compiled at test time (their headers give the command);
// every instruction of every section is decoded with isa/codec.ts, printed with formatInsn, and
// compared with llvm-objdump's text (whitespace normalised). Then llvm-objdump's text is assembled
// back and the bytes compared with the object's. Needs clang and llvm-objdump 14; SKIP otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode, Insn } from '../../server/src/isa';
import { assemble, formatInsn } from '../../server/src/asm';
import { sampleInsns } from '../fixtures/asm/samples';

const FIX = join(__dirname, '..', 'fixtures', 'asm');
const FIXTURES = ['progs.c', 'packet.c'];
const CFLAGS = ['-O2', '-target', 'bpf', '-mcpu=v3', '-g', '-c'];

interface DumpInsn { section: string; slot: number; bytes?: Uint8Array; text: string }

/** Instruction lines of `llvm-objdump -d` output, with the raw bytes column when shown. */
function parseDump(out: string): DumpInsn[] {
  const res: DumpInsn[] = [];
  let section = '';
  for (const line of out.split('\n')) {
    const sec = /^Disassembly of section (.*):$/.exec(line);
    if (sec) { section = sec[1]; continue; }
    const m = /^\s*(\d+):\t(?:((?:[0-9a-f]{2} ){7}[0-9a-f]{2}(?: (?:[0-9a-f]{2} ){7}[0-9a-f]{2})?)\t)?(.*)$/.exec(line);
    if (!m) continue;
    const d: DumpInsn = { section, slot: Number(m[1]), text: m[3] };
    if (m[2]) d.bytes = Uint8Array.from(m[2].split(' '), (h) => parseInt(h, 16));
    res.push(d);
  }
  return res;
}

/** Drops the symbolizer's ` <LBB0_3>` / ` <.text+0x18>` after jump targets: it comes from the ELF symbol table, not the instruction. */
function norm(text: string): string {
  return text.replace(/\s+<[^<>]*>\s*$/, '').replace(/\s+/g, ' ').trim();
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function toolsMissing(tools = ['clang', 'llvm-objdump']): string | undefined {
  for (const tool of tools) {
    const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) return `${tool} not found`;
  }
  const v = spawnSync('llvm-objdump', ['--version'], { encoding: 'utf8' }).stdout;
  if (!/LLVM version 14\./.test(v)) return 'llvm-objdump is not LLVM 14 (the expected text is pinned to LLVM 14)';
  return undefined;
}

test('formatInsn equals llvm-objdump 14 instruction by instruction; objdump text assembles back to the object bytes', (t) => {
  const why = toolsMissing();
  if (why) { console.log(`SKIP: ${why}`); t.skip(why); return; }
  const dir = mkdtempSync(join(tmpdir(), 'bpf-asm-'));
  const stats = { compared: 0, exact: 0, localCalls: 0, alu32Text: 0, reassembled: 0 };
  try {
    for (const src of FIXTURES) {
      const header = readFileSync(join(FIX, src), 'utf8').split('\n').slice(0, 6).join('\n');
      assert.ok(header.includes(`clang ${CFLAGS.join(' ')} ${src}`), `${src}: header states the build command`);
      const obj = join(dir, src.replace(/\.c$/, '.o'));
      run('clang', [...CFLAGS, join(FIX, src), '-o', obj]);
      const plainOut = run('llvm-objdump', ['-d', obj]);
      const alu32Out = run('llvm-objdump', ['-d', '--mattr=+alu32', obj]);
      const plain = parseDump(plainOut);
      const alu32 = parseDump(alu32Out);
      assert.ok(plain.length > 10, `${src}: instructions found`);
      assert.equal(alu32.length, plain.length);

      const mismatches: string[] = [];
      const misprinted = new Set<number>(); // indexes in `plain` whose plain text LLVM 14 gets wrong
      const localPositive = new Set<number>();
      plain.forEach((d, k) => {
        assert.ok(d.bytes, `${src}: raw bytes shown`);
        const dec = decode(d.bytes);
        assert.deepEqual(dec.diagnostics, [], `${src} ${d.section}:${d.slot}`);
        const insn: Insn = { ...dec.insns[0], pc: d.slot };
        const ours = formatInsn(insn, { syntax: 'llvm' });
        let want = norm(d.text);
        stats.compared++;
        if (want === '<unknown>' || (insn.spec.kind === 'atomic' && !insn.spec.is64 && insn.spec.fetch)) {
          // LLVM 14 decodes 32-bit atomics other than `lock +=` only with --mattr=+alu32; without it they
          // print as <unknown> (or fetch-add as a plain `lock +=`). Compare with the alu32 text instead.
          if (want !== norm(alu32[k].text)) misprinted.add(k);
          want = norm(alu32[k].text);
          stats.alu32Text++;
        } else if (insn.spec.kind === 'call' && insn.spec.callKind === 'local') {
          // LLVM 14 prints local calls as `call N`, like helper calls (`call -1` in an object file is
          // a call to a global function awaiting relocation); ours say `call pc+N` so they assemble back.
          assert.equal(want, `call ${insn.imm}`, `${src} ${d.section}:${d.slot}`);
          assert.equal(ours, `call pc${insn.imm < 0 ? '' : '+'}${insn.imm}`);
          if (insn.imm >= 0) localPositive.add(k);
          stats.localCalls++;
          return;
        }
        if (ours === want) stats.exact++;
        else mismatches.push(`${src} ${d.section}:${d.slot}: llvm-objdump '${want}' ours '${ours}'`);
      });
      assert.deepEqual(mismatches, []);

      const objBytes = Buffer.concat(plain.map((d) => d.bytes!));
      const slotsDiffering = (insns: Insn[]) => {
        const mine = encode(insns);
        assert.equal(mine.length, objBytes.length);
        const bad = new Set<number>();
        let at = 0;
        plain.forEach((d, k) => {
          const n = d.bytes!.length;
          if (Buffer.compare(Buffer.from(mine.subarray(at, at + n)), Buffer.from(d.bytes!)) !== 0) bad.add(k);
          at += n;
        });
        return bad;
      };

      // 1. The alu32 dump as pasted (with raw bytes): assembles to exactly the object's bytes.
      const a = assemble(alu32Out);
      assert.equal(a.syntax, 'llvm');
      assert.deepEqual(a.diagnostics.map((x) => `${x.range.line}: ${x.message}`), [], `${src}: alu32 dump`);
      assert.deepEqual([...slotsDiffering(a.insns)], [], `${src}: alu32 dump bytes`);

      // 2. The plain dump as pasted: `<unknown>` lines are taken from their raw bytes (a warning each);
      //    the text LLVM 14 gets wrong differs from the bytes, and only there, with a warning.
      const p = assemble(plainOut);
      assert.ok(p.diagnostics.every((x) => x.severity === 'warning'), `${src}: plain dump: ${JSON.stringify(p.diagnostics)}`);
      assert.deepEqual([...slotsDiffering(p.insns)].sort(), [...misprinted].filter((k) => !/unknown/.test(plain[k].text)).sort(), `${src}: plain dump bytes`);

      // 3. Without raw bytes (--no-show-raw-insn): identical except local calls with N >= 0, which
      //    llvm-objdump 14 prints exactly like helper calls.
      const noRawOut = run('llvm-objdump', ['-d', '--no-show-raw-insn', '--mattr=+alu32', obj]);
      const n = assemble(noRawOut);
      assert.deepEqual(n.diagnostics, [], `${src}: no-raw dump`);
      assert.deepEqual([...slotsDiffering(n.insns)].sort(), [...localPositive].sort(), `${src}: no-raw dump bytes`);
      stats.reassembled += plain.length;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`llvm-objdump differential: ${stats.compared} instructions compared, ${stats.exact} identical text, ` +
    `${stats.localCalls} local calls (LLVM 14 prints them as helper calls; number checked), ` +
    `${stats.alu32Text} 32-bit atomics that plain LLVM 14 cannot print (compared with its --mattr=+alu32 text); ${stats.reassembled} reassembled from objdump text`);
  assert.equal(stats.exact + stats.localCalls, stats.compared);
});

/**
 * Why LLVM 14's text for `insn` may differ from ours, checking the part that must still agree;
 * undefined when the texts must be identical. `want` is plain llvm-objdump 14's text.
 */
function knownDeviation(insn: Insn, want: string, alu32: string, ours: string): string | undefined {
  const s = insn.spec;
  if (want === '<unknown>') {
    if (alu32 !== '<unknown>') { assert.equal(ours, alu32, 'the alu32 text where plain LLVM 14 cannot print'); return undefined; }
    return 'LLVM 14 cannot print it';
  }
  if (s.cpu === 4) return 'v4 instruction: LLVM 14 ignores the field that selects it'; // sdiv as `/=`, movsx as `=`, callx from imm
  if (s.kind === 'call') {
    assert.equal(want, `call ${insn.imm}`);
    return s.callKind === 'helper' ? (insn.imm < 0 ? 'negative helper id' : undefined) : `${s.callKind} call printed like a helper call`;
  }
  if (s.kind === 'ldind' && insn.imm !== 0) {
    assert.equal(want, ours.replace(/ [-+] \d+\]$/, ']'));
    return 'LLVM 14 drops the ldind immediate';
  }
  if (s.kind === 'lddw' && insn.src !== 0) {
    assert.match(want, new RegExp(`^ld_pseudo r${insn.dst}, ${insn.src}, `));
    return 'pseudo lddw printed as ld_pseudo';
  }
  if (s.kind === 'atomic' && !s.is64 && s.fetch) {
    assert.equal(ours, alu32);
    return 'LLVM 14 misreads 32-bit fetch-add without --mattr=+alu32';
  }
  return undefined;
}

test('every opcode-table instruction, with extreme fields, prints as llvm-objdump 14 prints it', (t) => {
  // Raw bytes assembled with .byte, so LLVM's own assembler is not involved.
  const why = toolsMissing(['llvm-mc', 'llvm-objdump']);
  if (why) { console.log(`SKIP: ${why}`); t.skip(why); return; }
  const insns = sampleInsns();
  const dir = mkdtempSync(join(tmpdir(), 'bpf-asm-'));
  try {
    const src = '.text\n' + insns.map((i) => `.byte ${Array.from(encode([i])).join(',')}`).join('\n') + '\n';
    writeFileSync(join(dir, 'all.s'), src);
    run('llvm-mc', ['-triple', 'bpfel', '-filetype=obj', join(dir, 'all.s'), '-o', join(dir, 'all.o')]);
    const plain = parseDump(run('llvm-objdump', ['-d', join(dir, 'all.o')]));
    const alu32 = parseDump(run('llvm-objdump', ['-d', '--mattr=+alu32', join(dir, 'all.o')]));
    assert.equal(plain.length, insns.length);
    const reasons = new Map<string, number>();
    let identical = 0;
    const bad: string[] = [];
    insns.forEach((insn, k) => {
      const i = { ...insn, pc: plain[k].slot };
      const ours = formatInsn(i, { syntax: 'llvm' });
      const want = norm(plain[k].text);
      const why = knownDeviation(i, want, norm(alu32[k].text), ours);
      if (why) { reasons.set(why, (reasons.get(why) ?? 0) + 1); return; }
      if (ours === want || (want === '<unknown>' && ours === norm(alu32[k].text))) identical++;
      else bad.push(`${insn.spec.name}: llvm-objdump '${want}' ours '${ours}'`);
    });
    assert.deepEqual(bad, []);
    console.log(`llvm-objdump over the opcode table: ${insns.length} instructions, ${identical} identical text; ` +
      [...reasons].map(([r, n]) => `${n} ${r}`).join('; '));
    assert.ok(identical > insns.length / 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
