/**
 * Streams a trace file's lines into the trace core (a TraceReader or any line
 * callback) in fixed-size chunks, so traces of millions of events are never
 * held whole. Non-goals: parsing (trace/v1.ts) and random access by time.
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter, TraceReader, type ReadResult, type TraceDiagnostic } from '../trace';

export type LineSink = (text: string, lineNo: number, atEof: boolean) => void;

/** Feeds every line of `path` to `onLine`; resolves when done, or with the I/O error message. */
export function streamLines(path: string, onLine: LineSink, chunkSize = 1 << 16): Promise<{ error?: string; lines: number }> {
  return new Promise((resolve) => {
    const split = new LineSplitter();
    const dec = new StringDecoder('utf8');
    let lines = 0;
    const sink = (t: string, n: number, eof = false): void => { lines = n; onLine(t, n, eof); };
    const s = createReadStream(path, { highWaterMark: chunkSize });
    s.on('data', (b) => split.push(dec.write(b as Buffer), sink));
    s.on('error', (e) => resolve({ error: e.message, lines }));
    s.on('end', () => {
      split.push(dec.end(), sink);
      split.end(sink);
      resolve({ lines });
    });
  });
}

/** Reads a v1 trace file through a TraceReader, passing each result to `onResult`. */
export async function readTraceFile(path: string, onResult: (r: ReadResult) => void = () => {}): Promise<{ reader: TraceReader; diagnostics: TraceDiagnostic[]; error?: string }> {
  const reader = new TraceReader();
  const diagnostics: TraceDiagnostic[] = [];
  const r = await streamLines(path, (t, n, eof) => {
    const res = reader.pushLine(t, n, eof);
    if (res.kind === 'diagnostic') diagnostics.push(res.diagnostic);
    onResult(res);
  });
  if (!r.error) diagnostics.push(...reader.finish());
  return { reader, diagnostics, error: r.error };
}
