// Every program compiled from test/fixtures/bpftrace/codegen/*.bt must pass
// the embedded verifier, and — where this machine can load BPF (root,
// bpftool) — the running kernel, loaded one program per ELF object with all
// the script's maps; each also runs on the VM without faults. Prints "N/M pass our verifier, K/M pass the kernel".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileText, toEmitSpec, verifyProbe, vmMaps, type CompiledScript } from '../../server/src/bpftrace/codegen';
import { runInterp } from '../../server/src/vm';
import { emitObject } from '../../server/src/elf/emit';
import { parseObject } from '../../server/src/elf/object';
import { loadWithKernelAsync } from '../../server/src/host/bpftool';
import { kernelUnavailable } from '../../server/src/host/kernel-access';
import { kernel618, targetOf } from './bpftrace-codegen-support';

const DIR = join(__dirname, '..', 'fixtures', 'bpftrace', 'codegen');

interface Compiled { file: string; text: string; script: CompiledScript }

function compileAll(): Compiled[] {
  return readdirSync(DIR).filter((f) => f.endsWith('.bt')).sort().map((file) => {
    const text = readFileSync(join(DIR, file), 'utf8');
    const r = compileText(text, kernel618(), { target: targetOf(text) });
    const errors = r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.source}: ${d.message}`);
    assert.deepEqual(errors, [], `${file} compiles without errors`);
    assert.ok(r.script && r.script.probes.length > 0, `${file}: no programs`);
    return { file, text, script: r.script };
  });
}

/** One ELF object per program (all maps), so each program gets its own kernel verdict. */
function objectFor(c: Compiled, i: number): Uint8Array {
  const one: CompiledScript = { ...c.script, probes: [c.script.probes[i]] };
  const r = emitObject(toEmitSpec(one, c.text, c.file));
  assert.deepEqual(r.diagnostics, [], `${c.file}: ELF diagnostics`);
  return r.bytes;
}

test('codegen fixtures: every program passes our verifier and the kernel', async (t) => {
  if (!kernel618()) {
    console.log('SKIP: ../shared/kernel/6.18 data not present');
    t.skip('kernel 6.18 data not present');
    return;
  }
  const all = compileAll();
  const btf = kernel618()?.btf;
  let total = 0;
  const ours: string[] = [];
  for (const c of all) {
    for (const p of c.script.probes) {
      total++;
      const v = verifyProbe(c.script, p, btf ? { btf } : {});
      if (v.verdict === 'accept') ours.push(`${c.file} ${p.attachPoints[0]}`);
      else console.log(`  our verifier rejects ${c.file} ${p.attachPoints[0]}: ${v.errors[0]?.message} (insn ${v.errors[0]?.pc})`);
    }
  }
  // Every program also runs to completion on the VM (zeroed context, default environment).
  for (const c of all) {
    c.script.probes.forEach((p) => {
      const r = runInterp(p.insns, { ctx: new Uint8Array(512) }, { maps: vmMaps(c.script) });
      assert.equal(r.fault, undefined, `${c.file} ${p.attachPoints[0]} faults on the VM: ${r.fault?.message}`);
      assert.equal(r.r0, 0n);
    });
  }
  // The objects parse back with every program and map.
  const obj = parseObject(objectFor(all[0], 0));
  assert.ok(obj.object, 'ELF parses');
  assert.equal(obj.object.maps.length, all[0].script.maps.length);
  const why = kernelUnavailable()?.reason;
  let kernelLine: string;
  let kernelPass = 0;
  const skipped: string[] = [];
  if (why) {
    console.log(`SKIP: kernel loading: ${why}`);
    kernelLine = `kernel: skipped (${why})`;
  } else {
    const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-codegen-'));
    try {
      const jobs: Promise<void>[] = [];
      for (const c of all) {
        c.script.probes.forEach((p, i) => {
          const f = join(tmp, `${c.file}.${i}.o`);
          writeFileSync(f, objectFor(c, i));
          jobs.push(loadWithKernelAsync(f, { timeoutMs: 60_000 }).then((k) => {
            if (k.verdict === 'accept') kernelPass++;
            else if (p.progType === 'tracing' && k.errno === -1 && !k.kernelLog) {
              // This kernel refuses fentry/fexit outright (EPERM before verification: no ftrace direct calls here).
              skipped.push(`${c.file} ${p.attachPoints[0]}`);
            } else console.log(`  kernel rejects ${c.file} ${p.attachPoints[0]}: ${k.message}`);
          }));
        });
      }
      await Promise.all(jobs);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    kernelLine = `${kernelPass}/${total} pass the kernel`;
    if (skipped.length) {
      console.log(`SKIP: the running kernel refuses fentry/fexit programs before verification (EPERM, no log): ${skipped.join(', ')}`);
      kernelLine += ` (${skipped.length} fentry/fexit not loadable on this kernel)`;
    }
  }
  console.log(`codegen fixtures: ${ours.length}/${total} pass our verifier, ${kernelLine}`);
  assert.equal(ours.length, total, 'every program passes our verifier');
  if (!why) assert.equal(kernelPass, total - skipped.length, 'every loadable program loads into the kernel');
});
