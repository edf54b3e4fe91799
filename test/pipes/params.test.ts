import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  bootstrapEnvVars,
  decodeParam,
  detectParamsLoader,
  encodeParam,
  isDagsterPipesProcess,
  PipesCliArgsParamsLoader,
  PipesMappingParamsLoader,
} from '../../src/pipes/params.js';

// Produced by dagster_pipes.encode_param (Python 3.11, dagster-pipes 1.13.27).
const PY_CONTEXT = 'eJyrVipILMlQslJQ0i/JLdCv0E/OzytJrShRqgUAclAI4w==';
const PY_MESSAGES = 'eJyrVipILMlQslJQ0i/JLdCv0M9NLS5OTE8tVtJRUMrMS84pTUmNLy5JycyPz8yLh0taKaQl5hSn1gIAtBwWfg==';

describe('encodeParam / decodeParam', () => {
  it('decodes what Python encoded', () => {
    expect(decodeParam(PY_CONTEXT)).toEqual({ path: '/tmp/x/context' });
    expect(decodeParam(PY_MESSAGES)).toEqual({ path: '/tmp/x/messages', include_stdio_in_messages: false });
  });

  it('encodes exactly as Python does (same JSON text, same zlib level)', () => {
    expect(encodeParam({ path: '/tmp/x/context' })).toBe(PY_CONTEXT);
    expect(encodeParam({ path: '/tmp/x/messages', include_stdio_in_messages: false })).toBe(PY_MESSAGES);
  });

  it.each([[{ data: { a: [1, 'ü', null], b: { c: true } } }], [[1, 2]], ['text'], [null]])('round-trips %j', (value) => {
    expect(decodeParam(encodeParam(value))).toEqual(value);
  });

  it('refuses gzip and non-JSON with a message naming the value', () => {
    expect(() => decodeParam(gzipSync('{}').toString('base64'), 'DAGSTER_PIPES_CONTEXT')).toThrow(
      /^Cannot decode DAGSTER_PIPES_CONTEXT: expected base64 of zlib-compressed JSON/,
    );
    expect(() => decodeParam(deflateSync('not json').toString('base64'), 'X')).toThrow(
      'Cannot decode X: the decompressed text is not JSON',
    );
  });
});

describe('params loaders', () => {
  const env = bootstrapEnvVars({ path: '/c' }, { stdio: 'stderr' });

  it('the mapping (env) loader decodes both vars; the context var alone decides', () => {
    const loader = new PipesMappingParamsLoader(env);
    expect(loader.isDagsterPipesProcess()).toBe(true);
    expect(loader.loadContextParams()).toEqual({ path: '/c' });
    expect(loader.loadMessagesParams()).toEqual({ stdio: 'stderr' });
    expect(new PipesMappingParamsLoader({ DAGSTER_PIPES_MESSAGES: 'x' }).isDagsterPipesProcess()).toBe(false);
  });

  it('refuses params that are not a JSON object', () => {
    const loader = new PipesMappingParamsLoader({ DAGSTER_PIPES_CONTEXT: encodeParam([1]), DAGSTER_PIPES_MESSAGES: 'x' });
    expect(() => loader.loadContextParams()).toThrow('Invalid DAGSTER_PIPES_CONTEXT: expected a JSON object, got [1]');
  });

  it('the CLI loader reads --flag VALUE and --flag=VALUE', () => {
    const argv = [
      'node',
      'x.mjs',
      '--dagster-pipes-context',
      env.DAGSTER_PIPES_CONTEXT!,
      `--dagster-pipes-messages=${env.DAGSTER_PIPES_MESSAGES}`,
    ];
    const loader = new PipesCliArgsParamsLoader(argv);
    expect(loader.isDagsterPipesProcess()).toBe(true);
    expect(loader.loadContextParams()).toEqual({ path: '/c' });
    expect(loader.loadMessagesParams()).toEqual({ stdio: 'stderr' });
    expect(() => new PipesCliArgsParamsLoader(argv.slice(0, 4)).loadMessagesParams()).toThrow(
      'Missing CLI argument --dagster-pipes-messages <base64 zlib JSON>',
    );
  });

  it('detects env first, then CLI, else nothing', () => {
    const argv = ['node', 'x', '--dagster-pipes-context', 'abc'];
    expect(detectParamsLoader({ env, argv: [] })).toBeInstanceOf(PipesMappingParamsLoader);
    expect(detectParamsLoader({ env: {}, argv })).toBeInstanceOf(PipesCliArgsParamsLoader);
    expect(detectParamsLoader({ env: {}, argv: [] })).toBeNull();
    expect(isDagsterPipesProcess({ env: {}, argv: [] })).toBe(false);
    expect(isDagsterPipesProcess({ env, argv: [] })).toBe(true);
  });
});
