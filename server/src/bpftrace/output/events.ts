/**
 * One output event (printf, print, time, cat/system, join, lost events, the
 * attach banner, ...) turned into the stdout text bpftrace prints for it, in
 * text or `-f json` form. clear/zero/exit change state, not output; the
 * caller applies them to its maps. 0.26 sends the banner and lost-event
 * notices to stderr in text mode and adds "count" to their JSON.
 * Non-goal: ordering events (replay does).
 */
import { OutputEvent, OutputOptions } from './values';
import { formatMap, valueCtx } from './maps';
import { formatPrintf } from './printf';
import { strftime } from './strftime';
import { quote, valueText } from './text';
import { valueText26 } from './modern';
import { isOld } from './version';

function message(type: string, text: string, o: OutputOptions, nl: boolean): string {
  if (o.format === 'json') return `{"type": "${type}", "data": ${quote(text)}}\n`;
  return nl ? text + '\n' : text;
}

/**
 * The banner bpftrace prints once its probes are attached: `Attaching N
 * probes...` on stdout in 0.17 (JSON: {"type": "attached_probes"}); 0.26
 * writes `Attached N probes` to stderr, so its stdout part is empty. N counts
 * every attached probe after wildcard expansion, BEGIN and END included; -q
 * (`quiet`) suppresses the banner.
 */
export function attachedLine(probes: number, o: OutputOptions): { stdout: string; stderr: string } {
  if (o.quiet) return { stdout: '', stderr: '' };
  if (o.format === 'json') {
    const count = isOld(o.version) ? '' : `"count": ${probes}, `;
    return { stdout: `{"type": "attached_probes", ${count}"data": {"probes": ${probes}}}\n`, stderr: '' };
  }
  if (isOld(o.version)) return { stdout: `Attaching ${probes} ${probes === 1 ? 'probe' : 'probes'}...\n`, stderr: '' };
  return { stdout: '', stderr: `Attached ${probes} ${probes === 1 ? 'probe' : 'probes'}\n` };
}

/** The stdout text of one event. */
export function formatEvent(e: OutputEvent, o: OutputOptions): string {
  const ctx = valueCtx(o);
  switch (e.kind) {
    case 'printf':
      return message('printf', formatPrintf(e.fmt, e.args, { version: o.version, ctx: { ...ctx, json: false } }), o, false);
    case 'print':
      return formatMap(e.map, o, e.top ?? 0, e.div ?? 0);
    case 'printValue': {
      const v = isOld(o.version) ? valueText(e.value, ctx) : valueText26(e.value, ctx);
      return o.format === 'json' ? `{"type": "value", "data": ${v}}\n` : v + '\n';
    }
    case 'time':
      return message('time', strftime(e.fmt, e.ns, o.tzOffsetMinutes ?? 0, o.timeZone), o, false);
    case 'cat':
      return message('cat', e.text, o, false);
    case 'system':
      return message('syscall', e.text, o, !isOld(o.version));
    case 'join': {
      const dec = new TextDecoder();
      return message('join', e.parts.map((p) => dec.decode(p)).join(e.sep), o, true);
    }
    case 'lost':
      if (o.format === 'json') return `{"type": "lost_events", ${isOld(o.version) ? '' : `"count": ${e.count}, `}"data": {"events": ${e.count}}}\n`;
      return isOld(o.version) ? `Lost ${e.count} events\n` : '';
    case 'attached':
      return attachedLine(e.probes, o).stdout;
    case 'exit':
    case 'clear':
    case 'zero':
      return '';
  }
}
