import { buildManifest, type Manifest } from '../sqlmesh/manifest.js';

export interface ManifestOptions {
  /** One project directory, or several (a multi-repo project, in load order). */
  readonly projects: readonly string[];
  readonly gateway?: string | undefined;
  readonly sqlmeshPython?: string | undefined;
  readonly out?: string | undefined;
  readonly columnLineage?: boolean | undefined;
}

/** `sqlmesh-pipes manifest`: build the project's manifest in the SQLMesh env (and write it to --out). */
export function manifestCommand(options: ManifestOptions): Promise<Manifest> {
  return buildManifest({
    project: options.projects,
    gateway: options.gateway ?? null,
    sqlmeshPython: options.sqlmeshPython ?? null,
    out: options.out ?? null,
    columnLineage: options.columnLineage ?? true,
  });
}
