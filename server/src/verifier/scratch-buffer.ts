/**
 * Reusable Int32 working space for the verifier's whole-program passes (prepass, analysis): small
 * programs reuse one module buffer per pass instead of allocating typed arrays at each
 * verification (typed arrays over 64 bytes live outside the heap and cost far more to create).
 * Verification is synchronous and no result keeps a scratch buffer; large requests get a fresh
 * array so no module holds megabytes after a large program. Non-goal: sharing between passes.
 */

/** Requests above this many words get their own array. */
const KEEP_WORDS = 1 << 16;

export class ScratchBuffer {
  private buf = new Int32Array(0);

  /** At least `size` words; the contents are left over from earlier use (callers initialise what they read). */
  get(size: number): Int32Array {
    if (size > KEEP_WORDS) return new Int32Array(size);
    if (this.buf.length < size) this.buf = new Int32Array(KEEP_WORDS);
    return this.buf;
  }
}
