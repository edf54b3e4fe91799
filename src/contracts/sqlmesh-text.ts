/*
 * SQLMesh's own sentences that both readers of a run match: the executor's text-console parser
 * (src/sqlmesh/text-grammar.ts) and the JSON console's fallbacks (python_shim/src/
 * sqlmesh_pipes_console/json_console.py), which recognise the same warnings and status lines in
 * the text SQLMesh hands its console. Regex sources in the syntax both languages share (numbered
 * groups only); `npm run contracts` writes them into the Python module.
 */

/** The start of SQLMesh's status line when nothing was due (sqlmesh/core/context.py). */
export const NOTHING_TO_DO_PREFIX = 'No models are ready to run';

/**
 * A non-blocking audit's warning: `<model>: '<audit>' audit error: <N> rows failed.`
 * Groups: 1 model as displayed, 2 audit name, 3 failing row count.
 */
export const AUDIT_WARNING_PATTERN = String.raw`^\s*(\S.*?): '(.+)' audit error: (\d+) rows? failed\.?\s*$`;

/**
 * `Next run will be ready at <local> (<UTC>).` or `... at <UTC>.` (SQLMesh's format_tz_datetime).
 * Groups: 1 day, 2 hour (12-hour clock), 3 minute, 4 AM/PM — all UTC.
 */
export const NEXT_READY_PATTERN = String.raw`Next run will be ready at (?:.*\()?(\d{4}-\d\d-\d\d) (\d\d):(\d\d)([AP]M) UTC\)?\.?`;
