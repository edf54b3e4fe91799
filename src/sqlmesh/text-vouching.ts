import type { EventOf, SqlmeshEvent } from '../contracts/console-events.js';

/** What only SQLMesh states at the end of its output. */
export interface EndState {
  /** Models listed under "Failed models". */
  readonly failedModels: ReadonlySet<string>;
  /** SQLMesh's own progress count of executed batches (failed ones included), when printed. */
  readonly executedBatches: number | null;
  /** Every node name of the project, when known (from the manifest). */
  readonly knownNodes: ReadonlySet<string> | null;
}

/**
 * A Python model may print lines that look exactly like SQLMesh's batch lines. The held batch
 * events are checked against what only SQLMesh states at the end — the models it lists as
 * failed or skipped, and how many batches it executed — and in doubt dropped, with the reason.
 */
export function vouchForBatches(held: readonly SqlmeshEvent[], end: EndState): SqlmeshEvent[] {
  const batches = held.filter((event): event is EventOf<'batch_evaluated'> => event.type === 'batch_evaluated');
  const skipped = new Set(held.flatMap((event) => (event.type === 'models_skipped' ? event.models : [])));
  const doubts = new Map<string, string>();
  const seen = new Map<string, Set<number>>();
  for (const batch of batches) {
    const indexes = seen.get(batch.model) ?? new Set<number>();
    if (indexes.has(batch.batch_index))
      doubts.set(batch.model, `batch ${batch.batch_index + 1}/${batch.batch_count ?? '?'} was printed twice`);
    indexes.add(batch.batch_index);
    seen.set(batch.model, indexes);
    if (skipped.has(batch.model) && !end.failedModels.has(batch.model))
      doubts.set(batch.model, 'SQLMesh lists it among the skipped models');
    if (end.failedModels.has(batch.model) && (batch.batch_count ?? 1) <= 1)
      doubts.set(batch.model, 'SQLMesh lists its only batch as failed');
  }
  // SQLMesh's progress count covers failed batches too, which print no line.
  const expected = end.executedBatches === null ? null : end.executedBatches - end.failedModels.size;
  const count = () => [...seen.entries()].filter(([model]) => !doubts.has(model)).reduce((sum, [, indexes]) => sum + indexes.size, 0);
  if (expected !== null && count() > expected && end.knownNodes) {
    // More lines than batches: lines naming no node of the project cannot be SQLMesh's.
    for (const model of seen.keys()) if (!end.knownNodes.has(model)) doubts.set(model, 'no model of the project has this name');
  }
  const lines = count();
  const tooMany = expected !== null && lines > expected;
  const unverified: Record<string, string> = {};
  if (tooMany) {
    const why = `the output has ${lines} batch lines, but SQLMesh executed ${expected} batch(es) successfully: its lines cannot be told apart`;
    for (const model of [...seen.keys()].sort()) unverified[model] = doubts.get(model) ?? why;
  } else {
    for (const [model, why] of [...doubts].sort()) unverified[model] = why;
  }
  const out: SqlmeshEvent[] = [];
  for (const event of held) {
    if (event.type === 'batch_evaluated' && event.model in unverified) continue;
    out.push(event);
  }
  if (Object.keys(unverified).length > 0) out.push({ type: 'batches_unverified', models: unverified });
  return out;
}
