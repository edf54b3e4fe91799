import type { AuditFailure, EventOf, ExecutionStats, Interval } from '../contracts/console-events.js';
import { AUDIT_WARNING_PATTERN, NEXT_READY_PATTERN, NOTHING_TO_DO_PREFIX } from '../contracts/sqlmesh-text.js';
import { SqlmeshPipesError } from '../errors.js';

/*
 * The line grammar of `sqlmesh run`'s own output (Markdown console when piped, terminal console,
 * wide or wrapped at 80 columns): what each line construct looks like and what it says, without
 * state. The sentences the JSON console's fallbacks match too come from src/contracts/sqlmesh-text.ts.
 */

// A model name as SQLMesh displays it: dotted parts, each bare or "quoted" (spaces and "" inside).
export const NAME = String.raw`(?:"(?:[^"]|"")*"|[^\s".\[]+)(?:\.(?:"(?:[^"]|"")*"|[^\s".\[]+))*`;
export const BATCH_START = /^\[\s*\d+\/\d+\]/;
export const BATCH = new RegExp(String.raw`^\[\s*(\d+)\/(\d+)\]\s+(${NAME})\s+\[(.*)\]\s+(\d+(?:\.\d+)?)s$`);
export const BATCH_NO_DURATION = new RegExp(String.raw`^\[\s*(\d+)\/(\d+)\]\s+(${NAME})\s+\[(.*)\]$`);
// The progress bar SQLMesh prints once evaluation ends: `Executing model batches ━━━ 100.0% • 3/3 • 0:00:00`.
export const PROGRESS_COUNT = /^Executing model batches\b.*?(\d+)\/(\d+)/;
export const EXECUTED = /^(?:✔\s*)?Model batches executed$/;
export const PROGRESS = /^(Executing model batches|Auditing models)\b/;
export const SKIPPED_HEADER = /^(?:\*\*)?Skipped models(?:\*\*)?$/;
export const FAILED_HEADER = /^(?:\*\*)?Failed models(?:\*\*)?$/;
export const MARKDOWN_ITEM = /^\* `(.+)`$/;
export const FENCE = /^```$/;
export const WARNING = /^\[WARNING\]\s?(.*)$/;
export const LEARN_MORE = /\s*Learn more in logs:.*$/s;
export const AUDIT_WARNING = new RegExp(AUDIT_WARNING_PATTERN, 's');
const AUDIT_ERROR = /^'(.+)' audit error: (\d+) rows? failed$/;
const CLASS_LINE = /^([A-Za-z_][\w.]*):$/;
export const NOTHING = new RegExp(`^${NOTHING_TO_DO_PREFIX}\\b`);
export const NEXT_READY = new RegExp(`^${NEXT_READY_PATTERN}$`);
export const RUN_FINISHED = /^Run finished for environment '(.+)'$/;
export const ERROR = /^Error: (.*)$/;
const STATS = /\s*\(([^()]*(?:rows?|B|Bytes?|KiB|MiB|GiB|TiB|PiB))\)$/;
const AUDITS = /,\s*audits((?:\s+(?:✔|passed\s*)\d+)?)((?:\s+(?:❌|failed\s*)\d+)?)\s*$/;

// First characters of every line construct above (batch, ✔/Model, **/Skipped/Failed, [WARNING],
// No models, Run finished, Error:, Executing/Auditing); anything else is a plain log line.
export const CONSTRUCT_FIRST_CHARS = new Set(['[', '✔', 'M', '*', 'S', 'F', 'N', 'R', 'E', 'A']);

/** Whether a trimmed line starts one of the constructs above (else it continues a block or is a log line). */
export function startsConstruct(trimmed: string): boolean {
  if (!CONSTRUCT_FIRST_CHARS.has(trimmed.charAt(0))) return false;
  return (
    BATCH_START.test(trimmed) ||
    EXECUTED.test(trimmed) ||
    PROGRESS.test(trimmed) ||
    SKIPPED_HEADER.test(trimmed) ||
    FAILED_HEADER.test(trimmed) ||
    WARNING.test(trimmed) ||
    NOTHING.test(trimmed) ||
    RUN_FINISHED.test(trimmed) ||
    ERROR.test(trimmed)
  );
}

/** A batch line's content; `printed` is the model name as displayed (the parser maps it to the manifest's). */
export type ParsedBatch = Pick<
  EventOf<'batch_evaluated'>,
  'node' | 'interval' | 'batch_index' | 'batch_count' | 'duration_ms' | 'audits_passed' | 'audits_failed' | 'annotation' | 'execution_stats'
> & { readonly printed: string };

/** `[2/4] demo.events   [insert 2024-01-04 - 2024-01-04, audits ✔1]   0.05s` as a batch. */
export function parseBatchLine(line: string, matched?: RegExpExecArray): ParsedBatch {
  const match = matched ?? BATCH.exec(line);
  if (!match) throw new SqlmeshPipesError(`not a batch line: ${line}`);
  const [, index, count, printed, inner, seconds] = match as unknown as [string, string, string, string, string, string];
  let annotation = inner;
  let passed = 0;
  let failed = 0;
  const audits = annotation.includes('audits') ? AUDITS.exec(annotation) : null;
  if (audits) {
    passed = Number(/\d+/.exec(audits[1] ?? '')?.[0] ?? 0);
    failed = Number(/\d+/.exec(audits[2] ?? '')?.[0] ?? 0);
    annotation = annotation.slice(0, audits.index);
  }
  let executionStats: ExecutionStats | null = null;
  const stats = annotation.endsWith(')') ? STATS.exec(annotation) : null;
  if (stats) {
    executionStats = parseStats(stats[1] ?? '');
    annotation = annotation.slice(0, stats.index);
  }
  annotation = annotation.trim();
  return {
    printed,
    node: annotation.startsWith('run standalone audit') ? 'audit' : annotation.startsWith('run external audits') ? 'external' : 'model',
    interval: parseInterval(annotation),
    batch_index: Number(index) - 1,
    batch_count: Number(count),
    duration_ms: Math.round(Number(seconds) * 1000),
    audits_passed: passed,
    audits_failed: failed,
    annotation: annotation === '' ? null : annotation,
    execution_stats: executionStats,
  };
}

/** What a block under "Failed models" says: SQLMesh's error class and message, or its failed audits. */
export function parseFailureBlock(block: readonly string[]): Pick<EventOf<'model_failed'>, 'error_class' | 'message' | 'audit_failures'> {
  const lines = [...block];
  while (lines.length > 0 && (lines[lines.length - 1] ?? '').trim() === '') lines.pop();
  while (lines.length > 0 && (lines[0] ?? '').trim() === '') lines.shift();
  const first = (lines[0] ?? '').trim();
  if (AUDIT_ERROR.test(first)) {
    const failures = parseAuditFailures(lines);
    return {
      error_class: 'NodeAuditsErrors',
      message: `Audits failed: ${failures.map((f) => f.audit).join(', ')}`,
      audit_failures: failures,
    };
  }
  const cls = CLASS_LINE.exec(first);
  const body = cls ? lines.slice(1) : lines;
  const indent = cls ? 6 : 4;
  const message = body
    .map((l) => dedent(l, indent).trimEnd())
    .join('\n')
    .trim();
  return { error_class: cls ? (cls[1] ?? null) : null, message, audit_failures: [] };
}

/** The parts of a dotted name, quotes off: `"db"."my schema".t` → `['db', 'my schema', 't']`. */
export function nameParts(name: string): string[] {
  return [...name.matchAll(/"((?:[^"]|"")*)"|([^."]+)/g)].map((m) => (m[1] !== undefined ? m[1].replaceAll('""', '"') : (m[2] ?? '')));
}

/**
 * `"db"."demo"."orders"` → `demo.orders`, `"db"."my schema"."t"` → `"my schema".t`: catalog
 * dropped, quotes kept only where a part needs them (how SQLMesh writes the name). The fallback
 * without a manifest map.
 */
export function stripFqn(fqn: string): string {
  const parts = nameParts(fqn);
  if (parts.length === 0) return fqn;
  return parts
    .slice(-2)
    .map((part) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? part : `"${part.replaceAll('"', '""')}"`))
    .join('.');
}

