// Re-records test/fixtures/verifier-tables/helper-args.json: for every helper in HELPER_PROTOS that
// the availability recording shows available somewhere, and for each argument register r1..r5,
// sets up the earlier arguments as the table says (ctx, a hash map, stack memory, sizes, zero) and
// loads variants of arg i: left uninitialised, a stack pointer, the scalar 1, and (memory arguments)
// a pointer into the read-only .rodata map, which only helpers that write the memory refuse. The
// verifier's first complaint tells whether the argument is used, and which register types it
// accepts ("R2 type=scalar expected=fp, pkt, ..."). Helpers whose every argument we can build are also
// called for real: a read through r0 shows the return type, exiting shows whether a reference leaks.
// Needs root and bpftool.
//
//   node --import tsx scripts/record-helper-args.ts [--out FILE] [HELPER...]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helperId } from '../server/src/isa';
import { emitObject, type EmitReloc } from '../server/src/elf/emit';
import { loadWithKernelAsync, toolVersions } from '../server/src/host/bpftool';
import { kernelUnavailable } from '../server/src/host/kernel-access';
import { HELPER_PROTOS } from '../server/src/verifier/protos/table';
import { parseArg, type ArgText } from '../server/src/verifier/protos/types';
import { pool } from '../test/fixtures/verifier/corpus';
import { EXIT, MOV0, PROBE_SECTIONS, rawProgram, type Raw } from '../test/fixtures/verifier-tables/probe';

type Mode = 'uninit' | 'stack' | 'scalar' | 'rodata' | 'ret' | 'leak';

/** The map a full call passes (a compatible type), by helper; a hash map otherwise. */
const MAP_FOR: Readonly<Record<string, { type: number; keySize: number; valueSize: number; maxEntries: number }>> = (() => {
  const m: Record<string, { type: number; keySize: number; valueSize: number; maxEntries: number }> = {};
  const put = (names: string[], type: number, keySize: number, valueSize: number, maxEntries = 1): void => {
    for (const n of names) m[n] = { type, keySize, valueSize, maxEntries };
  };
  put(['ringbuf_output', 'ringbuf_reserve', 'ringbuf_query'], 27, 0, 0, 4096);
  put(['perf_event_output', 'perf_event_read', 'perf_event_read_value'], 4, 4, 4);
  put(['tail_call'], 3, 4, 4);
  put(['get_stackid'], 7, 4, 1016);
  put(['redirect_map'], 14, 4, 4);
  put(['sock_map_update', 'sk_redirect_map', 'msg_redirect_map'], 15, 4, 4);
  put(['sock_hash_update', 'sk_redirect_hash', 'msg_redirect_hash'], 18, 4, 4);
  put(['current_task_under_cgroup', 'skb_under_cgroup'], 8, 4, 4);
  put(['map_push_elem', 'map_pop_elem', 'map_peek_elem'], 22, 0, 8);
  return m;
})();

/** Memory arguments: also probed with a pointer into the read-only .rodata map (refused when the helper writes it). */
const MEMORY = new Set(['ARG_PTR_TO_MEM', 'ARG_PTR_TO_FIXED_SIZE_MEM', 'ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE']);

/** Instructions that load a valid value for `arg` into register `r`, or undefined when we cannot make one. */
function setup(arg: ArgText, r: number, mapPcs: number[], at: number): Raw[] | undefined {
  const base = parseArg(arg).base;
  switch (base) {
    case 'ARG_ANYTHING': return [[0xb7, r, 0, 0, 0]];
    case 'ARG_CONST_SIZE': case 'ARG_CONST_SIZE_OR_ZERO': case 'ARG_CONST_ALLOC_SIZE_OR_ZERO': return [[0xb7, r, 0, 0, 8]];
    case 'ARG_PTR_TO_CTX': return [[0xbf, r, 6, 0, 0]];
    case 'ARG_CONST_MAP_PTR': mapPcs.push(at); return [[0x18, r, 1, 0, 0], [0, 0, 0, 0, 0]];
    case 'ARG_PTR_TO_MAP_KEY': case 'ARG_PTR_TO_MAP_VALUE': case 'ARG_PTR_TO_MEM': case 'ARG_PTR_TO_FIXED_SIZE_MEM':
      return [[0xbf, r, 10, 0, 0], [0x07, r, 0, 0, -64]];
    case 'ARG_PTR_TO_STACK': return parseArg(arg).flags.has('PTR_MAYBE_NULL') ? [[0xb7, r, 0, 0, 0]] : undefined;
    default: return undefined;
  }
}

