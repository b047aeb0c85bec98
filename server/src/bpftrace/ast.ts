/**
 * bpftrace syntax tree: plain data nodes, each with a `kind` tag and an offset
 * `range`, covering both the 0.17 and the 0.26 language. Field order is the
 * printing order (print.ts). Non-goals: types and symbol resolution (semantic
 * analysis annotates elsewhere).
 */
import { Range } from './source';

interface N<K extends string> {
  kind: K;
  range: Range;
}

// ---- Types -------------------------------------------------------------

/** A written type: `int8`, `struct task_struct *`, `uint8[4]`, `string[16]`. */
export interface TypeRef extends N<'TypeRef'> {
  /** Base name with any struct/union/enum keyword: `struct task_struct`. */
  name: string;
  /** Suffixes in source order: '*' for a pointer, a number (or null) for `[N]`/`[]`. */
  suffixes: ('*' | number | null)[];
}

/** `typeof(x)` in a type position. */
export interface TypeofNode extends N<'Typeof'> {
  arg: TypeRef | Expr;
}

export type TypeAnn = TypeRef | TypeofNode;

// ---- Expressions -------------------------------------------------------

export interface Int extends N<'Int'> {
  text: string;
  /** Value after suffix scaling (durations in ns); undefined when the literal is invalid. */
  value: bigint | undefined;
  suffix?: string;
}
export interface Str extends N<'Str'> {
  value: string;
}
export interface Bool extends N<'Bool'> {
  value: boolean;
}
export interface Ident extends N<'Ident'> {
  name: string;
}
export interface Builtin extends N<'Builtin'> {
  name: string;
}
export interface Var extends N<'Var'> {
  /** With the `$`. */
  name: string;
}
export interface MapRef extends N<'Map'> {
  /** With the `@`; a bare `@` for the anonymous map. */
  name: string;
}
export interface MapAccess extends N<'MapAccess'> {
  map: MapRef;
  keys: Expr[];
}
export interface Param extends N<'Param'> {
  n: number;
}
export type ParamCount = N<'ParamCount'>;

export type BinaryOp =
  | '||' | '&&' | '|' | '^' | '&' | '==' | '!=' | '<' | '>' | '<=' | '>=' | '<<' | '>>' | '+' | '-' | '*' | '/' | '%';

export interface Binary extends N<'Binary'> {
  op: BinaryOp;
  left: Expr;
  right: Expr;
}
export interface Unary extends N<'Unary'> {
  /** '-', '!', '~', '*' (dereference), '++' / '--' (pre or post). */
  op: '-' | '!' | '~' | '*' | '++' | '--';
  postfix: boolean;
  operand: Expr;
}
export interface AddrOf extends N<'AddrOf'> {
  operand: Var | MapRef;
}
export interface Ternary extends N<'Ternary'> {
  cond: Expr;
  /** null for the short form `a ?: b`. */
  then: Expr | null;
  else: Expr;
}
export interface Cast extends N<'Cast'> {
  type: TypeAnn;
  expr: Expr;
}
export interface Tuple extends N<'Tuple'> {
  elems: Expr[];
}
export interface RecordField extends N<'RecordField'> {
  name: string;
  value: Expr;
}
export interface RecordLit extends N<'Record'> {
  fields: RecordField[];
}
export interface Field extends N<'Field'> {
  object: Expr;
  arrow: boolean;
  field: string;
}
export interface TupleIndex extends N<'TupleIndex'> {
  object: Expr;
  index: number;
}
export interface Index extends N<'Index'> {
  object: Expr;
  index: Expr;
}
export interface Call extends N<'Call'> {
  name: string;
  args: Expr[];
}
export interface Sizeof extends N<'Sizeof'> {
  arg: TypeRef | Expr;
}
export interface Offsetof extends N<'Offsetof'> {
  arg: TypeRef | Expr;
  fields: string[];
}
export interface Typeinfo extends N<'Typeinfo'> {
  arg: TypeRef | Expr;
}
export interface Comptime extends N<'Comptime'> {
  expr: Expr;
}
export interface Block extends N<'Block'> {
  stmts: Stmt[];
  /** Trailing expression without `;` (a block that yields a value). */
  value: Expr | null;
}
export interface If extends N<'If'> {
  cond: Expr;
  /** Whether the condition was written in parentheses. */
  parens: boolean;
  then: Block;
  else: Block | If | null;
}
export interface RangeExpr extends N<'Range'> {
  from: Expr;
  to: Expr;
}
/** What a failed parse left behind. */
export interface ErrorNode extends N<'Error'> {
  message: string;
}

