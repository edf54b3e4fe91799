import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LineGroup } from '../../src/report/line-group.js';
import { LOG_WINDOW_MS, pipesSink } from '../../src/report/pipes-sink.js';
import { memoryContext } from '../pipes/helpers.js';

/** The log messages a channel received, as `LEVEL text`, and the methods in order. */
function sent(lines: string[]) {
  const messages = lines.map((l) => JSON.parse(l) as { method: string; params: { level?: string; message?: string } });
  return {
    logs: messages.filter((m) => m.method === 'log').map((m) => `${m.params.level} ${m.params.message}`),
    methods: messages.map((m) => m.method),
  };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('LineGroup', () => {
  it('sends the lines of one window as one text, then opens a new window with the next line', () => {
    const texts: string[] = [];
    const group = new LineGroup((level, t) => texts.push(`${level} ${t}`), 1000);
    group.add('INFO', 'a');
    vi.advanceTimersByTime(600);
    group.add('INFO', 'b');
    expect(texts).toEqual([]);
    vi.advanceTimersByTime(400);
    expect(texts).toEqual(['INFO a\nb']);
    group.add('INFO', 'c');
    vi.advanceTimersByTime(999);
    expect(texts).toEqual(['INFO a\nb']);
    vi.advanceTimersByTime(1);
    expect(texts).toEqual(['INFO a\nb', 'INFO c']);
  });

  it('a line of another level, or one that would overflow the text, sends the window first', () => {
    const texts: string[] = [];
    const group = new LineGroup((level, t) => texts.push(`${level} ${t}`), 1000, 7);
    group.add('INFO', 'abc');
    group.add('WARNING', 'w');
    group.add('WARNING', 'xyz');
    group.add('WARNING', 'overflow');
    group.flush();
    expect(texts).toEqual(['INFO abc', 'WARNING w\nxyz', 'WARNING overflow']);
  });

  it('flush sends what is waiting at once, and nothing when nothing waits', () => {
    const texts: string[] = [];
    const group = new LineGroup((_level, t) => texts.push(t), 1000);
    group.flush();
    group.add('INFO', 'a');
    group.flush();
    vi.advanceTimersByTime(5000);
    expect(texts).toEqual(['a']);
  });
});

describe('pipesSink', () => {
  it('groups log lines into one Pipes log per window and level; results are not held back', () => {
    const { pipes, channel } = memoryContext({ asset_keys: ['a', 'b'] });
    const sink = pipesSink(pipes, null);
    sink.log('INFO', 'a: batch 1/1');
    sink.materialize('a', {});
    sink.log('INFO', 'b: batch 1/1');
    sink.materialize('b', {});
    expect(sent(channel.lines).methods).toEqual(['opened', 'report_asset_materialization', 'report_asset_materialization']);
    vi.advanceTimersByTime(LOG_WINDOW_MS);
    expect(sent(channel.lines).logs).toEqual(['INFO a: batch 1/1\nb: batch 1/1']);
  });

  it('an ERROR, the run summary and closing send the waiting lines first, keeping the order', async () => {
    const { pipes, channel } = memoryContext();
    const sink = pipesSink(pipes, null);
    sink.log('INFO', 'a: batch 1/2');
    sink.log('WARNING', 'a: non-blocking audit failed');
    sink.log('ERROR', 'b failed');
    sink.log('INFO', 'a: batch 2/2');
    sink.custom({ kind: 'summary' });
    sink.log('INFO', 'late line');
    await pipes.close();
    const { logs, methods } = sent(channel.lines);
    expect(logs).toEqual([
      'INFO a: batch 1/2',
      'WARNING a: non-blocking audit failed',
      'ERROR b failed',
      'INFO a: batch 2/2',
      'INFO late line',
    ]);
    expect(methods).toEqual(['opened', 'log', 'log', 'log', 'log', 'report_custom_message', 'log', 'closed']);
  });

  it('prints every line at once outside Dagster', () => {
    const { pipes } = memoryContext();
    let printed = '';
    const sink = pipesSink(pipes, { write: (text: string) => (printed += text) } as unknown as NodeJS.WritableStream);
    sink.log('INFO', 'a: batch 1/1');
    sink.log('WARNING', 'w');
    expect(printed).toBe('a: batch 1/1\nWARNING: w\n');
  });
});
