// Local measurement over upstream bpftrace tools/*.bt (never committed): set
// BPFTRACE_TOOLS to "DIR=VERSION[,DIR=VERSION]" (default: /tmp/bt-tools-017/tools=0.17
// and /tmp/bt-tools-head/tools=0.26, exported from github:bpftrace/bpftrace with
// `git archive v0.17.0 tools` / `git archive HEAD tools`). Tools whose probes are
// not in the 6.18 data (tracepoints absent from tracefs, kprobe/fentry functions
// absent from BTF) are left out. Prints how many compile with no codegen error and
// pass our verifier (and the kernel, when loadable); fails below 90% (0.17 tools).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileText, toEmitSpec, verifyProbe, type CompiledScript } from '../../server/src/bpftrace/codegen';
import { parse } from '../../server/src/bpftrace/parser';
import { emitObject } from '../../server/src/elf/emit';
import { loadWithKernelAsync } from '../../server/src/host/bpftool';
import { kernelUnavailable } from '../../server/src/host/kernel-access';
import { kernel618 } from './bpftrace-codegen-support';

const SETS = (process.env.BPFTRACE_TOOLS ?? '/tmp/bt-tools-017/tools=0.17,/tmp/bt-tools-head/tools=0.26')
  .split(',').map((s) => s.split('=')).map(([dir, version]) => ({ dir, version: version ?? '0.17' }));

/** Attach points the 6.18 data does not have. */
function absentProbes(text: string): string[] {
  const k = kernel618();
  const out: string[] = [];
  for (const it of parse(text).program.items) {
    if (it.kind !== 'Probe') continue;
    for (const ap of it.attachPoints) {
      const last = ap.parts[ap.parts.length - 1] ?? '';
      if (/[*?]/.test(ap.parts.join(':'))) continue;
      if (ap.canonical === 'tracepoint' && !k?.format(ap.parts[0], ap.parts[1])) out.push(ap.raw);
      if (['kprobe', 'kretprobe', 'fentry', 'fexit'].includes(ap.canonical) && k?.btf?.find(last.replace(/\+.*$/, '')) === undefined) out.push(ap.raw);
    }
  }
  return out;
}

for (const set of SETS) {
  test(`upstream bpftrace tools (${set.version}, ${set.dir}): codegen + our verifier`, async (t) => {
    if (!existsSync(set.dir) || !kernel618()) {
      const why = !kernel618() ? 'kernel 6.18 data not present' : `${set.dir} not present (export bpftrace's tools/ there to measure)`;
      console.log(`SKIP: ${why}`);
      t.skip(why);
      return;
    }
    const btf = kernel618()?.btf;
    let ok = 0;
    let considered = 0;
    const failed: string[] = [];
    const good: { file: string; text: string; script: CompiledScript }[] = [];
    for (const file of readdirSync(set.dir).filter((f) => f.endsWith('.bt')).sort()) {
      const text = readFileSync(join(set.dir, file), 'utf8');
      if (absentProbes(text).length) continue;
      considered++;
      const r = compileText(text, kernel618(), { target: set.version });
      const cg = r.diagnostics.filter((d) => d.severity === 'error' && d.source === 'codegen');
      const rejected = (r.script?.probes ?? []).filter((p) => verifyProbe(r.script!, p, btf ? { btf } : {}).verdict !== 'accept');
      if (r.script && r.script.probes.length > 0 && cg.length === 0 && rejected.length === 0) {
        ok++;
        good.push({ file, text, script: r.script });
      } else failed.push(`${file}: ${[...cg.map((d) => d.message), ...rejected.map((p) => `${p.name} rejected`)].join('; ')}`);
    }
    for (const f of failed) console.log(`  not compiled: ${f}`);
    let kernelLine = '';
    const why = kernelUnavailable()?.reason;
    if (!why) {
      const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-upstream-'));
      let total = 0;
      let pass = 0;
      let refused = 0;
      try {
        const jobs: Promise<void>[] = [];
        for (const g of good) {
          g.script.probes.forEach((p, i) => {
            total++;
            const obj = emitObject(toEmitSpec({ ...g.script, probes: [p] }, g.text, g.file));
            const f = join(tmp, `${g.file}.${i}.o`);
            writeFileSync(f, obj.bytes);
            jobs.push(loadWithKernelAsync(f, { timeoutMs: 60_000 }).then((k) => {
              if (k.verdict === 'accept') pass++;
              else if (p.progType === 'tracing' && !k.kernelLog) refused++;
              else console.log(`  kernel rejects ${g.file} ${p.attachPoints[0]}: ${k.message}`);
            }));
          });
        }
        await Promise.all(jobs);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      kernelLine = `; their ${total} programs: ${pass} pass the kernel${refused ? `, ${refused} fentry/fexit refused by this kernel` : ''}`;
    } else console.log(`SKIP: kernel loading: ${why}`);
    const pct = considered ? (100 * ok) / considered : 100;
    console.log(`upstream tools ${set.version}: ${ok}/${considered} (${pct.toFixed(0)}%) compile and pass our verifier${kernelLine}`);
    assert.ok(pct >= (set.version === '0.17' ? 90 : 80), `${pct.toFixed(0)}% of the tools compile and verify`);
  });
}
