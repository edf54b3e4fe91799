import { describe, expect, it } from 'vitest';
import { resolveRunSettings } from '../../src/commands/run-settings.js';
import { parseRunTime, validateRunTime, validateWindow } from '../../src/commands/run-times.js';
import { EXTRAS_VERSION } from '../../src/contracts/run-extras.js';

const NOW = Date.parse('2026-11-30T14:27:00Z');

describe('parseRunTime: what SQLMesh reads as meant', () => {
  it.each([
    ['2024-01-31', '2024-01-31T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2024-01-31T06:00:00Z', '2024-01-31T06:00:00.000Z'],
    ['2024-01-31 06:00', '2024-01-31T06:00:00.000Z'],
    ['2024-01-31T06:00:00+02:00', '2024-01-31T04:00:00.000Z'],
    ['2024-01-31T06:00:00.123456+00:00', '2024-01-31T06:00:00.123Z'],
    ['2024-01-31T06:00:00-0130', '2024-01-31T07:30:00.000Z'],
    ['now', '2026-11-30T14:27:00.000Z'],
    ['today', '2026-11-30T00:00:00.000Z'],
    ['yesterday', '2026-11-29T00:00:00.000Z'],
    ['Tomorrow', '2026-12-01T00:00:00.000Z'],
    ['3 days ago', '2026-11-27T14:27:00.000Z'],
    ['1 hour ago', '2026-11-30T13:27:00.000Z'],
  ])('%s', (value, iso) => {
    expect(new Date(parseRunTime(value, NOW)!).toISOString()).toBe(iso);
  });

  it.each([
    '1',
    '1704412800000',
    '20240105',
    '2024-02-30',
    '2023-02-29',
    '2024-13-01',
    '2024-01-31T24:00',
    'garbage',
    '',
    'next week',
    '5/1/2024',
  ])('refuses %j', (value) => {
    expect(parseRunTime(value, NOW)).toBeNull();
    expect(() => validateRunTime('start', value)).toThrow(/^--start must be an ISO-8601 date or time/);
  });

  it('says why a bare number is refused', () => {
    expect(() => validateRunTime('execution-time', '1')).toThrow(/SQLMesh would read a bare number as epoch milliseconds/);
  });

  it('a window: both or neither, and start not after end', () => {
    expect(() => validateWindow('2024-01-01', null)).toThrow('--start and --end go together');
    expect(() => validateWindow('2024-01-02', '2024-01-01')).toThrow(
      '--start "2024-01-02" is after --end "2024-01-01" — swap them or fix the window',
    );
    expect(() => validateWindow('2024-01-01', '2024-01-01')).not.toThrow();
    expect(() => validateWindow('3 days ago', 'now')).not.toThrow();
    expect(() => validateWindow('now', '3 days ago')).toThrow(/is after --end/);
  });
});

describe("the stop grace comes from Dagster's termination timeout", () => {
  const extras = (timeout?: number) => ({
    version: EXTRAS_VERSION,
    models: {},
    checks: [],
    ...(timeout ? { termination_timeout_seconds: timeout } : {}),
  });
  it.each([
    [undefined, 8_000],
    [20, 8_000],
    [5, 2_000],
    [60, 24_000],
  ])('termination timeout %s s → SQLMesh gets %s ms, always less', (timeout, grace) => {
    const settings = resolveRunSettings({ argv: [], projects: ['/p'], selectModels: [] }, extras(timeout));
    expect(settings.stopGraceMs).toBe(grace);
    expect(settings.stopGraceMs).toBeLessThan((timeout ?? 20) * 1000);
  });
});
