/**
 * Loops as the 6.18 kernel sees them for state pruning: strongly connected components of the
 * instruction graph (a component counts when it has two or more instructions, a self edge, or is a
 * call that runs a callback), and "visits" of a component per call chain. While a visit has
 * backedges (paths pruned against a state still being explored), the stack liveness of states in
 * it is incomplete: they are not cleaned and are compared with all scalars precise (RANGE_WITHIN).
 */
import type { VState } from './state';
import { arenaI32 } from './arena';

/** SCC id per instruction (0: not in a loop), Tarjan's algorithm without recursion. */
export function computeScc(succ: Int32Array, n: number, callsCallback: (i: number) => boolean): Int32Array {
  const scc = arenaI32(n);
  // Without a backward edge or a callback call there is no loop (the common straight or branchy program).
  let loops = false;
  for (let i = 0; i < n && !loops; i++) {
    const a = succ[2 * i]; const b = succ[2 * i + 1];
    loops = (a >= 0 && a <= i) || (b >= 0 && b <= i) || callsCallback(i);
  }
  if (!loops) return scc;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const work: number[] = [];
  const next = new Uint8Array(n);
  let counter = 0; let ids = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] >= 0) continue;
    work.push(root);
    while (work.length) {
      const v = work[work.length - 1];
      if (index[v] < 0) { index[v] = low[v] = counter++; stack.push(v); onStack[v] = 1; }
      let pushed = false;
      while (next[v] < 2) {
        const w = succ[2 * v + next[v]++];
        if (w < 0 || w >= n) continue;
        if (index[w] < 0) { work.push(w); pushed = true; break; }
        if (onStack[w] && index[w] < low[v]) low[v] = index[w];
      }
      if (pushed) continue;
      work.pop();
      if (work.length) { const u = work[work.length - 1]; if (low[v] < low[u]) low[u] = low[v]; }
      if (low[v] !== index[v]) continue;
      const loop = stack[stack.length - 1] !== v || succ[2 * v] === v || succ[2 * v + 1] === v || callsCallback(v);
      const id = loop ? ++ids : 0;
      let w: number;
      do { w = stack.pop() as number; onStack[w] = 0; scc[w] = id; } while (w !== v);
    }
  }
  return scc;
}

interface Visit { entry: unknown; backedges: number }

/** SCC visits per call chain (bpf_scc_visit): the entry state and the number of backedges pending. */
export class SccVisits {
  /** Created with the first visit (programs without loops never need it). */
  private visits: Map<string, Visit> | undefined;
  constructor(private readonly scc: Int32Array) {}

  /** compute_scc_callchain: the call sites up to the first frame whose instruction is in a loop, and that loop. */
  private key(st: VState, pc: number): string | undefined {
    const top = st.frames.length - 1;
    let key = '';
    for (let i = 0; i <= top; i++) {
      const insn = i < top ? st.frames[i + 1].callsite : pc;
      const id = this.scc[insn] ?? 0;
      if (id) return key + '|' + id;
      if (i === top) return undefined;
      key += insn + ',';
    }
    return undefined;
  }

  /** A new explored state (maybe_enter_scc). */
  enter(st: VState, pc: number, entry: unknown): void {
    const k = this.key(st, pc);
    if (k === undefined) return;
    const visits = this.visits ??= new Map();
    const v = visits.get(k);
    if (!v) visits.set(k, { entry, backedges: 0 });
    else v.entry ??= entry;
  }

  /** An explored state's paths are all done (maybe_exit_scc): the visit it entered ends. */
  exit(st: VState, pc: number, entry: unknown): void {
    const k = this.key(st, pc);
    const v = k === undefined ? undefined : this.visits?.get(k);
    if (!v || v.entry !== entry) return;
    v.entry = undefined;
    v.backedges = 0;
  }

  /** A path was pruned against the explored state st at pc while its loop is being explored. */
  backedge(st: VState, pc: number): void {
    const k = this.key(st, pc);
    const v = k === undefined ? undefined : this.visits?.get(k);
    if (v) v.backedges++;
  }

  /** incomplete_read_marks. */
  incomplete(st: VState, pc: number): boolean {
    const k = this.key(st, pc);
    const v = k === undefined ? undefined : this.visits?.get(k);
    return !!v && v.backedges > 0;
  }
}
