/**
 * Kernel names for bpftrace completion, from the target kernel's BTF: function
 * names (FUNC entries) after kprobe:/kretprobe:/fentry:/fexit:, raw tracepoint
 * names (the `btf_trace_NAME` typedefs) after rawtracepoint:, iterator targets
 * (`bpf_iter_NAME` functions taking bpf_iter_meta) after iter:, and struct or
 * union names after `struct `/`union `. Prefix searches over the BTF's sorted
 * name index (built once per BTF), capped. Non-goals: uprobe/usdt targets
 * (binaries), kallsyms-only functions without BTF.
 */
import { canonicalProvider } from '../bpftrace';
import { cTypeText } from '../btf/cdecl';
import { KIND } from '../btf/format';
import type { Btf } from '../btf/types';
import { IdeCompletion, SourceRange } from './types';

/** Items returned at most per request (the client filters further as the user types). */
export const MAX_NAMES = 200;

const FUNC_PROVIDERS = new Set(['kprobe', 'kretprobe', 'fentry', 'fexit']);
const RAW_TP = 'btf_trace_';

/** A function's prototype as text (`int tcp_v4_connect(struct sock *sk, ...)`). */
function signature(btf: Btf, funcId: number): string {
  const proto = btf.sizeOrType(funcId);
  return btf.kind(proto) === KIND.FUNC_PROTO ? cTypeText(btf, proto, btf.name(funcId)) : `${btf.name(funcId)}()`;
}

const ITER = 'bpf_iter_';

/** A FUNC whose first parameter is `struct bpf_iter_meta *meta` (DEFINE_BPF_ITER_FUNC). */
function isIterTarget(btf: Btf, funcId: number): boolean {
  const proto = btf.sizeOrType(funcId);
  if (btf.kind(proto) !== KIND.FUNC_PROTO || btf.vlen(proto) === 0) return false;
  const t = btf.skipModifiers(btf.memberType(proto, 0));
  return btf.kind(t) === KIND.PTR && btf.name(btf.resolve(btf.sizeOrType(t))) === 'bpf_iter_meta';
}

/** Completion of the target after `provider:` (the text typed after the colon is `word`); undefined for other providers. */
export function probeTargetCompletions(btf: Btf | undefined, provider: string, word: string, replace: SourceRange): IdeCompletion[] | undefined {
  const p = canonicalProvider(provider);
  if (FUNC_PROVIDERS.has(p)) {
    if (!btf) return [];
    return btf.search(word, KIND.FUNC, MAX_NAMES).map(({ name, id }) => ({ label: name, kind: 'function', detail: signature(btf, id), replace }));
  }
  if (p === 'iter') {
    if (!btf) return [];
    // Iterator targets: the kernel's `bpf_iter_NAME(struct bpf_iter_meta *meta, ...)` declarations.
    return btf.search(ITER + word, KIND.FUNC, 4 * MAX_NAMES).filter(({ id }) => isIterTarget(btf, id)).slice(0, MAX_NAMES)
      .map(({ name, id }) => ({ label: name.slice(ITER.length), kind: 'event', detail: signature(btf, id), replace }));
  }
  if (p === 'rawtracepoint') {
    if (!btf) return [];
    return btf.search(RAW_TP + word, KIND.TYPEDEF, MAX_NAMES).map(({ name }) => ({ label: name.slice(RAW_TP.length), kind: 'event', detail: `rawtracepoint (${name})`, replace }));
  }
  return undefined;
}

/** Struct or union names starting with `word`. */
export function typeNameCompletions(btf: Btf | undefined, keyword: 'struct' | 'union', word: string, replace: SourceRange): IdeCompletion[] {
  if (!btf) return [];
  return btf.search(word, keyword === 'union' ? KIND.UNION : KIND.STRUCT, MAX_NAMES).map(({ name, id }) => ({
    label: name, kind: 'module', detail: `${keyword} ${name} (${btf.sizeOrType(id)} bytes)`, replace,
  }));
}