export type Expr =
  | Int | Str | Bool | Ident | Builtin | Var | MapRef | MapAccess | Param | ParamCount | Binary | Unary
  | AddrOf | Ternary | Cast | Tuple | RecordLit | Field | TupleIndex | Index | Call | Sizeof | Offsetof
  | TypeofNode | Typeinfo | Comptime | Block | If | ErrorNode;

// ---- Statements --------------------------------------------------------

export interface ExprStmt extends N<'ExprStmt'> {
  expr: Expr;
}
export type AssignOp = '=' | '+=' | '-=' | '*=' | '/=' | '%=' | '&=' | '|=' | '^=' | '<<=' | '>>=';
export interface Assign extends N<'Assign'> {
  target: Var | MapRef | MapAccess;
  op: AssignOp;
  value: Expr;
}
export interface VarDecl extends N<'VarDecl'> {
  var: Var;
  type: TypeAnn | null;
  init: Expr | null;
}
export interface Discard extends N<'Discard'> {
  expr: Expr;
}
export interface While extends N<'While'> {
  cond: Expr;
  /** Whether the condition was written in parentheses (required before 0.24). */
  parens: boolean;
  body: Block;
}
export interface Unroll extends N<'Unroll'> {
  count: Expr;
  parens: boolean;
  body: Block;
}
export interface For extends N<'For'> {
  var: Var;
  iterable: MapRef | RangeExpr;
  parens: boolean;
  body: Block;
}
export interface Jump extends N<'Jump'> {
  op: 'break' | 'continue' | 'return';
  value: Expr | null;
}
export interface Import extends N<'Import'> {
  path: string;
}

export type Stmt = ExprStmt | Assign | VarDecl | Discard | If | While | Unroll | For | Jump | Import | Block | ErrorNode;

// ---- Top level ---------------------------------------------------------

export interface Preproc extends N<'Preproc'> {
  text: string;
}
/** A C `struct`/`union`/`enum` definition, kept as text for the C front end. */
export interface CDefinition extends N<'CDefinition'> {
  keyword: 'struct' | 'union' | 'enum';
  name: string;
  text: string;
}
export interface ConfigEntry extends N<'ConfigEntry'> {
  key: string;
  value: Int | Str | Bool | Ident;
}
export interface Config extends N<'Config'> {
  entries: ConfigEntry[];
}
export interface AttachPoint extends N<'AttachPoint'> {
  /** Text as written (quotes kept). */
  raw: string;
  /** Provider as written (`k`, `kprobe`, `BEGIN`, ...). */
  provider: string;
  /** Canonical provider (`kprobe`, `begin`, ...), or '' when unknown. */
  canonical: string;
  /** The ':'-separated parts after the provider, quotes removed. */
  parts: string[];
}
export interface Probe extends N<'Probe'> {
  /** `name=` prefix (0.25+), else null. */
  name: string | null;
  attachPoints: AttachPoint[];
  predicate: Expr | null;
  body: Block;
}
export interface Macro extends N<'Macro'> {
  name: string;
  params: (Var | MapRef | Ident)[];
  body: Block;
}
export interface FnParam extends N<'FnParam'> {
  var: Var;
  type: TypeAnn;
}
export interface Fn extends N<'Fn'> {
  name: string;
  params: FnParam[];
  ret: TypeAnn;
  body: Block;
}
export interface MapDecl extends N<'MapDecl'> {
  map: MapRef;
  /** hash, lruhash, percpuhash, percpulruhash, percpuarray, ... */
  mapKind: string;
  maxEntries: bigint | undefined;
}

export type TopItem = Preproc | CDefinition | Config | Import | Probe | Macro | Fn | MapDecl | ErrorNode;

export interface Program extends N<'Program'> {
  items: TopItem[];
}

export type Node =
  | Program | TopItem | Stmt | Expr | AttachPoint | ConfigEntry | FnParam | RecordField | TypeRef | RangeExpr;

/** Per kind, the fields that can hold nodes (learned from the first node seen; fields are never absent). */
const CHILD_KEYS = new Map<string, string[]>();

export function childKeys(n: Node): string[] {
  let keys = CHILD_KEYS.get(n.kind);
  if (keys === undefined) {
    const rec = n as unknown as Record<string, unknown>;
    keys = Object.keys(n).filter((k) => k !== 'kind' && k !== 'range' && typeof rec[k] === 'object');
    CHILD_KEYS.set(n.kind, keys);
  }
  return keys;
}

/** Calls `f` on each child of a node, in field order. */
export function forEachChild(n: Node, f: (c: Node) => void): void {
  forEachChildWith(n, f, undefined);
}

