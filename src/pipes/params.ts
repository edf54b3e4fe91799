// Bootstrap params: where the context is and where messages go. The orchestrator passes two values,
// each `base64(zlib(json))`, as env vars (PipesSubprocessClient) or CLI arguments
// (`PipesSession.get_bootstrap_cli_arguments`). The env loader is a mapping loader over
// process.env, so tests hand it a plain object.
import { deflateSync, inflateSync } from 'node:zlib';
import { z } from 'zod';
import { PipesError } from './errors.js';
import { pythonJson } from './json.js';
import {
  DAGSTER_PIPES_CONTEXT_CLI_ARGUMENT,
  DAGSTER_PIPES_CONTEXT_ENV_VAR,
  DAGSTER_PIPES_MESSAGES_CLI_ARGUMENT,
  DAGSTER_PIPES_MESSAGES_ENV_VAR,
} from './protocol.js';

/** Params of a context loader or message writer: a JSON object. */
export const PipesParams = z.record(z.string(), z.unknown());
export type PipesParams = z.infer<typeof PipesParams>;

/** Encode a value the way dagster_pipes.encode_param does: base64(zlib(json)). */
export function encodeParam(value: unknown): string {
  return deflateSync(Buffer.from(pythonJson(value), 'utf8')).toString('base64');
}

/** Decode base64(zlib(json)); `what` names the value in the error. */
export function decodeParam(value: string, what = 'value'): unknown {
  let text: string;
  try {
    // zlib (RFC 1950), not gzip: inflateSync refuses a gzip header, which is the point.
    text = inflateSync(Buffer.from(value, 'base64')).toString('utf8');
  } catch (error) {
    throw new PipesError(`Cannot decode ${what}: expected base64 of zlib-compressed JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new PipesError(`Cannot decode ${what}: the decompressed text is not JSON`, { cause: error });
  }
}

function decodeParams(value: string, what: string): PipesParams {
  const decoded = decodeParam(value, what);
  const parsed = PipesParams.safeParse(decoded);
  if (!parsed.success) throw new PipesError(`Invalid ${what}: expected a JSON object, got ${pythonJson(decoded)}`);
  return parsed.data;
}

/** Decides whether this is a Pipes process and loads both params. */
export interface PipesParamsLoader {
  /** Whether the orchestrator launched this process through Pipes. */
  isDagsterPipesProcess(): boolean;
  /** Params for the context loader (`{path}` or `{data}`). */
  loadContextParams(): PipesParams;
  /** Params for the message writer (`{path, include_stdio_in_messages}`, `{stdio}`, `{buffered_stdio}`). */
  loadMessagesParams(): PipesParams;
}

/** Loads params from a string mapping keyed by the two env var names. */
export class PipesMappingParamsLoader implements PipesParamsLoader {
  constructor(private readonly mapping: Readonly<Record<string, string | undefined>>) {}

  isDagsterPipesProcess(): boolean {
    // The context var alone decides, as in dagster_pipes.
    return this.mapping[DAGSTER_PIPES_CONTEXT_ENV_VAR] !== undefined;
  }

  loadContextParams(): PipesParams {
    return decodeParams(this.required(DAGSTER_PIPES_CONTEXT_ENV_VAR), DAGSTER_PIPES_CONTEXT_ENV_VAR);
  }

  loadMessagesParams(): PipesParams {
    return decodeParams(this.required(DAGSTER_PIPES_MESSAGES_ENV_VAR), DAGSTER_PIPES_MESSAGES_ENV_VAR);
  }

  private required(name: string): string {
    const value = this.mapping[name];
    if (value === undefined) throw new PipesError(`${name} is not set: this process was not launched by Dagster Pipes`);
    return value;
  }
}

/** Loads params from environment variables (the default). */
export class PipesEnvVarParamsLoader extends PipesMappingParamsLoader {
  constructor(env: Readonly<Record<string, string | undefined>> = process.env) {
    super(env);
  }
}

/** The value of `--flag VALUE` or `--flag=VALUE` in argv (last one wins, as in argparse). */
function argValue(argv: readonly string[], flag: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === flag) found = argv[i + 1];
    else if (arg.startsWith(`${flag}=`)) found = arg.slice(flag.length + 1);
  }
  return found;
}

/** Loads params from `--dagster-pipes-context` / `--dagster-pipes-messages` arguments. */
export class PipesCliArgsParamsLoader implements PipesParamsLoader {
  constructor(private readonly argv: readonly string[] = process.argv) {}

  isDagsterPipesProcess(): boolean {
    return argValue(this.argv, DAGSTER_PIPES_CONTEXT_CLI_ARGUMENT) !== undefined;
  }

  loadContextParams(): PipesParams {
    return decodeParams(this.required(DAGSTER_PIPES_CONTEXT_CLI_ARGUMENT), DAGSTER_PIPES_CONTEXT_CLI_ARGUMENT);
  }

  loadMessagesParams(): PipesParams {
    return decodeParams(this.required(DAGSTER_PIPES_MESSAGES_CLI_ARGUMENT), DAGSTER_PIPES_MESSAGES_CLI_ARGUMENT);
  }

  private required(flag: string): string {
    const value = argValue(this.argv, flag);
    if (value === undefined) throw new PipesError(`Missing CLI argument ${flag} <base64 zlib JSON>`);
    return value;
  }
}

/** Where to look for bootstrap params. */
export interface BootstrapSources {
  /** Environment to read; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Command line to read; default `process.argv`. */
  readonly argv?: readonly string[];
}

/** The env loader when DAGSTER_PIPES_CONTEXT is set, else the CLI loader if its flag is present, else null. */
export function detectParamsLoader(sources: BootstrapSources = {}): PipesParamsLoader | null {
  const env = new PipesEnvVarParamsLoader(sources.env ?? process.env);
  if (env.isDagsterPipesProcess()) return env;
  const cli = new PipesCliArgsParamsLoader(sources.argv ?? process.argv);
  return cli.isDagsterPipesProcess() ? cli : null;
}

/** Whether this process was launched by Dagster Pipes (env var or CLI argument form). */
export function isDagsterPipesProcess(sources: BootstrapSources = {}): boolean {
  return detectParamsLoader(sources) !== null;
}

/** Encode both params as the env vars PipesSubprocessClient would set (for tests and launchers). */
export function bootstrapEnvVars(contextParams: PipesParams, messagesParams: PipesParams): Record<string, string> {
  return {
    [DAGSTER_PIPES_CONTEXT_ENV_VAR]: encodeParam(contextParams),
    [DAGSTER_PIPES_MESSAGES_ENV_VAR]: encodeParam(messagesParams),
  };
}
