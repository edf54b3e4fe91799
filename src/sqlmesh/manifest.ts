import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { execa } from 'execa';
import type { z } from 'zod';
import type { NodeKind } from '../contracts/console-events.js';
import { Manifest, type ManifestAudit, type ManifestExternalModel, type ManifestModel } from '../contracts/manifest.js';
import { ConfigurationError, SqlmeshPipesError } from '../errors.js';
import { isErrorLine } from './parse-json.js';
import { checkProjectDirs, type ProjectPaths, resolveProjects, workingDirectory } from './projects.js';
import { checkSqlmeshPython, resolveSqlmeshPython, sqlmeshEnv } from './python.js';

export { MANIFEST_VERSION, Manifest, ManifestExternalModel, ManifestModel } from '../contracts/manifest.js';

/** Options of {@link buildManifest}. */
export interface BuildManifestOptions {
  /** SQLMesh project directory (holds config.yaml / config.py), or several: a multi-repo project, in load order. */
  readonly project: ProjectPaths;
  /** Gateway to load; @default the project's default gateway */
  readonly gateway?: string | null;
  /** Python with sqlmesh installed; @default resolveSqlmeshPython() */
  readonly sqlmeshPython?: string | null;
  /** Also write the manifest JSON to this file (atomically, by the Python side). */
  readonly out?: string | null;
  /** Leave column lineage out (`column_lineage: null`): SQLMesh's lineage walk is most of a big project's build. @default true */
  readonly columnLineage?: boolean;
  /** Stop the Python process when aborted. */
  readonly signal?: AbortSignal;
}

/**
 * Build the manifest of a SQLMesh project in its own Python env and return it validated.
 * Throws a ConfigurationError (one line) for a missing project, a bad gateway or a python without sqlmesh.
 */
export async function buildManifest(options: BuildManifestOptions): Promise<Manifest> {
  const projects = resolveProjects(options.project);
  // Before spawning Python: the same one-line errors the SQLMesh side gives, a second sooner.
  checkProjectDirs(projects);
  const project = projects.join(', ');
  const python = resolveSqlmeshPython(options.sqlmeshPython);

  const args = ['-m', 'sqlmesh_pipes_console.manifest'];
  for (const dir of projects) args.push('--project', dir);
  if (options.gateway) args.push('--gateway', options.gateway);
  const out = options.out ? resolve(options.out) : null;
  if (out) args.push('--out', out);
  if (options.columnLineage === false) args.push('--no-column-lineage');

  const child = await execa(python, args, {
    // Where a run executes, so that anything SQLMesh resolves against it is the same file.
    cwd: workingDirectory(projects),
    env: sqlmeshEnv(),
    extendEnv: false,
    reject: false,
    // A 1000-model manifest is a few MB of JSON on stdout.
    maxBuffer: 512 * 1024 * 1024,
    cancelSignal: options.signal,
  });
  if (child.exitCode === 2) {
    // The Python side already wrote one line naming the problem; the CLI adds its own prefix.
    const line = lastLine(child.stderr).replace(/^sqlmesh-pipes manifest: /, '');
    throw new ConfigurationError(line || `manifest generation failed for ${project}`);
  }
  if (child.isCanceled) throw new SqlmeshPipesError(`manifest generation for ${project} was cancelled`, { cause: child });
  if (child.failed) {
    // Probe the python only now: on the happy path the probe would cost a second sqlmesh import.
    // It throws the one-line ConfigurationError for a missing python or one without sqlmesh.
    await checkSqlmeshPython(python);
    // A traceback ends in context lines (`^ (line: 1)`); the exception line says what is wrong.
    const why = lastErrorLine(child.stderr) || lastLine(child.stderr) || child.shortMessage;
    throw new ConfigurationError(`SQLMesh could not load the project ${project}: ${why} — fix the project (config, models) and retry`, {
      cause: child,
    });
  }
  const source = out ?? `manifest of ${project}`;
  return out ? readManifestFile(out) : parseManifest(child.stdout, source);
}

/** Read and validate a manifest file; a ConfigurationError names the file and the first problem. */
export async function readManifestFile(path: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigurationError(
      `cannot read manifest ${path}: ${code ?? String(error)} — run \`sqlmesh-pipes manifest --project DIR --out ${path}\``,
    );
  }
  return parseManifest(text, path);
}

