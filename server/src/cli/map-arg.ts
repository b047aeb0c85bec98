/**
 * `--map TYPE:KEY_SIZE:VALUE_SIZE[:MAX_ENTRIES[:FLAGS]]`: maps of a raw program
 * given on the command line, the way the kernel's own test tools describe
 * them. TYPE is a map type name (`hash`, `array`, `percpu_hash`, `ringbuf`,
 * ..., case-insensitive, `BPF_MAP_TYPE_` optional) or its number. The i-th
 * `--map` is the map that `lddw` with pseudo source map-fd/map-idx and imm = i
 * refers to.
 */
import { mapTypeNumber, type MapDecl } from '../asm';
import { MAP_TYPES } from '../elf/maps';
import { UsageError } from './args';

/** The same definition a `.map` directive gives (asm/directives.ts). */
export type MapArg = MapDecl;

function num(s: string, what: string, spec: string): number {
  const n = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : /^\d+$/.test(s) ? parseInt(s, 10) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new UsageError(`--map ${spec}: ${what} must be an unsigned 32-bit number, got '${s}'`);
  return n;
}

export function parseMapArg(spec: string, index: number): MapArg {
  const parts = spec.split(':');
  if (parts.length < 3 || parts.length > 5) {
    throw new UsageError(`--map ${spec}: expected TYPE:KEY_SIZE:VALUE_SIZE[:MAX_ENTRIES[:FLAGS]]`);
  }
  const type = mapTypeNumber(parts[0]);
  if (type < 0) {
    throw new UsageError(`--map ${spec}: unknown map type '${parts[0]}' (one of ${MAP_TYPES.slice(1).map((x) => x.toLowerCase()).join(', ')})`);
  }
  const typeName = MAP_TYPES[type];
  const keySize = num(parts[1], 'KEY_SIZE', spec);
  const valueSize = num(parts[2], 'VALUE_SIZE', spec);
  const maxEntries = parts[3] !== undefined ? num(parts[3], 'MAX_ENTRIES', spec) : typeName === 'RINGBUF' ? 4096 : 1;
  const flags = parts[4] !== undefined ? num(parts[4], 'FLAGS', spec) : 0;
  return { name: `map_${index}`, type, typeName, keySize, valueSize, maxEntries, flags };
}

export function parseMapArgs(v: unknown): MapArg[] {
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.map((s, i) => parseMapArg(String(s), i));
}
