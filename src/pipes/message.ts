// Building, validating and encoding one Pipes message. Every message is checked against its
// strict params schema before it is written: Dagster's handler would otherwise die on it.
import { z } from 'zod';
import { PipesError } from './errors.js';
import { FloatLiteral, pythonJson } from './json.js';
import { PIPES_PROTOCOL_VERSION, PIPES_PROTOCOL_VERSION_FIELD, PipesMessage, type PipesMethod, type PipesParamsOf } from './protocol.js';

/** A validated message for `method`; throws PipesError naming the method and the bad params. */
export function makeMessage<M extends PipesMethod>(method: M, params: PipesParamsOf<M>): Extract<PipesMessage, { method: M }> {
  const message = { [PIPES_PROTOCOL_VERSION_FIELD]: PIPES_PROTOCOL_VERSION, method, params };
  const parsed = PipesMessage.safeParse(message);
  if (!parsed.success) throw new PipesError(`Invalid params for \`${method}\`:\n${z.prettifyError(parsed.error)}`);
  // Keep the caller's object (key order and bigint/float values as given); it is now known valid.
  return message as unknown as Extract<PipesMessage, { method: M }>;
}

/** One JSON line, byte-compatible with the Python writer's `json.dumps(message) + "\n"`. */
export function encodeMessage(message: PipesMessage): string {
  return `${pythonJson(withFloatLiterals(message))}\n`;
}

function withFloatLiterals(message: PipesMessage): unknown {
  if (message.method !== 'report_asset_materialization' && message.method !== 'report_asset_check') return message;
  const metadata = message.params.metadata;
  if (metadata === null) return message;
  const entries = Object.entries(metadata).map(([key, value]) => [
    key,
    value.type === 'float' && typeof value.raw_value === 'number'
      ? { raw_value: new FloatLiteral(value.raw_value), type: value.type }
      : value,
  ]);
  return { ...message, params: { ...message.params, metadata: Object.fromEntries(entries) } };
}
