import type { Manifest } from '../contracts/manifest.js';
import type { DueNodes } from '../contracts/schedule.js';
import { UsageError } from '../errors.js';
import { adaptiveSchedule } from '../schedule/adaptive.js';
import { expandCron } from '../schedule/cron.js';
import { cronPrevious, dueNodes, type ScheduledNode } from '../schedule/due.js';
import { readManifestFile } from '../sqlmesh/manifest.js';
import { parseRunTime } from './run-times.js';

export interface DueOptions {
  readonly manifest: string | undefined;
  /** The tick (ISO-8601). */
  readonly at: string | undefined;
  /** The tick of the previous run; default: the schedule's previous tick. */
  readonly since?: string | undefined;
  /** The schedule's cron and zone, for the default `since`; default: the adaptive schedule's. */
  readonly scheduleCron?: string | undefined;
  readonly scheduleTz?: string | undefined;
}

/** Kinds SQLMesh never evaluates in a `sqlmesh run`: inlined into consumers, or loaded by a plan only. */
const NEVER_RUN_KINDS = new Set(['EMBEDDED', 'SEED']);

/** `sqlmesh-pipes due`: the nodes a run at a schedule tick has new intervals for, by their crons. */
export async function dueCommand(options: DueOptions): Promise<DueNodes> {
  if (!options.manifest) throw new UsageError('due needs --manifest FILE');
  const at = instant('--at', options.at);
  const manifest = await readManifestFile(options.manifest);
  const since = options.since === undefined ? previousTick(manifest, at, options) : instant('--since', options.since);
  const models = manifest.models.filter((model) => !NEVER_RUN_KINDS.has(model.kind));
  const names = (nodes: ScheduledNode[]) => nodes.map((node) => node.name).sort();
  return {
    at: at.toISOString(),
    since: since.toISOString(),
    models: names(
      dueNodes(
        models.map((m) => ({
          ...node(m.name, m.cron, m.cron_tz, m.interval_unit, m.allow_partials),
          start: m.start === null ? null : new Date(m.start),
          end: m.end === null ? null : new Date(m.end),
        })),
        since,
        at,
      ),
    ),
    external_models: names(
      dueNodes(
        manifest.external_models.map((m) => node(m.name, m.cron, m.cron_tz)),
        since,
        at,
      ),
    ),
    standalone_audits: names(
      dueNodes(
        manifest.standalone_audits.map((a) => node(a.name, a.cron, a.cron_tz)),
        since,
        at,
      ),
    ),
  };
}

function node(name: string, cron: string, cronTz: string | null, intervalUnit: string | null = null, allowPartials = false): ScheduledNode {
  return { name, cron, cronTz, intervalUnit, allowPartials };
}

function instant(flag: string, value: string | undefined): Date {
  if (value === undefined) throw new UsageError(`due needs ${flag} ISO-8601 time, e.g. ${flag} 2024-01-02T00:00:00Z`);
  const ms = parseRunTime(value);
  if (ms === null) throw new UsageError(`${flag} ${JSON.stringify(value)} is not a time — use ISO-8601, e.g. 2024-01-02T00:00:00Z`);
  return new Date(ms);
}

/** The schedule's tick before `at`: the given cron, or the project's adaptive schedule. */
function previousTick(manifest: Manifest, at: Date, options: DueOptions): Date {
  if (options.scheduleCron !== undefined) {
    try {
      return cronPrevious(expandCron(options.scheduleCron), options.scheduleTz ?? 'UTC', at);
    } catch (error) {
      throw new UsageError(`--schedule-cron ${JSON.stringify(options.scheduleCron)}: ${(error as Error).message}`, { cause: error });
    }
  }
  if (options.scheduleTz !== undefined) throw new UsageError('--schedule-tz goes with --schedule-cron');
  const adaptive = adaptiveSchedule(
    manifest.models.map((model) => ({ model: model.name, cron: model.cron, cronTz: model.cron_tz })),
    { ignoreCron: true },
  );
  return cronPrevious(adaptive.cron, adaptive.timezone, at);
}
