import type { Logger } from '../obs/logger.ts';
import type { OutgoingRecord, SourceCoordinates, StreamRecord } from './record.ts';
import type { Serde, Serializer } from './serdes.ts';
import { describeTopology, type TopologyDescription } from './describe.ts';

/** What every step receives besides the record. */
export interface StepContext {
  /** The topology's logger, child-bound to this node's name. No PHI at info level. */
  readonly log: Logger;
  readonly node: string;
  /** Where the input record came from (unchanged by re-keying steps). */
  readonly source: SourceCoordinates;
  /** 1 on the first try, then 2, 3, … when the error policy retries the record. */
  readonly attempt: number;
}

export type AnyRecord = StreamRecord<unknown, unknown>;

/** Per-record state while one input record runs through the graph. */
export interface Execution {
  readonly source: SourceCoordinates;
  readonly attempt: number;
  readonly log: Logger;
  readonly outputs: OutgoingRecord[];
  /** The node running now; the error policy names it when the record fails. */
  node: string;
}

interface NodeBase {
  readonly name: string;
  readonly successors: GraphNode[];
  readonly predecessors: GraphNode[];
}

export interface SourceNode extends NodeBase {
  readonly type: 'source';
  readonly topics: ReadonlyArray<string | RegExp>;
  readonly key: Serde<unknown>;
  readonly value: Serde<unknown>;
}

/** The built-in processor kinds; `kind` is what describe() prints. */
export type ProcessorKind = 'map' | 'map-values' | 'flat-map' | 'filter' | 'peek' | 'branch' | 'branch-edge';

export interface ProcessorNode extends NodeBase {
  readonly type: 'processor';
  readonly kind: ProcessorKind;
  /** Branch labels, in the order of `successors` (branch nodes only). */
  readonly labels?: readonly string[];
  /**
   * Runs the step and hands each resulting record to `forward`; a branch passes the index of
   * the successor, others forward to all successors.
   */
  process(record: AnyRecord, ctx: StepContext, forward: (record: AnyRecord, successor?: number) => Promise<void>): Promise<void>;
}

export interface SinkNode extends NodeBase {
  readonly type: 'sink';
  readonly topic: string | ((record: AnyRecord) => string);
  readonly key: Serializer<unknown>;
  readonly value: Serializer<unknown>;
}

export type GraphNode = SourceNode | ProcessorNode | SinkNode;

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
  readonly nodes: readonly GraphNode[];

  constructor(init: { name: string; groupId: string; deadLetterTopic: string; nodes: readonly GraphNode[] }) {
    this.name = init.name;
    this.groupId = init.groupId;
    this.deadLetterTopic = init.deadLetterTopic;
    this.nodes = init.nodes;
    this.sources = init.nodes.filter((node): node is SourceNode => node.type === 'source');
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
