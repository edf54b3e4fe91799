// Metadata for reports is built with the Pipes module's typed constructors (`md.int`, `md.float`…),
// so int/float and JSON shapes are right by construction.
import type { PipesMetadataValue } from '../pipes/index.js';

export { md } from '../pipes/index.js';

/** A metadata map of typed Pipes values. */
export type MetadataMap = Record<string, PipesMetadataValue>;