/** The generic walk over the fields `childKeys` names (kinds the switch below does not list). */
function forEachKeyChild<T>(n: Node, f: (c: Node, arg: T) => void, arg: T): void {
  const rec = n as unknown as Record<string, unknown>;
  const keys = childKeys(n);
  for (let i = 0; i < keys.length; i++) {
    const v = rec[keys[i]];
    if (Array.isArray(v)) {
      for (let j = 0; j < v.length; j++) if (isNode(v[j])) f(v[j], arg);
    } else if (isNode(v)) f(v, arg);
  }
}

function each<T>(list: readonly Node[], f: (c: Node, arg: T) => void, arg: T): void {
  for (let i = 0; i < list.length; i++) f(list[i], arg);
}

/**
 * `forEachChild` with an argument handed to `f` (walks that need their parent
 * or state pass it here instead of allocating a closure per node). Each kind's
 * node fields are listed in field order: reading named fields of one shape is
 * what keeps whole-tree walks cheap (test: the list agrees with `childKeys`).
 */
export function forEachChildWith<T>(n: Node, f: (c: Node, arg: T) => void, arg: T): void {
  switch (n.kind) {
    case 'Program': return each(n.items, f, arg);
    case 'Probe':
      each(n.attachPoints, f, arg);
      if (n.predicate !== null) f(n.predicate, arg);
      return f(n.body, arg);
    case 'Block':
      each(n.stmts, f, arg);
      if (n.value !== null) f(n.value, arg);
      return;
    case 'ExprStmt':
    case 'Discard':
      return f(n.expr, arg);
    case 'Assign':
      f(n.target, arg);
      return f(n.value, arg);
    case 'VarDecl':
      f(n.var, arg);
      if (n.type !== null) f(n.type, arg);
      if (n.init !== null) f(n.init, arg);
      return;
    case 'If':
      f(n.cond, arg);
      f(n.then, arg);
      if (n.else !== null) f(n.else, arg);
      return;
    case 'While':
      f(n.cond, arg);
      return f(n.body, arg);
    case 'Unroll':
      f(n.count, arg);
      return f(n.body, arg);
    case 'For':
      f(n.var, arg);
      f(n.iterable, arg);
      return f(n.body, arg);
    case 'Jump':
      if (n.value !== null) f(n.value, arg);
      return;
    case 'Binary':
      f(n.left, arg);
      return f(n.right, arg);
    case 'Unary':
    case 'AddrOf':
      return f(n.operand, arg);
    case 'MapAccess':
      f(n.map, arg);
      return each(n.keys, f, arg);
    case 'Call': return each(n.args, f, arg);
    case 'Field':
    case 'TupleIndex':
      return f(n.object, arg);
    case 'Index':
      f(n.object, arg);
      return f(n.index, arg);
    case 'Ternary':
      f(n.cond, arg);
      if (n.then !== null) f(n.then, arg);
      return f(n.else, arg);
    case 'Cast':
      f(n.type, arg);
      return f(n.expr, arg);
    case 'Tuple': return each(n.elems, f, arg);
    case 'Record': return each(n.fields, f, arg);
    case 'RecordField':
    case 'ConfigEntry':
      return f(n.value, arg);
    case 'Sizeof':
    case 'Offsetof':
    case 'Typeinfo':
    case 'Typeof':
      return f(n.arg, arg);
    case 'Comptime': return f(n.expr, arg);
    case 'Range':
      f(n.from, arg);
      return f(n.to, arg);
    case 'Config': return each(n.entries, f, arg);
    case 'Macro':
      each(n.params, f, arg);
      return f(n.body, arg);
    case 'Fn':
      each(n.params, f, arg);
      f(n.ret, arg);
      return f(n.body, arg);
    case 'FnParam':
      f(n.var, arg);
      return f(n.type, arg);
    case 'MapDecl': return f(n.map, arg);
    case 'Int':
    case 'Str':
    case 'Bool':
    case 'Ident':
    case 'Builtin':
    case 'Var':
    case 'Map':
    case 'Param':
    case 'ParamCount':
    case 'Error':
    case 'TypeRef':
    case 'AttachPoint':
    case 'Preproc':
    case 'CDefinition':
    case 'Import':
      return;
    default:
      return forEachKeyChild(n, f, arg);
  }
}

/** Children of a node in field order (for walks that do not care about kinds). */
export function children(n: Node): Node[] {
  const out: Node[] = [];
  forEachChild(n, (c) => out.push(c));
  return out;
}

export function isNode(v: unknown): v is Node {
  // Objects in node fields are nodes (ranges live only under `range`, which walks skip).
  return v !== null && typeof v === 'object' && (v as { kind?: unknown }).kind !== undefined;
}

/** Visits every node depth-first, parents before children. */
export function walk(n: Node, f: (n: Node) => void): void {
  f(n);
  forEachChildWith(n, walk, f);
}