function dedent(line: string, width: number): string {
  let i = 0;
  while (i < width && line[i] === ' ') i++;
  return line.slice(i);
}

function parseAuditFailures(lines: string[]): AuditFailure[] {
  const failures: AuditFailure[] = [];
  let section: 'none' | 'args' | 'query' = 'none';
  let query: string[] = [];
  const close = () => {
    const last = failures[failures.length - 1];
    if (last && query.length > 0) last.query = query.join(' ');
    query = [];
  };
  for (const raw of lines) {
    const line = raw.trim();
    const audit = AUDIT_ERROR.exec(line);
    if (audit) {
      close();
      failures.push({ audit: audit[1] ?? '', args: {}, failed_rows: Number(audit[2]), query: null });
      section = 'none';
    } else if (line === 'Audit arguments') {
      section = 'args';
    } else if (line === 'Audit query') {
      section = 'query';
    } else if (line !== '' && section === 'args') {
      const arg = /^(\w+) := (.*)$/.exec(line);
      const last = failures[failures.length - 1];
      if (arg && last?.args) last.args[arg[1] ?? ''] = arg[2] ?? '';
    } else if (line !== '' && section === 'query') {
      query.push(line);
    }
  }
  close();
  return failures;
}

const DAY_MS = 86_400_000;

