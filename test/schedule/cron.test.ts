import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { adaptiveSchedule } from '../../src/schedule/adaptive.js';
import { analyzeCron, assertSqlmeshGranularity, covers } from '../../src/schedule/cron.js';

const models = (...crons: string[]) => crons.map((cron, i) => ({ model: `m${i}`, cron }));

describe('analyzeCron', () => {
  it.each([
    ['@hourly', '0 * * * *', 60, true],
    ['@daily', '0 0 * * *', 1440, true],
    ['@weekly', '0 0 * * 0', 1440, false],
    ['@monthly', '0 0 1 * *', 1440, false],
    ['@yearly', '0 0 1 1 *', 1440, false],
    ['*/15 * * * *', '*/15 * * * *', 15, true],
    ['5,50 * * * *', '5,50 * * * *', 15, true],
    ['0 9-17 * * 1-5', '0 9-17 * * 1-5', 60, false],
    ['30 23,1 * * *', '30 23,1 * * *', 120, true],
  ])('%s', (source, expression, gap, everyDay) => {
    const cron = analyzeCron(source);
    expect(cron.expression).toBe(expression);
    expect(cron.minGapMinutes).toBe(gap);
    expect(cron.everyDay).toBe(everyDay);
  });

  it.each([
    ['@every5m', /unsupported cron alias/],
    ['0 * * * * *', /has 6 fields/],
    ['* * *', /has 3 fields/],
    ['61 * * * *', /invalid cron "61 \* \* \* \*"/],
  ])('refuses %s clearly', (source, message) => {
    expect(() => analyzeCron(source)).toThrow(ConfigurationError);
    expect(() => analyzeCron(source)).toThrow(message);
  });
});

describe('SQLMesh 5-minute minimum', () => {
  it.each(['* * * * *', '*/2 * * * *', '0,4 * * * *', '58 * * * *,'.replace(',', '')])('%s', (source) => {
    const cron = analyzeCron(source);
    if (cron.minGapMinutes >= 5) return expect(() => assertSqlmeshGranularity(cron)).not.toThrow();
    expect(() => assertSqlmeshGranularity(cron, 'shop.events')).toThrow(
      /model shop\.events has cron .* finer than SQLMesh's 5-minute minimum — use a coarser cron, or ignore_cron/,
    );
  });

  it('counts the gap across midnight', () => {
    expect(analyzeCron('58 23 * * *').minGapMinutes).toBe(1440);
    expect(analyzeCron('58 23,0 * * *').minGapMinutes).toBe(60);
    expect(analyzeCron('0,58 23,0 * * *').minGapMinutes).toBe(2);
  });
});

describe('covers', () => {
  it.each([
    ['@hourly', '@daily', true],
    ['@daily', '@hourly', false],
    ['*/15 * * * *', '@hourly', true],
    ['*/15 * * * *', '5 * * * *', false],
    ['@daily', '@weekly', true],
    ['@weekly', '@daily', false],
    ['0 0 * * 1', '0 0 * * 1', true],
    ['0 0 * * 1', '0 0 1 * *', false],
  ])('%s covers %s: %s', (outer, inner, expected) => {
    expect(covers(analyzeCron(outer), analyzeCron(inner))).toBe(expected);
  });
});

describe('adaptiveSchedule', () => {
  it.each([
    [['@daily'], '0 0 * * *', 86_400, 'model_cron'],
    [['@daily', '@hourly'], '0 * * * *', 3_600, 'model_cron'],
    [['@daily', '@hourly', '*/15 * * * *'], '*/15 * * * *', 900, 'model_cron'],
    [['@weekly', '@monthly'], '0 0 * * *', 86_400, 'union'],
    [['5 * * * *', '@daily'], '0,5 * * * *', 300, 'union'],
    [['30 2 * * *', '0 0 * * 1'], '*/30 0,2 * * *', 1_800, 'union'],
    [['*/20 * * * *', '*/30 * * * *'], '0,20,30,40 * * * *', 600, 'union'],
  ] as const)('%j → %s', (crons, cron, seconds, basis) => {
    const schedule = adaptiveSchedule(models(...crons));
    expect(schedule).toMatchObject({ cron, interval_seconds: seconds, basis });
    expect(schedule.crons).toEqual([...new Set(crons)]);
  });

  it('lists each distinct cron once', () => {
    expect(adaptiveSchedule(models('@daily', '@daily', '@hourly')).crons).toEqual(['@daily', '@hourly']);
  });

  it('refuses crons finer than 5 minutes unless ignoreCron', () => {
    expect(() => adaptiveSchedule(models('@daily', '*/2 * * * *'))).toThrow(/model m1 has cron "\*\/2 \* \* \* \*" fires every 2 min/);
    expect(adaptiveSchedule(models('@daily', '*/2 * * * *'), { ignoreCron: true }).cron).toBe('*/2 * * * *');
  });

  it('names the model with a bad cron', () => {
    expect(() => adaptiveSchedule(models('@daily', 'nope'))).toThrow(/^model m1: cron "nope" has 1 fields/);
  });

  it('refuses an empty project', () => {
    expect(() => adaptiveSchedule([])).toThrow(/no models/);
  });

  it("reads crons in the models' common time zone", () => {
    const zoned = models('@daily', '0 6 * * *').map((m) => ({ ...m, cronTz: 'America/Los_Angeles' }));
    expect(adaptiveSchedule(zoned)).toMatchObject({ cron: '0 0,6 * * *', timezone: 'America/Los_Angeles', basis: 'union' });
    expect(adaptiveSchedule(models('@daily')).timezone).toBe('UTC');
  });

  it('fires hourly in UTC at every minute any zone can use when zones differ', () => {
    const mixed = [
      { model: 'utc', cron: '@daily', cronTz: null },
      { model: 'la', cron: '@daily', cronTz: 'America/Los_Angeles' },
      { model: 'kolkata', cron: '0 6 * * *', cronTz: 'Asia/Kolkata' },
    ];
    expect(adaptiveSchedule(mixed)).toMatchObject({ cron: '*/30 * * * *', timezone: 'UTC', interval_seconds: 1_800, basis: 'union' });
  });
});
