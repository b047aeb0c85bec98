/**
 * bpf_iter probes (`iter:task`, `iter:task_file`, ...) as bpftrace 0.26
 * compiles them: printf becomes bpf_seq_printf on ctx->meta->seq with the
 * format in .rodata and the arguments as an array of u64 (strings by
 * address), and a context member read (`ctx->task`) ends the program when it
 * is NULL (the iterator's final call). Non-goal: running iterators on the VM.
 */
import type * as A from '../ast';
import { Gen, R_ACC, R_CTX, at, isScalar } from './gen';
import { mem, scalar } from './expr';

/** printf in an iter probe: bpf_seq_printf(ctx->meta->seq, fmt, fmt_size, data, 8 * nargs). */
export function genSeqPrintf(g: Gen, e: A.Call): void {
  const fmt = e.args[0]?.kind === 'Str' ? e.args[0].value : g.error(e.range, 'printf() format must be a string literal');
  const args = e.args.slice(1);
  const m = g.mark();
  const data = args.length > 0 ? g.allocStack(8 * args.length) : undefined;
  args.forEach((a, i) => {
    if (!data) return;
    if (isScalar(g.ty(a))) scalar(g, a);
    else g.addr(mem(g, a), R_ACC);
    g.store(8, at(data, 8 * i), R_ACC);
  });
  const f = g.script.rodataString(fmt);
  g.e.ldx(8, 1, R_CTX, 0);
  g.e.ldx(8, 1, 1, 0);
  g.e.ldMapValue(2, f.index, f.offset);
  g.e.movi(3, f.size);
  if (data) g.addr(data, 4);
  else g.e.movi(4, 0);
  g.e.movi(5, 8 * args.length);
  g.e.call('seq_printf');
  g.release(m);
}

/** `ctx->member` in an iter probe: a direct load of the context's pointer; NULL ends the program (bpftrace's check). */
export function genIterCtxField(g: Gen, e: A.Field): boolean {
  if (g.provider !== 'iter' || e.object.kind !== 'Builtin' || e.object.name !== 'ctx') return false;
  const fr = g.typer.info.fields?.get(e);
  // Only pointer members (task, file, vma, ...) can be NULL; others (fd) are plain reads.
  if (fr?.via !== 'struct' || fr.offset % 8 !== 0 || g.ty(e).k !== 'ptr') return false;
  g.e.ldx(8, R_ACC, R_CTX, fr.offset);
  g.e.jmp('jeq', R_ACC, { k: 0 }, g.exitLabel);
  return true;
}
