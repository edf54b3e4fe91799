// `sqlmesh-pipes/pipes/extend`: the pieces behind `openDagsterPipes` for programs that replace one
// (a params loader, a context loader, a message writer or channel) or speak the wire format
// directly, like the loaders and writers of Dagster's reference `dagster_pipes` module.

export type { PipesContextLoader } from './context-loader.js';
export { PipesDefaultContextLoader, parseContextData } from './context-loader.js';
export { toPipesException } from './exception.js';
export { encodeMessage, makeMessage } from './message.js';
export { formatMessage } from './mock.js';
export type { BootstrapSources, PipesParamsLoader } from './params.js';
export {
  decodeParam,
  encodeParam,
  PipesCliArgsParamsLoader,
  PipesEnvVarParamsLoader,
  PipesMappingParamsLoader,
} from './params.js';
export {
  DAGSTER_PIPES_CONTEXT_CLI_ARGUMENT,
  DAGSTER_PIPES_CONTEXT_ENV_VAR,
  DAGSTER_PIPES_MESSAGES_CLI_ARGUMENT,
  DAGSTER_PIPES_MESSAGES_ENV_VAR,
  PIPES_PROTOCOL_VERSION,
  PipesContextData,
  PipesMessage,
} from './protocol.js';
export type { PipesChild } from './signals.js';
export { PipesBufferedStreamMessageChannel } from './writers/buffered-stdio.js';
export type { PipesMessageChannel, PipesMessageWriter, PipesWritable } from './writers/channel.js';
export { PipesDefaultMessageWriter } from './writers/default.js';
export { PipesFileMessageChannel } from './writers/path.js';
export { PipesStreamMessageChannel } from './writers/stdio.js';
export { PipesStdioCaptureChannel } from './writers/stdio-capture.js';