/** The interval in an `insert ...` annotation, [start, end) in ISO UTC; null for other kinds. */
export function parseInterval(annotation: string): Interval | null {
  if (!annotation.startsWith('insert ')) return null;
  const dates = /^insert (\d{4}-\d\d-\d\d) - (\d{4}-\d\d-\d\d)$/.exec(annotation);
  if (dates) return [`${dates[1]}T00:00:00Z`, dayAfter(dates[2] ?? '')];
  const sameDay = /^insert (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)-(\d\d:\d\d:\d\d)$/.exec(annotation);
  if (sameDay) {
    return [iso(Date.parse(`${sameDay[1]}T${sameDay[2]}Z`)), iso(Date.parse(`${sameDay[1]}T${sameDay[3]}Z`) + 1000)];
  }
  const times = /^insert (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) - (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)$/.exec(annotation);
  if (times) return [iso(Date.parse(`${times[1]}T${times[2]}Z`)), iso(Date.parse(`${times[3]}T${times[4]}Z`) + 1000)];
  return null;
}

// Daily models repeat the same few dates: remember the day after each (bounded).
const dayAfterCache = new Map<string, string>();

function dayAfter(day: string): string {
  let next = dayAfterCache.get(day);
  if (next === undefined) {
    next = iso(Date.parse(`${day}T00:00:00Z`) + DAY_MS);
    if (dayAfterCache.size > 10_000) dayAfterCache.clear();
    dayAfterCache.set(day, next);
  }
  return next;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function nextReadyIso(match: RegExpExecArray): string {
  const [, day, hh, mm, ampm] = match as unknown as [string, string, string, string, string];
  let hour = Number(hh) % 12;
  if (ampm === 'PM') hour += 12;
  return `${day}T${String(hour).padStart(2, '0')}:${mm}:00Z`;
}

const METRIC: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };
const BINARY: Record<string, number> = {
  B: 1,
  Byte: 1,
  Bytes: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  PiB: 1024 ** 5,
};

/** `1.2k rows, 3.4 KiB` → approximate numbers (the text console rounds them). */
function parseStats(text: string): ExecutionStats {
  const rows = /(\d+(?:\.\d+)?)([kMGTP]?) rows?/.exec(text);
  const bytes = /(\d+(?:\.\d+)?) (Bytes?|B|KiB|MiB|GiB|TiB|PiB)\b/.exec(text);
  return {
    total_rows_processed: rows ? Math.round(Number(rows[1]) * (METRIC[rows[2] ?? ''] ?? 1)) : null,
    total_bytes_processed: bytes ? Math.round(Number(bytes[1]) * (BINARY[bytes[2] ?? ''] ?? 1)) : null,
  };
}
