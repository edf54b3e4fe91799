import { z } from 'zod';

/*
 * The answer of `sqlmesh-pipes schedule` on stdout: one schedule that fires whenever any model of
 * the project can be due. Read by the Dagster side's adaptive schedule (sqlmesh_pipes.executor).
 */
export const AdaptiveSchedule = z
  .strictObject({
    cron: z.string().describe('5-field cron for the Dagster schedule.'),
    interval_seconds: z.number().int().positive().describe('Smallest gap between two ticks of `cron`, in seconds.'),
    timezone: z
      .string()
      .describe("IANA zone the cron is read in: the models' common `cron_tz` (UTC when none); UTC when their zones differ."),
    crons: z.array(z.string()).describe('The distinct model crons it was derived from, as written.'),
    basis: z
      .enum(['model_cron', 'union'])
      .describe('Why this cron: a model cron that covers all others, or the union of their hours and minutes.'),
  })
  .meta({ id: 'AdaptiveSchedule', description: 'One schedule that fires whenever any model of the project can be due.' });
export type AdaptiveSchedule = z.infer<typeof AdaptiveSchedule>;

/*
 * The answer of `sqlmesh-pipes due`: which nodes a `sqlmesh run` at `at` has new intervals for,
 * after a run at `since`, by SQLMesh's cron rule alone. Read by the adaptive schedule's tick.
 */
export const DueNodes = z
  .strictObject({
    at: z.string().describe('The tick, ISO-8601 UTC.'),
    since: z.string().describe('The previous run it is compared with, ISO-8601 UTC.'),
    models: z.array(z.string()).describe('Models with a new interval end in (since, at] (EMBEDDED and SEED models never are).'),
    external_models: z.array(z.string()).describe('External models whose audits are due.'),
    standalone_audits: z.array(z.string()).describe('Standalone audits that are due.'),
  })
  .meta({ id: 'DueNodes', description: 'The SQLMesh nodes due at a schedule tick, by their crons.' });
export type DueNodes = z.infer<typeof DueNodes>;
