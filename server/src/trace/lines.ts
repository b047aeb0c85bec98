/**
 * Splits text arriving in chunks into lines, for streaming a trace without
 * holding it whole. Pure: the caller feeds decoded text. Non-goal: decoding
 * bytes (the host uses a StringDecoder).
 */

export class LineSplitter {
  private rest = '';
  private lineNo = 0;

  /** Feeds a chunk; calls `onLine` for every complete line (without its "\n"). */
  push(chunk: string, onLine: (text: string, lineNo: number) => void): void {
    let start = 0;
    let nl = chunk.indexOf('\n');
    if (nl < 0) { this.rest += chunk; return; }
    onLine(this.rest + chunk.slice(0, nl), ++this.lineNo);
    this.rest = '';
    start = nl + 1;
    while ((nl = chunk.indexOf('\n', start)) >= 0) {
      onLine(chunk.slice(start, nl), ++this.lineNo);
      start = nl + 1;
    }
    this.rest = chunk.slice(start);
  }

  /** Ends the input; a final line with no newline after it is passed with atEof = true. */
  end(onLine: (text: string, lineNo: number, atEof: boolean) => void): void {
    if (this.rest !== '') onLine(this.rest, ++this.lineNo, true);
    this.rest = '';
  }
}