function variant(mode: Mode, r: number, next: ArgText | undefined, dataPcs: number[], at: number): Raw[] {
  if (mode === 'uninit') return [];
  if (mode === 'rodata') {
    dataPcs.push(at);
    const size: Raw[] = next && /^ARG_CONST_(ALLOC_)?SIZE/.test(next) ? [[0xb7, r + 1, 0, 0, 8]] : [];
    return [[0x18, r, 2, 0, 0], [0, 0, 0, 0, 0], ...size];
  }
  if (mode === 'stack') return [[0xbf, r, 10, 0, 0], [0x07, r, 0, 0, -64]];
  return [[0xb7, r, 0, 0, 1]];
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const outIdx = argv.indexOf('--out');
  const out = outIdx >= 0 ? argv[outIdx + 1] : join('test', 'fixtures', 'verifier-tables', 'helper-args.json');
  const only = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--out');
  const why = kernelUnavailable({ privilege: 'root' })?.reason;
  if (why) { console.error(`cannot record: ${why}`); process.exit(1); }
  const avail = JSON.parse(readFileSync(join('test', 'fixtures', 'verifier-tables', 'availability.json'), 'utf8')) as
    { types: Record<string, { privilege: string; helpers: Record<string, boolean> }> };
  const dir = mkdtempSync(join(tmpdir(), 'bpfstudio-args-'));
  type Job = { name: string; key: string; arg: number; mode: Mode; words: Raw[]; mapPcs: number[]; dataPcs: number[] };
  const jobs: Job[] = [];
  for (const p of HELPER_PROTOS) {
    if (only.length && !only.includes(p.name)) continue;
    const key = Object.keys(PROBE_SECTIONS).find((k) => avail.types[k]?.privilege === 'root' && avail.types[k]?.helpers[p.name]);
    if (!key) continue;
    const id = helperId(p.name)!;
    for (let i = 1; i <= 5; i++) {
      const pre: Raw[] = [[0xbf, 6, 1, 0, 0]];
      for (let o = -64; o < 0; o += 8) pre.push([0x7a, 10, 0, o, 0]);
      const mapPcs: number[] = [];
      let ok = true;
      for (let j = 1; j < i && ok; j++) {
        const s = setup(p.args[j - 1] ?? 'ARG_ANYTHING', j, mapPcs, pre.length);
        if (!s) ok = false; else pre.push(...s);
      }
      if (!ok) break;
      if (i === 1) {
        // A full call with every argument valid: r0's type after it (`r0 = *(u8 *)(r0 + 0)`) and whether exit leaks a reference.
        const all: Raw[] = [...pre];
        const allMaps: number[] = [...mapPcs];
        let full = true;
        for (let j = 1; j <= p.args.length && full; j++) {
          const s = setup(p.args[j - 1], j, allMaps, all.length);
          if (!s) full = false; else all.push(...s);
        }
        if (full) {
          jobs.push({ name: p.name, key, arg: 0, mode: 'ret', words: [...all, [0x85, 0, 0, 0, id], [0x71, 0, 0, 0, 0], MOV0, EXIT], mapPcs: allMaps, dataPcs: [] });
          jobs.push({ name: p.name, key, arg: 0, mode: 'leak', words: [...all, [0x85, 0, 0, 0, id], MOV0, EXIT], mapPcs: allMaps, dataPcs: [] });
        }
      }
      for (const mode of ['uninit', 'stack', 'scalar', 'rodata'] as Mode[]) {
        if (mode === 'uninit' && i === 1) continue;
        if (mode === 'rodata' && !MEMORY.has(parseArg(p.args[i - 1] ?? 'ARG_ANYTHING').base)) continue;
        const dataPcs: number[] = [];
        const v = variant(mode, i, p.args[i], dataPcs, pre.length);
        jobs.push({ name: p.name, key, arg: i, mode, words: [...pre, ...v, [0x85, 0, 0, 0, id], MOV0, EXIT], mapPcs: [...mapPcs], dataPcs });
      }
    }
  }
  const t0 = performance.now();
  const results = await pool(jobs, 10, async (j, n) => {
    const relocs: EmitReloc[] = [
      ...j.mapPcs.map((pc): EmitReloc => ({ pc, kind: 'map', target: 'm' })),
      ...j.dataPcs.map((pc): EmitReloc => ({ pc, kind: 'data', target: '.rodata', offset: 0 })),
    ];
    const obj = join(dir, `a${n}.o`);
    const r0 = emitObject({
      programs: [{ name: 'p', section: PROBE_SECTIONS[j.key], insns: rawProgram(j.words), relocs }],
      maps: [{ name: 'm', ...(MAP_FOR[j.name] ?? { type: 1, keySize: 8, valueSize: 8, maxEntries: 1 }) }],
      data: [{ section: '.rodata', bytes: new Uint8Array(64), variables: [{ name: 'ro', offset: 0, size: 64 }] }],
    });
    writeFileSync(obj, r0.bytes);
    const r = await loadWithKernelAsync(obj, { logLevel: 1 });
    return { j, message: r.verdict === 'accept' ? null : r.message };
  });
  rmSync(dir, { recursive: true, force: true });
  const helpers: Record<string, { section: string; args: Record<string, Partial<Record<Mode, string | null>>> }> = {};
  for (const { j, message } of results) {
    const h = (helpers[j.name] ??= { section: PROBE_SECTIONS[j.key], args: {} });
    (h.args[j.arg] ??= {})[j.mode] = message;
  }
  const doc = {
    _recorded: {
      how: 'scripts/record-helper-args.ts: earlier args set up as the table says, arg i left uninitialised / a stack pointer (r10-64, '
        + '64 zeroed bytes) / the scalar 1 / (memory args) a pointer into .rodata; arg 0: a full call, then `ret` reads r0 (its type shows in the message), `leak` exits; the value is the verifier\'s final message (null = accepted), bpftool prog load (log level 1)',
      ...toolVersions(), loads: jobs.length, seconds: Math.round((performance.now() - t0) / 1000),
    },
    helpers,
  };
  writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
  console.log(`${jobs.length} loads -> ${out}`);
}

void main();
