import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { cronFloor, dueNodes, inferIntervalUnit, intervalEnd, type ScheduledNode } from '../../src/schedule/due.js';
import { sqlmeshEnv } from '../../src/sqlmesh/python.js';
import { PYTHON } from '../sqlmesh/helpers/projects.js';

const node = (cron: string, overrides: Partial<ScheduledNode> = {}): ScheduledNode => ({
  name: `m_${cron}`,
  cron,
  cronTz: null,
  intervalUnit: null,
  allowPartials: false,
  ...overrides,
});
const at = (iso: string) => new Date(iso);

describe('cronFloor', () => {
  it('is the tick itself on a tick, else the one before', () => {
    expect(cronFloor('0 0 * * *', 'UTC', at('2024-01-02T00:00:00Z')).toISOString()).toBe('2024-01-02T00:00:00.000Z');
    expect(cronFloor('0 0 * * *', 'UTC', at('2024-01-02T23:59:59Z')).toISOString()).toBe('2024-01-02T00:00:00.000Z');
    expect(cronFloor('0 0 * * *', 'America/Los_Angeles', at('2024-01-02T07:59:00Z')).toISOString()).toBe('2024-01-01T08:00:00.000Z');
  });
});

describe('inferIntervalUnit', () => {
  it.each([
    ['0 9 * * 1-5', 'day'],
    ['*/20 * * * *', 'quarter_hour'],
    ['0 */6 * * *', 'hour'],
    ['0 0 * * 0', 'day'],
    ['0 0 1 * *', 'month'],
    ['0 0 1 1 *', 'year'],
    ['*/5 * * * *', 'five_minute'],
  ])('%s → %s (as IntervalUnit.from_cron)', (cron, unit) => {
    expect(inferIntervalUnit(cron, at('2024-01-01T00:00:00Z'))).toBe(unit);
  });
  it('refuses a cron finer than 5 minutes', () => {
    expect(() => inferIntervalUnit('* * * * *')).toThrow(ConfigurationError);
  });
});

describe('dueNodes', () => {
  const hourly = node('@hourly', { name: 'hourly', intervalUnit: 'hour' });
  const daily = node('@daily', { name: 'daily', intervalUnit: 'day' });
  const nine = node('0 9 * * 1-5', { name: 'weekdays_9am', intervalUnit: 'day' });
  const la = node('@daily', { name: 'daily_la', cronTz: 'America/Los_Angeles', intervalUnit: 'day' });
  const all = [hourly, daily, nine, la];
  const due = (since: string, now: string) => dueNodes(all, at(since), at(now)).map((n) => n.name);

  it('at an hourly boundary: only the hourly model', () => {
    expect(due('2024-01-02T05:00:00Z', '2024-01-02T06:00:00Z')).toEqual(['hourly']);
  });
  it('at midnight UTC: hourly and daily, not the Los Angeles daily (its day ends at 08:00 UTC)', () => {
    expect(due('2024-01-01T23:00:00Z', '2024-01-02T00:00:00Z')).toEqual(['hourly', 'daily']);
    expect(due('2024-01-02T07:00:00Z', '2024-01-02T08:00:00Z')).toEqual(['hourly', 'daily_la']);
  });
  it('a weekday 9 am cron: due at 09:00 Tuesday, not on Saturday', () => {
    expect(due('2024-01-02T08:00:00Z', '2024-01-02T09:00:00Z')).toEqual(['hourly', 'weekdays_9am']);
    expect(due('2024-01-06T08:00:00Z', '2024-01-06T09:00:00Z')).toEqual(['hourly']);
  });
  it('between ticks and for an empty window: nothing', () => {
    expect(due('2024-01-02T06:00:00Z', '2024-01-02T06:30:00Z')).toEqual([]);
    expect(due('2024-01-02T06:00:00Z', '2024-01-02T06:00:00Z')).toEqual([]);
  });
  it('a long window catches up every node with a tick inside it', () => {
    expect(due('2024-01-01T00:00:00Z', '2024-01-03T00:00:00Z')).toEqual(['hourly', 'daily', 'weekdays_9am', 'daily_la']);
  });
  it("nothing is due outside a model's start and end", () => {
    const bounded = node('@daily', { name: 'ended', intervalUnit: 'day', end: at('2024-01-03T00:00:00Z') });
    const early = node('@daily', { name: 'later', intervalUnit: 'day', start: at('2024-02-01T00:00:00Z') });
    const names = (since: string, now: string) => dueNodes([bounded, early], at(since), at(now)).map((n) => n.name);
    expect(names('2024-01-01T23:00:00Z', '2024-01-02T00:00:00Z')).toEqual(['ended']);
    expect(names('2024-01-02T23:00:00Z', '2024-01-03T00:00:00Z')).toEqual(['ended']); // its last day
    expect(names('2024-01-03T23:00:00Z', '2024-01-04T00:00:00Z')).toEqual([]);
    expect(names('2024-02-01T23:00:00Z', '2024-02-02T00:00:00Z')).toEqual(['later']);
  });

  it('a tick late by seconds still sees the same bound', () => {
    expect(due('2024-01-01T23:00:12Z', '2024-01-02T00:00:07Z')).toEqual(['hourly', 'daily']);
  });
});

