/**
 * Tracepoint record layouts: parsing of tracefs `format` files (text in, field
 * list out, with diagnostics naming the line) and relating a tracepoint to its
 * BTF `trace_event_raw_*` struct. It does not read tracefs (host/ does) and does
 * not interpret `print fmt` beyond keeping its text.
 */
import { KIND as KINDS } from './format';
import type { Btf } from './types';
import { CDecl } from './cdecl';

// Local copy: under tsx every use of an imported binding is a getter call.
const KIND = KINDS;

export interface TpField {
  name: string;
  /** C type without the name: `char[16]`, `const char *`, `__data_loc char[]` shows as `char[]`. */
  type: string;
  /** The declaration as written in the file (`char prev_comm[16]`). */
  decl: string;
  offset: number;
  size: number;
  signed: boolean;
  /** Element count for fixed arrays (`char comm[16]` -> 16). */
  arrayLen?: number;
  /** `__data_loc`: a u32 holding (length << 16 | offset) of dynamic data; `__rel_loc`: relative to the field's end. */
  dynamic?: 'data_loc' | 'rel_loc';
  /** One of the four `common_*` fields of struct trace_entry. */
  common: boolean;
  /** 0-based line in the format text. */
  line: number;
}

export interface TpFormat {
  name: string;
  id: number;
  fields: TpField[];
  printFmt: string;
  /** Bytes covered by the fixed fields (end of the last one). */
  size: number;
}

export interface TpDiagnostic {
  /** 0-based line and column in the format text. */
  line: number;
  col: number;
  message: string;
}

export interface TpParseResult {
  format?: TpFormat;
  diagnostics: TpDiagnostic[];
}

const FIELD_RE = /^\s*field:(.*?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);\s*$/;

/** Parse one `format` file. Unknown or malformed lines are reported, never thrown. */
export function parseTracepointFormat(text: string): TpParseResult {
  const diagnostics: TpDiagnostic[] = [];
  const lines = text.split('\n');
  let name: string | undefined;
  let id: number | undefined;
  let printFmt = '';
  let inFormat = false;
  const fields: TpField[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    if (line.startsWith('name:')) {
      name = line.slice(5).trim();
      if (name === '') diagnostics.push({ line: i, col: 5, message: 'empty tracepoint name' });
    } else if (line.startsWith('ID:')) {
      const v = line.slice(3).trim();
      if (/^\d+$/.test(v)) id = Number(v);
      else diagnostics.push({ line: i, col: 3, message: `bad ID '${v}'` });
    } else if (line.startsWith('format:')) {
      inFormat = true;
    } else if (line.startsWith('print fmt:')) {
      // The format string may contain newlines: the rest of the file is the print fmt.
      printFmt = lines.slice(i).join('\n').slice(10).trim();
      break;
    } else if (/^\s+field:/.test(line) || line.startsWith('field:')) {
      if (!inFormat) diagnostics.push({ line: i, col: 0, message: 'field line outside the format: section' });
      const m = FIELD_RE.exec(line);
      if (m === null) {
        diagnostics.push({ line: i, col: line.indexOf('field:'), message: `malformed field line (expected 'field:<decl>; offset:N; size:N; signed:0|1;')` });
        continue;
      }
      const f = parseDecl(m[1].trim());
      if (f === undefined) {
        diagnostics.push({ line: i, col: line.indexOf('field:') + 6, message: `cannot find the field name in '${m[1].trim()}'` });
        continue;
      }
      const field: TpField = {
        name: f.name, type: f.type, decl: m[1].trim(), offset: Number(m[2]), size: Number(m[3]), signed: m[4] !== '0',
        common: f.name.startsWith('common_'), line: i,
      };
      if (f.arrayLen !== undefined) field.arrayLen = f.arrayLen;
      if (f.dynamic !== undefined) field.dynamic = f.dynamic;
      if (m[4] !== '0' && m[4] !== '1') diagnostics.push({ line: i, col: line.indexOf('signed:') + 7, message: `signed:${m[4]} should be 0 or 1` });
      if (f.dynamic !== undefined && field.size !== 4) diagnostics.push({ line: i, col: line.indexOf('size:') + 5, message: `${f.dynamic} field ${f.name} has size ${field.size}, expected 4` });
      fields.push(field);
    } else {
      diagnostics.push({ line: i, col: 0, message: `unexpected line '${line.length > 40 ? line.slice(0, 40) + '…' : line}'` });
    }
  }
  if (name === undefined) diagnostics.push({ line: 0, col: 0, message: "no 'name:' line" });
  if (id === undefined) diagnostics.push({ line: 0, col: 0, message: "no 'ID:' line" });
  if (name === undefined) return { diagnostics };
  // Overlapping fields are a sign of a corrupt file.
  const sorted = [...fields].sort((a, b) => a.offset - b.offset);
  for (let k = 1; k < sorted.length; k++) {
    const p = sorted[k - 1];
    if (sorted[k].offset < p.offset + p.size) {
      diagnostics.push({ line: sorted[k].line, col: 0, message: `field ${sorted[k].name} (offset ${sorted[k].offset}) overlaps ${p.name} (offset ${p.offset}, size ${p.size})` });
    }
  }
  const size = fields.reduce((m, f) => Math.max(m, f.offset + f.size), 0);
  return { format: { name, id: id ?? -1, fields, printFmt, size }, diagnostics };
}

