/**
 * Constants both languages use, with what they mean. `npm run contracts` writes them into the
 * generated Python module (python_shim/src/sqlmesh_pipes_contracts); nothing else defines them.
 */

/** The manifest format; bump on any incompatible change to the manifest schema. */
export const MANIFEST_VERSION = 6 as const;

/** Key of our object in the Pipes context `extras`. */
export const EXTRAS_KEY = 'sqlmesh_pipes';

/** The run-extras format; bump on any incompatible change to the run-extras schema. */
export const EXTRAS_VERSION = 1 as const;

/** `kind` of the run summary, the last custom message of a run under Pipes. */
export const RUN_SUMMARY_KIND = 'sqlmesh_pipes/run_summary';

/** Environment variable naming the file descriptor the SQLMesh-side JSON console writes events to. */
export const EVENTS_FD_ENV = 'SQLMESH_PIPES_EVENTS_FD';

/** Process exit codes of the CLI and of the SQLMesh-side commands. */
export const ExitCode = {
  /** Success, or nothing was due. */
  ok: 0,
  /** A model or a blocking audit failed, or SQLMesh raised. */
  failed: 1,
  /** Usage or configuration error (bad flag, missing project, no sqlmesh in the given python). */
  usage: 2,
  /** Interrupted by SIGINT (128 + the signal number). */
  interrupted: 130,
  /** Terminated by SIGTERM (128 + the signal number). */
  terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * What a non-zero exit of the executor means to the Dagster side, in its error messages. Under
 * Pipes model failures exit 0 and travel in the run summary, so `failed` there is a crash.
 */
export const EXIT_CODE_MEANINGS = {
  [ExitCode.failed]: 'executor error',
  [ExitCode.usage]: 'usage or configuration error',
  [ExitCode.interrupted]: 'interrupted by SIGINT',
  [ExitCode.terminated]: 'terminated by SIGTERM',
} as const satisfies Record<number, string>;

/** The SQLMesh environment a run targets unless told otherwise (SQLMesh's own default). */
export const DEFAULT_ENVIRONMENT = 'prod';

/** Dagster's default wait between SIGINT and SIGKILL (PipesSubprocessClient), and SQLMeshResource's. */
export const DEFAULT_TERMINATION_TIMEOUT_SECONDS = 20;

/** SQLMesh's share of the termination timeout; the rest covers killing SQLMesh, reporting what it finished and `closed`. */
export const STOP_GRACE_SHARE = 0.4;
