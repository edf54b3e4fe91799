// Public API of `sqlmesh-pipes/pipes`: the Dagster Pipes protocol, external side, for any Node program.
export { assetKeyPath, assetKeyToString } from './asset-keys.js';
export { PipesContext } from './context.js';
export type { PipesContextOptions, PipesLogger, ReportAssetCheckOptions, ReportAssetMaterializationOptions } from './context.js';
export { PipesDefaultContextLoader, parseContextData } from './context-loader.js';
export type { PipesContextLoader } from './context-loader.js';
export { PipesError, PipesInterruptedError } from './errors.js';
export { stackFrames, toPipesException } from './exception.js';
export { FloatLiteral, pythonFloatRepr, pythonJson } from './json.js';
export { encodeMessage, makeMessage } from './message.js';
export {
  PipesMetadataMap,
  PipesMetadataType,
  PipesMetadataValue,
  PipesTableColumn,
  PipesTableColumnConstraints,
  PipesTableRecord,
  md,
  normalizeMetadata,
} from './metadata.js';
export type { JsonValue, PipesColumnDepInput, PipesMetadataInput, PipesMetadataMapInput } from './metadata.js';
export { PipesMockMessageChannel, formatMessage, formatMetadataValue, mockContextData } from './mock.js';
export type { MockPipesOptions } from './mock.js';
export { openDagsterPipes, openMockDagsterPipes, withDagsterPipes } from './open.js';
export type { OpenDagsterPipesOptions } from './open.js';
export {
  PipesCliArgsParamsLoader,
  PipesEnvVarParamsLoader,
  PipesMappingParamsLoader,
  PipesParams,
  bootstrapEnvVars,
  decodeParam,
  detectParamsLoader,
  encodeParam,
  isDagsterPipesProcess,
} from './params.js';
export type { BootstrapSources, PipesParamsLoader } from './params.js';
export {
  DAGSTER_PIPES_CONTEXT_CLI_ARGUMENT,
  DAGSTER_PIPES_CONTEXT_ENV_VAR,
  DAGSTER_PIPES_MESSAGES_CLI_ARGUMENT,
  DAGSTER_PIPES_MESSAGES_ENV_VAR,
  PIPES_PROTOCOL_VERSION,
  PIPES_PROTOCOL_VERSION_FIELD,
  PipesAssetCheckSeverity,
  PipesContextData,
  PipesDataProvenance,
  PipesException,
  PipesExtras,
  PipesLogLevel,
  PipesMessage,
  PipesMethod,
  PipesPartitionKeyRange,
  PipesTimeWindow,
} from './protocol.js';
export type { PipesParamsOf } from './protocol.js';
export { PipesTermination, signalExitCode, stopChild } from './signals.js';
export type { PipesChild, PipesSignalOptions, PipesTerminationHandler } from './signals.js';
export { PipesBufferedStreamMessageChannel } from './writers/buffered-stdio.js';
export { flushStream } from './writers/channel.js';
export type { PipesMessageChannel, PipesMessageWriter, PipesWritable } from './writers/channel.js';
export { PipesDefaultMessageWriter } from './writers/default.js';
export type { PipesStdioTargets } from './writers/default.js';
export { PipesFileMessageChannel } from './writers/path.js';
export { PipesStdioCaptureChannel } from './writers/stdio-capture.js';
export { PipesStreamMessageChannel } from './writers/stdio.js';
