import type { AdaptiveSchedule } from '../contracts/schedule.js';
import { UsageError } from '../errors.js';
import { adaptiveSchedule } from '../schedule/adaptive.js';
import { buildManifest, readManifestFile } from '../sqlmesh/manifest.js';

export interface ScheduleOptions {
  readonly manifest?: string | undefined;
  /** One project directory, or several (a multi-repo project); empty when --manifest is given. */
  readonly projects: readonly string[];
  readonly gateway?: string | undefined;
  readonly sqlmeshPython?: string | undefined;
  readonly ignoreCron: boolean;
}

/** `sqlmesh-pipes schedule`: the adaptive schedule of a project, from its manifest or the project itself. */
export async function scheduleCommand(options: ScheduleOptions): Promise<AdaptiveSchedule> {
  if (!options.manifest === (options.projects.length === 0)) {
    throw new UsageError('schedule needs exactly one of --manifest FILE or --project DIR (--project repeats for a multi-repo project)');
  }
  const manifest = options.manifest
    ? await readManifestFile(options.manifest)
    : await buildManifest({ project: options.projects, gateway: options.gateway ?? null, sqlmeshPython: options.sqlmeshPython ?? null });
  return adaptiveSchedule(
    manifest.models.map((model) => ({ model: model.name, cron: model.cron, cronTz: model.cron_tz })),
    { ignoreCron: options.ignoreCron },
  );
}
