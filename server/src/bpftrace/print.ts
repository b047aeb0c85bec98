/**
 * AST printer for golden tests: a stable S-expression-like text with every
 * node's kind, offset range and fields in declaration order. Short nodes stay
 * on one line, longer ones break one field per line. Non-goal: printing
 * bpftrace source back (no formatter).
 */
import { isNode, Node } from './ast';

const WIDTH = 100;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function fields(n: Node): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(n)) if (k !== 'kind' && k !== 'range') out.push([k, v]);
  return out;
}

function head(n: Node): string {
  return `(${n.kind} @${n.range.start}-${n.range.end}`;
}

function inline(v: unknown): string {
  if (isNode(v)) {
    const parts = fields(v).map(([k, x]) => `${k}=${inline(x)}`);
    return parts.length ? `${head(v)} ${parts.join(' ')})` : `${head(v)})`;
  }
  if (Array.isArray(v)) return `[${v.map(inline).join(' ')}]`;
  return scalar(v);
}

function block(v: unknown, indent: string): string {
  const one = inline(v);
  if (one.length + indent.length <= WIDTH) return one;
  const inner = indent + '  ';
  if (isNode(v)) {
    const lines = fields(v).map(([k, x]) => `${inner}${k}=${block(x, inner)}`);
    return `${head(v)}\n${lines.join('\n')})`;
  }
  if (Array.isArray(v)) return `[\n${v.map((x) => inner + block(x, inner)).join('\n')}]`;
  return one;
}

/** Prints a node (usually a Program) as the golden text. */
export function printAst(n: Node): string {
  return block(n, '') + '\n';
}
