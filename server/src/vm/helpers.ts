/**
 * The default helper table: the helpers the VM implements, by kernel id, with
 * their prototypes. Implementations are shared by the interpreter and the JIT
 * (they see only a HelperContext). Helpers outside the table fault with kind
 * 'helper' when called. Families live in helpers-*.ts.
 */
import type { HelperSpec, HelperTable } from './helpers-types';

export * from './helpers-types';

const specs: HelperSpec[] = [];

/** The default helper table, keyed by helper id. */
export const DEFAULT_HELPERS: HelperTable = new Map(specs.map((s) => [s.id, s]));
