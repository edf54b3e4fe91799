import type { PipesContext } from '../pipes/context.js';
import { capText } from '../sqlmesh/cap-lines.js';
import { LineGroup } from './line-group.js';
import type { MetadataMap } from './metadata.js';
import type { ReportSink } from './reporter.js';

/** Longest log message sent to Dagster; a longer one (a huge print, a query in an error) is cut. */
const MAX_LOG_MESSAGE_CHARS = 64 * 1024;
/** Log lines below ERROR reach Dagster grouped, at most this long after the first of a group. */
export const LOG_WINDOW_MS = 1000;

type Level = Parameters<ReportSink['log']>[0];

/**
 * Pipes as the reporter's sink: the one place that knows the Pipes method signatures. Log lines
 * below ERROR are grouped (see LineGroup); an ERROR, the run summary and closing send the waiting
 * ones first, so the log keeps its order. Results are never held back. Outside Dagster
 * (`terminal` set) every line is also printed as it comes.
 */
export function pipesSink(pipes: PipesContext, terminal: NodeJS.WritableStream | null): ReportSink {
  const send = (level: Level, text: string) => pipes.log.log(level, capText(text, MAX_LOG_MESSAGE_CHARS));
  const lines = new LineGroup<Level>(send, LOG_WINDOW_MS, MAX_LOG_MESSAGE_CHARS);
  pipes.onClose(() => lines.flush());
  return {
    log: (level, text) => {
      const message = capText(text, MAX_LOG_MESSAGE_CHARS);
      if (level === 'ERROR') {
        lines.flush();
        send(level, message);
      } else {
        lines.add(level, message);
      }
      terminal?.write(`${level === 'INFO' ? '' : `${level}: `}${message}\n`);
    },
    materialize: (assetKey, metadata: MetadataMap) => pipes.reportAssetMaterialization({ assetKey, metadata }),
    check: (assetKey, checkName, result) =>
      pipes.reportAssetCheck({ assetKey, checkName, passed: result.passed, severity: result.severity, metadata: result.metadata }),
    custom: (payload) => {
      lines.flush();
      pipes.reportCustomMessage(payload as never);
    },
  };
}
