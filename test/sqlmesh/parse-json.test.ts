import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { splitLines } from '../../src/sqlmesh/lines.js';
import { outputLineEvent, parseJsonLine } from '../../src/sqlmesh/parse-json.js';
import { batch, failed } from '../helpers/events.js';

describe('parseJsonLine', () => {
  it('parses every known event, keeping extra fields of a newer console', () => {
    expect(parseJsonLine(JSON.stringify(batch('a.b')))).toEqual(batch('a.b'));
    expect(parseJsonLine(JSON.stringify(failed('a.b')))).toEqual(failed('a.b'));
    expect(parseJsonLine('{"type":"batch_started","model":"a.b","thread":7}')).toEqual({ type: 'batch_started', model: 'a.b', thread: 7 });
  });

  it.each([
    ['not JSON', 'Traceback (most recent call last):', 'WARNING'],
    ['truncated JSON', '{"type": "batch_started", "mo', 'WARNING'],
    ['unknown type', '{"type": "signal_checked", "model": "a"}', 'INFO'],
    ['known type, wrong shape', '{"type": "batch_evaluated", "model": "a"}', 'WARNING'],
    ['JSON but not an object', '[1, 2, 3]', 'INFO'],
    ['null', 'null', 'INFO'],
    ['binary garbage', '\u0000\u00ff\ufffd', 'WARNING'],
  ])('%s becomes a log event and never throws', (_name, line, level) => {
    expect(parseJsonLine(line)).toEqual({ type: 'log', level, message: line, source: 'console' });
  });

  it('skips blank lines', () => {
    expect(parseJsonLine('')).toBeNull();
    expect(parseJsonLine('   ')).toBeNull();
  });
});

describe('outputLineEvent', () => {
  it.each([
    ['stdout', 'hello', 'INFO'],
    ['stderr', 'a python warning', 'WARNING'],
    ['stdout', 'Error: Run failed.', 'ERROR'],
    ['stderr', 'duckdb.duckdb.IOException: IO Error: Could not set lock on file', 'ERROR'],
    ['stderr', 'Traceback (most recent call last):', 'ERROR'],
  ] as const)('%s %j is %s', (source, line, level) => {
    expect(outputLineEvent(line, source)).toEqual({ type: 'log', level, message: line, source });
  });
});

describe('splitLines', () => {
  it('splits on \\n and \\r\\n across chunk boundaries', async () => {
    const lines: string[] = [];
    for await (const line of splitLines(Readable.from(['a\r', '\nb', 'c\nd']))) lines.push(line as string);
    expect(lines).toEqual(['a', 'bc', 'd']);
  });

  it('cuts a line longer than the limit, says how much was cut, and keeps the next lines', async () => {
    const lines: string[] = [];
    const input = [Buffer.from('x'.repeat(30)), Buffer.from(`${'y'.repeat(20)}\nok\n`), Buffer.from('z'.repeat(12))];
    for await (const line of splitLines(Readable.from(input), 10)) lines.push(line as string);
    expect(lines).toEqual([
      'xxxxxxxxxx … [40 bytes cut: line longer than 10 bytes]',
      'ok',
      'zzzzzzzzzz … [2 bytes cut: line longer than 10 bytes]',
    ]);
  });

  it('keeps memory bounded on a 10 MB line: only the cap is ever held', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 160; i++) yield chunk;
        yield Buffer.from('\nend\n');
      })(),
    );
    const lines: string[] = [];
    for await (const line of splitLines(source, 1024)) lines.push(line as string);
    expect(lines.map((line) => line.length)).toEqual([1024 + ' … [10484736 bytes cut: line longer than 1024 bytes]'.length, 3]);
  });
});
