/**
 * The default helper table: the helpers the VM implements, by kernel id, with
 * their prototypes. Implementations are shared by the interpreter and the JIT
 * (they see only a HelperContext). Helpers outside the table fault with kind
 * 'helper' when called. Families live in helpers-*.ts.
 */
import { helperId } from '../isa/helpers';
import { EVENT_HELPERS } from './helpers-events';
import { MAP_HELPERS } from './helpers-maps';
import { PRINTF_HELPERS } from './helpers-printf';
import { TRACE_HELPERS } from './helpers-trace';
import type { HelperSpec, HelperTable } from './helpers-types';

export * from './helpers-types';
export { formatPrintf } from './helpers-printf';

function withIds(list: Omit<HelperSpec, 'id'>[]): HelperSpec[] {
  const out: HelperSpec[] = [];
  for (const h of list) {
    const id = helperId(h.name);
    if (id !== undefined) out.push({ ...h, id });
  }
  return out;
}

const SPECS = withIds([...MAP_HELPERS, ...TRACE_HELPERS, ...PRINTF_HELPERS, ...EVENT_HELPERS]);

/** The default helper table, keyed by helper id. */
export const DEFAULT_HELPERS: HelperTable = new Map(SPECS.map((s) => [s.id, s]));

/** A copy of `base` (default: DEFAULT_HELPERS) with `overrides` replacing or adding helpers. */
export function helperTable(overrides: readonly HelperSpec[], base: HelperTable = DEFAULT_HELPERS): HelperTable {
  const m = new Map(base);
  for (const h of overrides) m.set(h.id, h);
  return m;
}
