import type { Logger } from '../obs/logger.ts';
import { DependencyUnavailableError, RecordError } from './errors.ts';
import { decodeHeaders, type OutgoingRecord, type RawRecord } from './record.ts';
import type { RecordState } from './state/chunk-state.ts';
import type { AnyRecord, Execution, GraphNode, SourceNode, StepContext, StoreEntry, Topology } from './topology.ts';

/** A failure inside the graph, tagged with the node that raised it. */
export class NodeFailure extends Error {
  readonly node: string;
  constructor(node: string, cause: unknown) {
    super(`${node} failed`, { cause });
    this.name = 'NodeFailure';
    this.node = node;
  }
}

/** What one input record produced: serialized outputs and the records that reached store nodes. */
export interface RecordResult {
  readonly outputs: OutgoingRecord[];
  readonly stored: StoreEntry[];
}

/**
 * Runs one raw record through every source that reads its topic and returns the serialized
 * outputs and store entries. Nothing is written here: the caller writes only once the whole
 * record succeeded, so a retried record never leaves half of its outputs behind.
 */
export async function executeRecord(topology: Topology, raw: RawRecord, log: Logger, attempt: number, state?: RecordState): Promise<RecordResult> {
  const sources = topology.sourcesFor(raw.topic);
  if (sources.length === 0) throw new NodeFailure('source', new RecordError('unknown_topic', `no source of ${topology.name} reads ${raw.topic}`));
  const execution: Execution = {
    source: { topic: raw.topic, partition: raw.partition, offset: raw.offset },
    attempt,
    log,
    outputs: [],
    stored: [],
    ...(state ? { state } : {}),
    node: '',
  };
  for (const source of sources) {
    const record = await decode(source, raw, execution);
    await forwardAll(source, record, execution);
  }
  return { outputs: execution.outputs, stored: execution.stored };
}

async function decode(source: SourceNode, raw: RawRecord, execution: Execution): Promise<AnyRecord> {
  execution.node = source.name;
  let key: unknown;
  let value: unknown;
  try {
    // Awaited only when a serde is async (Avro): an await per field is a large share of a
    // pass-through record's cost.
    key = source.key.deserialize(raw.key, raw.topic);
    if (key instanceof Promise) key = await key;
  } catch (error) {
    throw unreadable(source, 'key', error);
  }
  try {
    value = source.value.deserialize(raw.value, raw.topic);
    if (value instanceof Promise) value = await value;
  } catch (error) {
    throw unreadable(source, 'value', error);
  }
  return { topic: raw.topic, partition: raw.partition, offset: raw.offset, key, value, headers: decodeHeaders(raw.headers), timestamp: raw.timestamp };
}

function unreadable(source: SourceNode, part: 'key' | 'value', error: unknown): NodeFailure {
  return new NodeFailure(source.name, asRecordError(error, 'deserialization_failed', `${part} is not readable as ${source[part].name}`));
}

async function forwardAll(from: GraphNode, record: AnyRecord, execution: Execution): Promise<void> {
  for (const next of from.successors) await run(next, record, execution);
}

async function run(node: GraphNode, record: AnyRecord, execution: Execution): Promise<void> {
  execution.node = node.name;
  if (node.type === 'sink') {
    execution.outputs.push(await serialize(node, record));
    return;
  }
  if (node.type === 'store') {
    execution.stored.push({ node, record });
    return;
  }
  if (node.type === 'source') return forwardAll(node, record, execution);
  const ctx: StepContext = {
    log: nodeLogger(execution.log, node.name),
    node: node.name,
    source: execution.source,
    attempt: execution.attempt,
    store: ((ref: Parameters<RecordState['store']>[0]) => {
      if (!execution.state) throw new Error(`step "${node.name}" asked for state store "${ref.name}", but the topology declares none`);
      return execution.state.store(ref);
    }) as StepContext['store'],
  };
  try {
    await node.process(record, ctx, async (out, successor) => {
      if (successor === undefined) return forwardAll(node, out, execution);
      const target = node.successors[successor];
      if (target) await run(target, out, execution);
      // A failure further down is already tagged; keep its node name.
    });
  } catch (error) {
    throw error instanceof NodeFailure ? error : new NodeFailure(node.name, error);
  }
}

async function serialize(node: Extract<GraphNode, { type: 'sink' }>, record: AnyRecord): Promise<OutgoingRecord> {
  try {
    const topic = typeof node.topic === 'string' ? node.topic : node.topic(record);
    let key = node.key.serialize(record.key, topic);
    if (key instanceof Promise) key = await key;
    let value = node.value.serialize(record.value, topic);
    if (value instanceof Promise) value = await value;
    return { topic, key, value, headers: record.headers, timestamp: record.timestamp, node: node.name };
  } catch (error) {
    throw new NodeFailure(node.name, asRecordError(error, 'serialization_failed', `record is not writable as ${node.key.name} / ${node.value.name}`));
  }
}

const nodeLoggers = new WeakMap<Logger, Map<string, Logger>>();

/** pino children are cheap to use but not to create: one per node, made on first use. */
function nodeLogger(log: Logger, node: string): Logger {
  let byNode = nodeLoggers.get(log);
  if (!byNode) {
    byNode = new Map();
    nodeLoggers.set(log, byNode);
  }
  let child = byNode.get(node);
  if (!child) {
    child = log.child({ node });
    byNode.set(node, child);
  }
  return child;
}

/** Serde failures are permanent for that record, except an unavailable dependency (registry). */
function asRecordError(error: unknown, reason: string, detail: string): unknown {
  if (error instanceof RecordError || error instanceof DependencyUnavailableError) return error;
  return new RecordError(reason, detail, { cause: error });
}
