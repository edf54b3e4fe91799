#!/usr/bin/env node
// Parser throughput: 1 M lines through split2 + the JSON event parser (zod-validated), and
// through the text fallback parser. Target: >= 1 M lines/s with flat memory.
// Usage: node scripts/bench-parser.mjs [lines=1000000]
// Uses dist/ when built, else compiles the two parsers (and what they import) to a temp dir.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const total = Number(process.argv[2] ?? 1_000_000);

async function loadParsers() {
  const dist = join(root, 'dist', 'sqlmesh');
  if (existsSync(join(dist, 'parse-json.js')) && existsSync(join(dist, 'parse-text.js')) && existsSync(join(dist, 'lines.js'))) {
    return { dir: dist, cleanup: () => {} };
  }
  const out = mkdtempSync(join(tmpdir(), 'bench-parser-'));
  const files = ['parse-json.ts', 'parse-text.ts', 'lines.ts'].map((f) => join(root, 'src', 'sqlmesh', f));
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--outDir',
      out,
      '--rootDir',
      join(root, 'src'),
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--skipLibCheck',
      '--types',
      'node',
      ...files,
    ],
    { stdio: 'inherit' },
  );
  // The compiled files import 'zod'/'split2': resolve them from the repo's node_modules.
  execFileSync('ln', ['-s', join(root, 'node_modules'), join(out, 'node_modules')]);
  return { dir: join(out, 'sqlmesh'), cleanup: () => rmSync(out, { recursive: true, force: true }) };
}

/** A realistic mix of console lines: batch events and logs, ~1% unknown or garbled lines. */
function jsonLine(i) {
  if (i % 200 === 0) return JSON.stringify({ type: 'future_event', n: i });
  if (i % 200 === 1) return `garbled line ${i} {not json`;
  switch (i % 8) {
    case 0:
    case 4:
      return JSON.stringify({ type: 'batch_started', model: `schema_${i % 50}.model_${i % 1000}` });
    case 1:
    case 2:
    case 5:
      return JSON.stringify({
        type: 'batch_evaluated',
        model: `schema_${i % 50}.model_${i % 1000}`,
        interval: ['2024-01-03T00:00:00Z', '2024-01-04T00:00:00Z'],
        batch_index: i % 24,
        batch_count: 24,
        duration_ms: i % 5000,
        audits_passed: 2,
        audits_failed: 0,
        annotation: 'insert 2024-01-03 - 2024-01-03',
        execution_stats: { total_rows_processed: i, total_bytes_processed: null },
      });
    case 3:
      return JSON.stringify({ type: 'log', level: 'INFO', message: `status update ${i}`, source: 'console' });
    case 6:
      return JSON.stringify({
        type: 'audit_warning',
        model: 'a.b',
        failure: { audit: 'not_null', args: { columns: '(id)' }, failed_rows: 3, query: 'SELECT 1' },
        message: 'x',
      });
    default:
      return JSON.stringify({ type: 'evaluation_finished', success: true });
  }
}

function textLine(i) {
  switch (i % 4) {
    case 0:
    case 1:
      return `[${(i % 24) + 1}/24] schema_${i % 50}.model_${i % 1000}   [insert 2024-01-03 - 2024-01-03, audits ✔2]   0.0${i % 10}s`;
    case 2:
      return `[WARNING] schema.model_${i % 1000}: 'accepted_range' audit error: 2 rows failed. Learn more in logs: /tmp/x.log`;
    default:
      return `some other output line ${i}`;
  }
}

/** The input as 64 KiB chunks, generated up front: producing it is not the parser's cost. */
function chunks(makeLine) {
  const out = [];
  let chunk = '';
  for (let i = 0; i < total; i++) {
    chunk += `${makeLine(i)}\n`;
    if (chunk.length >= 65536) {
      out.push(Buffer.from(chunk));
      chunk = '';
    }
  }
  if (chunk) out.push(Buffer.from(chunk));
  return out;
}

/** Lines through split2 into `handle`, consumed with 'data' events as src/sqlmesh/process.ts does. */
async function measure(name, makeLine, handle, splitLines) {
  const input = chunks(makeLine);
  globalThis.gc?.();
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  let count = 0;
  let events = 0;
  const start = process.hrtime.bigint();
  await new Promise((resolve, reject) => {
    const lines = splitLines(Readable.from(input));
    lines.on('data', (line) => {
      events += handle(line);
      if (++count % 100_000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    });
    lines.on('end', resolve);
    lines.on('error', reject);
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  globalThis.gc?.();
  const after = process.memoryUsage();
  const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  console.log(
    `${name.padEnd(30)} ${count} lines in ${seconds.toFixed(2)} s = ${Math.round(count / seconds).toLocaleString('en')} lines/s; ` +
      `${events} events; heap ${mb(before.heapUsed)} -> peak ${mb(peakHeap)} -> ${mb(after.heapUsed)} after GC`,
  );
  return count / seconds;
}

const { dir, cleanup } = await loadParsers();
try {
  const { parseJsonLine } = await import(pathToFileURL(join(dir, 'parse-json.js')).href);
  const { TextRunParser } = await import(pathToFileURL(join(dir, 'parse-text.js')).href);
  const { splitLines } = await import(pathToFileURL(join(dir, 'lines.js')).href);
  console.log(
    `node ${process.version}, ${total.toLocaleString('en')} lines per parser${globalThis.gc ? '' : ' (run with --expose-gc for exact heap numbers)'}`,
  );
  await measure('split2 only (baseline)', jsonLine, () => 0, splitLines);
  // Parse only (no split2), to separate parser cost from line splitting.
  const lines = Array.from({ length: 200_000 }, (_, i) => jsonLine(i));
  const t = process.hrtime.bigint();
  for (let r = 0; r < 5; r++) for (const line of lines) parseJsonLine(line);
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(`${'json: parseJsonLine only'.padEnd(28)} ${Math.round((lines.length * 5) / s).toLocaleString('en')} lines/s`);
  const json = await measure('json: split2 + parseJsonLine', jsonLine, (line) => (parseJsonLine(line) ? 1 : 0), splitLines);
  const parser = new TextRunParser();
  const text = await measure('text: split2 + TextRunParser', textLine, (line) => parser.push(line).length, splitLines);
  const ok = json >= 1_000_000 && text >= 1_000_000;
  console.log(ok ? 'target met: >= 1M lines/s' : 'BELOW TARGET: < 1M lines/s');
  process.exitCode = ok ? 0 : 1;
} finally {
  cleanup();
}
