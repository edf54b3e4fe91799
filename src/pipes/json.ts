// JSON writer producing the same text as Python's `json.dumps` (the reference writer):
// ", " and ": " separators, non-ASCII escaped as \uXXXX (ensure_ascii), NaN/Infinity literals,
// bigint as digits, and floats written with Python's repr so that a whole-number float stays a
// float (JSON.stringify(2.0) is "2", which Dagster would read as an int and refuse under `float`).
import { PipesError } from './errors.js';

/** Marks a number that must be written as a float literal (`2` → `2.0`). */
export class FloatLiteral {
  constructor(readonly value: number) {}
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A JSON string literal with everything outside printable ASCII escaped, as Python does. */
export function asciiString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    const code = value.charCodeAt(i);
    const short = SHORT_ESCAPES[char];
    if (short !== undefined) out += short;
    else if (code >= 0x20 && code <= 0x7e) out += char;
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/** Python's `repr(float)`: shortest digits, fixed notation for 1e-4 <= |x| < 1e16, else `1e+16`. */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exponent < -4 || exponent >= 16) {
    const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${head}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole.slice(0, exponent + 1)}.${fraction || '0'}`;
}

function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) return pythonFloatRepr(value);
  // Whole numbers are ints in Python; write big ones as digits, not "1e+21".
  if (Number.isInteger(value)) return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
  return pythonFloatRepr(value);
}

/** Serialize like Python's `json.dumps(value)`; throws PipesError on values JSON cannot hold. */
export function pythonJson(value: unknown, path = '$'): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return asciiString(value);
    case 'number':
      return numberLiteral(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw new PipesError(`Cannot serialize ${typeof value} at ${path}: Pipes messages are JSON`);
  }
  if (value instanceof FloatLiteral) return pythonFloatRepr(value.value);
  if (Array.isArray(value)) {
    return `[${value.map((item, index) => pythonJson(item === undefined ? null : item, `${path}[${index}]`)).join(', ')}]`;
  }
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return pythonJson(withToJson.toJSON(), path);
  const fields: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    // Like JSON.stringify: an undefined property is left out.
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    fields.push(`${asciiString(key)}: ${pythonJson(item, `${path}.${key}`)}`);
  }
  return `{${fields.join(', ')}}`;
}