function parseDecl(decl: string): { name: string; type: string; arrayLen?: number; dynamic?: 'data_loc' | 'rel_loc' } | undefined {
  let d = decl;
  let dynamic: 'data_loc' | 'rel_loc' | undefined;
  if (d.startsWith('__data_loc ')) {
    dynamic = 'data_loc';
    d = d.slice(11).trim();
  } else if (d.startsWith('__rel_loc ')) {
    dynamic = 'rel_loc';
    d = d.slice(10).trim();
  }
  // name, optionally followed by [N] (or [] / [expr]), at the end
  const m = /([A-Za-z_][A-Za-z0-9_]*)\s*(\[([^\]]*)\])?$/.exec(d);
  if (m === null) return undefined;
  const before = d.slice(0, m.index).trim();
  if (before === '') return undefined;
  const res: { name: string; type: string; arrayLen?: number; dynamic?: 'data_loc' | 'rel_loc' } = { name: m[1], type: before };
  if (m[2] !== undefined) {
    res.type = `${before}[${m[3]}]`;
    if (/^\d+$/.test(m[3])) res.arrayLen = Number(m[3]);
  }
  if (dynamic !== undefined) res.dynamic = dynamic;
  return res;
}

export interface FieldMatch {
  field: string;
  /** The BTF member path used (`ent.type`, `__data_loc_name`, `prev_comm`). */
  member?: string;
  btfOffset?: number;
  btfSize?: number;
  agrees: boolean;
}

export interface TpRelation {
  /** The `trace_event_raw_*` struct, if found. */
  structId?: number;
  structName?: string;
  /** 'event': trace_event_raw_<event>; 'template': the event's class struct, found by its fields. */
  rule?: 'event' | 'template';
  /** Structs whose member names fit (for rule 'template'; 1 = unambiguous). */
  candidates: number;
  fields: FieldMatch[];
  /** Every field found in the struct with the same offset and size. */
  agrees: boolean;
}

/** The BTF member of `trace_entry` behind each common field. */
const COMMON: Record<string, string> = {
  common_type: 'type', common_flags: 'flags', common_preempt_count: 'preempt_count', common_pid: 'pid',
};

/**
 * Relates tracepoints to `trace_event_raw_*` structs. The rule, read off this
 * kernel's data: an event defined on its own (TRACE_EVENT) has a struct named
 * after the event; an event of a class (DEFINE_EVENT) uses the class's struct,
 * whose name the format file does not give; it is found as the struct whose
 * members match the event's non-common fields by name, offset and size (when
 * several do, the name sharing the longest prefix with the event wins).
 */
export class TracepointIndex {
  private byName = new Map<string, number>();
  private bySignature = new Map<string, number[]>();
  private decl: CDecl | undefined;

  constructor(private readonly btf: Btf) {
    const prefix = 'trace_event_raw_';
    for (let id = 1; id < btf.count; id++) {
      if (btf.kind(id) !== KIND.STRUCT || !btf.named(id)) continue;
      const n = btf.name(id);
      if (!n.startsWith(prefix)) continue;
      this.byName.set(n.slice(prefix.length), id);
      const sig = this.structSignature(id);
      const list = this.bySignature.get(sig);
      if (list === undefined) this.bySignature.set(sig, [id]);
      else list.push(id);
    }
  }

