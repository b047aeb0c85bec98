/**
 * Probe contexts for the type checker: what `args`, `retval` and `argN` are in
 * a probe, from the target kernel's tracepoint formats (tracepoint) and BTF
 * (fentry/fexit, rawtracepoint), with warnings for targets the data lacks.
 * Non-goals: wildcard expansion against the kernel (a wildcard's context is
 * unknown here), uprobe/usdt arguments (need the binary's DWARF/notes).
 */
import * as A from './ast';
import type { Checker, ProbeCtx } from './typecheck';
import { funcArgs, nearBtfName, ProbeArg, rawTracepointArgs, tpArgs, tpStructName } from './typecheck-kernel';
import { SType, U64 } from './types';
import { uprobeContext } from './typecheck-uprobe';
import { KIND } from '../btf/format';
import type { Btf } from '../btf/types';

/** An attach point naming exactly one target (no wildcards or parameters). */
function exact(ap: A.AttachPoint): boolean {
  const r = ap.raw;
  for (let i = 0; i < r.length; i++) {
    const c = r.charCodeAt(i);
    if (c === 42 || c === 63 || c === 91 || c === 36) return false; // * ? [ $
  }
  return true;
}

/** Contexts of every attach point of a probe; the probe's ctx is the first one's (bpftrace types args from it too). */
export function probeContext(cx: Checker, p: A.Probe): ProbeCtx {
  const aps = p.attachPoints;
  if (aps.length === 1 && !(aps[0].canonical === 'tracepoint' && !exact(aps[0]))) return attachContext(cx, aps[0]);
  const ctxs = aps.flatMap((ap) => (ap.canonical === 'tracepoint' && !exact(ap) ? wildcardTracepoints(cx, ap) : [attachContext(cx, ap)]));
  const first = ctxs.find((c) => c.args !== undefined) ?? ctxs[0] ?? { provider: '' };
  return ctxs.length > 1 ? { ...first, attach: ctxs } : first;
}

function attachContext(cx: Checker, ap: A.AttachPoint): ProbeCtx {
  const provider = ap.canonical;
  const ctx: ProbeCtx = { provider };
  const k = cx.kernel;
  const opts = { boolType: cx.typed, dataLocPtr: !cx.old };
  switch (provider) {
    case 'tracepoint': {
      if (ap.parts.length !== 2 || !exact(ap) || !k.tracepoint) break;
      const [cat, event] = ap.parts;
      const f = k.tracepoint(cat, event);
      if (f === undefined) break; // semantic.ts warns about unknown tracepoints
      ctx.args = tpArgs(f, k.btf, opts);
      ctx.argsStruct = tpStructName(cat, event);
      ctx.target = `${cat}:${event}`;
      break;
    }
    case 'fentry':
    case 'fexit': {
      const fn = ap.parts[ap.parts.length - 1];
      if (fn === undefined || !exact(ap) || !k.btf) break;
      const r = funcArgs(k.btf, fn, cx.typed);
      if (r === undefined) {
        cx.warn(ap.range, cx.old ? `No BTF found for ${fn}` : `No BTF found for ${ap.parts.join(':')}`, nearFunc(k.btf, fn));
        break;
      }
      ctx.args = r.args;
      ctx.argsStruct = `struct ${fn}_args`;
      if (provider === 'fexit') ctx.retval = r.retval;
      break;
    }
    case 'rawtracepoint': {
      const name = ap.parts[ap.parts.length - 1];
      if (name === undefined || !exact(ap) || !k.btf) break;
      const args = rawTracepointArgs(k.btf, name, cx.typed);
      if (args === undefined) {
        cx.warn(ap.range, `No BTF found for rawtracepoint ${name}`, hintFor(nearBtfName(k.btf, name, KIND.TYPEDEF, 'btf_trace_')));
        break;
      }
      ctx.args = args;
      ctx.argsStruct = `struct ${name}_args`;
      break;
    }
    case 'kprobe':
    case 'kretprobe': {
      if (provider === 'kretprobe') ctx.retval = U64;
      if (!k.btf) break;
      const fn = (ap.parts[ap.parts.length - 1] ?? '').replace(/\+.*$/, '');
      if (fn === '' || !exact(ap) || /^\d|\./.test(fn)) break;
      if (k.btf.lookup(fn, KIND.FUNC).length === 0) {
        cx.warn(ap.range, `kprobe target not found in the kernel's BTF: ${fn}`, nearFunc(k.btf, fn));
      }
      break;
    }
    case 'uretprobe':
      ctx.retval = U64;
      break;
    case 'uprobe':
      uprobeContext(cx, ap, ctx);
      break;
  }
  return ctx;
}

function hintFor(near: string | undefined): string | undefined {
  return near === undefined ? undefined : `did you mean '${near}'?`;
}

/** "did you mean" for a kernel function name (candidates share its first two letters). */
function nearFunc(btf: Btf, fn: string): string | undefined {
  return hintFor(nearBtfName(btf, fn, KIND.FUNC));
}

/** At most this many tracepoints are typed for one wildcard attach point. */
const MAX_EXPANSION = 4096;

function globRe(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** A wildcard tracepoint attach point: one context per matching tracepoint the kernel data lists. */
function wildcardTracepoints(cx: Checker, ap: A.AttachPoint): ProbeCtx[] {
  const k = cx.kernel;
  if (ap.parts.length !== 2 || ap.raw.includes('$') || !k.systems || !k.events || !k.tracepoint) return [{ provider: 'tracepoint' }];
  const [cg, eg] = ap.parts.map(globRe);
  const out: ProbeCtx[] = [];
  for (const system of k.systems()) {
    if (!cg.test(system)) continue;
    for (const event of k.events(system)) {
      if (!eg.test(event) || out.length >= MAX_EXPANSION) continue;
      const exact: A.AttachPoint = { ...ap, raw: `tracepoint:${system}:${event}`, parts: [system, event] };
      out.push(attachContext(cx, exact));
    }
  }
  return out.length > 0 ? out : [{ provider: 'tracepoint' }];
}

/** A probe argument by name in the current probe's context. */
export function probeArg(cx: Checker, name: string): ProbeArg | undefined {
  return cx.ctx?.args?.find((a) => a.name === name);
}

/** The `args` value: a pointer to the context struct (0.17) or the struct itself (fentry in 0.26). */
export function argsType(cx: Checker): SType {
  const c = cx.ctx;
  if (!c || c.args === undefined || c.argsStruct === undefined) return { k: 'ptr', to: { k: 'cstruct', name: c?.argsStruct ?? 'args', union: false, size: 0 } };
  const size = c.args.reduce((m, a) => Math.max(m, a.offset + a.size), 0);
  return { k: 'ptr', to: { k: 'cstruct', name: c.argsStruct, union: false, size } };
}
