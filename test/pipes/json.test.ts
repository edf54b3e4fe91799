import { describe, expect, it } from 'vitest';
import { asciiString, FloatLiteral, pythonFloatRepr, pythonJson } from '../../src/pipes/json.js';

describe('pythonFloatRepr (Python repr(float), checked against CPython 3.11 json.dumps)', () => {
  it.each([
    [2, '2.0'],
    [0.1, '0.1'],
    [1e16, '1e+16'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [123456789012345.6, '123456789012345.6'],
    [1.5e300, '1.5e+300'],
    [-0, '-0.0'],
    [0, '0.0'],
    [5e-324, '5e-324'],
    [1 / 3, '0.3333333333333333'],
    [1e21, '1e+21'],
    [100, '100.0'],
    [-42, '-42.0'],
    [Number.NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
    [2.5e-7, '2.5e-07'],
    [1234567890123456, '1234567890123456.0'],
  ])('%s → %s', (value, expected) => {
    expect(pythonFloatRepr(value)).toBe(expected);
  });
});

describe('pythonJson (Python json.dumps text)', () => {
  it('escapes everything outside printable ASCII like ensure_ascii', () => {
    expect(asciiString('é"\\\n\t\u0000\u007f😀\u2028')).toBe('"\\u00e9\\"\\\\\\n\\t\\u0000\\u007f\\ud83d\\ude00\\u2028"');
  });

  it('uses Python separators and keeps key order', () => {
    expect(pythonJson({ s: 'x', l: [1, null, true], e: {}, a: [] })).toBe('{"s": "x", "l": [1, null, true], "e": {}, "a": []}');
  });

  it('writes whole numbers as ints, marked floats as floats, bigint as digits', () => {
    expect(pythonJson([2, 2.5, new FloatLiteral(2), 12345678901234567890n, 1e21])).toBe(
      '[2, 2.5, 2.0, 12345678901234567890, 1000000000000000000000]',
    );
  });

  it('drops undefined properties, writes undefined array items as null, uses toJSON', () => {
    expect(pythonJson({ a: undefined, b: [undefined], d: new Date(0) })).toBe('{"b": [null], "d": "1970-01-01T00:00:00.000Z"}');
  });

  it('refuses values JSON cannot hold', () => {
    expect(() => pythonJson({ f: Symbol('x') as unknown, g: [() => 1] })).toThrowErrorMatchingInlineSnapshot(
      `[PipesError: Cannot serialize function at $.g[0]: Pipes messages are JSON]`,
    );
  });
});
