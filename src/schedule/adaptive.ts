import type { AdaptiveSchedule } from '../contracts/schedule.js';
import { ConfigurationError } from '../errors.js';
import { type AnalyzedCron, analyzeCron, assertSqlmeshGranularity, covers } from './cron.js';

export interface ModelCron {
  readonly model: string;
  readonly cron: string;
  /** IANA zone of the cron; null or absent: UTC. */
  readonly cronTz?: string | null;
}

/**
 * The coarsest schedule that never misses a model's cron tick.
 * If one model cron covers all others it is used as is (e.g. @hourly for @hourly + @daily);
 * otherwise it fires every day at each (hour, minute) any model cron uses — a superset of every
 * model's ticks. SQLMesh itself decides what is due at each tick.
 * Crons are read in the models' common time zone; when zones differ, it fires every hour at each
 * minute any cron uses in any of the zones (zones differ by whole hours, or by a known minute part).
 */
export function adaptiveSchedule(models: readonly ModelCron[], options: { ignoreCron?: boolean } = {}): AdaptiveSchedule {
  if (models.length === 0) throw new ConfigurationError('the manifest has no models — nothing to schedule');
  const byCron = new Map<string, AnalyzedCron>();
  for (const { model, cron } of models) {
    if (byCron.has(cron)) continue;
    let analyzed: AnalyzedCron;
    try {
      analyzed = analyzeCron(cron);
    } catch (error) {
      throw new ConfigurationError(`model ${model}: ${(error as Error).message}`, { cause: error });
    }
    if (!options.ignoreCron) assertSqlmeshGranularity(analyzed, model);
    byCron.set(cron, analyzed);
  }
  const crons = [...byCron.values()];
  const sources = crons.map((c) => c.source);
  const zones = [...new Set(models.map((model) => model.cronTz ?? 'UTC'))];
  if (zones.length > 1) {
    const hourly = everyHourCron(crons, zones);
    return { cron: hourly.expression, interval_seconds: hourly.minGapMinutes * 60, timezone: 'UTC', crons: sources, basis: 'union' };
  }
  const timezone = zones[0]!;
  const covering = crons
    .filter((candidate) => crons.every((other) => covers(candidate, other)))
    .sort((a, b) => b.minGapMinutes - a.minGapMinutes)[0];
  if (covering) {
    return { cron: covering.expression, interval_seconds: covering.minGapMinutes * 60, timezone, crons: sources, basis: 'model_cron' };
  }
  const union = unionCron(crons);
  return { cron: union.expression, interval_seconds: union.minGapMinutes * 60, timezone, crons: sources, basis: 'union' };
}

/** Every hour (UTC) at each minute any cron uses, shifted by the minute part of each zone's UTC offsets. */
function everyHourCron(crons: readonly AnalyzedCron[], zones: readonly string[]): AnalyzedCron {
  const shifts = new Set(zones.flatMap(offsetMinuteParts));
  const minutes = new Set<number>();
  for (const cron of crons) {
    for (const m of cron.parsed.fields.minute.values as number[]) for (const shift of shifts) minutes.add((m - shift + 60) % 60);
  }
  return analyzeCron(`${cronList(minutes, 60)} * * * *`);
}

/** The minutes past the hour of a zone's UTC offsets in winter and summer (30 for UTC+05:30). */
function offsetMinuteParts(zone: string): number[] {
  const year = new Date().getUTCFullYear();
  return [Date.UTC(year, 0, 1), Date.UTC(year, 6, 1)].map((instant) => {
    const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
      .formatToParts(instant)
      .find((part) => part.type === 'timeZoneName')?.value;
    const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '');
    return match ? (match[1] === '-' ? -1 : 1) * Number(match[3]) : 0;
  });
}

/** Every day, at every (hour, minute) pair any cron uses: a superset of all their ticks. */
function unionCron(crons: readonly AnalyzedCron[]): AnalyzedCron {
  const minutes = new Set<number>();
  const hours = new Set<number>();
  for (const cron of crons) {
    for (const m of cron.parsed.fields.minute.values as number[]) minutes.add(m);
    for (const h of cron.parsed.fields.hour.values as number[]) hours.add(h);
  }
  return analyzeCron(`${cronList(minutes, 60)} ${cronList(hours, 24)} * * *`);
}

/** A cron field for a set of values: a wildcard when complete, a step when aligned, else a list. */
function cronList(values: Set<number>, size: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === size) return '*';
  const step = sorted.length > 1 ? sorted[1]! - sorted[0]! : 0;
  const aligned =
    step > 0 && sorted[0] === 0 && size % step === 0 && sorted.length === size / step && sorted.every((v, i) => v === i * step);
  return aligned ? `*/${step}` : sorted.join(',');
}
