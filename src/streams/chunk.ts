import { performance } from 'node:perf_hooks';
import { bulkhead } from 'cockatiel';
import { andThen } from './awaitable.ts';
import { deadLetterFor } from './dead-letter.ts';
import type { DependencyUnavailableError } from './errors.ts';
import type { ErrorPolicy, Outcome } from './error-policy.ts';
import type { StreamEvents } from './events.ts';
import type { OutgoingRecord, RawRecord } from './record.ts';
import type { ChunkState } from './state/chunk-state.ts';
import type { StateStores } from './state/state-stores.ts';
import type { StoreWrites } from './store-writes.ts';
import type { StoreEntry, Topology } from './topology.ts';

/**
 * Keys of each window store the retention sweep looks at after a chunk (ChunkState.sweep), one per
 * four records of the chunk at most: a read of the key cache or local storage each, and a
 * partition of 170,000 users passed over in about forty minutes at 300 events/s.
 */
const sweptKeysPerChunk = 64;

/** What processing a chunk needs; the runner and the test driver build one per topology. */
export interface ChunkContext {
  readonly topology: Topology;
  readonly policy: ErrorPolicy;
  readonly stores: StoreWrites;
  readonly events: StreamEvents;
  /** Clock for `dlq-failed-at`. */
  readonly now: () => number;
  /** The topology's state stores, when it declares some. */
  readonly state?: StateStores;
}

/** What became of a chunk of one partition (records in offset order). */
export interface ChunkResult {
  /** Leading records that finished (processed or dead-lettered): the commit covers exactly these. */
  readonly finished: number;
  /** Outputs and dead letters of the finished records, in input order. */
  readonly outputs: OutgoingRecord[];
  /** Store node → records written (durable before this resolves). */
  readonly stored: Record<string, number>;
  /** Per finished record, its time through the graph and its store writes, in ms. */
  readonly latenciesMs: number[];
  /** A dependency was down: pause the partition; records from `finished` on are read again. */
  readonly unavailable?: DependencyUnavailableError;
  /** The finished records' state writes: their changelog goes with the commit, then local storage. */
  readonly state?: ChunkState;
  /** Leading records skipped without outputs because the state stores' changelog already covers them (their input-offset marker). */
  readonly skippedAsApplied?: number;
}

interface Timed {
  readonly outcome: Outcome;
  readonly latencyMs: number;
}

/**
 * Runs a chunk through the graph, then writes what reached store nodes. Nothing goes to Kafka
 * here: the caller sends `outputs` and commits the offset after `finished` records, so outputs,
 * dead letters and offsets follow the store writes (in one transaction when exactly-once).
 */
export async function processChunk(chunk: readonly RawRecord[], ctx: ChunkContext): Promise<ChunkResult> {
  const first = chunk[0];
  const state = ctx.state && first ? await ctx.state.begin(first.partition, ctx.now()) : undefined;
  // Records whose state updates are already in the changelog (acknowledged, offset not yet
  // committed when the previous owner died) run no more: their outputs were acknowledged first.
  const covered = state && first ? await ctx.state!.covered(first.partition, first.topic) : undefined;
  const ran = ctx.topology.recordConcurrency > 1 ? await runConcurrently(chunk, ctx) : await runInOrder(chunk, ctx, state, covered);
  state?.sweep(Math.min(sweptKeysPerChunk, Math.ceil(chunk.length / 4)), ctx.now());
  const finished = ran.findIndex((timed) => timed === undefined || timed.outcome.kind === 'unavailable');
  let skippedAsApplied = 0;
  if (covered !== undefined) while (ran[skippedAsApplied] === alreadyApplied) skippedAsApplied += 1;
  const done = finished === -1 ? chunk.length : finished;
  const stopped = ran[done]?.outcome;
  const unavailable = stopped?.kind === 'unavailable' ? stopped.error : undefined;

  const perRecord: OutgoingRecord[][] = [];
  const stored: StoreEntry[][] = [];
  for (let i = 0; i < done; i += 1) {
    const outcome = ran[i]!.outcome;
    if (outcome.kind === 'processed') {
      perRecord.push(outcome.outputs);
      stored.push(outcome.stored);
    } else if (outcome.kind === 'dead-letter') {
      perRecord.push([deadLetter(chunk[i]!, outcome, ctx)]);
      stored.push([]);
    }
  }

  let written: Record<string, number> = {};
  let writeMs = 0;
  if (stored.some((entries) => entries.length > 0)) {
    const began = performance.now();
    const outcome = await ctx.stores.write(stored);
    writeMs = performance.now() - began;
    // Nothing of the chunk is committed: it is read again after the pause, and the writes that
    // did land are idempotent.
    if (outcome.kind === 'unavailable') return { finished: 0, outputs: [], stored: {}, latenciesMs: [], unavailable: outcome.error };
    // A record an external store refused is dead-lettered; its state writes (already seen by the
    // records after it) still count, as they would for any step's side effect.
    written = outcome.written;
    for (const [index, cause] of outcome.refused) perRecord[index] = [deadLetter(chunk[index]!, cause, ctx)];
  }
  return {
    finished: done,
    outputs: perRecord.flat(),
    stored: written,
    // A record that reached a store is processed once its write resolved.
    latenciesMs: ran.slice(0, done).map((timed, i) => timed!.latencyMs + (stored[i]!.length > 0 ? writeMs : 0)),
    ...(unavailable ? { unavailable } : {}),
    ...(state ? { state } : {}),
    ...(skippedAsApplied > 0 ? { skippedAsApplied } : {}),
  };
}