/**
 * The rule is SQLMesh's: for a grid of crons, zones and times, the end of the last interval
 * SQLMesh's own Snapshot.missing_intervals returns equals `intervalEnd`.
 */
describe("intervalEnd equals SQLMesh's missing_intervals", () => {
  const cases: { cron: string; tz: string | null; at: string; partials: boolean; unit: string | null; end?: string }[] = [];
  const crons = ['@hourly', '@daily', '0 9 * * 1-5', '*/15 * * * *', '30 */6 * * *', '@weekly', '@monthly', '45 23 * * *'];
  const zones = [null, 'America/Los_Angeles', 'Asia/Kolkata', 'Europe/Berlin'];
  const times = ['2024-01-02T00:00:00Z', '2024-01-06T09:07:00Z', '2024-03-10T10:30:00Z', '2024-03-31T01:15:00Z', '2024-07-01T23:59:00Z'];
  for (const cron of crons) {
    for (const tz of zones) for (const time of times) cases.push({ cron, tz, at: time, partials: false, unit: null });
  }
  cases.push({ cron: '@hourly', tz: null, at: '2024-01-06T10:30:00Z', partials: true, unit: null });
  cases.push({ cron: '@daily', tz: 'Asia/Kolkata', at: '2024-01-06T10:30:00Z', partials: true, unit: null });
  cases.push({ cron: '0 6 * * *', tz: null, at: '2024-01-06T10:30:00Z', partials: false, unit: 'hour' });
  // A model end: a date includes that day (SQLMesh's make_exclusive); the manifest stores it exclusive.
  cases.push({ cron: '@daily', tz: null, at: '2024-03-10T10:30:00Z', partials: false, unit: null, end: '2024-01-02' });
  cases.push({ cron: '@hourly', tz: null, at: '2024-03-10T10:30:00Z', partials: false, unit: null, end: '2024-01-02 05:00:00' });

  it(`${cases.length} cases`, async () => {
    const script = `
import json, sys
from sqlglot import parse_one
from sqlmesh.core.model import SqlModel
from sqlmesh.core.model.kind import FullKind
from sqlmesh.core.snapshot import Snapshot
from sqlmesh.utils.date import to_datetime
out = []
for case in json.load(sys.stdin):
    kw = dict(name="a.b", query=parse_one("select 1 as x"), cron=case["cron"], start="2023-01-01",
              kind=FullKind(), allow_partials=case["partials"])
    if case["tz"]: kw["cron_tz"] = case["tz"]
    if case["unit"]: kw["interval_unit"] = case["unit"]
    if case.get("end"): kw["end"] = case["end"]
    snapshot = Snapshot.from_node(SqlModel(**kw), nodes={}, cache={})
    found = snapshot.missing_intervals("2023-01-01", case["at"], execution_time=case["at"])
    out.append(to_datetime(found[-1][1]).isoformat().replace("+00:00", ".000Z") if found else None)
print(json.dumps(out))
`;
    const { stdout } = await execa(PYTHON, ['-c', script], { input: JSON.stringify(cases), env: sqlmeshEnv(), extendEnv: false });
    const sqlmesh = JSON.parse(stdout) as string[];
    const exclusive = (end: string) =>
      end.length === 10 ? new Date(Date.parse(`${end}T00:00:00Z`) + 86_400_000) : at(`${end.replace(' ', 'T')}Z`);
    const ours = cases.map((c) =>
      intervalEnd(
        node(c.cron, { cronTz: c.tz, allowPartials: c.partials, intervalUnit: c.unit, end: c.end ? exclusive(c.end) : null }),
        at(c.at),
      ).toISOString(),
    );
    const mismatches = cases.filter((_, i) => ours[i] !== sqlmesh[i]).map((c, i) => ({ ...c, ours: ours[i], sqlmesh: sqlmesh[i] }));
    expect(mismatches).toEqual([]);
  }, 60_000);
});
