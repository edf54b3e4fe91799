import type { AdaptiveSchedule } from '../contracts/schedule.js';
import { UsageError } from '../errors.js';
import { adaptiveSchedule } from '../schedule/adaptive.js';
import { buildManifest, readManifestFile } from '../sqlmesh/manifest.js';

export interface ScheduleOptions {
  readonly manifest?: string | undefined;
  readonly project?: string | undefined;
  readonly gateway?: string | undefined;
  readonly sqlmeshPython?: string | undefined;
  readonly ignoreCron: boolean;
}

/** `sqlmesh-pipes schedule`: the adaptive schedule of a project, from its manifest or the project itself. */
export async function scheduleCommand(options: ScheduleOptions): Promise<AdaptiveSchedule> {
  if (!options.manifest === !options.project) {
    throw new UsageError('schedule needs exactly one of --manifest FILE or --project DIR');
  }
  const manifest = options.manifest
    ? await readManifestFile(options.manifest)
    : await buildManifest({ project: options.project!, gateway: options.gateway ?? null, sqlmeshPython: options.sqlmeshPython ?? null });
  return adaptiveSchedule(
    manifest.models.map((model) => ({ model: model.name, cron: model.cron })),
    { ignoreCron: options.ignoreCron },
  );
}
