import { type CronExpression, CronExpressionParser } from 'cron-parser';
import { ConfigurationError } from '../errors.js';

/** The aliases SQLMesh documents for model crons. */
const CRON_ALIASES: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@midnight': '0 0 * * *',
};

/** SQLMesh refuses model crons that can fire more often than this (minutes). */
const SQLMESH_MIN_INTERVAL_MINUTES = 5;

const MINUTES_PER_DAY = 24 * 60;

/** A parsed 5-field cron with the facts the schedule analysis needs. */
export interface AnalyzedCron {
  /** The cron as written in the model. */
  readonly source: string;
  /** The 5-field form (aliases expanded). */
  readonly expression: string;
  /** Minutes after midnight at which it can fire, ascending. */
  readonly minutesOfDay: readonly number[];
  /** True when day-of-month, month and day-of-week are all unrestricted. */
  readonly everyDay: boolean;
  /** Smallest gap between two consecutive firings, in minutes (at most one day is assumed between days). */
  readonly minGapMinutes: number;
  readonly parsed: CronExpression;
}

/** The 5-field form of a SQLMesh cron (aliases expanded), or a ConfigurationError naming it. */
export function expandCron(source: string): string {
  const trimmed = source.trim();
  const expression = trimmed.startsWith('@') ? CRON_ALIASES[trimmed.toLowerCase()] : trimmed;
  if (expression === undefined) {
    throw new ConfigurationError(
      `unsupported cron alias ${JSON.stringify(source)} — use one of ${Object.keys(CRON_ALIASES).join(', ')} or a 5-field cron`,
    );
  }
  const fieldCount = expression.split(/\s+/).length;
  if (fieldCount !== 5) {
    throw new ConfigurationError(
      `cron ${JSON.stringify(source)} has ${fieldCount} fields — SQLMesh crons have 5 (minute hour day-of-month month day-of-week)`,
    );
  }
  return expression;
}

/** Parse a SQLMesh model cron (alias or 5 fields) or throw a ConfigurationError naming it. */
export function analyzeCron(source: string): AnalyzedCron {
  const expression = expandCron(source);
  let parsed: CronExpression;
  try {
    parsed = CronExpressionParser.parse(expression, { tz: 'UTC' });
  } catch (error) {
    throw new ConfigurationError(`invalid cron ${JSON.stringify(source)}: ${(error as Error).message}`, { cause: error });
  }
  const { minute, hour, dayOfMonth, month, dayOfWeek } = parsed.fields;
  const minutesOfDay: number[] = [];
  for (const h of hour.values as number[]) for (const m of minute.values as number[]) minutesOfDay.push(h * 60 + m);
  minutesOfDay.sort((a, b) => a - b);
  const everyDay = dayOfMonth.isWildcard && month.isWildcard && dayOfWeek.isWildcard;
  return { source, expression, minutesOfDay, everyDay, minGapMinutes: minGap(minutesOfDay), parsed };
}

/** Smallest gap between consecutive minutes of day, wrapping past midnight. */
function minGap(minutesOfDay: readonly number[]): number {
  let gap = MINUTES_PER_DAY;
  for (let i = 1; i < minutesOfDay.length; i += 1) gap = Math.min(gap, minutesOfDay[i]! - minutesOfDay[i - 1]!);
  const first = minutesOfDay[0];
  const last = minutesOfDay[minutesOfDay.length - 1];
  if (first !== undefined && last !== undefined && minutesOfDay.length > 1) gap = Math.min(gap, first + MINUTES_PER_DAY - last);
  return gap;
}

/** Throw a ConfigurationError when a cron can fire more often than SQLMesh's 5-minute minimum. */
export function assertSqlmeshGranularity(cron: AnalyzedCron, model?: string): void {
  if (cron.minGapMinutes >= SQLMESH_MIN_INTERVAL_MINUTES) return;
  const who = model ? `model ${model} has cron` : 'cron';
  throw new ConfigurationError(
    `${who} ${JSON.stringify(cron.source)} fires every ${cron.minGapMinutes} min, finer than SQLMesh's ${SQLMESH_MIN_INTERVAL_MINUTES}-minute minimum — use a coarser cron, or ignore_cron to schedule it anyway`,
  );
}

/** True when every firing of `inner` is also a firing of `outer`. Conservative: false when unsure. */
export function covers(outer: AnalyzedCron, inner: AnalyzedCron): boolean {
  const outerMinutes = new Set(outer.minutesOfDay);
  if (!inner.minutesOfDay.every((m) => outerMinutes.has(m))) return false;
  if (outer.everyDay) return true;
  // Day fields interact (day-of-month OR day-of-week); only identical day rules are known to cover.
  return dayRule(outer) === dayRule(inner);
}

function dayRule(cron: AnalyzedCron): string {
  const { dayOfMonth, month, dayOfWeek } = cron.parsed.fields;
  return JSON.stringify([dayOfMonth.values, month.values, dayOfWeek.values]);
}
