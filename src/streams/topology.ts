import { describeTopology, type TopologyDescription } from './describe.ts';
import type { GraphNode, SourceNode, StoreNode } from './graph.ts';
import type { StateStoreSpec } from './state/spec.ts';

export type { AnyRecord, Execution, Forward, GraphNode, ProcessorKind, ProcessorNode, SinkNode, SourceNode, StepContext, StoreEntry, StoreNode, StoreWriter } from './graph.ts';

/**
 * A built, immutable topology: named nodes from sources through steps to sinks. Run it with
 * `runTopology` (Kafka) or `TopologyTestDriver` (memory).
 */
export class Topology {
  readonly name: string;
  /** Consumer group, `bridge.<name>` unless the builder was told otherwise. */
  readonly groupId: string;
  /** Where records that cannot be processed go, `dlq.<name>` by default. */
  readonly deadLetterTopic: string;
  readonly sources: readonly SourceNode[];
  readonly stores: readonly StoreNode[];
  readonly nodes: readonly GraphNode[];
  /**
   * Records of one partition processed at once (1: one after another). Records with the same key
   * always run in order; outputs keep the input order either way.
   */
  readonly recordConcurrency: number;
  /** False when records with the same key may run at once too (recordConcurrency > 1). */
  readonly orderedByKey: boolean;
  /** State stores steps use through `ctx.store`, each with its changelog topic. */
  readonly stateStores: readonly StateStoreSpec[];

  constructor(init: { name: string; groupId: string; deadLetterTopic: string; nodes: readonly GraphNode[]; recordConcurrency?: number; orderedByKey?: boolean; stateStores?: readonly StateStoreSpec[] }) {
    this.name = init.name;
    this.groupId = init.groupId;
    this.deadLetterTopic = init.deadLetterTopic;
    this.nodes = init.nodes;
    this.recordConcurrency = init.recordConcurrency ?? 1;
    this.orderedByKey = init.orderedByKey ?? true;
    this.stateStores = init.stateStores ?? [];
    this.sources = init.nodes.filter((node): node is SourceNode => node.type === 'source');
    this.stores = init.nodes.filter((node): node is StoreNode => node.type === 'store');
  }

  /** Records one commit covers at most: the runner's chunk, bounded by every store's maxBatch. */
  chunkSize(maxBatchRecords: number): number {
    return Math.min(maxBatchRecords, ...this.stores.map((store) => store.maxBatch));
  }

  /** Topic names and patterns to subscribe to. */
  get sourceTopics(): Array<string | RegExp> {
    return this.sources.flatMap((source) => [...source.topics]);
  }

  /** The source nodes that read a topic (several when patterns overlap). */
  sourcesFor(topic: string): SourceNode[] {
    let sources = this.#sourcesByTopic.get(topic);
    if (!sources) {
      // A fresh RegExp per test: a shared /g or /y pattern would carry lastIndex between topics.
      sources = this.sources.filter((source) => source.topics.some((t) => (typeof t === 'string' ? t === topic : new RegExp(t.source, t.flags).test(topic))));
      this.#sourcesByTopic.set(topic, sources);
    }
    return sources;
  }

  readonly #sourcesByTopic = new Map<string, SourceNode[]>();

  /** The graph as data (`.nodes`) and as text (`.toString()`), like Kafka Streams' TopologyDescription. */
  describe(): TopologyDescription {
    return describeTopology(this);
  }
}
