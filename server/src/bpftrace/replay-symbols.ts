/**
 * Symbols for replayed output: kernel and user stack frames recorded in the
 * trace (kstack/ustack with `sym`, e.g. converted from kstack(perf)) name the
 * addresses that kstack/ustack/ksym/usym values print. Stack values hold a
 * stack id; its addresses come from the script's stack-trace map; `probe`
 * values hold the probe's index, named by the replay. Pure.
 * Non-goal: reading /proc/kallsyms or ELF symbol tables (the trace carries names).
 */
import type { AggValue, BtValue, MapSnapshot, OutputEvent } from './output/values';
import type { TraceEvent } from '../trace/v1';

/** What values refer to by number: stacks (by stack id) and probes (by probe index). */
export interface Resolver {
  stack(which: 'k' | 'u', id: number): bigint[] | undefined;
  probe(index: number): string | undefined;
}

const hex = (a: bigint): string => '0x' + a.toString(16);

export class SymbolTable {
  private readonly kernel = new Map<bigint, string>();
  private readonly user = new Map<bigint, string>();

  /** Learns the named frames of an event's stacks. */
  add(ev: TraceEvent): void {
    for (const [frames, table] of [[ev.kstack, this.kernel], [ev.ustack, this.user]] as const) {
      for (const f of frames ?? []) if (f.sym !== undefined) table.set(BigInt(f.addr), f.sym);
    }
  }

  get size(): number {
    return this.kernel.size + this.user.size;
  }

  /** A frame as bpftrace prints it: `sym+off` when known, else the address. */
  frame(which: 'k' | 'u', addr: bigint): string {
    return (which === 'k' ? this.kernel : this.user).get(addr) ?? hex(addr);
  }

  /** ksym()/usym(): the symbol without its offset, or undefined. */
  symbol(which: 'k' | 'u', addr: bigint): string | undefined {
    const s = (which === 'k' ? this.kernel : this.user).get(addr);
    return s === undefined ? undefined : s.replace(/\+(0x[0-9a-f]+|\d+)$/, '');
  }

  /** Fills in stack frames and symbol names inside a value (in place; returns it). */
  resolve(v: BtValue, r: Resolver): BtValue {
    switch (v.t) {
      case 'tuple': case 'array': v.elems.forEach((e) => this.resolve(e, r)); break;
      case 'record': v.fields.forEach((f) => this.resolve(f.v, r)); break;
      case 'special': {
        const which = v.kind === 'kstack' || v.kind === 'ksym' ? 'k' : 'u';
        if ((v.kind === 'kstack' || v.kind === 'ustack') && typeof v.v === 'bigint' && v.frames === undefined) {
          const addrs = r.stack(which, Number(v.v & 0xffffffffn));
          if (addrs) {
            v.v = addrs;
            v.frames = addrs.filter((a) => a !== 0n).map((a) => this.frame(which, a));
          }
        } else if (v.kind === 'probe' && typeof v.v === 'bigint' && v.text === undefined) {
          const name = r.probe(Number(v.v));
          if (name !== undefined) v.text = name;
        } else if ((v.kind === 'ksym' || v.kind === 'usym') && typeof v.v === 'bigint' && v.text === undefined) {
          const s = this.symbol(which, v.v);
          if (s !== undefined) v.text = s;
        }
        break;
      }
      default: break;
    }
    return v;
  }

  resolveSnapshot(m: MapSnapshot, r: Resolver): MapSnapshot {
    for (const e of m.entries) {
      e.key.forEach((k) => this.resolve(k, r));
      if (!isAggValue(e.value)) this.resolve(e.value, r);
    }
    return m;
  }

  resolveEvent(e: OutputEvent, r: Resolver): OutputEvent {
    if (e.kind === 'printf') e.args.forEach((a) => this.resolve(a, r));
    else if (e.kind === 'printValue') this.resolve(e.value, r);
    else if (e.kind === 'print') this.resolveSnapshot(e.map, r);
    return e;
  }
}

function isAggValue(v: AggValue | BtValue): v is AggValue {
  return 'fn' in v;
}

/** Addresses stored in a stack-trace map value (u64 each, trailing zeros dropped). */
export function stackAddrs(value: Uint8Array): bigint[] {
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const out: bigint[] = [];
  for (let o = 0; o + 8 <= value.length; o += 8) out.push(dv.getBigUint64(o, true));
  while (out.length && out[out.length - 1] === 0n) out.pop();
  return out;
}
