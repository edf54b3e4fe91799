import { z } from 'zod';
import { type RenderedContract, renderPython, type SchemaNode } from './python.js';
import { CONTRACTS, PYTHON_CONSTANTS } from './registry.js';

/** Where the generated Python module lives, relative to the package root. */
const PYTHON_MODULE_PATH = 'python_shim/src/sqlmesh_pipes_contracts/__init__.py';
/** Where the JSON Schemas go, relative to the package root. */
const JSON_SCHEMA_DIR = 'docs/contracts';

/** Every generated file (path relative to the package root → content), from the zod schemas. */
export function generatedFiles(): Map<string, string> {
  const rendered: RenderedContract[] = CONTRACTS.map((contract) => {
    const jsonSchema = z.toJSONSchema(contract.schema, { io: 'output' }) as RenderedContract['jsonSchema'] & {
      $defs: Record<string, SchemaNode>;
    };
    return { contract, jsonSchema };
  });
  const files = new Map<string, string>();
  for (const { contract, jsonSchema } of rendered) {
    files.set(`${JSON_SCHEMA_DIR}/${contract.name}.schema.json`, `${JSON.stringify(jsonSchema, null, 2)}\n`);
  }
  files.set(PYTHON_MODULE_PATH, renderPython(rendered, PYTHON_CONSTANTS));
  return files;
}
