import type { PipesContext } from '../pipes/context.js';
import { capText } from '../sqlmesh/cap-lines.js';
import { LineGroup } from './line-group.js';
import type { MetadataMap } from './metadata.js';
import type { ReportSink } from './reporter.js';

/** Longest log message sent to Dagster; a longer one (a huge print, a query in an error) is cut. */
const MAX_LOG_MESSAGE_CHARS = 64 * 1024;
/** Progress lines (one per evaluated batch) are sent to Dagster together, at most this long after the first. */
export const PROGRESS_WINDOW_MS = 1000;

/**
 * Pipes as the reporter's sink: the one place that knows the Pipes method signatures. Progress
 * lines are grouped (see LineGroup); any other log line first sends the waiting ones, so the log
 * keeps its order. Outside Dagster (`terminal` set) every line is also printed as it comes.
 */
export function pipesSink(pipes: PipesContext, terminal: NodeJS.WritableStream | null): ReportSink {
  const send = (level: Parameters<ReportSink['log']>[0], text: string) => pipes.log.log(level, capText(text, MAX_LOG_MESSAGE_CHARS));
  const progress = new LineGroup((text) => send('INFO', text), PROGRESS_WINDOW_MS);
  pipes.onClose(() => progress.flush());
  return {
    log: (level, text) => {
      progress.flush();
      send(level, text);
      terminal?.write(`${level === 'INFO' ? '' : `${level}: `}${capText(text, MAX_LOG_MESSAGE_CHARS)}\n`);
    },
    progress: (text) => {
      progress.add(text);
      terminal?.write(`${text}\n`);
    },
    materialize: (assetKey, metadata: MetadataMap) => pipes.reportAssetMaterialization({ assetKey, metadata }),
    check: (assetKey, checkName, result) =>
      pipes.reportAssetCheck({ assetKey, checkName, passed: result.passed, severity: result.severity, metadata: result.metadata }),
    custom: (payload) => {
      progress.flush();
      pipes.reportCustomMessage(payload as never);
    },
  };
}
