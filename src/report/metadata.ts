// Metadata for reports is built with the Pipes module's typed constructors (`md.int`, `md.float`…),
// so int/float and JSON shapes are right by construction.
import type { PipesMetadataValue } from '../pipes/metadata.js';

export { md } from '../pipes/metadata.js';

/** A metadata map of typed Pipes values. */
export type MetadataMap = Record<string, PipesMetadataValue>;
