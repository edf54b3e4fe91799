import { UsageError } from '../errors.js';

// SQLMesh reads --start/--end/--execution-time with `to_datetime`: a number is epoch
// milliseconds (so `1` is 1970 and nothing is due), anything else goes through dateparser, which
// turns impossible dates into something or nothing without an error. We accept exactly what a
// person means: ISO-8601 dates and times with real calendar values, or the relative words SQLMesh
// documents. Everything else is refused before SQLMesh starts.

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const RELATIVE_WORD = /^(now|today|yesterday|tomorrow)$/i;
const RELATIVE_AGO = /^(\d+)\s+(second|minute|hour|day|week|month|year)s?\s+ago$/i;

const UNIT_MS: Record<string, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30 * 86_400_000,
  year: 365 * 86_400_000,
};

const EXAMPLES =
  "an ISO-8601 date or time (2024-01-31, 2024-01-31T06:00:00Z) or a relative time SQLMesh understands ('now', 'yesterday', '3 days ago')";

/** Whether `year-month-day` exists on the calendar (2024-02-30 does not). */
function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * The instant `value` names (epoch ms, UTC like SQLMesh), or null when it is not a time SQLMesh
 * would read as the user meant. Relative forms resolve against `now`; day words start at midnight.
 */
export function parseRunTime(value: string, now: number = Date.now()): number | null {
  const text = value.trim();
  const iso = ISO.exec(text);
  if (iso) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', fraction, zone] = iso;
    if (!isCalendarDate(Number(y), Number(mo), Number(d)) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
    const ms = Date.parse(
      `${y}-${mo}-${d}T${h.padStart(2, '0')}:${mi.padStart(2, '0')}:${s.padStart(2, '0')}${fraction ? `.${fraction.padEnd(3, '0').slice(0, 3)}` : ''}${normalizeZone(zone)}`,
    );
    return Number.isNaN(ms) ? null : ms;
  }
  const word = RELATIVE_WORD.exec(text);
  if (word) {
    const midnight = now - (now % UNIT_MS.day!);
    switch (word[1]!.toLowerCase()) {
      case 'now':
        return now;
      case 'today':
        return midnight;
      case 'yesterday':
        return midnight - UNIT_MS.day!;
      default:
        return midnight + UNIT_MS.day!;
    }
  }
  const ago = RELATIVE_AGO.exec(text);
  if (ago) return now - Number(ago[1]) * UNIT_MS[ago[2]!.toLowerCase()]!;
  return null;
}

function normalizeZone(zone: string | undefined): string {
  if (zone === undefined || zone === 'Z') return 'Z';
  return zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}

/** `value` unchanged when it is a time SQLMesh reads as meant; a UsageError naming the option otherwise. */
export function validateRunTime(option: string, value: string | null): string | null {
  if (value === null) return null;
  if (parseRunTime(value) === null) {
    const hint = /^\d+$/.test(value.trim()) ? ' (SQLMesh would read a bare number as epoch milliseconds)' : '';
    throw new UsageError(`--${option} must be ${EXAMPLES}, got ${JSON.stringify(value)}${hint}`);
  }
  return value;
}

/** Refuse a window whose start is after its end, naming both values. */
export function validateWindow(start: string | null, end: string | null): void {
  if ((start === null) !== (end === null)) throw new UsageError('--start and --end go together — give both or neither');
  if (start === null || end === null) return;
  const now = Date.now();
  if (parseRunTime(start, now)! > parseRunTime(end, now)!) {
    throw new UsageError(`--start ${JSON.stringify(start)} is after --end ${JSON.stringify(end)} — swap them or fix the window`);
  }
}
