/**
 * Memory for one verification that the next one reuses: the per-instruction arrays of the passes
 * (prune points, successors, SCC ids, liveness marks, precision sets) and the stack arrays of the
 * first frames that get written. Creating a typed array over 64 bytes allocates memory outside the
 * JavaScript heap, which costs more than verifying a small program; here they are views of one
 * module buffer, cleared when handed out. Valid only while verify() runs: no result, cache or
 * later call keeps them (verification is synchronous; a nested verification gets fresh arrays).
 * Requests beyond the buffer, and any request outside a verification, allocate as usual.
 */

/** Bytes reused per verification: enough for programs of a few thousand instructions. */
const ARENA_BYTES = 1 << 18;
/** Stack arrays (MAX_STACK bytes each) reused per verification. */
const STACKS = 16;
const STACK_BYTES = 512;

const buffer = new ArrayBuffer(ARENA_BYTES);
const stacks: Uint8Array[] = [];
let depth = 0;
/** Next free byte of the buffer (8-aligned); ARENA_BYTES when the arena is not available. */
let used = ARENA_BYTES;
let nextStack = STACKS;

/** A verification starts: the arena is empty (or unavailable, when verifications nest). */
export function arenaBegin(): void {
  if (depth++ === 0) { used = 0; nextStack = 0; } else { used = ARENA_BYTES; nextStack = STACKS; }
}

/** The verification ended: nothing may use its arrays any more. */
export function arenaEnd(): void {
  depth = Math.max(0, depth - 1);
  used = ARENA_BYTES;
  nextStack = STACKS;
}

/** Sets a[0..n) to v: a loop for short arrays (cheaper than the fill builtin's call), fill otherwise. */
function clear(a: Uint8Array | Uint16Array | Uint32Array | Int32Array, v: number): void {
  const n = a.length;
  if (n > 64) { a.fill(v); return; }
  for (let i = 0; i < n; i++) a[i] = v;
}

function take(bytes: number): number {
  const at = used;
  if (at + bytes > ARENA_BYTES) return -1;
  used = at + ((bytes + 7) & ~7);
  return at;
}

type View = Uint8Array | Uint16Array | Uint32Array | Int32Array;
interface ViewType<T extends View> { new(length: number): T; new(buffer: ArrayBuffer, offset: number, length: number): T; BYTES_PER_ELEMENT: number }

/** n entries of type C, all `fill`: a view of the arena, or a new array when the arena is full or not in use. */
function view<T extends View>(C: ViewType<T>, n: number, fill: number): T {
  const at = take(C.BYTES_PER_ELEMENT * n);
  const a = at < 0 ? new C(n) : new C(buffer, at, n);
  if (at >= 0 || fill) clear(a, fill);
  return a;
}

/** A zeroed Uint8Array of n bytes. */
export function arenaU8(n: number): Uint8Array { return view(Uint8Array, n, 0); }
/** A zeroed Uint16Array of n entries. */
export function arenaU16(n: number): Uint16Array { return view(Uint16Array, n, 0); }
/** A Uint32Array of n entries, all `fill`. */
export function arenaU32(n: number, fill = 0): Uint32Array { return view(Uint32Array, n, fill); }
/** An Int32Array of n entries, all `fill`. */
export function arenaI32(n: number, fill = 0): Int32Array { return view(Int32Array, n, fill); }

/** A frame's stack array (512 bytes): a copy of `from`, or zeroed. */
export function arenaStack(from?: Uint8Array): Uint8Array {
  let a: Uint8Array;
  if (nextStack < STACKS) {
    a = stacks[nextStack] ??= new Uint8Array(STACK_BYTES);
    nextStack++;
    if (!from) a.fill(0);
  } else a = new Uint8Array(STACK_BYTES);
  if (from) a.set(from);
  return a;
}