function deadLetter(raw: RawRecord, cause: { node: string; reason: string; detail: string; attempts: number }, ctx: ChunkContext): OutgoingRecord {
  ctx.events.emit('dead-lettered', { topology: ctx.topology.name, topic: raw.topic, partition: raw.partition, offset: raw.offset, node: cause.node, reason: cause.reason, attempts: cause.attempts });
  return deadLetterFor(raw, cause, ctx.topology.deadLetterTopic, ctx.now());
}

/** Synchronous when the record's processing is (no promise per record then). */
function timed(raw: RawRecord, ctx: ChunkContext, state?: ChunkState): Timed | Promise<Timed> {
  const began = performance.now();
  return andThen(ctx.policy.process(raw, state), (outcome): Timed => ({ outcome, latencyMs: performance.now() - began }));
}

const alreadyApplied: Timed = { outcome: { kind: 'processed', outputs: [], stored: [] }, latencyMs: 0 };

/**
 * One record after another, stopping at the first whose dependency is down. Each processed
 * record's state writes are accepted before the next record runs, so it sees them.
 */
async function runInOrder(chunk: readonly RawRecord[], ctx: ChunkContext, state?: ChunkState, covered?: bigint): Promise<Array<Timed | undefined>> {
  const ran: Timed[] = [];
  // A chunk's offsets ascend: once one is not covered, none after it is (no BigInt per record then).
  let skipping = covered !== undefined;
  for (const raw of chunk) {
    if (skipping && BigInt(raw.offset) < covered!) {
      ran.push(alreadyApplied);
      continue;
    }
    skipping = false;
    let result = timed(raw, ctx, state);
    if (result instanceof Promise) result = await result;
    ran.push(result);
    if (result.outcome.kind === 'processed' && result.outcome.state) {
      state?.accept(result.outcome.state);
      // The outcome is kept to the chunk's end; its record state is of no use after this.
      result.outcome.state = undefined;
    }
    if (result.outcome.kind === 'unavailable') break;
  }
  return ran;
}

/**
 * Up to `recordConcurrency` records at once; a record waits for the one before it with the same
 * key (records without a key count as one key), so each key keeps its order, unless the topology
 * is not ordered by key. Once a record finds a dependency down, no record after it starts: they
 * are read again after the pause, and the results of those that already ran are dropped (their
 * side effects may run twice, as after any crash).
 */
async function runConcurrently(chunk: readonly RawRecord[], ctx: ChunkContext): Promise<Array<Timed | undefined>> {
  const slots = bulkhead(ctx.topology.recordConcurrency, Number.POSITIVE_INFINITY);
  const ran: Array<Timed | undefined> = new Array<Timed | undefined>(chunk.length);
  const tails = new Map<string | null, Promise<void>>();
  let firstUnavailable = chunk.length;
  const tasks = chunk.map((raw, index) => {
    const key = !ctx.topology.orderedByKey ? String(index) : raw.key === null ? null : raw.key.toString('base64');
    const task = (tails.get(key) ?? Promise.resolve()).then(() =>
      slots.execute(async () => {
        if (index > firstUnavailable) return;
        const result = await timed(raw, ctx);
        ran[index] = result;
        if (result.outcome.kind === 'unavailable') firstUnavailable = Math.min(firstUnavailable, index);
      }),
    );
    tails.set(key, task);
    return task;
  });
  await Promise.all(tasks);
  return ran;
}
