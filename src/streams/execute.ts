import type { Logger } from '../obs/logger.ts';
import { DependencyUnavailableError, RecordError } from './errors.ts';
import { decodeHeaders, type OutgoingRecord, type RawRecord } from './record.ts';
import { andThen, eachInOrder } from './awaitable.ts';
import type { RecordState } from './state/chunk-state.ts';
import type { AnyRecord, Execution, GraphNode, ProcessorNode, SinkNode, SourceNode, StepContext, StoreEntry, Topology } from './topology.ts';

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
 *
 * Synchronous as long as every serde and step is: a promise per hop (decode, forward, sink,
 * serialize) was most of what the runtime added to a pass-through record. The first serde or
 * step that answers with a promise turns the rest of the record asynchronous.
 */
export function executeRecord(topology: Topology, raw: RawRecord, log: Logger, attempt: number, state?: RecordState): RecordResult | Promise<RecordResult> {
  const sources = topology.sourcesFor(raw.topic);
  if (sources.length === 0) throw new NodeFailure('source', new RecordError('unknown_topic', `no source of ${topology.name} reads ${raw.topic}`));
  const execution: Execution = {
    source: { topic: raw.topic, partition: raw.partition, offset: raw.offset },
    attempt,
    log,
    outputs: [],
    stored: [],
    // Always set (undefined without stores): one object shape for every record, and no spread per record.
    state,
    node: '',
  };
  const ran = eachInOrder(sources, (source) => andThen(decode(source, raw, execution), (record) => forwardAll(source, record, execution)));
  return andThen(ran, (): RecordResult => ({ outputs: execution.outputs, stored: execution.stored }));
}

function decode(source: SourceNode, raw: RawRecord, execution: Execution): AnyRecord | Promise<AnyRecord> {
  execution.node = source.name;
  let key: unknown;
  try {
    key = source.key.deserialize(raw.key, raw.topic);
  } catch (error) {
    throw unreadable(source, 'key', error);
  }
  if (key instanceof Promise) return decodeLater(source, raw, key);
  let value: unknown;
  try {
    value = source.value.deserialize(raw.value, raw.topic);
  } catch (error) {
    throw unreadable(source, 'value', error);
  }
  if (value instanceof Promise) return decodeLater(source, raw, key, value);
  return decoded(raw, key, value);
}

/** The rest of `decode` once a serde answered with a promise (Avro); the value is read after the key, as in the synchronous path. */
async function decodeLater(source: SourceNode, raw: RawRecord, key: unknown, value?: Promise<unknown>): Promise<AnyRecord> {
  try {
    key = await key;
  } catch (error) {
    throw unreadable(source, 'key', error);
  }
  try {
    return decoded(raw, key, await (value ?? source.value.deserialize(raw.value, raw.topic)));
  } catch (error) {
    throw unreadable(source, 'value', error);
  }
}

function decoded(raw: RawRecord, key: unknown, value: unknown): AnyRecord {
  return { topic: raw.topic, partition: raw.partition, offset: raw.offset, key, value, headers: decodeHeaders(raw.headers), timestamp: raw.timestamp };
}

function unreadable(source: SourceNode, part: 'key' | 'value', error: unknown): NodeFailure {
  return new NodeFailure(source.name, asRecordError(error, 'deserialization_failed', `${part} is not readable as ${source[part].name}`));
}

function forwardAll(from: GraphNode, record: AnyRecord, execution: Execution): Promise<void> | undefined {
  return eachInOrder(from.successors, (next) => run(next, record, execution));
}

function run(node: GraphNode, record: AnyRecord, execution: Execution): Promise<void> | undefined {
  execution.node = node.name;
  if (node.type === 'sink') {
    return andThen(serialize(node, record), (out) => {
      execution.outputs.push(out);
      return undefined;
    });
  }
  if (node.type === 'store') {
    execution.stored.push({ node, record });
    return undefined;
  }
  if (node.type === 'source') return forwardAll(node, record, execution);
  return step(node, record, execution);
}

function step(node: ProcessorNode, record: AnyRecord, execution: Execution): Promise<void> | undefined {
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
  let pending: Promise<void> | undefined;
  try {
    pending = node.process(record, ctx, (out, successor) => {
      if (successor === undefined) return forwardAll(node, out, execution);
      const target = node.successors[successor];
      return target ? run(target, out, execution) : undefined;
    });
  } catch (error) {
    throw failedIn(node, error);
  }
  return pending?.catch((error: unknown) => {
    throw failedIn(node, error);
  });
}

/** A failure further down is already tagged; keep its node name. */
function failedIn(node: ProcessorNode, error: unknown): NodeFailure {
  return error instanceof NodeFailure ? error : new NodeFailure(node.name, error);
}

function serialize(node: SinkNode, record: AnyRecord): OutgoingRecord | Promise<OutgoingRecord> {
  try {
    const topic = typeof node.topic === 'string' ? node.topic : node.topic(record);
    const key = node.key.serialize(record.key, topic);
    if (key instanceof Promise) return serializeLater(node, record, topic, key);
    const value = node.value.serialize(record.value, topic);
    if (value instanceof Promise) return serializeLater(node, record, topic, key, value);
    return outgoing(node, record, topic, key, value);
  } catch (error) {
    throw unwritable(node, error);
  }
}

/** The rest of `serialize` once a serde answered with a promise; the value is written after the key, as in the synchronous path. */
async function serializeLater(node: SinkNode, record: AnyRecord, topic: string, key: Buffer | null | Promise<Buffer | null>, value?: Promise<Buffer | null>): Promise<OutgoingRecord> {
  try {
    const keyBytes = await key;
    return outgoing(node, record, topic, keyBytes, await (value ?? node.value.serialize(record.value, topic)));
  } catch (error) {
    throw unwritable(node, error);
  }
}

function outgoing(node: SinkNode, record: AnyRecord, topic: string, key: Buffer | null, value: Buffer | null): OutgoingRecord {
  return { topic, key, value, headers: record.headers, timestamp: record.timestamp, node: node.name };
}

function unwritable(node: SinkNode, error: unknown): NodeFailure {
  return new NodeFailure(node.name, asRecordError(error, 'serialization_failed', `record is not writable as ${node.key.name} / ${node.value.name}`));
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
