import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { makeMessage } from '../../src/pipes/message.js';
import { PipesBufferedStreamMessageChannel } from '../../src/pipes/writers/buffered-stdio.js';
import { PipesDefaultMessageWriter } from '../../src/pipes/writers/default.js';
import { PipesFileMessageChannel } from '../../src/pipes/writers/path.js';
import { PipesStreamMessageChannel } from '../../src/pipes/writers/stdio.js';
import { PipesStdioCaptureChannel } from '../../src/pipes/writers/stdio-capture.js';
import { CLOSED, line, MemoryChannel, OPENED } from './helpers.js';

const opened = makeMessage('opened', { extras: {} });
const closed = makeMessage('closed', {});

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return () => text;
}

describe('path channel', () => {
  it('appends one whole line per message to the existing file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pipes-')), 'messages');
    writeFileSync(path, ''); // Dagster creates the file before launch
    const channel = new PipesFileMessageChannel(path);
    channel.writeMessage(opened);
    expect(readFileSync(path, 'utf8')).toBe(`${OPENED}\n`);
    channel.writeMessage(closed);
    await channel.close();
    expect(readFileSync(path, 'utf8')).toBe(`${OPENED}\n${CLOSED}\n`);
    expect(() => channel.writeMessage(opened)).toThrow(/already closed/);
  });
});

describe('stdio channels', () => {
  it('stdio writes each message immediately', async () => {
    const stream = new PassThrough();
    const text = collect(stream);
    const channel = new PipesStreamMessageChannel(stream);
    channel.writeMessage(opened);
    await new Promise((resolve) => setImmediate(resolve));
    expect(text()).toBe(`${OPENED}\n`);
    channel.writeMessage(closed);
    await channel.close();
    expect(text()).toBe(`${OPENED}\n${CLOSED}\n`);
  });

  it('buffered_stdio writes nothing until close', async () => {
    const stream = new PassThrough();
    const text = collect(stream);
    const channel = new PipesBufferedStreamMessageChannel(stream);
    channel.writeMessage(opened);
    channel.writeMessage(closed);
    await new Promise((resolve) => setImmediate(resolve));
    expect(text()).toBe('');
    await channel.close();
    expect(text()).toBe(`${OPENED}\n${CLOSED}\n`);
  });
});

describe('PipesDefaultMessageWriter', () => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const writer = new PipesDefaultMessageWriter({ stdout, stderr });

  it('chooses the channel by params key', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pipes-')), 'm');
    expect(writer.open({ path, include_stdio_in_messages: false })).toBeInstanceOf(PipesFileMessageChannel);
    expect(writer.open({ stdio: 'stderr' })).toBeInstanceOf(PipesStreamMessageChannel);
    expect(writer.open({ buffered_stdio: 'stdout' })).toBeInstanceOf(PipesBufferedStreamMessageChannel);
    const capture = writer.open({ path, include_stdio_in_messages: true });
    expect(capture).toBeInstanceOf(PipesStdioCaptureChannel);
    capture.closeSync();
  });

  it('names the class, the keys and what arrived when params are wrong', () => {
    expect(() => writer.open({ bucket: 'x' })).toThrow(
      'Invalid params for PipesDefaultMessageWriter: expected key "path", "stdio" or "buffered_stdio", received {"bucket":"x"}.',
    );
    expect(() => writer.open({ stdio: 'stdin' })).toThrow(
      'Invalid value for parameter "stdio" of PipesDefaultMessageWriter: expected "stdout" or "stderr", got "stdin"',
    );
    expect(() => writer.open({ path: 3 })).toThrow(
      'Invalid type for parameter "path" passed from the orchestration side to PipesDefaultMessageWriter: expected string, got number',
    );
  });
});

describe('include_stdio_in_messages capture', () => {
  it('tees stream writes into log_external_stream messages until closed', () => {
    const inner = new MemoryChannel();
    const out = new PassThrough() as unknown as NodeJS.WriteStream;
    const err = new PassThrough() as unknown as NodeJS.WriteStream;
    const passed = collect(out as unknown as PassThrough);
    const originalWrite = out.write;
    const channel = new PipesStdioCaptureChannel(inner, { stdout: out, stderr: err });
    out.write('hello\n');
    err.write(Buffer.from('bytes é\n'));
    channel.writeMessage(closed);
    out.write('after close\n');
    expect(inner.lines).toEqual([
      line('log_external_stream', '{"stream": "stdout", "text": "hello\\n", "extras": {}}'),
      line('log_external_stream', '{"stream": "stderr", "text": "bytes \\u00e9\\n", "extras": {}}'),
      CLOSED,
    ]);
    expect(out.write).toBe(originalWrite);
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        expect(passed()).toBe('hello\nafter close\n');
        resolve();
      }),
    );
  });
});
