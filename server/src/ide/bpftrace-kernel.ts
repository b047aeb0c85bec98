/**
 * What the bpftrace editor features know about the target kernel: its
 * tracepoints by subsystem and event, each with its record layout (tracefs
 * `format` data, already parsed). It doubles as the front end's KernelInfo.
 * Non-goals: reading tracefs or the bundle (host/kernel-info.ts does).
 */
import type { KernelInfo } from '../bpftrace';
import type { TpFormat } from '../btf/tracepoint';
import type { Btf } from '../btf/types';

export interface TracepointCatalog extends KernelInfo {
  /** Where the data came from, for messages ("/sys/kernel/tracing/events", "default kernel 6.18 bundle"). */
  readonly source: string;
  /** Subsystems, sorted. */
  systems(): string[];
  /** Events of a subsystem, sorted (empty when unknown). */
  events(system: string): string[];
  /** The record layout of one tracepoint. */
  format(system: string, event: string): TpFormat | undefined;
  /** The same kernel's BTF, when the host found it (type checking of kernel structs and fentry arguments). */
  btf?: Btf;
}

/** A catalog over parsed formats (`system` plus the format, whose name is the event). */
export function tracepointCatalog(source: string, tracepoints: Iterable<{ system: string; format: TpFormat }>, btf?: Btf): TracepointCatalog {
  const bySystem = new Map<string, Map<string, TpFormat>>();
  for (const t of tracepoints) {
    let m = bySystem.get(t.system);
    if (!m) bySystem.set(t.system, (m = new Map()));
    m.set(t.format.name, t.format);
  }
  const systems = [...bySystem.keys()].sort();
  const events = new Map<string, string[]>();
  const format = (system: string, event: string): TpFormat | undefined => bySystem.get(system)?.get(event);
  return {
    source,
    systems: () => systems,
    events(system) {
      let e = events.get(system);
      if (!e) events.set(system, (e = [...(bySystem.get(system)?.keys() ?? [])].sort()));
      return e;
    },
    format,
    tracepoint: format,
    tracepointFields: (system, event) => format(system, event)?.fields.map((f) => f.name),
    ...(btf ? { btf } : {}),
  };
}
