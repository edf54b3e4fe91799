import { z } from 'zod';

/*
 * The answer of `sqlmesh-pipes schedule` on stdout: one schedule that fires whenever any model of
 * the project can be due. Read by the Dagster side's adaptive schedule (sqlmesh_pipes.executor).
 */
export const AdaptiveSchedule = z
  .strictObject({
    cron: z.string().describe('5-field cron for the Dagster schedule.'),
    interval_seconds: z.number().int().positive().describe('Smallest gap between two ticks of `cron`, in seconds.'),
    crons: z.array(z.string()).describe('The distinct model crons it was derived from, as written.'),
    basis: z
      .enum(['model_cron', 'union'])
      .describe('Why this cron: a model cron that covers all others, or the union of their hours and minutes.'),
  })
  .meta({ id: 'AdaptiveSchedule', description: 'One schedule that fires whenever any model of the project can be due.' });
export type AdaptiveSchedule = z.infer<typeof AdaptiveSchedule>;
