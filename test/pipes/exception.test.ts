import { describe, expect, it } from 'vitest';
import { toPipesException } from '../../src/pipes/exception.js';

describe('toPipesException', () => {
  it('keeps name, message, stack frames and the cause chain', () => {
    const root = new Error('disk full');
    root.stack = 'Error: disk full\n    at g (/b.js:2:3)';
    const error = new TypeError('exploded', { cause: root });
    error.stack = 'TypeError: exploded\n  with a second line\n    at f (/a.js:1:2)\n    at async main (/a.js:9:1)';
    expect(toPipesException(error)).toEqual({
      message: 'exploded',
      stack: ['  at f (/a.js:1:2)\n', '  at async main (/a.js:9:1)\n'],
      name: 'TypeError',
      cause: { message: 'disk full', stack: ['  at g (/b.js:2:3)\n'], name: 'Error', cause: null, context: null },
      context: null,
    });
  });

  it('maps a SuppressedError-style `suppressed` to context', () => {
    const error = Object.assign(new Error('cleanup failed'), { suppressed: new Error('original') });
    expect(toPipesException(error).context?.message).toBe('original');
  });

  it('handles thrown non-errors and custom names', () => {
    expect(toPipesException('plain')).toEqual({ message: 'plain', stack: [], name: null, cause: null, context: null });
    expect(toPipesException({ code: 1 }).message).toBe('{"code":1}');
    class ModelError extends Error {
      override name = 'ModelError';
    }
    expect(toPipesException(new ModelError('')).message).toBe('ModelError');
    expect(toPipesException(new Error('x', { cause: 'why' })).cause).toEqual({
      message: 'why',
      stack: [],
      name: null,
      cause: null,
      context: null,
    });
  });

  it('cuts cause cycles', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(toPipesException(a).cause?.cause).toBeNull();
  });
});