/** Validate manifest JSON text against the strict schema; `source` names it in errors. */
export function parseManifest(text: string, source: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`manifest ${source} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) throw new ConfigurationError(`manifest ${source} is invalid: ${firstIssue(parsed.error, raw)}`);
  return parsed.data;
}

/** Lookups the executor needs, built once per manifest. */
/** A node of SQLMesh's DAG the manifest knows: a model, an external model or a standalone audit. */
export interface ManifestNode {
  readonly name: string;
  readonly kind: NodeKind;
  /** Quoted FQN of a model or external model; null for a standalone audit (named by its name). */
  readonly fqn: string | null;
  /** Its audits in manifest order (a standalone audit is its own only, never blocking, audit). */
  readonly audits: readonly ManifestAudit[];
  /** SQLMesh's snapshot identifier when the manifest was built (null when unknown). */
  readonly fingerprint: string | null;
}

export interface ManifestIndex {
  readonly manifest: Manifest;
  /** Every node by name: models, external models, standalone audits. */
  readonly nodes: ReadonlyMap<string, ManifestNode>;
  /** Project model by SQLMesh name (`sushi.orders`), or undefined. */
  modelByName(name: string): ManifestModel | undefined;
  /** Project model by quoted FQN (`"db"."sushi"."orders"`), or undefined. */
  modelByFqn(fqn: string): ManifestModel | undefined;
  /** External model by name or FQN, or undefined. */
  externalModel(nameOrFqn: string): ManifestExternalModel | undefined;
  /** Quoted FQN → SQLMesh name, for project models (SQLMesh's console reports FQNs). */
  readonly fqnToName: ReadonlyMap<string, string>;
  /** Every external model in the manifest. */
  readonly externalModels: readonly ManifestExternalModel[];
}

/** Index a manifest by model name and FQN. */
export function indexManifest(manifest: Manifest): ManifestIndex {
  const byName = new Map(manifest.models.map((model) => [model.name, model]));
  const byFqn = new Map(manifest.models.map((model) => [model.fqn, model]));
  const externals = new Map<string, ManifestExternalModel>();
  for (const model of manifest.external_models) {
    externals.set(model.name, model);
    externals.set(model.fqn, model);
  }
  const nodes = new Map<string, ManifestNode>();
  for (const model of manifest.models)
    nodes.set(model.name, { name: model.name, kind: 'model', fqn: model.fqn, audits: model.audits, fingerprint: model.fingerprint });
  for (const model of manifest.external_models)
    nodes.set(model.name, { name: model.name, kind: 'external', fqn: model.fqn, audits: model.audits, fingerprint: null });
  for (const audit of manifest.standalone_audits) {
    nodes.set(audit.name, {
      name: audit.name,
      kind: 'audit',
      fqn: null,
      audits: [{ name: audit.name, args: {}, blocking: false }],
      fingerprint: audit.fingerprint,
    });
  }
  return {
    manifest,
    nodes,
    modelByName: (name) => byName.get(name),
    modelByFqn: (fqn) => byFqn.get(fqn),
    externalModel: (nameOrFqn) => externals.get(nameOrFqn),
    fqnToName: new Map(manifest.models.map((model) => [model.fqn, model.name])),
    externalModels: manifest.external_models,
  };
}

/** "models[3].audits[0].blocking (model staging.orders): expected boolean, received string". */
function firstIssue(error: z.ZodError, raw: unknown): string {
  const issue = error.issues[0];
  if (!issue) return 'unknown problem';
  const path = issue.path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
  // A path like models[57] is useless to a person; name the model it points at.
  const modelName = issue.path[0] === 'models' && typeof issue.path[1] === 'number' ? modelNameAt(raw, issue.path[1]) : null;
  const where = (path || '(root)') + (modelName ? ` (model ${modelName})` : '');
  return `${where}: ${issue.message}`;
}

function modelNameAt(raw: unknown, index: number): string | null {
  const models = (raw as { models?: unknown } | null)?.models;
  const model = Array.isArray(models) ? (models[index] as { name?: unknown } | undefined) : undefined;
  return typeof model?.name === 'string' ? model.name : null;
}

function lastErrorLine(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .map((line) => line.trim());
  return lines.filter((line) => isErrorLine(line)).at(-1) ?? '';
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}
