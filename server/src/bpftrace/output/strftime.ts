/**
 * C strftime(3) in the C locale for bpftrace's time() and strftime(), with
 * bpftrace's `%f` (microseconds) extension, from a wall-clock time in
 * nanoseconds and either a fixed UTC offset or an IANA time zone (its offset
 * and abbreviation at that instant, as localtime_r gives them, through Intl).
 * Non-goals: locales and glibc's `E`/`O` modifiers beyond skipping them.
 */

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const p2 = (n: number): string => String(n).padStart(2, '0');
const p3 = (n: number): string => String(n).padStart(3, '0');

/** ISO 8601 week-based year and week number of a UTC date. */
function isoWeek(d: Date): { year: number; week: number } {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = (t.getUTCDay() + 6) % 7;
  t.setUTCDate(t.getUTCDate() - day + 3);
  const firstThu = new Date(Date.UTC(t.getUTCFullYear(), 0, 4));
  const week = 1 + Math.round(((t.getTime() - firstThu.getTime()) / 86400000 - 3 + ((firstThu.getUTCDay() + 6) % 7)) / 7);
  return { year: t.getUTCFullYear(), week };
}

const zoneFormats = new Map<string, Intl.DateTimeFormat | undefined>();

function zoneFormat(timeZone: string): Intl.DateTimeFormat | undefined {
  if (!zoneFormats.has(timeZone)) {
    let f: Intl.DateTimeFormat | undefined;
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', timeZoneName: 'short' });
    } catch {
      f = undefined; // not a zone name Intl knows
    }
    zoneFormats.set(timeZone, f);
  }
  return zoneFormats.get(timeZone);
}

/** Whether Intl knows an IANA time zone name (`Europe/Berlin`, `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  return zoneFormat(timeZone) !== undefined;
}

/** A zone's UTC offset (minutes east) and abbreviation at an instant (seconds since the epoch); undefined for an unknown zone. */
export function zoneAt(timeZone: string, secs: number): { offset: number; abbrev: string } | undefined {
  const f = zoneFormat(timeZone);
  if (!f) return undefined;
  const parts = f.formatToParts(new Date(secs * 1000));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const offset = Math.round((local - secs * 1000) / 60000);
  let abbrev = parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
  if (/^GMT[+-]/.test(abbrev) || abbrev === 'GMT' && offset !== 0) {
    // glibc prints the zone's own abbreviation (CET, IST, AEST); other English locales know more of them; else a numeric one as glibc does for zones without.
    const named = ['en-GB', 'en-IN', 'en-AU', 'en-NZ', 'ja-JP'].map((loc) => new Intl.DateTimeFormat(loc, { timeZone, timeZoneName: 'short' })
      .formatToParts(new Date(secs * 1000)).find((p) => p.type === 'timeZoneName')?.value ?? '').find((n) => n !== '' && !/^(GMT|UTC)([+-]|$)/.test(n));
    const off = Math.abs(offset);
    abbrev = named ?? (offset < 0 ? '-' : '+') + p2(Math.floor(off / 60)) + (off % 60 ? p2(off % 60) : '');
  }
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') abbrev = 'UTC';
  return { offset, abbrev };
}

/**
 * `fmt` applied to `ns` nanoseconds since the epoch, shown at `tzOffsetMinutes`
 * east of UTC, or in `timeZone` (an IANA name: its offset at that instant, DST
 * included). `%f` becomes the six-digit microseconds first, as bpftrace does.
 */
export function strftime(fmt: string, ns: bigint, tzOffsetMinutes = 0, timeZone?: string): string {
  const us = Number((((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n) / 1000n);
  fmt = fmt.replace(/%f/g, String(us).padStart(6, '0'));
  const secs = Number(ns / 1_000_000_000n - (ns < 0n && ns % 1_000_000_000n !== 0n ? 1n : 0n));
  const zone = timeZone !== undefined ? zoneAt(timeZone, secs) : undefined;
  if (zone) tzOffsetMinutes = zone.offset;
  const d = new Date((secs + tzOffsetMinutes * 60) * 1000);
  const Y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  const H = d.getUTCHours();
  const M = d.getUTCMinutes();
  const S = d.getUTCSeconds();
  const wd = d.getUTCDay();
  const yday = Math.floor((Date.UTC(Y, m, day) - Date.UTC(Y, 0, 1)) / 86400000);
  const h12 = H % 12 === 0 ? 12 : H % 12;
  const off = Math.abs(tzOffsetMinutes);
  const z = (tzOffsetMinutes < 0 ? '-' : '+') + p2(Math.floor(off / 60)) + p2(off % 60);
  const conv = (c: string): string | undefined => {
    switch (c) {
      case 'a': return DAYS[wd].slice(0, 3);
      case 'A': return DAYS[wd];
      case 'b': case 'h': return MONTHS[m].slice(0, 3);
      case 'B': return MONTHS[m];
      case 'c': return `${DAYS[wd].slice(0, 3)} ${MONTHS[m].slice(0, 3)} ${String(day).padStart(2, ' ')} ${p2(H)}:${p2(M)}:${p2(S)} ${Y}`;
      case 'C': return p2(Math.floor(Y / 100));
      case 'd': return p2(day);
      case 'D': return `${p2(m + 1)}/${p2(day)}/${p2(Y % 100)}`;
      case 'e': return String(day).padStart(2, ' ');
      case 'F': return `${Y}-${p2(m + 1)}-${p2(day)}`;
      case 'g': return p2(isoWeek(d).year % 100);
      case 'G': return String(isoWeek(d).year);
      case 'H': return p2(H);
      case 'I': return p2(h12);
      case 'j': return p3(yday + 1);
      case 'k': return String(H).padStart(2, ' ');
      case 'l': return String(h12).padStart(2, ' ');
      case 'm': return p2(m + 1);
      case 'M': return p2(M);
      case 'n': return '\n';
      case 'p': return H < 12 ? 'AM' : 'PM';
      case 'P': return H < 12 ? 'am' : 'pm';
      case 'r': return `${p2(h12)}:${p2(M)}:${p2(S)} ${H < 12 ? 'AM' : 'PM'}`;
      case 'R': return `${p2(H)}:${p2(M)}`;
      case 's': return String(secs);
      case 'S': return p2(S);
      case 't': return '\t';
      case 'T': return `${p2(H)}:${p2(M)}:${p2(S)}`;
      case 'u': return String(wd === 0 ? 7 : wd);
      case 'U': return p2(Math.floor((yday + 7 - wd) / 7));
      case 'V': return p2(isoWeek(d).week);
      case 'w': return String(wd);
      case 'W': return p2(Math.floor((yday + 7 - ((wd + 6) % 7)) / 7));
      case 'x': return `${p2(m + 1)}/${p2(day)}/${p2(Y % 100)}`;
      case 'X': return `${p2(H)}:${p2(M)}:${p2(S)}`;
      case 'y': return p2(Y % 100);
      case 'Y': return String(Y);
      case 'z': return z;
      case 'Z': return zone ? zone.abbrev : tzOffsetMinutes === 0 ? 'UTC' : z;
      case '%': return '%';
      default: return undefined;
    }
  };
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    if (fmt[i] !== '%' || i + 1 >= fmt.length) {
      out += fmt[i];
      continue;
    }
    let j = i + 1;
    if (fmt[j] === 'E' || fmt[j] === 'O') j++;
    const r = conv(fmt[j]);
    if (r === undefined) out += fmt.slice(i, j + 1);
    else out += r;
    i = j;
  }
  return out;
}
