/**
 * The verifier log's text buffer: appends, truncation back to an earlier position (speculative
 * paths), and removal of the last character (a state comment joining its instruction line).
 * Like the kernel's default rotating log with libbpf's buffer size, only about the last LOG_LIMIT
 * characters are kept. Recent pieces are joined into blocks as they age so a long log is a few
 * large strings rather than millions of small ones (which cost the garbage collector most of the
 * time of a level-1 run of a 1M-instruction program).
 */

/** Characters of log kept (libbpf's default log buffer, UINT32_MAX >> 8). */
export const LOG_LIMIT = 0xffffff;
/** Pieces joined into one block. */
const BLOCK = 2048;

export class LogBuffer {
  private blocks: string[] = [];
  private blockChars = 0;
  private recent: string[] = [];
  private recentChars = 0;
  /** Characters ever written (positions are absolute, so rotating the front out does not move them). */
  private written = 0;

  get length(): number { return this.written; }

  push(s: string): void {
    this.recent.push(s);
    this.recentChars += s.length;
    this.written += s.length;
    if (this.recent.length < BLOCK) return;
    this.blocks.push(this.recent.join(''));
    this.blockChars += this.recentChars;
    this.recent = [];
    this.recentChars = 0;
    while (this.blocks.length > 1 && this.blockChars + this.recentChars - this.blocks[0].length > LOG_LIMIT) {
      this.blockChars -= (this.blocks.shift() as string).length;
    }
  }

  /** Drops everything written after position n (what is already rotated out stays out). */
  truncate(n: number): void {
    let cut = this.written - n;
    if (cut <= 0) return;
    for (const part of [this.recent, this.blocks]) {
      while (cut > 0 && part.length) {
        const last = part.pop() as string;
        const keep = Math.max(0, last.length - cut);
        cut -= last.length - keep;
        this.written -= last.length - keep;
        if (part === this.recent) this.recentChars -= last.length - keep; else this.blockChars -= last.length - keep;
        if (keep) part.push(last.slice(0, keep));
      }
    }
    this.written -= cut;
  }

  text(): string {
    if (this.blocks.length === 0) return this.recent.length === 0 ? '' : this.recent.join('');
    return this.blocks.join('') + this.recent.join('');
  }
}
