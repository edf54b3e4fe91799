// Public API of `sqlmesh-pipes/pipes`: what a Node program launched by Dagster needs to speak
// Dagster Pipes. Custom params/context loaders and message writers: `sqlmesh-pipes/pipes/extend`.
export { assetKeyPath, assetKeyToString } from './asset-keys.js';
export type { PipesContext, PipesLogger, ReportAssetCheckOptions, ReportAssetMaterializationOptions } from './context.js';
export { PipesError, PipesInterruptedError } from './errors.js';
export type { JsonValue, PipesMetadataInput, PipesMetadataMapInput, PipesMetadataValue } from './metadata.js';
export { md } from './metadata.js';
export type { MockPipesOptions } from './mock.js';
export type { OpenDagsterPipesOptions } from './open.js';
export { openDagsterPipes, openMockDagsterPipes, withDagsterPipes } from './open.js';
export { isDagsterPipesProcess } from './params.js';
export type { PipesAssetCheckSeverity, PipesExtras, PipesLogLevel } from './protocol.js';
export type { PipesSignalOptions, PipesTermination, PipesTerminationHandler } from './signals.js';
