/**
 * A compiled script seen by the rest of BPF Studio: an ELF object spec for
 * elf/emit.ts (maps with C-identifier names, map relocations, line info,
 * callback subprograms in .text reached through function-address relocations),
 * the verifier's and the VM's map lists, and verification of one probe.
 * Non-goal: writing files or loading into the kernel (cli/ and host/).
 */
import type { EmitData, EmitLine, EmitMap, EmitProgram, EmitReloc, EmitSpec } from '../../elf/emit';
import { PSEUDO } from '../../isa/opcodes';
import { verify } from '../../verifier';
import type { ProgType, VerifierMap, VerifyResult } from '../../verifier';
import type { Btf } from '../../btf';
import { BPF_F_RDONLY_PROG, type MapDef, type MapType } from '../../vm/maps/types';
import { LineIndex } from '../source';
import type { BtMapDef, CompiledProbe, CompiledScript } from './model';

/** uapi enum bpf_map_type numbers of the map types code generation uses. */
export const MAP_TYPE_IDS: Record<BtMapDef['mapType'], number> = {
  hash: 1, array: 2, perf_event_array: 4, percpu_hash: 5, percpu_array: 6, stack_trace: 7, lru_hash: 9, ringbuf: 27,
};

/** A map name usable as a C identifier and kernel object name ('@x' -> 'AT_x'). */
export function elfMapName(name: string): string {
  const s = name.replace(/^@/, 'AT_').replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(s) ? s : `m_${s}`;
}

function programName(p: CompiledProbe, i: number): string {
  const base = p.name.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_').replace(/_$/, '');
  return `${base || 'probe'}_${i}`;
}

/** The ELF object of a compiled script (source text gives line info). */
export function toEmitSpec(script: CompiledScript, source?: string, fileName = 'script.bt'): EmitSpec {
  const allMaps: EmitMap[] = script.maps.map((m) => ({
    name: elfMapName(m.name), type: MAP_TYPE_IDS[m.mapType], keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries,
  }));
  // Global data ('.rodata': seq_printf formats) is a data section, not a map definition.
  const maps = allMaps.filter((_, i) => script.maps[i].initial === undefined);
  const data: EmitData[] = script.maps.flatMap((m) => (m.initial ? [{ section: m.name, bytes: m.initial }] : []));
  const li = source !== undefined ? new LineIndex(source) : undefined;
  const srcLines = source?.split('\n') ?? [];
  const programs = script.probes.flatMap((p, i) => {
    const name = programName(p, i);
    // The probe's code, then its callback subprograms (into .text, reached through 'func' relocations).
    const starts = [0, ...(p.subprogs ?? [])];
    const cbName = (k: number): string => `${name}_cb${k}`;
    return starts.map((start, k): EmitProgram => {
      const end = starts[k + 1] ?? Infinity;
      const relocs: EmitReloc[] = [];
      const idx: number[] = [];
      p.insns.forEach((x, j) => { if (x.pc >= start && x.pc < end) idx.push(j); });
      const insns = idx.map((j) => ({ ...p.insns[j], pc: p.insns[j].pc - start }));
      insns.forEach((x, j) => {
        if (x.spec.kind !== 'lddw') return;
        if (x.src === PSEUDO.MAP_FD) relocs.push({ pc: x.pc, kind: 'map', target: allMaps[x.imm]?.name ?? `map${x.imm}` });
        if (x.src === PSEUDO.MAP_VALUE) {
          relocs.push({ pc: x.pc, kind: 'data', target: script.maps[x.imm]?.name ?? '.rodata', offset: x.imm2 ?? 0 });
          x.imm = 0;
          x.imm2 = 0;
        }
        if (x.src === PSEUDO.FUNC) {
          const target = starts.indexOf(p.insns[idx[j]].pc + x.imm + 1);
          relocs.push({ pc: x.pc, kind: 'func', target: target > 0 ? cbName(target) : `${name}?` });
          x.imm = 0;
        }
      });
      const lines: EmitLine[] = [];
      if (li) {
        let last = -1;
        for (const j of idx) {
          const r = p.lines[j];
          if (!r) continue;
          const pos = li.position(r.start);
          if (pos.line === last) continue;
          last = pos.line;
          lines.push({ pc: p.insns[j].pc - start, lineNum: pos.line + 1, col: pos.col + 1, text: srcLines[pos.line] ?? '' });
        }
      }
      return k === 0 ? { name, section: p.name, insns, relocs, lines }
        : { name: cbName(k), section: '.text', insns, relocs, lines, params: ['map', 'key', 'value', 'ctx'] };
    });
  });
  return { programs, maps, ...(data.length ? { data } : {}), license: 'GPL', fileName };
}

export function verifierMaps(script: CompiledScript): VerifierMap[] {
  return script.maps.map((m) => ({
    type: m.mapType, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, name: elfMapName(m.name),
    ...(m.initial ? { initial: m.initial, readonly: true, flags: BPF_F_RDONLY_PROG } : {}),
  }));
}

/** VM map definitions (stack maps and output buffers sized down for the VM). */
export function vmMaps(script: CompiledScript): MapDef[] {
  return script.maps.map((m) => ({
    type: m.mapType as MapType, keySize: m.keySize, valueSize: m.valueSize, name: m.name,
    maxEntries: m.mapType === 'stack_trace' ? Math.min(m.maxEntries, 1024) : m.maxEntries,
    ...(m.initial ? { flags: BPF_F_RDONLY_PROG, initial: [{ key: new Uint8Array(4), value: m.initial }] } : {}),
  }));
}

/** Runs our verifier on one compiled probe. */
export function verifyProbe(script: CompiledScript, probe: CompiledProbe, opts: { btf?: Btf; collectStates?: boolean } = {}): VerifyResult {
  const kind = probe.name.split('/')[0];
  // (iter/<target>: the verifier types the context through bpf_iter_<target>()'s prototype, as the kernel does.)
  const attachTo = probe.progType === 'tracing' ? probe.name.split('/')[1] : undefined;
  return verify({
    insns: probe.insns,
    progType: probe.progType as ProgType,
    maps: verifierMaps(script),
    collectStates: opts.collectStates ?? false,
    ...(probe.progType === 'tracing' ? { expectedAttachType: kind === 'fexit' ? 'trace_fexit' : kind === 'iter' ? 'trace_iter' : 'trace_fentry' } : {}),
    ...(opts.btf ? { btf: opts.btf } : {}),
    ...(attachTo ? { attachTo } : {}),
  });
}
