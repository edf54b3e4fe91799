import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_WARNING, NEXT_READY, nextReadyIso } from '../../src/sqlmesh/text-grammar.js';

// The same cases as the JSON console's fallbacks (python_shim/tests/test_console_text.py).
const cases = JSON.parse(readFileSync(new URL('../fixtures/contracts/sqlmesh-text.json', import.meta.url), 'utf8')) as {
  next_ready: { text: string; iso: string }[];
  audit_warnings: { text: string; model: string; audit: string; rows: number }[];
  not_audit_warnings: string[];
};

describe("SQLMesh's sentences (patterns shared with the JSON console)", () => {
  it.each(cases.next_ready)('next ready: $text', ({ text, iso }) => {
    const match = NEXT_READY.exec(text);
    expect(match && nextReadyIso(match)).toBe(iso);
  });

  it.each(cases.audit_warnings)('audit warning: $text', ({ text, model, audit, rows }) => {
    const match = AUDIT_WARNING.exec(text.trim());
    expect(match && [match[1]?.trim(), match[2], Number(match[3])]).toEqual([model, audit, rows]);
  });

  it.each(cases.not_audit_warnings)('not an audit warning: %s', (text) => {
    expect(AUDIT_WARNING.exec(text)).toBeNull();
  });
});