  /** Number of trace_event_raw_* structs in the BTF. */
  get structs(): number {
    return this.byName.size;
  }

  private structSignature(id: number): string {
    const parts: string[] = [];
    const b = this.btf;
    for (let i = 0, n = b.vlen(id); i < n; i++) {
      const name = b.memberName(id, i);
      if (name === 'ent' || name === '__data') continue;
      parts.push(name);
    }
    return parts.join(',');
  }

  private formatSignature(f: TpFormat): string {
    return f.fields
      .filter((x) => !x.common)
      .map((x) => (x.dynamic === undefined ? x.name : `__${x.dynamic}_${x.name}`))
      .join(',');
  }

  relate(f: TpFormat): TpRelation {
    let id = this.byName.get(f.name);
    let rule: 'event' | 'template' | undefined = id === undefined ? undefined : 'event';
    let candidates = id === undefined ? 0 : 1;
    if (id === undefined) {
      const cands = this.bySignature.get(this.formatSignature(f)) ?? [];
      candidates = cands.length;
      if (cands.length > 0) {
        rule = 'template';
        let bestScore = -1;
        for (const c of cands) {
          const tname = this.btf.name(c).slice(16);
          const score = this.typeScore(c, f) * 1e6 + commonPrefix(tname, f.name) * 1000 + commonSuffix(tname, f.name);
          if (score > bestScore) {
            bestScore = score;
            id = c;
          }
        }
      }
    }
    if (id === undefined) return { candidates, fields: [], agrees: false };
    const sid = id;
    const fields = f.fields.map((x) => this.matchField(sid, x));
    return { structId: sid, structName: this.btf.name(sid), rule, candidates, fields, agrees: fields.every((m) => m.agrees) };
  }

  /** How many non-common fields have the same C type text in the format and in BTF (spaces ignored). */
  private typeScore(sid: number, f: TpFormat): number {
    const b = this.btf;
    const decl = (this.decl ??= new CDecl(b, true, true, false));
    let score = 0;
    for (const x of f.fields) {
      if (x.common || x.dynamic !== undefined) continue;
      const m = b.findMember(sid, x.name);
      if (m === undefined) continue;
      if (canonDecl(decl.declText(m.type, x.name, 0)) === canonDecl(x.decl)) score++;
    }
    return score;
  }

  private matchField(sid: number, x: TpField): FieldMatch {
    const b = this.btf;
    let path: string;
    if (x.common) path = `ent.${COMMON[x.name] ?? x.name}`;
    else if (x.dynamic !== undefined) path = `__${x.dynamic}_${x.name}`;
    else path = x.name;
    let cur = sid;
    let off = 0;
    let size: number | undefined;
    for (const part of path.split('.')) {
      const m = b.findMember(cur, part);
      if (m === undefined || m.bitSize !== 0) return { field: x.name, agrees: false };
      off += m.bitOffset / 8;
      cur = m.type;
      size = b.sizeof(m.type);
    }
    return { field: x.name, member: path, btfOffset: off, btfSize: size, agrees: off === x.offset && size === x.size };
  }
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function commonSuffix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[a.length - 1 - i] === b[b.length - 1 - i]) i++;
  return i;
}

const INT_WORDS = /\b(?:(?:unsigned|signed|short|long|int|char)\s+)*(?:unsigned|signed|short|long|int|char)\b/g;

/** A declaration with integer type spellings made canonical and spaces removed. */
function canonDecl(d: string): string {
  return d
    .replace(INT_WORDS, (w) => {
      const words = w.split(/\s+/);
      const count = (x: string): number => words.filter((y) => y === x).length;
      const base = count('char') > 0 ? 'char' : count('short') > 0 ? 'short' : count('long') === 2 ? 'longlong' : count('long') === 1 ? 'long' : 'int';
      const sign = count('unsigned') > 0 ? 'u' : count('signed') > 0 && base === 'char' ? 's' : '';
      return sign + base;
    })
    .replace(/\s+/g, '');
}
