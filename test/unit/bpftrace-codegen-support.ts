/**
 * Test support for the bpftrace code generator: the shared kernel 6.18 data
 * as a deterministic kernel catalog, compiling script text, and running a
 * compiled probe on the VM with persistent maps, returning decoded output
 * events and map snapshots; asserting that our verifier accepts every program
 * of a script, and the output of a BEGIN-only script replayed as bpftrace
 * prints it. Not a test file itself (no `.test.ts`).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { loadKernelInfo } from '../../server/src/host/kernel-info';
import { compileText, decodeMap, decodeRecord, verifyProbe, vmMaps, type CompiledScript } from '../../server/src/bpftrace/codegen';
import { compileForReplay, replay } from '../../server/src/bpftrace/replay';
import type { MapSnapshot, OutputEvent } from '../../server/src/bpftrace/output/values';
import { Vm, type VmEnv } from '../../server/src/vm';
import { SHARED } from '../shared';

export const SHARED_EVENTS = `${SHARED}/kernel/6.18/tracefs/events`;

let cached: ReturnType<typeof loadKernelInfo> | null = null;

/** The shared 6.18 tracepoints and BTF, or undefined when the data is absent. */
export function kernel618(): ReturnType<typeof loadKernelInfo> {
  if (cached === null) cached = existsSync(SHARED_EVENTS) ? loadKernelInfo({ tracefs: [], bundles: [], shared: [SHARED_EVENTS] }) : undefined;
  return cached;
}

/** `// target: 0.26` on a script's first lines selects the bpftrace version (default 0.17). */
export function targetOf(text: string): string {
  return /^\/\/ target: (\S+)/m.exec(text)?.[1] ?? '0.17';
}

export function compileOk(text: string, target = targetOf(text)): CompiledScript {
  const r = compileText(text, kernel618(), { target });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !r.script) throw new Error(`compile failed: ${errors.map((d) => `${d.source}: ${d.message}`).join('; ')}`);
  return r.script;
}

/** Per-CPU entries of VM map i grouped by key, as decodeMap wants them. */
export function mapEntries(vm: Vm, i: number): { key: Uint8Array; values: Uint8Array[] }[] {
  const groups = new Map<string, { key: Uint8Array; values: Uint8Array[] }>();
  for (const e of vm.maps[i].entries()) {
    const k = Buffer.from(e.key).toString('hex');
    const g = groups.get(k) ?? { key: e.key, values: [] };
    g.values.push(e.value);
    groups.set(k, g);
  }
  return [...groups.values()];
}

export interface RunResult {
  events: (OutputEvent | { error: string })[];
  maps: Map<string, MapSnapshot>;
  faults: string[];
}

/** Runs probe `index` of a script once per ctx on one VM (maps kept between runs). */
export function runProbe(script: CompiledScript, index: number, ctxs: Uint8Array[], env: Partial<VmEnv> = {}): RunResult {
  const p = script.probes[index];
  const faults: string[] = [];
  const events: RunResult['events'] = [];
  const vm = new Vm(p.insns, { maps: vmMaps(script), env });
  ctxs.forEach((ctx, k) => {
    vm.reset({ ctx }, k > 0);
    vm.run();
    if (vm.fault) faults.push(vm.fault.message);
    for (const o of vm.output) if (o.kind === 'perf' || o.kind === 'ringbuf') events.push(decodeRecord(script, o.data));
  });
  const maps = new Map<string, MapSnapshot>();
  script.maps.forEach((d, i) => { if (d.name.startsWith('@')) maps.set(d.name, decodeMap(script, d, mapEntries(vm, i))); });
  return { events, maps, faults };
}

/** n empty contexts. */
export function runs(n: number, size = 512): Uint8Array[] {
  return Array.from({ length: n }, () => new Uint8Array(size));
}

/** Asserts that our verifier accepts every program of the script (with the 6.18 BTF when present). */
export function verified(s: CompiledScript): void {
  const btf = kernel618()?.btf;
  for (const p of s.probes) {
    const v = verifyProbe(s, p, btf ? { btf } : {});
    assert.equal(v.verdict, 'accept', `${p.attachPoints[0]}: ${v.errors[0]?.message}`);
  }
}

/** Output of a BEGIN-only script (compiled, verified, run on the VM, formatted as bpftrace prints it), without the attach line and trailing blanks. */
export function runBegin(text: string, target = '0.26'): string {
  const c = compileForReplay(text, kernel618() ?? {}, { target });
  assert.ok(c.script, c.diagnostics.map((d) => d.message).join('; '));
  verified(c.script);
  return [...replay(c.script, [], { format: 'text', version: target, program: c.program })].join('').replace(/^Attach[^\n]*\n/, '').trimEnd();
}
