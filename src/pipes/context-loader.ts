// Loads the context the orchestrator injected: from a file (`{path}`, PipesTempFileContextInjector)
// or inline (`{data}`, PipesEnvContextInjector), validated so a bad payload fails at start-up
// with a message naming the field.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PipesError } from './errors.js';
import type { PipesParams } from './params.js';
import { PipesContextData } from './protocol.js';

/** Yields the context data described by the context params. */
export interface PipesContextLoader {
  /** Read and validate the context data. */
  loadContext(params: PipesParams): PipesContextData;
}

/** Validate raw context data; `source` names where it came from in the error. */
export function parseContextData(raw: unknown, source: string): PipesContextData {
  const parsed = PipesContextData.safeParse(raw);
  if (!parsed.success) throw new PipesError(`Invalid Dagster Pipes context from ${source}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The `path` | `data` loader (dagster_pipes.PipesDefaultContextLoader). */
export class PipesDefaultContextLoader implements PipesContextLoader {
  static readonly FILE_PATH_KEY = 'path';
  static readonly DIRECT_KEY = 'data';

  loadContext(params: PipesParams): PipesContextData {
    const { FILE_PATH_KEY, DIRECT_KEY } = PipesDefaultContextLoader;
    if (FILE_PATH_KEY in params) {
      const path = params[FILE_PATH_KEY];
      if (typeof path !== 'string') throw this.typeError(FILE_PATH_KEY, 'string', path);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        throw new PipesError(`Cannot read the Dagster Pipes context file ${path}: ${(error as Error).message}`, { cause: error });
      }
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (error) {
        throw new PipesError(`The Dagster Pipes context file ${path} is not JSON`, { cause: error });
      }
      return parseContextData(raw, path);
    }
    if (DIRECT_KEY in params) {
      const data = params[DIRECT_KEY];
      if (typeof data !== 'object' || data === null || Array.isArray(data)) throw this.typeError(DIRECT_KEY, 'object', data);
      return parseContextData(data, 'the "data" context param');
    }
    throw new PipesError(
      `Invalid params for PipesDefaultContextLoader: expected key "${FILE_PATH_KEY}" or "${DIRECT_KEY}", received ${JSON.stringify(params)}`,
    );
  }

  private typeError(key: string, expected: string, got: unknown): PipesError {
    return new PipesError(
      `Invalid type for parameter "${key}" passed from the orchestration side to PipesDefaultContextLoader: expected ${expected}, got ${got === null ? 'null' : Array.isArray(got) ? 'array' : typeof got}`,
    );
  }
}
