import type { PipesContext } from '../pipes/context.js';
import { capText } from '../sqlmesh/cap-lines.js';
import type { MetadataMap } from './metadata.js';
import type { ReportSink } from './reporter.js';

/** Longest log message sent to Dagster; a longer one (a huge print, a query in an error) is cut. */
const MAX_LOG_MESSAGE_CHARS = 64 * 1024;

/**
 * Pipes as the reporter's sink: the one place that knows the Pipes method signatures. Outside
 * Dagster (`terminal` set) every log line is also printed.
 */
export function pipesSink(pipes: PipesContext, terminal: NodeJS.WritableStream | null): ReportSink {
  return {
    log: (level, text) => {
      const message = capText(text, MAX_LOG_MESSAGE_CHARS);
      pipes.log.log(level, message);
      terminal?.write(`${level === 'INFO' ? '' : `${level}: `}${message}\n`);
    },
    materialize: (assetKey, metadata: MetadataMap) => pipes.reportAssetMaterialization({ assetKey, metadata }),
    check: (assetKey, checkName, result) =>
      pipes.reportAssetCheck({ assetKey, checkName, passed: result.passed, severity: result.severity, metadata: result.metadata }),
    custom: (payload) => pipes.reportCustomMessage(payload as never),
  };
}
