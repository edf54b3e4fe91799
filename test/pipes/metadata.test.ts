import { describe, expect, it } from 'vitest';
import { md, normalizeMetadata } from '../../src/pipes/metadata.js';
import { line, memoryContext } from './helpers.js';

/** The exact line reported for one metadata entry. */
function reported(value: Parameters<typeof normalizeMetadata>[0]): string {
  const { pipes, channel } = memoryContext();
  pipes.reportAssetMaterialization({ metadata: value });
  return channel.lines[1]!;
}

const mat = (metadata: string) => line('report_asset_materialization', `{"asset_key": "a", "data_version": null, "metadata": ${metadata}}`);

describe('md helpers: every Dagster metadata type, exact bytes', () => {
  it.each([
    ['text', md.text('hé'), '{"raw_value": "h\\u00e9", "type": "text"}'],
    ['url', md.url('https://x.io'), '{"raw_value": "https://x.io", "type": "url"}'],
    ['path', md.path('/p'), '{"raw_value": "/p", "type": "path"}'],
    ['notebook', md.notebook('/n.ipynb'), '{"raw_value": "/n.ipynb", "type": "notebook"}'],
    ['json', md.json({ a: [1, 2.5, null] }), '{"raw_value": {"a": [1, 2.5, null]}, "type": "json"}'],
    ['md', md.md('# T'), '{"raw_value": "# T", "type": "md"}'],
    ['float whole', md.float(2), '{"raw_value": 2.0, "type": "float"}'],
    ['float', md.float(0.25), '{"raw_value": 0.25, "type": "float"}'],
    ['float NaN', md.float(Number.NaN), '{"raw_value": NaN, "type": "float"}'],
    ['float -Infinity', md.float(-Infinity), '{"raw_value": -Infinity, "type": "float"}'],
    ['float big', md.float(1e16), '{"raw_value": 1e+16, "type": "float"}'],
    ['int', md.int(3), '{"raw_value": 3, "type": "int"}'],
    ['int bigint', md.int(2n ** 70n), '{"raw_value": 1180591620717411303424, "type": "int"}'],
    ['bool', md.bool(true), '{"raw_value": true, "type": "bool"}'],
    ['dagster_run', md.dagsterRun('r1'), '{"raw_value": "r1", "type": "dagster_run"}'],
    ['asset', md.asset('db/orders'), '{"raw_value": "db/orders", "type": "asset"}'],
    ['asset parts', md.asset(['db', 'orders']), '{"raw_value": "db/orders", "type": "asset"}'],
    ['null', md.null(), '{"raw_value": null, "type": "null"}'],
    [
      'table',
      md.table({ records: [{ id: 1, x: null, f: 2.5, b: true }], schema: [{ name: 'id', type: 'int', constraints: { nullable: false } }] }),
      '{"raw_value": {"records": [{"id": 1, "x": null, "f": 2.5, "b": true}], "schema": [{"name": "id", "type": "int", "constraints": {"nullable": false}}]}, "type": "table"}',
    ],
    [
      'table_schema',
      md.tableSchema([{ name: 'id', type: 'int', description: 'pk', tags: { t: 'v' }, constraints: { unique: true, other: ['x'] } }]),
      '{"raw_value": {"columns": [{"name": "id", "type": "int", "description": "pk", "tags": {"t": "v"}, "constraints": {"unique": true, "other": ["x"]}}]}, "type": "table_schema"}',
    ],
    [
      'table_column_lineage',
      md.tableColumnLineage({
        c: [
          { asset_key: 'db/or\\/ders', column_name: 'x' },
          { asset_key: ['db', 'p'], column_name: 'y' },
        ],
      }),
      '{"raw_value": {"deps_by_column": {"c": [{"asset_key": ["db", "or/ders"], "column_name": "x"}, {"asset_key": ["db", "p"], "column_name": "y"}]}}, "type": "table_column_lineage"}',
    ],
    ['timestamp seconds', md.timestamp(1700000000), '{"raw_value": 1700000000, "type": "timestamp"}'],
    ['timestamp Date', md.timestamp(new Date(1500)), '{"raw_value": 1.5, "type": "timestamp"}'],
    ['infer', md.infer([1, 'a']), '{"raw_value": [1, "a"], "type": "__infer__"}'],
  ])('%s', (_name, value, expected) => {
    expect(reported({ k: value })).toBe(mat(`{"k": ${expected}}`));
  });

  it('keeps nulls where Dagster accepts them', () => {
    expect(reported({ t: md.text(null), f: md.float(null), i: md.int(null), b: md.bool(null), j: md.json(null) })).toBe(
      mat(
        '{"t": {"raw_value": null, "type": "text"}, "f": {"raw_value": null, "type": "float"}, "i": {"raw_value": null, "type": "int"}, "b": {"raw_value": null, "type": "bool"}, "j": {"raw_value": null, "type": "json"}}',
      ),
    );
  });
});

describe('md helpers refuse what Dagster would choke on', () => {
  it.each([
    ['int 2.5', () => md.int(2.5)],
    ['int beyond 2^53', () => md.int(2 ** 60)],
    ['json number', () => md.json(3 as never)],
    ['asset with "/" in a part', () => md.asset(['a/b'])],
    ['empty asset', () => md.asset([])],
    ['dagster_run null', () => md.dagsterRun(null as never)],
    ['timestamp NaN', () => md.timestamp(Number.NaN)],
    ['table record with a list', () => md.table({ records: [{ a: [1] as never }], schema: [] })],
    ['column constraint typo', () => md.tableSchema([{ name: 'a', type: 'int', constraints: { nulable: true } as never }])],
    ['extra column key', () => md.tableSchema([{ name: 'a', type: 'int', doc: 'x' } as never])],
  ])('%s', (_name, make) => {
    expect(make).toThrow(/^md\.\w+: /);
  });

  it('names the type in the error', () => {
    expect(() => md.int(2.5)).toThrowErrorMatchingInlineSnapshot(`
      [PipesError: md.int: invalid raw value for metadata type "int":
      ✖ Invalid input
        → at raw_value]
    `);
  });
});

describe('normalizeMetadata', () => {
  it('wraps raw values as __infer__, drops undefined, keeps typed values, null when empty', () => {
    expect(normalizeMetadata({ a: 1, b: 'x', c: null, d: [1], e: undefined, f: md.bool(true) }, 'm')).toEqual({
      a: { raw_value: 1, type: '__infer__' },
      b: { raw_value: 'x', type: '__infer__' },
      c: { raw_value: null, type: '__infer__' },
      d: { raw_value: [1], type: '__infer__' },
      f: { raw_value: true, type: 'bool' },
    });
    expect(normalizeMetadata({}, 'm')).toBeNull();
    expect(normalizeMetadata({ e: undefined }, 'm')).toBeNull();
    expect(normalizeMetadata(undefined, 'm')).toBeNull();
  });

  it('refuses objects that are not {raw_value, type} and unknown types', () => {
    expect(() => normalizeMetadata({ x: { a: 1 } as never }, 'report_asset_check')).toThrow(
      'Invalid metadata entry "x" for `report_asset_check`: expected a raw value or {raw_value, type} (use the md.* helpers), got keys ["a"]',
    );
    expect(() => normalizeMetadata({ x: { raw_value: 'j', type: 'job' } as never }, 'm')).toThrow(
      /^m metadata "x": invalid raw value for metadata type "job"/,
    );
  });

  it('sends metadata: null when there is none (as the Python writer does)', () => {
    expect(reported({})).toBe(mat('null'));
  });
});
