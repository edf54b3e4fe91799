import { CronExpressionParser } from 'cron-parser';
import { ConfigurationError } from '../errors.js';
import { expandCron } from './cron.js';

/*
 * Which SQLMesh nodes a `sqlmesh run` at a given time has work for, from their crons alone — no
 * state, no plan. SQLMesh (Snapshot.missing_intervals) bounds the intervals a run may process by
 * the node's cron: nothing past `cron_floor(execution_time)` in the cron's time zone, floored to
 * the node's interval unit (UTC) unless it allows partial intervals. A node has new work at `at`
 * when that bound moved since `since`: a run at `since` already processed everything before it.
 */

/** SQLMesh's interval units, finest last, with the cron whose ticks are their boundaries (UTC). */
const INTERVAL_UNITS = [
  { unit: 'year', seconds: 31_536_000, cron: '0 0 1 1 *' },
  { unit: 'month', seconds: 2_419_200, cron: '0 0 1 * *' },
  { unit: 'day', seconds: 86_400, cron: '0 0 * * *' },
  { unit: 'hour', seconds: 3_600, cron: '0 * * * *' },
  { unit: 'half_hour', seconds: 1_800, cron: '*/30 * * * *' },
  { unit: 'quarter_hour', seconds: 900, cron: '*/15 * * * *' },
  { unit: 'five_minute', seconds: 300, cron: '*/5 * * * *' },
] as const;

/** How many ticks SQLMesh samples to infer a cron's interval unit (IntervalUnit.from_cron). */
const UNIT_SAMPLES = 5;

/** A node the scheduler can evaluate: a model, an external model (its audits) or a standalone audit. */
export interface ScheduledNode {
  readonly name: string;
  readonly cron: string;
  /** IANA zone of the cron; null is UTC. */
  readonly cronTz: string | null;
  /** SQLMesh's interval unit; null: inferred from the cron as SQLMesh does. */
  readonly intervalUnit: string | null;
  readonly allowPartials: boolean;
  /** The model's start and exclusive end: SQLMesh has no interval outside them. @default unbounded */
  readonly start?: Date | null;
  readonly end?: Date | null;
}

/** The latest tick of `expression` at or before `at`, in time zone `tz` (SQLMesh's cron_floor). */
export function cronFloor(expression: string, tz: string, at: Date): Date {
  const next = CronExpressionParser.parse(expression, { currentDate: at, tz }).next().toDate();
  return CronExpressionParser.parse(expression, { currentDate: next, tz }).prev().toDate();
}

/** The latest tick of `expression` strictly before `at`. */
export function cronPrevious(expression: string, tz: string, at: Date): Date {
  return CronExpressionParser.parse(expression, { currentDate: at, tz }).prev().toDate();
}

/**
 * SQLMesh's interval unit for a cron: the coarsest unit not longer than its smallest gap over a few
 * ticks after `from` (SQLMesh samples from now, in UTC whatever the cron's zone).
 */
export function inferIntervalUnit(expression: string, from = new Date()): string {
  const ticks = CronExpressionParser.parse(expression, { currentDate: from, tz: 'UTC' });
  let previous = ticks.next().getTime();
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < UNIT_SAMPLES; i += 1) {
    const tick = ticks.next().getTime();
    gap = Math.min(gap, (tick - previous) / 1000);
    previous = tick;
  }
  const unit = INTERVAL_UNITS.find((candidate) => candidate.seconds <= gap);
  if (!unit) throw new ConfigurationError(`cron ${JSON.stringify(expression)} fires more often than every 5 minutes — SQLMesh refuses it`);
  return unit.unit;
}

function unitCron(unit: string, node: string): string {
  const found = INTERVAL_UNITS.find((candidate) => candidate.unit === unit);
  if (!found) {
    throw new ConfigurationError(
      `node ${node} has interval unit ${JSON.stringify(unit)}, which SQLMesh does not have — regenerate the manifest (sqlmesh-pipes manifest)`,
    );
  }
  return found.cron;
}

/** The end of the intervals a `sqlmesh run` at `at` may process for `node` (without --ignore-cron). */
export function intervalEnd(node: ScheduledNode, at: Date): Date {
  const expression = expandCron(node.cron);
  const tz = node.cronTz ?? 'UTC';
  let bound: Date;
  try {
    bound = cronFloor(expression, tz, at);
  } catch (error) {
    throw new ConfigurationError(`node ${node.name}: cron ${JSON.stringify(node.cron)} in ${tz}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const unit = node.allowPartials ? null : (node.intervalUnit ?? inferIntervalUnit(expression, at));
  const end = unit === null ? bound : cronFloor(unitCron(unit, node.name), 'UTC', bound);
  return clamp(end, node.start ?? null, node.end ?? null);
}

/** `moment` within [start, end]: before its start a model has no interval, after its end no new one. */
function clamp(moment: Date, start: Date | null, end: Date | null): Date {
  if (end !== null && moment > end) return end;
  if (start !== null && moment < start) return start;
  return moment;
}

/** The nodes with intervals that end in (since, at]: what a run at `at` has to do after a run at `since`. */
export function dueNodes<T extends ScheduledNode>(nodes: readonly T[], since: Date, at: Date): T[] {
  if (!(since < at)) return [];
  // Crons repeat across a project: compute each distinct rule once.
  const memo = new Map<string, boolean>();
  return nodes.filter((node) => {
    const key = JSON.stringify([node.cron, node.cronTz, node.intervalUnit, node.allowPartials, node.start, node.end]);
    let due = memo.get(key);
    if (due === undefined) {
      due = intervalEnd(node, at) > intervalEnd(node, since);
      memo.set(key, due);
    }
    return due;
  });
}
